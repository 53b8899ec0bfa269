import { packageBuild } from '../../tsup.shared';

export default packageBuild(['src/index.ts', 'src/testing.ts', 'src/vitest.ts'], {
  // Bundle tfjs-core's gradient and chained-op registrations (missing from its Node build); see
  // src/gradients.ts and src/chained-ops.ts.
  noExternal: [
    /^@tensorflow\/tfjs-core\/dist\/register_all_gradients$/,
    /^@tensorflow\/tfjs-core\/dist\/public\/chained_ops\/register_all_chained_ops$/,
  ],
});
