// One fused AdamW update (moments, decoupled weight decay, bias-corrected step) per parameter, for adamw.ts:
// on the wasm backend with the native addon it is one kernel over the parameter instead of ~12 (each a full pass
// over memory; the word embeddings alone are 4-8M entries). Same float32 constants and operation order as the
// tfjs composition in adamw.ts, so the results agree with it.
import * as tf from '@tensorflow/tfjs';
import { loadNative, nativeEnabled } from './kernels-native.ts';
import { floatOffset, type WasmBackendInternals } from './kernels-wasm-matmul.ts';

const KERNEL = 'PrunelabAdamW';

export interface AdamWScalars {
  /** Gradient clipping factor (1: none). */
  scale: number;
  b1: number;
  b2: number;
  eps: number;
  /** 1 - lr * weightDecay, or 1 for no decay. */
  decay: number;
  /** 1 - b1^t and 1 - b2^t. */
  bc1: number;
  bc2: number;
  lr: number;
}

function register(): boolean {
  if (tf.getKernel(KERNEL, 'wasm')) return true;
  const native = loadNative();
  if (!native) return false;
  tf.registerKernel({
    kernelName: KERNEL,
    backendName: 'wasm',
    kernelFunc: ({ inputs, backend, attrs }) => {
      const { p, m, v, g } = inputs as Record<'p' | 'm' | 'v' | 'g', tf.TensorInfo>;
      const s = attrs as unknown as AdamWScalars;
      const be = backend as unknown as WasmBackendInternals;
      const outs = [p, m, v].map((t) => be.makeOutput(t.shape, 'float32'));
      const n = p.shape.reduce((a, d) => a * d, 1);
      native.adamw(
        be.wasm.HEAPU8.buffer,
        n,
        floatOffset(be, p),
        floatOffset(be, m),
        floatOffset(be, v),
        floatOffset(be, g),
        floatOffset(be, outs[0]!),
        floatOffset(be, outs[1]!),
        floatOffset(be, outs[2]!),
        s.scale,
        s.b1,
        1 - s.b1,
        s.b2,
        1 - s.b2,
        s.decay,
        Math.sqrt(s.bc2),
        s.eps,
        s.lr / s.bc1,
      );
      return outs;
    },
  });
  return true;
}

/** The global L2 norm of `grads` (clip_grad_norm_'s), read straight from the wasm heap in one native pass per
 * tensor instead of two kernels each plus a sum; null when that cannot run here (then compose). */
export function fusedGlobalNorm(grads: tf.Tensor[]): number | null {
  const native = loadNative();
  if (!native || !nativeEnabled() || tf.getBackend() !== 'wasm' || grads.some((g) => g.dtype !== 'float32'))
    return null;
  const be = tf.backend() as unknown as WasmBackendInternals;
  let total = 0;
  for (const g of grads)
    total += native.sumSquares(be.wasm.HEAPU8.buffer, g.size, be.dataIdMap.get(g.dataId).memoryOffset / 4);
  return Math.sqrt(total);
}

/** The new [param, m, v] after one AdamW update, or null when the fused kernel cannot run here (then compose). */
export function fusedAdamW(
  p: tf.Tensor,
  m: tf.Tensor,
  v: tf.Tensor,
  g: tf.Tensor,
  s: AdamWScalars,
): [tf.Tensor, tf.Tensor, tf.Tensor] | null {
  if (!nativeEnabled() || tf.getBackend() !== 'wasm' || p.dtype !== 'float32' || g.dtype !== 'float32' || !register())
    return null;
  return tf.engine().runKernel(KERNEL, { p, m, v, g }, s as unknown as tf.NamedAttrMap) as unknown as [
    tf.Tensor,
    tf.Tensor,
    tf.Tensor,
  ];
}
