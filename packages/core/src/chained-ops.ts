/**
 * `x.reshape(...)`, `x.add(...)` and the other chained ops type-check against tfjs-core's Tensor
 * but throw "is not a function" at run time: tfjs-core alone never attaches them to the Tensor
 * prototype (the `@tensorflow/tfjs` union package does). As with the gradients (gradients.ts),
 * this bundles tfjs-core's own `register_all_chained_ops` into our build (tsup `noExternal`); it
 * patches the prototype of tfjs' global Tensor class, the one every copy of tfjs-core shares.
 */
import '@tensorflow/tfjs-core/dist/public/chained_ops/register_all_chained_ops';
