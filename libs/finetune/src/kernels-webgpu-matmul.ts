// BatchMatMul on the webgpu backend without split-K. For a product with few output tiles and a long inner
// dimension (K >= 2000: weight gradients, whose K is the batch's tokens) tfjs-backend-webgpu 4.22 splits K across
// workgroups and adds the parts with float atomics, so the sum's order, and its last bits, vary between runs.
// There the program with small output tiles runs instead: each output entry is one thread's sum, in order.
import * as tf from '@tensorflow/tfjs';

type KernelFunc = (args: { inputs: tf.NamedTensorInfoMap; backend: object; attrs?: tf.NamedAttrMap }) => tf.TensorInfo;

const FLAG = 'WEBGPU_MATMUL_PROGRAM_TYPE';
/** tfjs-backend-webgpu's MatMulProgramType.MatMulSmallOutputSizeProgram */
const SMALL_OUTPUT_TILES = 2;

/** Whether tfjs-backend-webgpu 4.22's heuristic (BatchMatMul_impl) picks split-K for these shapes. */
export function picksSplitK(
  a: readonly number[],
  b: readonly number[],
  transposeA: boolean,
  transposeB: boolean,
  threshold: number,
): boolean {
  const ra = a.length;
  const rb = b.length;
  const m = transposeA ? a[ra - 1]! : a[ra - 2]!;
  const n = transposeB ? b[rb - 2]! : b[rb - 1]!;
  const k = transposeB ? b[rb - 1]! : b[rb - 2]!;
  const batch = Math.max(
    a.slice(0, -2).reduce((p, d) => p * d, 1),
    b.slice(0, -2).reduce((p, d) => p * d, 1),
  );
  const tiles = batch * Math.ceil(m / 32) * Math.ceil(n / 32);
  const few = tiles <= threshold || (m <= 8 && tiles <= threshold * 2);
  return few && batch * m * n > 128 && batch === 1 && k >= 2000;
}

export function registerWebgpuMatMul(): void {
  const original = tf.getKernel('BatchMatMul', 'webgpu');
  if (!original || (original as { prunelab?: boolean }).prunelab) return;
  const matMul = original.kernelFunc as unknown as KernelFunc;
  const kernelFunc: KernelFunc = (args) => {
    const { a, b } = args.inputs as { a: tf.TensorInfo; b: tf.TensorInfo };
    const { transposeA, transposeB } = (args.attrs ?? {}) as { transposeA?: boolean; transposeB?: boolean };
    const env = tf.env();
    const set = env.getNumber('WEBGPU_THRESHOLD_TO_INCREASE_WORKGROUPS_FOR_MATMUL');
    const threshold =
      set > 0 ? set : (args.backend as { thresholdToIncreaseWorkgroups: number }).thresholdToIncreaseWorkgroups;
    if (env.getNumber(FLAG) >= 0 || !picksSplitK(a.shape, b.shape, !!transposeA, !!transposeB, threshold))
      return matMul(args);
    env.set(FLAG, SMALL_OUTPUT_TILES);
    try {
      return matMul(args);
    } finally {
      env.set(FLAG, -1);
    }
  };
  tf.unregisterKernel('BatchMatMul', 'webgpu');
  tf.registerKernel({
    ...original,
    kernelFunc: kernelFunc as unknown as tf.KernelFunc,
    prunelab: true,
  } as tf.KernelConfig);
}
