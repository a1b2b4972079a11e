// ../native/kernels/sum-rows.cc against its float32 replica (bit for bit): the total (cols 1) in 16 float lanes
// over blocks of 4096 rows, at row counts that end in every lane and block tail; column sums in double; bad
// arguments rejected.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  assertArgumentsChecked,
  assertRejected,
  assertSameFloats,
  BUILDS,
  Heap,
  randomFloats,
} from './testing/native-test-kit.ts';

const SHAPES: [number, number][] = [
  [0, 1],
  [1, 1],
  [15, 1],
  [16, 1],
  [17, 1],
  [4095, 1],
  [4096, 1],
  [4097, 1],
  [8245, 1], // 2 blocks + 3 lanes + 5
  [0, 5],
  [3, 7],
  [5, 2],
  [1, 9],
  [17, 33],
];

function sumRowsRef(x: Float32Array, rows: number, cols: number): Float32Array {
  if (cols === 1) {
    let total = 0;
    for (let r0 = 0; r0 < rows; r0 += 4096) {
      const r1 = Math.min(r0 + 4096, rows);
      const lane = new Float32Array(16);
      let r = r0;
      for (; r + 16 <= r1; r += 16) for (let j = 0; j < 16; j++) lane[j] = lane[j]! + x[r + j]!;
      for (; r < r1; r++) lane[0] = lane[0]! + x[r]!;
      for (let j = 0; j < 16; j++) total += lane[j]!;
    }
    return Float32Array.of(total);
  }
  const acc = new Float64Array(cols);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) acc[c] = acc[c]! + x[r * cols + c]!;
  return Float32Array.from(acc);
}

for (const { variant, kernels: k, skip } of BUILDS) {
  describe(`native sumRows (${variant} build)`, { skip }, () => {
    test('equals its float32 replica at every row count, writing only the output', () => {
      for (const [rows, cols] of SHAPES) {
        const heap = new Heap(9000);
        const xs = randomFloats(rows * cols, 500 + rows + cols, -1, 3);
        const [x, o] = [heap.put(xs), heap.alloc(cols)];
        heap.run(() => k!.sumRows(heap.buffer, rows, cols, x, o), [[o, cols]]);
        assertSameFloats(heap.read(o, cols), sumRowsRef(xs, rows, cols), `sumRows ${rows}x${cols}`);
      }
    });

    test('the total is within 1e-6 relative of the double sum', () => {
      const heap = new Heap(30_000);
      const xs = randomFloats(20_000, 77, 0, 1);
      const [x, o] = [heap.put(xs), heap.alloc(1)];
      k!.sumRows(heap.buffer, xs.length, 1, x, o);
      const exact = xs.reduce((s, v) => s + v, 0);
      assert.ok(Math.abs(heap.f[o]! - exact) < 1e-6 * exact, `${heap.f[o]} vs ${exact}`);
    });

    test('rejects bad arguments and spans whose size overflows 64 bits, the heap unchanged', () => {
      const heap = new Heap(20_000);
      const [x, o] = [heap.put(randomFloats(27, 13)), heap.alloc(9)];
      const call = (args: unknown[]) => k!.sumRows(heap.buffer, ...(args as [number, number, number, number]));
      assertRejected(heap, call, [2 ** 50, 2 ** 14, x, 0], 'sumRows', 'rows');
      assertArgumentsChecked(
        k!,
        heap,
        {
          kernel: 'sumRows',
          names: ['rows', 'cols', 'xOff', 'outOff'],
          offsets: { xOff: 27, outOff: 9 },
          counts: ['rows', 'cols'],
        },
        [3, 9, x, o],
      );
    });
  });
}
