// Kernels of tfjs-backend-wasm that move data, without their waste. Pure data movement, so exact; used on the
// wasm backend whether or not the native addon is there.
// - Identity: tfjs clones every tensor a gradient saves (engine.clone -> Identity), ~170 per BERT-tiny training
//   step; wasm copies each one, while tensors are immutable: share the memory (as its Reshape and tfjs' cpu
//   backend do) by counting one more reference.
// - GatherV2 along axis 0 (the embedding lookups) as row copies in the heap: its own kernel walks element by
//   element (~15 ms for 2048 rows of 128 here, for a few hundred KB of copying).
import * as tf from '@tensorflow/tfjs';
import { floatOffset, type WasmBackendInternals } from './kernels-wasm-matmul.ts';

/** The input itself as the output: one more reference to its memory (tensors are immutable). */
function share(x: tf.TensorInfo, backend: unknown): tf.TensorInfo {
  (backend as { incRef(dataId: object): void }).incRef(x.dataId);
  return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
}

export function registerWasmIdentity(): void {
  const orig = tf.getKernel('Identity', 'wasm');
  if (!orig || (orig as { prunelab?: boolean }).prunelab) return;
  const fallback = orig.kernelFunc as KernelFunc;
  const kernelFunc: KernelFunc = (args) => {
    const { x } = args.inputs as { x: tf.TensorInfo };
    if (x.dtype === 'string') return fallback(args);
    return share(x, args.backend);
  };
  tf.unregisterKernel('Identity', 'wasm');
  tf.registerKernel({ ...orig, kernelFunc: kernelFunc as tf.KernelFunc, prunelab: true } as tf.KernelConfig);
}

/** Transpose with the identity permutation (tfjs' gather gradient does two of them per lookup, each a full copy
 * of its input: 2M floats for the USE-Lite embedding) shares the input's memory, as Identity does. */
