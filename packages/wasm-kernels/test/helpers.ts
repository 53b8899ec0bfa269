import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';

// The kernels' tests compare one computation across backends (`on`) on values from the selfsup
// RNG, identical on every backend (`values`).
export { randomValues as values, relativeError, resultsOn as on } from '@selfsup/core/testing';
