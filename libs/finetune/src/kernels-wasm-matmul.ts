// BatchMatMul for tfjs-backend-wasm without its slow cases. Its XNNPACK path covers only a single 2-D product with
// no transposed operand; everything else (the backward pass of every dense layer, all batched attention products)
// runs a scalar loop at ~1-2 GFLOP/s (see ../shared/docs/engine-notes.md). With the native addon every case is one
// strided sgemm call on the wasm heap; without it, transposed operands are materialised with the Transpose kernel
// and batched products run as 2-D XNNPACK products, one per batch entry.
import * as tf from '@tensorflow/tfjs';
import { nativeEnabled, type NativeKernels } from './kernels-native.ts';

export interface WasmBackendInternals {
  wasm: { HEAPU8: Uint8Array };
  dataIdMap: { get(dataId: object): { memoryOffset: number } };
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  disposeData(dataId: object): boolean;
}

type KernelFunc = (args: {
  inputs: tf.NamedTensorInfoMap;
  backend: unknown;
  attrs?: tf.NamedAttrMap;
}) => tf.TensorInfo | tf.TensorInfo[];

/** Offset of a tensor's data in the wasm heap, in float32 elements. */
export function floatOffset(b: WasmBackendInternals, t: tf.TensorInfo): number {
  return b.dataIdMap.get(t.dataId).memoryOffset / 4;
}

interface Plan {
  batch: number;
  M: number;
  N: number;
  K: number;
  aStride: number;
  bStride: number;
  outShape: number[];
}

/** Shapes of op(A) op(B) over broadcast batch dimensions; null when the batch dimensions broadcast other than
 * "equal, or one side has a single batch entry" (left to the original kernel). */
function plan(a: tf.TensorInfo, b: tf.TensorInfo, tA: boolean, tB: boolean): Plan | null {
  const ar = a.shape.length;
  const br = b.shape.length;
  const M = a.shape[tA ? ar - 1 : ar - 2]!;
  const K = a.shape[tA ? ar - 2 : ar - 1]!;
  const N = b.shape[tB ? br - 2 : br - 1]!;
  if (b.shape[tB ? br - 1 : br - 2] !== K) return null;
  const aBatch = a.shape.slice(0, -2);
  const bBatch = b.shape.slice(0, -2);
  const aCount = aBatch.reduce((x, y) => x * y, 1);
  const bCount = bBatch.reduce((x, y) => x * y, 1);
  let outBatch: number[];
  if (aCount === 1) outBatch = bBatch.length > aBatch.length ? bBatch : aBatch.map((_, i) => bBatch[i] ?? 1);
  else if (bCount === 1) outBatch = aBatch.length >= bBatch.length ? aBatch : bBatch.map((_, i) => aBatch[i] ?? 1);
  else if (aBatch.length === bBatch.length && aBatch.every((d, i) => d === bBatch[i])) outBatch = aBatch;
  else return null;
  const batch = Math.max(aCount, bCount);
  return {
    batch,
    M,
    N,
    K,
    aStride: aCount === 1 ? 0 : M * K,
    bStride: bCount === 1 ? 0 : K * N,
    outShape: [...(aBatch.length >= bBatch.length ? aBatch : bBatch).map((d, i) => outBatch[i] ?? d), M, N],
  };
}

function nativeMatMul(native: NativeKernels, orig: KernelFunc): KernelFunc {
  return (args) => {
    const { a, b } = args.inputs as { a: tf.TensorInfo; b: tf.TensorInfo };
    const { transposeA, transposeB } = args.attrs as { transposeA: boolean; transposeB: boolean };
    const p = a.dtype === 'float32' && b.dtype === 'float32' ? plan(a, b, transposeA, transposeB) : null;
    if (!p) return orig(args);
    const be = args.backend as WasmBackendInternals;
    const out = be.makeOutput(p.outShape, 'float32');
    native.sgemm(
      be.wasm.HEAPU8.buffer,
      p.batch,
      p.M,
      p.N,
      p.K,
      transposeA,
      transposeB,
      floatOffset(be, a),
      p.aStride,
      floatOffset(be, b),
      p.bStride,
      floatOffset(be, out),
      -1,
    );
    return out;
  };
}

