// ../native/kernels/sum-squares.cc against its float32 replica (16 float lanes over blocks of 4096, blocks added
// in double: the same number, bit for bit) at sizes that end in every lane and block tail; it writes nothing;
// bad arguments rejected.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { assertArgumentsChecked, BUILDS, f, Heap, randomFloats } from './testing/native-test-kit.ts';

const SIZES = [0, 1, 15, 16, 17, 4095, 4096, 4097, 8245];

function sumSquaresRef(x: Float32Array): number {
  let total = 0;
  for (let i0 = 0; i0 < x.length; i0 += 4096) {
    const i1 = Math.min(i0 + 4096, x.length);
    const lane = new Float32Array(16);
    let i = i0;
    for (; i + 16 <= i1; i += 16) for (let j = 0; j < 16; j++) lane[j] = lane[j]! + f(x[i + j]! * x[i + j]!);
    for (; i < i1; i++) lane[0] = lane[0]! + f(x[i]! * x[i]!);
    for (let j = 0; j < 16; j++) total += lane[j]!;
  }
  return total;
}

for (const { variant, kernels: k, skip } of BUILDS) {
  describe(`native sumSquares (${variant} build)`, { skip }, () => {
    test('equals its float32 replica at every size and writes nothing', () => {
      for (const n of SIZES) {
        const heap = new Heap(9000);
        const xs = randomFloats(n, 600 + n, -3, 3);
        const x = heap.put(xs);
        const got = heap.run(() => k!.sumSquares(heap.buffer, n, x), []);
        assert.equal(got, sumSquaresRef(xs), `sumSquares n=${n}`);
      }
    });

    test('is within 1e-6 relative of the double sum', () => {
      const heap = new Heap(30_000);
      const xs = randomFloats(20_000, 78);
      const got = k!.sumSquares(heap.buffer, xs.length, heap.put(xs));
      const exact = xs.reduce((s, v) => s + v * v, 0);
      assert.ok(Math.abs(got - exact) < 1e-6 * exact, `${got} vs ${exact}`);
    });

    test('rejects bad arguments, the heap unchanged', () => {
      const heap = new Heap(300);
      const x = heap.put(randomFloats(37, 14));
      const sig = { kernel: 'sumSquares', names: ['n', 'xOff'], offsets: { xOff: 37 }, counts: ['n'] };
      assertArgumentsChecked(k!, heap, sig, [37, x]);
    });
  });
}
