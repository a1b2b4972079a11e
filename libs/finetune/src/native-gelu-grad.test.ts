// ../native/kernels/gelu-grad.cc against its float32 replica (bit for bit) and the exact derivative, on sizes
// that end in every tail of the vectorised loop; bad arguments rejected.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  assertArgumentsChecked,
  assertSameFloats,
  BUILDS,
  erfApprox,
  erfExact,
  expNonPositive,
  f,
  Heap,
  randomFloats,
} from './testing/native-test-kit.ts';

const SIZES = [0, 1, 3, 7, 8, 9, 15, 16, 17, 31, 33, 64, 65, 1021];
const SPECIAL = [0, -0, 9.5, -9.5, 40, -40, 14, -14, Infinity, -Infinity, NaN];

function geluGradRef(x: number, dy: number): number {
  const cdf = f(0.5 * f(1 + erfApprox(f(x * f(0.70710678118654752)))));
  const pdf = f(f(0.39894228040143268) * expNonPositive(f(f(-0.5 * x) * x)));
  return f(dy * f(cdf + f(x * pdf)));
}

for (const { variant, kernels: k, skip } of BUILDS) {
  describe(`native geluGrad (${variant} build)`, { skip }, () => {
    test('equals its float32 replica at every size, writing only dx', () => {
      for (const n of SIZES) {
        const heap = new Heap(3600);
        const xs = randomFloats(n, 2000 + n, -6, 6);
        xs.set(SPECIAL.slice(0, n));
        const dys = randomFloats(n, 3000 + n);
        const [x, dy, dx] = [heap.put(xs), heap.put(dys), heap.alloc(n)];
        heap.run(() => k!.geluGrad(heap.buffer, n, x, dy, dx), [[dx, n]]);
        assertSameFloats(
          heap.read(dx, n),
          Array.from(xs, (v, i) => geluGradRef(v, dys[i]!)),
          `geluGrad n=${n}`,
        );
      }
    });

    test('is within 1e-6 (1 + |x|) of Phi(x) + x phi(x)', () => {
      const xs = Float32Array.from({ length: 1601 }, (_, i) => -8 + i / 100);
      const heap = new Heap(5000);
      const [x, dy, dx] = [heap.put(xs), heap.put(new Float32Array(xs.length).fill(1)), heap.alloc(xs.length)];
      k!.geluGrad(heap.buffer, xs.length, x, dy, dx);
      xs.forEach((v, i) => {
        const exact = 0.5 * (1 + erfExact(v / Math.SQRT2)) + (v * Math.exp(-0.5 * v * v)) / Math.sqrt(2 * Math.PI);
        const got = heap.f[dx + i]!;
        assert.ok(Math.abs(got - exact) <= 1e-6 * (1 + Math.abs(v)), `geluGrad(${v}) = ${got}, exact ${exact}`);
      });
    });

    test('rejects bad offsets and sizes with a RangeError, other types with a TypeError, the heap unchanged', () => {
      const heap = new Heap(400);
      const [x, dy, dx] = [heap.put(randomFloats(37, 5)), heap.put(randomFloats(37, 6)), heap.alloc(37)];
      assertArgumentsChecked(
        k!,
        heap,
        {
          kernel: 'geluGrad',
          names: ['n', 'xOff', 'dyOff', 'dxOff'],
          offsets: { xOff: 37, dyOff: 37, dxOff: 37 },
          counts: ['n'],
        },
        [37, x, dy, dx],
      );
    });
  });
}
