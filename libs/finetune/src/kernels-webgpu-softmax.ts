// Softmax for the webgpu backend, composed of its own Max, Sub, Exp, Sum and RealDiv kernels. tfjs-backend-webgpu
// 4.22's fused shader starts each row's maximum at -3.402823e38, which is above float32's lowest value
// (-3.4028235e38): a row whose every entry is that value (an attention row with every key masked, which HF's
// clamp makes) gets exp(-5e31) = 0 everywhere and 0 / 0 = NaN, where HF and the other backends give 1/n.
import * as tf from '@tensorflow/tfjs';

type KernelFunc = (args: { inputs: tf.NamedTensorInfoMap; backend: object; attrs?: tf.NamedAttrMap }) => tf.TensorInfo;
interface DisposingBackend {
  disposeData(dataId: object): boolean;
}

function kernel(name: string): KernelFunc {
  const k = tf.getKernel(name, 'webgpu');
  if (!k) throw new Error(`the webgpu backend has no ${name} kernel`);
  return k.kernelFunc as unknown as KernelFunc;
}

export function registerWebgpuSoftmax(): void {
  const original = tf.getKernel('Softmax', 'webgpu');
  if (!original || (original as { prunelab?: boolean }).prunelab) return;
  const [max, sub, exp, sum, div] = ['Max', 'Sub', 'Exp', 'Sum', 'RealDiv'].map(kernel) as KernelFunc[];
  const kernelFunc: KernelFunc = ({ inputs, backend, attrs }) => {
    const { logits } = inputs as { logits: tf.TensorInfo };
    const axis = [(attrs as { dim: number }).dim];
    const m = max!({ inputs: { x: logits }, backend, attrs: { reductionIndices: axis, keepDims: true } });
    const d = sub!({ inputs: { a: logits, b: m }, backend });
    const e = exp!({ inputs: { x: d }, backend });
    const s = sum!({ inputs: { x: e }, backend, attrs: { axis, keepDims: true } });
    const y = div!({ inputs: { a: e, b: s }, backend });
    for (const t of [m, d, e, s]) (backend as DisposingBackend).disposeData(t.dataId);
    return y;
  };
  tf.unregisterKernel('Softmax', 'webgpu');
  tf.registerKernel({
    ...original,
    kernelFunc: kernelFunc as unknown as tf.KernelFunc,
    prunelab: true,
  } as tf.KernelConfig);
}