/** A copy of `x` with its last two axes swapped, by the backend's own Transpose kernel. */
function swapLast(x: tf.TensorInfo, backend: unknown, transpose: KernelFunc): tf.TensorInfo {
  const r = x.shape.length;
  const perm = [...Array(r).keys()];
  [perm[r - 2], perm[r - 1]] = [perm[r - 1]!, perm[r - 2]!];
  return transpose({ inputs: { x }, backend, attrs: { perm } }) as tf.TensorInfo;
}

/** A 2-D view-copy of batch entry `i` of x (rows x cols), for the XNNPACK path. */
function entry(
  be: WasmBackendInternals,
  x: tf.TensorInfo,
  i: number,
  rows: number,
  cols: number,
  stride: number,
): tf.TensorInfo {
  const t = be.makeOutput([rows, cols], 'float32');
  const src = be.dataIdMap.get(x.dataId).memoryOffset + i * stride * 4;
  be.wasm.HEAPU8.copyWithin(be.dataIdMap.get(t.dataId).memoryOffset, src, src + rows * cols * 4);
  return t;
}

function wasmMatMul(orig: KernelFunc, transpose: KernelFunc): KernelFunc {
  return (args) => {
    const { a, b } = args.inputs as { a: tf.TensorInfo; b: tf.TensorInfo };
    const { transposeA, transposeB } = args.attrs as { transposeA: boolean; transposeB: boolean };
    const p = a.dtype === 'float32' && b.dtype === 'float32' ? plan(a, b, transposeA, transposeB) : null;
    if (!p || (!transposeA && !transposeB && p.aStride === 0 && p.bStride === 0)) return orig(args);
    const be = args.backend as WasmBackendInternals;
    const temps: tf.TensorInfo[] = [];
    const keep = (t: tf.TensorInfo) => {
      temps.push(t);
      return t;
    };
    const a2 = transposeA ? keep(swapLast(a, be, transpose)) : a;
    const b2 = transposeB ? keep(swapLast(b, be, transpose)) : b;
    const plain = { transposeA: false, transposeB: false };
    let out: tf.TensorInfo;
    if (p.batch === 1 || (p.aStride === 0 && p.bStride === 0)) {
      const r = orig({ inputs: { a: a2, b: b2 }, backend: be, attrs: plain }) as tf.TensorInfo;
      out = { ...r, shape: p.outShape };
    } else {
      out = be.makeOutput(p.outShape, 'float32');
      const outOff = be.dataIdMap.get(out.dataId).memoryOffset;
      const whole = (x: tf.TensorInfo, stride: number, rows: number, cols: number) =>
        stride === 0 ? keep(entry(be, x, 0, rows, cols, 0)) : null;
      const aFixed = whole(a2, p.aStride, p.M, p.K);
      const bFixed = whole(b2, p.bStride, p.K, p.N);
      for (let i = 0; i < p.batch; i++) {
        const ai = aFixed ?? entry(be, a2, i, p.M, p.K, p.aStride);
        const bi = bFixed ?? entry(be, b2, i, p.K, p.N, p.bStride);
        const r = orig({ inputs: { a: ai, b: bi }, backend: be, attrs: plain }) as tf.TensorInfo;
        const src = be.dataIdMap.get(r.dataId).memoryOffset;
        be.wasm.HEAPU8.copyWithin(outOff + i * p.M * p.N * 4, src, src + p.M * p.N * 4);
        be.disposeData(r.dataId);
        if (!aFixed) be.disposeData(ai.dataId);
        if (!bFixed) be.disposeData(bi.dataId);
      }
    }
    for (const t of temps) be.disposeData(t.dataId);
    return out;
  };
}

/** Replace the wasm BatchMatMul kernel (once): native while the addon is given and enabled, XNNPACK-only otherwise. */
export function registerWasmMatMul(native: NativeKernels | null): void {
  const orig = tf.getKernel('BatchMatMul', 'wasm');
  const transpose = tf.getKernel('Transpose', 'wasm');
  if (!orig || !transpose || (orig as { prunelab?: boolean }).prunelab) return;
  const viaWasm = wasmMatMul(orig.kernelFunc as KernelFunc, transpose.kernelFunc as KernelFunc);
  const viaNative = native ? nativeMatMul(native, orig.kernelFunc as KernelFunc) : viaWasm;
  const kernelFunc: KernelFunc = (args) => (nativeEnabled() ? viaNative : viaWasm)(args);
  tf.unregisterKernel('BatchMatMul', 'wasm');
  tf.registerKernel({ ...orig, kernelFunc: kernelFunc as tf.KernelFunc, prunelab: true } as tf.KernelConfig);
}
