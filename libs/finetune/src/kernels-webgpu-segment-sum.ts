// UnsortedSegmentSum (the gradient of gather: embedding tables) for the webgpu backend, in a fixed order.
// tfjs-backend-webgpu 4.22 adds every row into its segment with float atomics, so the order of the additions, and
// with it the last bits of an embedding's gradient, changes from run to run: the same seed gave other weights.
// Here each output entry is one thread that adds its segment's rows in row order, as the cpu and wasm kernels do.
// Ids that came from the host (token ids, packing indices) are sorted there into per-segment row lists (work
// ~ rows); ids computed on the device (RoBERTa's and OPT's position rows) cannot be read synchronously, so each
// thread scans every row for its segment (work ~ segments x rows, fine for position tables).
import * as tf from '@tensorflow/tfjs';

type Info = tf.TensorInfo;
type KernelFunc = (args: { inputs: tf.NamedTensorInfoMap; backend: object; attrs?: tf.NamedAttrMap }) => Info;
interface WebgpuBackendLike {
  tensorMap: { get(dataId: object): { values?: ArrayLike<number> | null } };
  runWebGPUProgram(program: object, inputs: Info[], dtype: tf.DataType, uniforms?: object[]): Info;
  disposeData(dataId: object): boolean;
  makeTensorInfo(shape: number[], dtype: tf.DataType, values: Int32Array): Info;
}

/** Rows grouped by segment, each group in row order: `order` lists rows, segment v owns order[starts[v]..starts[v+1]). */
export function segmentRows(ids: ArrayLike<number>, segments: number): { order: Int32Array; starts: Int32Array } {
  const starts = new Int32Array(segments + 1);
  for (let i = 0; i < ids.length; i++) {
    const s = ids[i]!;
    if (s >= 0 && s < segments) starts[s + 1]!++;
  }
  for (let v = 0; v < segments; v++) starts[v + 1]! += starts[v]!;
  const next = starts.slice(0, segments);
  const order = new Int32Array(starts[segments]!);
  for (let i = 0; i < ids.length; i++) {
    const s = ids[i]!;
    if (s >= 0 && s < segments) order[next[s]!++] = i;
  }
  return { order, starts };
}

/** A WGSL program in tfjs-backend-webgpu's form: one thread per output entry [segment, column]. */
class SegmentSumProgram {
  variableNames: string[];
  outputShape: number[];
  shaderKey: string;
  dispatchLayout: { x: number[] };
  dispatch: [number, number, number];
  workgroupSize: [number, number, number] = [64, 1, 1];
  size = true;
  uniforms?: string;
  constructor(
    outShape: [number, number],
    private byList: boolean,
  ) {
    this.outputShape = outShape;
    this.variableNames = byList ? ['x', 'order', 'starts'] : ['x', 'ids'];
    if (!byList) this.uniforms = 'rows : i32,';
    this.shaderKey = byList ? 'prunelabSegmentSumList' : 'prunelabSegmentSumScan';
    this.dispatchLayout = { x: [0, 1] };
    this.dispatch = [Math.ceil((outShape[0] * outShape[1]) / 64), 1, 1];
  }
  getUserCode(): string {
    const loop = this.byList
      ? `let end = i32(getStarts(coords[0] + 1));
        for (var k = i32(getStarts(coords[0])); k < end; k = k + 1) {
          sum = sum + getX(i32(getOrder(k)), coords[1]);
        }`
      : `for (var i = 0; i < uniforms.rows; i = i + 1) {
          if (i32(getIds(i)) == coords[0]) {
            sum = sum + getX(i, coords[1]);
          }
        }`;
    return `
      fn main(index : i32) {
        if (index < uniforms.size) {
          let coords = getCoordsFromIndex(index);
          var sum = 0.0;
          ${loop}
          setOutputAtIndex(index, sum);
        }
      }`;
  }
}

export function registerWebgpuSegmentSum(): void {
  const original = tf.getKernel('UnsortedSegmentSum', 'webgpu');
  if (!original || (original as { prunelab?: boolean }).prunelab) return;
  const reshape = tf.getKernel('Reshape', 'webgpu')!.kernelFunc as unknown as KernelFunc;
  const kernelFunc: KernelFunc = ({ inputs, backend, attrs }) => {
    const { x, segmentIds } = inputs as { x: Info; segmentIds: Info };
    const segments = (attrs as { numSegments: number }).numSegments;
    const be = backend as WebgpuBackendLike;
    if (x.dtype !== 'float32') return (original.kernelFunc as unknown as KernelFunc)({ inputs, backend, attrs });
    const rows = segmentIds.shape.reduce((a, d) => a * d, 1);
    const inner = x.shape.slice(segmentIds.shape.length);
    const cols = inner.reduce((a, d) => a * d, 1);
    const x2 = reshape({ inputs: { x }, backend, attrs: { shape: [rows, cols] } });
    const ids = reshape({ inputs: { x: segmentIds }, backend, attrs: { shape: [rows] } });
    const host = be.tensorMap.get(segmentIds.dataId).values;
    const temps = [x2, ids];
    let out: Info;
    if (host) {
      const { order, starts } = segmentRows(host, segments);
      // an empty order list still needs a buffer: one unused entry
      const o = be.makeTensorInfo([Math.max(1, order.length)], 'int32', order.length ? order : new Int32Array(1));
      const s = be.makeTensorInfo([segments + 1], 'int32', starts);
      temps.push(o, s);
      out = be.runWebGPUProgram(new SegmentSumProgram([segments, cols], true), [x2, o, s], 'float32');
    } else {
      out = be.runWebGPUProgram(new SegmentSumProgram([segments, cols], false), [x2, ids], 'float32', [
        { type: 'int32', data: [rows] },
      ]);
    }
    const y = reshape({ inputs: { x: out }, backend, attrs: { shape: [segments, ...inner] } });
    for (const t of [...temps, out]) be.disposeData(t.dataId);
    return y;
  };
  tf.unregisterKernel('UnsortedSegmentSum', 'webgpu');
  tf.registerKernel({
    ...original,
    kernelFunc: kernelFunc as unknown as tf.KernelFunc,
    prunelab: true,
  } as tf.KernelConfig);
}
