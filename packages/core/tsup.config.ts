import { packageBuild } from '../../tsup.shared';

export default packageBuild(['src/index.ts', 'src/testing.ts'], {
  // Bundle tfjs-core's gradient registrations (missing from its Node build); see src/gradients.ts.
  noExternal: [/^@tensorflow\/tfjs-core\/dist\/register_all_gradients$/],
});
