// Kernels of tfjs-backend-wasm that move data, without their waste. Pure data movement, so exact; used on the
// wasm backend whether or not the native addon is there.
// - Identity: tfjs clones every tensor a gradient saves (engine.clone -> Identity), ~170 per BERT-tiny training
//   step; wasm copies each one, while tensors are immutable: share the memory (as its Reshape and tfjs' cpu
//   backend do) by counting one more reference.
// - GatherV2 along axis 0 (the embedding lookups) as row copies in the heap: its own kernel walks element by
//   element (~15 ms for 2048 rows of 128 here, for a few hundred KB of copying).
import * as tf from '@tensorflow/tfjs';
import type { WasmBackendInternals } from './kernels-wasm-matmul.ts';

export function registerWasmIdentity(): void {
  const orig = tf.getKernel('Identity', 'wasm');
  if (!orig || (orig as { prunelab?: boolean }).prunelab) return;
  const fallback = orig.kernelFunc as KernelFunc;
  const kernelFunc: KernelFunc = (args) => {
    const { x } = args.inputs as { x: tf.TensorInfo };
    if (x.dtype === 'string') return fallback(args);
    (args.backend as { incRef(dataId: object): void }).incRef(x.dataId);
    return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
  };
  tf.unregisterKernel('Identity', 'wasm');
  tf.registerKernel({ ...orig, kernelFunc: kernelFunc as tf.KernelFunc, prunelab: true } as tf.KernelConfig);
}

type KernelFunc = (args: {
  inputs: tf.NamedTensorInfoMap;
  backend: unknown;
  attrs?: tf.NamedAttrMap;
}) => tf.TensorInfo | tf.TensorInfo[];

export function registerWasmGather(): void {
  const orig = tf.getKernel('GatherV2', 'wasm');
  if (!orig || (orig as { prunelab?: boolean }).prunelab) return;
  const fallback = orig.kernelFunc as KernelFunc;
  const kernelFunc: KernelFunc = (args) => {
    const { x, indices } = args.inputs as { x: tf.TensorInfo; indices: tf.TensorInfo };
    const { axis, batchDims } = args.attrs as { axis: number; batchDims: number };
    const rows = x.shape[0] ?? 0;
    if (
      (axis !== 0 && axis !== -x.shape.length) ||
      batchDims ||
      x.dtype !== 'float32' ||
      indices.dtype !== 'int32' ||
      x.shape.length < 1
    ) {
      return fallback(args);
    }
    const be = args.backend as WasmBackendInternals;
    const cols = x.shape.slice(1).reduce((a, d) => a * d, 1);
    const n = indices.shape.reduce((a, d) => a * d, 1);
    const out = be.makeOutput([...indices.shape, ...x.shape.slice(1)], 'float32');
    const heap = new Float32Array(be.wasm.HEAPU8.buffer);
    const idx = new Int32Array(be.wasm.HEAPU8.buffer, be.dataIdMap.get(indices.dataId).memoryOffset, n);
    const src = be.dataIdMap.get(x.dataId).memoryOffset / 4;
    const dst = be.dataIdMap.get(out.dataId).memoryOffset / 4;
    for (let i = 0; i < n; i++) {
      const r = idx[i]!;
      if (r < 0 || r >= rows) {
        be.disposeData(out.dataId);
        return fallback(args); // the backend's own kernel reports the bad index
      }
      heap.copyWithin(dst + i * cols, src + r * cols, src + (r + 1) * cols);
    }
    return out;
  };
  tf.unregisterKernel('GatherV2', 'wasm');
  tf.registerKernel({ ...orig, kernelFunc: kernelFunc as tf.KernelFunc, prunelab: true } as tf.KernelConfig);
}
