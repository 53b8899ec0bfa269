import { packageTestConfig } from '../../vitest.shared';

// Two browser runs of a few dozen training steps each, one on software WebGPU.
export default packageTestConfig({ testTimeout: 600_000 });
