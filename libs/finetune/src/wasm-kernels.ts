// Kernels that tfjs-backend-wasm 4.22 lacks, registered from JS so training works there.
// UnsortedSegmentSum is what the gradient of `gather` (the embedding lookup) needs.
// Also the faster kernels: BatchMatMul without its slow cases, and (with the native addon) fused layer norm/GELU.
import * as tf from '@tensorflow/tfjs';
import { loadNative } from './kernels-native.ts';
import { registerWasmElementwise } from './kernels-wasm-elementwise.ts';
import { registerWasmFused } from './kernels-wasm-fused.ts';
import {
  registerWasmGather,
  registerWasmIdentity,
  registerWasmPackedHeads,
  registerWasmTranspose,
} from './kernels-wasm-copies.ts';
import { registerWasmMatMul } from './kernels-wasm-matmul.ts';

interface WasmBackendLike {
  readSync(dataId: object): ArrayLike<number>;
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  typedArrayFromHeap(info: tf.TensorInfo): Float32Array | Int32Array | Uint8Array;
}

/** out[segmentIds[i], :] += x[i, :]; rows with an id outside [0, numSegments) are dropped (TF semantics). */
export function unsortedSegmentSum(
  x: ArrayLike<number>,
  ids: ArrayLike<number>,
  rowSize: number,
  numSegments: number,
  out: Float32Array,
): void {
  out.fill(0);
  for (let i = 0; i < ids.length; i++) {
    const s = ids[i]!;
    if (s < 0 || s >= numSegments) continue;
    const src = i * rowSize;
    const dst = s * rowSize;
    for (let j = 0; j < rowSize; j++) out[dst + j]! += x[src + j]!;
  }
}

let registered = false;

export function registerWasmKernels(): void {
  if (registered || tf.getKernel('UnsortedSegmentSum', 'wasm')) return;
  registered = true;
  const native = loadNative();
  registerWasmMatMul(native);
  registerWasmGather();
  registerWasmIdentity();
  registerWasmTranspose();
  registerWasmPackedHeads();
  if (native) {
    registerWasmFused(native);
    registerWasmElementwise(native);
  }
  tf.registerKernel({
    kernelName: 'UnsortedSegmentSum',
    backendName: 'wasm',
    kernelFunc: ({ inputs, backend, attrs }) => {
      const { x, segmentIds } = inputs as { x: tf.TensorInfo; segmentIds: tf.TensorInfo };
      const numSegments = (attrs as { numSegments: number }).numSegments;
      const b = backend as unknown as WasmBackendLike;
      const rowSize = x.shape.slice(segmentIds.shape.length).reduce((a, d) => a * d, 1);
      const out = b.makeOutput([numSegments, ...x.shape.slice(segmentIds.shape.length)], 'float32');
      // views into the heap, not readSync's copies; taken after makeOutput, which may grow (move) the heap
      unsortedSegmentSum(
        b.typedArrayFromHeap(x),
        b.typedArrayFromHeap(segmentIds),
        rowSize,
        numSegments,
        b.typedArrayFromHeap(out) as Float32Array,
      );
      return out;
    },
  });
}
