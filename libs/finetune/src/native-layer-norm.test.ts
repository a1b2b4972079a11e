// ../native/kernels/layer-norm.cc against its float32 replica (lanes.h's 8-lane sums, the same operation order:
// bit for bit) and against layer norm in double, on widths that end in every tail of the 8-float lanes; bad
// arguments (products that overflow 64 bits included) rejected.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  assertArgumentsChecked,
  assertRejected,
  assertSameFloats,
  BUILDS,
  f,
  Heap,
  laneSqDev,
  laneSum,
  randomFloats,
} from './testing/native-test-kit.ts';

const SHAPES: [number, number][] = [
  [0, 8],
  [2, 0],
  [1, 1],
  [3, 7],
  [2, 8],
  [3, 9],
  [1, 15],
  [2, 16],
  [3, 17],
  [2, 24],
  [3, 67],
  [2, 128],
];

function layerNormRef(x: Float32Array, rows: number, cols: number, g: Float32Array, b: Float32Array, eps: number) {
  const y = new Float32Array(rows * cols);
  for (let r = 0; r < rows; r++) {
    const o = r * cols;
    const mean = f(laneSum(x, o, cols) / cols);
    const rstd = f(1 / Math.sqrt(laneSqDev(x, o, mean, cols) / cols + eps));
    for (let j = 0; j < cols; j++) y[o + j] = f(f(f(f(x[o + j]! - mean) * rstd) * g[j]!) + b[j]!);
  }
  return y;
}

for (const { variant, kernels: k, skip } of BUILDS) {
  describe(`native layerNorm (${variant} build)`, { skip }, () => {
    test('equals its float32 replica at every width, writing only y', () => {
      for (const [rows, cols] of SHAPES) {
        for (const eps of [1e-12, 1e-5]) {
          const heap = new Heap(1200);
          const xs = randomFloats(rows * cols, 100 + cols, -3, 5);
          const gs = randomFloats(cols, 200 + cols, 0.5, 1.5),
            bs = randomFloats(cols, 300 + cols);
          const [x, g, b, y] = [heap.put(xs), heap.put(gs), heap.put(bs), heap.alloc(rows * cols)];
          heap.run(() => k!.layerNorm(heap.buffer, rows, cols, x, g, b, y, eps), [[y, rows * cols]]);
          const want = layerNormRef(xs, rows, cols, gs, bs, eps);
          assertSameFloats(heap.read(y, rows * cols), want, `layerNorm ${rows}x${cols} eps=${eps}`);
        }
      }
    });

    test('is within 1e-5 of layer norm in double', () => {
      const [rows, cols] = [4, 67];
      const heap = new Heap(800);
      const xs = randomFloats(rows * cols, 1, -3, 5),
        gs = randomFloats(cols, 2, 0.5, 1.5),
        bs = randomFloats(cols, 3);
      const [x, g, b, y] = [heap.put(xs), heap.put(gs), heap.put(bs), heap.alloc(rows * cols)];
      k!.layerNorm(heap.buffer, rows, cols, x, g, b, y, 1e-12);
      for (let r = 0; r < rows; r++) {
        const row = Array.from(xs.subarray(r * cols, (r + 1) * cols));
        const mean = row.reduce((s, v) => s + v, 0) / cols;
        const sd = Math.sqrt(row.reduce((s, v) => s + (v - mean) ** 2, 0) / cols + 1e-12);
        row.forEach((v, j) => {
          const want = ((v - mean) / sd) * gs[j]! + bs[j]!;
          assert.ok(Math.abs(heap.f[y + r * cols + j]! - want) < 1e-5, `row ${r} col ${j}`);
        });
      }
    });

    test('rejects bad arguments and spans whose size overflows 64 bits, the heap unchanged', () => {
      const heap = new Heap(40_000); // room for 2^14-float g and b: only the product is wrong
      const [x, g, b] = [heap.put(randomFloats(27, 4)), heap.put(randomFloats(9, 5)), heap.put(randomFloats(9, 6))];
      const y = heap.alloc(27);
      const call = (args: unknown[]) => (k!.layerNorm as (...a: unknown[]) => void)(heap.buffer, ...args);
      // 2^50 rows of 2^14 floats: 2^64 floats, 0 in 64-bit arithmetic
      assertRejected(heap, call, [2 ** 50, 2 ** 14, x, 0, 2 ** 14, 0, 1e-5], 'layerNorm', 'rows');
      assertRejected(heap, call, [2 ** 53 - 1, 2 ** 11, x, g, b, y, 1e-5], 'layerNorm', 'rows');
      assertArgumentsChecked(
        k!,
        heap,
        {
          kernel: 'layerNorm',
          names: ['rows', 'cols', 'xOff', 'gOff', 'bOff', 'yOff', 'eps'],
          offsets: { xOff: 27, gOff: 9, bOff: 9, yOff: 27 },
          counts: ['rows', 'cols'],
        },
        [3, 9, x, g, b, y, 1e-5],
      );
    });
  });
}
