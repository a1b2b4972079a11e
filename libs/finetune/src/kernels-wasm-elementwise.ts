// Native float32 elementwise kernels and leading-axes sums for the wasm backend. tfjs-backend-wasm runs
// broadcasts against scalars and sums over a non-innermost axis (every bias gradient) as slow generic loops
// (a transpose first, for the sum); the optimizer's updates of the 4-8M-entry embedding are a chain of such ops.
// Only the cases below go native; anything else, and everything while the addon is switched off, runs the
// backend's own kernel. The results are the same IEEE float operations, so they match the wasm kernels exactly
// (sums differ only in the order of additions).
import * as tf from '@tensorflow/tfjs';
import { BINARY_OP, nativeEnabled, UNARY_OP, type NativeKernels } from './kernels-native.ts';
import { floatOffset, type WasmBackendInternals } from './kernels-wasm-matmul.ts';

type KernelFunc = (args: {
  inputs: tf.NamedTensorInfoMap;
  backend: unknown;
  attrs?: tf.NamedAttrMap;
}) => tf.TensorInfo | tf.TensorInfo[];

const sizeOf = (shape: number[]) => shape.reduce((a, d) => a * d, 1);

/** Whether `shape` (leading 1s dropped) is a suffix of `out`: then element i of the output reads i % size. */
function isSuffix(shape: number[], out: number[]): boolean {
  let s = 0;
  while (s < shape.length && shape[s] === 1) s++;
  const tail = shape.slice(s);
  const o = out.slice(out.length - tail.length);
  return tail.length <= out.length && tail.every((d, i) => d === o[i]);
}

/** When `shape` is `out` with its trailing axes set to 1 (a [.., T, 1] against [.., T, T]): how many output
 * elements each of its entries covers; else 0. */
function trailingRepeat(shape: number[], out: number[]): number {
  if (shape.length !== out.length) return 0;
  let k = out.length;
  while (k > 0 && shape[k - 1] === 1 && out[k - 1] !== 1) k--;
  if (k === out.length || !shape.slice(0, k).every((d, i) => d === out[i])) return 0;
  return sizeOf(out.slice(k));
}

function override(name: string, make: (orig: KernelFunc) => KernelFunc): void {
  const orig = tf.getKernel(name, 'wasm');
  if (!orig || (orig as { prunelab?: boolean }).prunelab) return;
  const native = make(orig.kernelFunc as KernelFunc);
  const kernelFunc: KernelFunc = (args) => (nativeEnabled() ? native : (orig.kernelFunc as KernelFunc))(args);
  tf.unregisterKernel(name, 'wasm');
  tf.registerKernel({ ...orig, kernelFunc: kernelFunc as tf.KernelFunc, prunelab: true } as tf.KernelConfig);
}

export function registerWasmElementwise(native: NativeKernels): void {
  const binary = (name: string, op: number) =>
    override(name, (orig) => (args) => {
      const { a, b } = args.inputs as { a: tf.TensorInfo; b: tf.TensorInfo };
      if (a.dtype !== 'float32' || b.dtype !== 'float32') return orig(args);
      const out = tf.backend_util.assertAndGetBroadcastShape(a.shape, b.shape);
      const be = args.backend as WasmBackendInternals;
      if (!isSuffix(a.shape, out) || !isSuffix(b.shape, out)) {
        const n = sizeOf(out);
        const bRep = sizeOf(a.shape) === n ? trailingRepeat(b.shape, out) : 0;
        const aRep = bRep === 0 && sizeOf(b.shape) === n ? trailingRepeat(a.shape, out) : 0;
        if (!bRep && !aRep) return orig(args);
        const [full, part] = bRep ? [a, b] : [b, a];
        const y = be.makeOutput(out, 'float32');
        native.binaryRepeat(
          be.wasm.HEAPU8.buffer,
          op,
          n,
          floatOffset(be, full),
          floatOffset(be, part),
          sizeOf(part.shape),
          bRep || aRep,
          floatOffset(be, y),
          !bRep,
        );
        return y;
      }
      const y = be.makeOutput(out, 'float32');
      native.binary(
        be.wasm.HEAPU8.buffer,
        op,
        sizeOf(out),
        floatOffset(be, a),
        sizeOf(a.shape),
        floatOffset(be, b),
        sizeOf(b.shape),
        floatOffset(be, y),
      );
      return y;
    });
  binary('Add', BINARY_OP.add);
  binary('Sub', BINARY_OP.sub);
  binary('Multiply', BINARY_OP.mul);
  binary('RealDiv', BINARY_OP.div);
  const unary = (name: string, op: number) =>
    override(name, (orig) => (args) => {
      const { x } = args.inputs as { x: tf.TensorInfo };
      if (x.dtype !== 'float32') return orig(args);
      const be = args.backend as WasmBackendInternals;
      const y = be.makeOutput(x.shape, 'float32');
      native.unary(be.wasm.HEAPU8.buffer, op, sizeOf(x.shape), floatOffset(be, x), floatOffset(be, y));
      return y;
    });
  unary('Sqrt', UNARY_OP.sqrt);
  unary('Square', UNARY_OP.square);
  override('Sum', (orig) => (args) => {
    const { x } = args.inputs as { x: tf.TensorInfo };
    const { axis, keepDims } = args.attrs as { axis: number | number[]; keepDims: boolean };
    if (x.dtype !== 'float32') return orig(args);
    const r = x.shape.length;
    const axes = [...new Set((Array.isArray(axis) ? axis : [axis]).map((a) => (a < 0 ? a + r : a)))].sort(
      (p, q) => p - q,
    );
    if (!axes.every((a, i) => a === i)) return orig(args); // only sums over leading axes
    const k = axes.length;
    const rest = x.shape.slice(k);
    const outShape = keepDims ? [...x.shape.slice(0, k).map(() => 1), ...rest] : rest;
    const be = args.backend as WasmBackendInternals;
    const y = be.makeOutput(outShape, 'float32');
    native.sumRows(
      be.wasm.HEAPU8.buffer,
      sizeOf(x.shape.slice(0, k)),
      sizeOf(rest),
      floatOffset(be, x),
      floatOffset(be, y),
    );
    return y;
  });
}