export function registerWasmTranspose(): void {
  const orig = tf.getKernel('Transpose', 'wasm');
  if (!orig || (orig as { prunelab?: boolean }).prunelab) return;
  const fallback = orig.kernelFunc as KernelFunc;
  const kernelFunc: KernelFunc = (args) => {
    const { x } = args.inputs as { x: tf.TensorInfo };
    const { perm } = args.attrs as { perm: number[] };
    if (x.dtype === 'string' || !perm.every((p, i) => p === i)) return fallback(args);
    return share(x, args.backend);
  };
  tf.unregisterKernel('Transpose', 'wasm');
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

// Attention's layout for packed rows (packing.ts): the [n, 3W] projections of the real tokens to q, k, v as
// [B, heads, T, d] (zeros at the pads), the [B, heads, T, d] result back to [n, W], and both gradients, as block
// copies of d floats in the heap. tfjs' composition (gather with a zero row, split, three reshape + transpose;
// transpose, reshape, gather) takes 5-10 kernels and a segment sum per direction.
export const PACKED_HEADS = {
  split: 'PrunelabPackedHeads',
  splitGrad: 'PrunelabPackedHeadsGrad',
  merge: 'PrunelabMergeHeads',
  mergeGrad: 'PrunelabMergeHeadsGrad',
} as const;

type Info = tf.TensorInfo;

interface HeadsAttrs {
  B: number;
  T: number;
  heads: number;
  /** the width of one of q, k, v (W = heads * d) */
  width: number;
  /** how many matrices sit side by side in a packed row: 3 for q|k|v, 1 for a merged result */
  parts: number;
  /** real tokens: the packed rows */
  n: number;
}

/** Calls copy(packedOffset, part, headOffset, len) for every (real token, part, head) block and zero(part,
 * headOffset, len) for every pad block; offsets are in floats from the starts of the packed [n, parts W] tensor and
 * of part p's [B, h, T, d] tensor. `expand` gives each position its packed row, n for a pad. */
function forBlocks(
  expand: Int32Array,
  a: HeadsAttrs,
  copy: (packed: number, part: number, head: number, len: number) => void,
  zero: (part: number, head: number, len: number) => void,
): void {
  const { B, T, heads, width, parts, n } = a;
  const d = width / heads;
  for (let b = 0; b < B; b++) {
    for (let t = 0; t < T; t++) {
      const r = expand[b * T + t]!;
      for (let p = 0; p < parts; p++) {
        for (let h = 0; h < heads; h++) {
          const head = ((b * heads + h) * T + t) * d;
          if (r < n) copy(r * parts * width + p * width + h * d, p, head, d);
          else zero(p, head, d);
        }
      }
    }
  }
}

export function registerWasmPackedHeads(): void {
  if (tf.getKernel(PACKED_HEADS.split, 'wasm')) return;
  const reg = (
    kernelName: string,
    f: (be: WasmBackendInternals, inputs: Record<string, Info>, a: HeadsAttrs) => Info | Info[],
  ) =>
    tf.registerKernel({
      kernelName,
      backendName: 'wasm',
      kernelFunc: ({ inputs, backend, attrs }) =>
        f(backend as unknown as WasmBackendInternals, inputs as Record<string, Info>, attrs as unknown as HeadsAttrs),
    });
  const ints = (be: WasmBackendInternals, t: Info) =>
    new Int32Array(be.wasm.HEAPU8.buffer, be.dataIdMap.get(t.dataId).memoryOffset, t.shape[0]!);
  const headShape = (a: HeadsAttrs) => [a.B, a.heads, a.T, a.width / a.heads];
  // Outputs are made first: makeOutput may grow (move) the heap, so views are taken after it.
  const toHeads = (be: WasmBackendInternals, x: Info, expand: Info, a: HeadsAttrs): Info[] => {
    const outs = Array.from({ length: a.parts }, () => be.makeOutput(headShape(a), 'float32'));
    const heap = new Float32Array(be.wasm.HEAPU8.buffer);
    const src = floatOffset(be, x);
    const dst = outs.map((o) => floatOffset(be, o));
    forBlocks(
      ints(be, expand),
      a,
      (packed, p, head, len) => heap.copyWithin(dst[p]! + head, src + packed, src + packed + len),
      (p, head, len) => heap.fill(0, dst[p]! + head, dst[p]! + head + len),
    );
    return outs;
  };
  const toPacked = (be: WasmBackendInternals, parts: Info[], expand: Info, a: HeadsAttrs): Info => {
    const out = be.makeOutput([a.n, a.parts * a.width], 'float32');
    const heap = new Float32Array(be.wasm.HEAPU8.buffer);
    const dst = floatOffset(be, out);
    const src = parts.map((p) => floatOffset(be, p));
    forBlocks(
      ints(be, expand),
      a,
      (packed, p, head, len) => heap.copyWithin(dst + packed, src[p]! + head, src[p]! + head + len),
      () => {},
    );
    return out;
  };
  reg(PACKED_HEADS.split, (be, { x, expand }, a) => toHeads(be, x!, expand!, a));
  reg(PACKED_HEADS.splitGrad, (be, { dq, dk, dv, expand }, a) => toPacked(be, [dq!, dk!, dv!], expand!, a));
  reg(PACKED_HEADS.merge, (be, { x, expand }, a) => toPacked(be, [x!], expand!, a));
  reg(PACKED_HEADS.mergeGrad, (be, { dy, expand }, a) => toHeads(be, dy!, expand!, a)[0]!);
  // Gradients (tfjs' registry is global; these kernels exist on wasm only, so only wasm runs them). The index is
  // data, never on a path from a variable, so its gradient is never asked for.
  const run = (name: string, inputs: tf.NamedTensorMap, attrs: tf.NamedAttrMap) =>
    tf.engine().runKernel(name, inputs, attrs) as tf.Tensor;
  tf.registerGradient({
    kernelName: PACKED_HEADS.split,
    inputsToSave: ['expand'],
    gradFunc: (dy, saved, attrs) => {
      const [dq, dk, dv] = dy as tf.Tensor[];
      return { x: () => run(PACKED_HEADS.splitGrad, { dq: dq!, dk: dk!, dv: dv!, expand: saved[0]! }, attrs) };
    },
  });
  tf.registerGradient({
    kernelName: PACKED_HEADS.merge,
    inputsToSave: ['expand'],
    gradFunc: (dy, saved, attrs) => ({
      x: () => run(PACKED_HEADS.mergeGrad, { dy: dy as tf.Tensor, expand: saved[0]! }, attrs),
    }),
  });
}
