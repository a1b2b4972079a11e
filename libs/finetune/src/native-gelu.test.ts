// ../native/kernels/gelu.cc against its float32 replica (the same operations in the same order, so bit for bit)
// and the exact GELU, on sizes that end in every tail of the vectorised loop; bad arguments rejected.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  assertArgumentsChecked,
  assertSameFloats,
  BUILDS,
  erfApprox,
  erfExact,
  f,
  Heap,
  randomFloats,
} from './testing/native-test-kit.ts';

const SIZES = [0, 1, 3, 7, 8, 9, 15, 16, 17, 31, 33, 64, 65, 1021]; // 8/16-float vectors, unrolled: every tail
const SPECIAL = [0, -0, 1e-30, -1e-30, 9.5, -9.5, 40, -40, Infinity, -Infinity, NaN]; // exp's clamp, erf's sign

const geluRef = (x: number) => f(f(0.5 * x) * f(1 + erfApprox(f(x * f(0.70710678118654752)))));

function inputs(n: number): Float32Array {
  const x = randomFloats(n, 1000 + n, -6, 6);
  x.set(SPECIAL.slice(0, n));
  return x;
}

for (const { variant, kernels: k, skip } of BUILDS) {
  describe(`native gelu (${variant} build)`, { skip }, () => {
    test('equals its float32 replica at every size, writing only y', () => {
      for (const n of SIZES) {
        const heap = new Heap(2400);
        const xs = inputs(n);
        const x = heap.put(xs);
        const y = heap.alloc(n);
        heap.run(() => k!.gelu(heap.buffer, n, x, y), [[y, n]]);
        assertSameFloats(heap.read(y, n), Array.from(xs, geluRef), `gelu n=${n}`);
      }
    });

    test('is within 1e-6 |x| of x/2 (1 + erf(x / sqrt 2))', () => {
      const xs = Float32Array.from({ length: 1601 }, (_, i) => -8 + i / 100);
      const heap = new Heap(4000);
      const x = heap.put(xs);
      const y = heap.alloc(xs.length);
      k!.gelu(heap.buffer, xs.length, x, y);
      xs.forEach((v, i) => {
        const exact = 0.5 * v * (1 + erfExact(v / Math.SQRT2));
        const got = heap.f[y + i]!;
        assert.ok(Math.abs(got - exact) <= 1e-6 * Math.max(1, Math.abs(v)), `gelu(${v}) = ${got}, exact ${exact}`);
      });
    });

    test('rejects bad offsets and sizes with a RangeError, other types with a TypeError, the heap unchanged', () => {
      const heap = new Heap(300);
      const x = heap.put(inputs(37));
      const y = heap.alloc(37);
      assertArgumentsChecked(
        k!,
        heap,
        {
          kernel: 'gelu',
          names: ['n', 'xOff', 'yOff'],
          offsets: { xOff: 37, yOff: 37 },
          counts: ['n'],
        },
        [37, x, y],
      );
    });
  });
}
