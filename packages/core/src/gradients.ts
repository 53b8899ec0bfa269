/**
 * tfjs-core's Node build (`tf-core.node.js`) ships without gradient registrations: the
 * `@tensorflow/tfjs` union package adds them, and a project built on tfjs-core alone gets
 * "gradient function not found" from `tf.grad`. selfsup trains on tfjs-core, so this module
 * bundles tfjs-core's own `register_all_gradients` into our build (tsup `noExternal`), as the union
 * package does. It registers into tfjs' global registry, shared by every copy of tfjs-core, and
 * tensors cross copies safely (tfjs' Tensor defines Symbol.hasInstance for that).
 */
import '@tensorflow/tfjs-core/dist/register_all_gradients';
