// ../native/kernels/dropout-mask.cc against layers.ts' dropoutMask (the JavaScript mask it must equal bit for
// bit) over rates, seeds (negative and past 2^32 ones, taken modulo 2^32 as seed >>> 0 does) and sizes that end in
// every tail of the vectorised loop; bad arguments rejected.
import { describe, test } from 'node:test';
import { dropoutMask } from './layers.ts';
import { assertArgumentsChecked, assertRejected, assertSameFloats, BUILDS, Heap } from './testing/native-test-kit.ts';

const SIZES = [0, 1, 3, 7, 8, 9, 15, 16, 17, 31, 33, 64, 65, 1021];

for (const { variant, kernels: k, skip } of BUILDS) {
  describe(`native dropoutMask (${variant} build)`, { skip }, () => {
    test('equals layers.ts dropoutMask for every rate, seed and size, writing only the mask', () => {
      for (const rate of [0, 0.1, 0.5, 0.9]) {
        for (const seed of [0, 7, 123456789, -3, 2 ** 32 + 5, 2 ** 40 + 1, -(2 ** 45)]) {
          for (const n of SIZES) {
            const heap = new Heap(1100);
            const o = heap.alloc(n);
            heap.run(() => k!.dropoutMask(heap.buffer, n, rate, seed, o), [[o, n]]);
            assertSameFloats(heap.read(o, n), dropoutMask(n, rate, seed), `rate ${rate} seed ${seed} n ${n}`);
          }
        }
      }
    });

    test('rejects seeds that are not safe integers and bad arguments, the heap unchanged', () => {
      const heap = new Heap(300);
      const o = heap.alloc(37);
      const call = (args: unknown[]) => k!.dropoutMask(heap.buffer, ...(args as [number, number, number, number]));
      for (const seed of [1.5, NaN, Infinity, 2 ** 53, -(2 ** 53)]) {
        assertRejected(heap, call, [37, 0.1, seed, o], 'dropoutMask', 'seed');
      }
      assertArgumentsChecked(
        k!,
        heap,
        {
          kernel: 'dropoutMask',
          names: ['n', 'rate', 'seed', 'outOff'],
          offsets: { outOff: 37 },
          counts: ['n'],
        },
        [37, 0.1, 42, o],
      );
    });
  });
}
