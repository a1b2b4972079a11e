// ../native/kernels/unary.cc (0 sqrt, 1 square) against float32 arithmetic, bit for bit, on sizes that end in
// every tail of the vectorised loop; unknown op codes and bad arguments rejected.
import { describe, test } from 'node:test';
import { UNARY_OP } from './kernels-native.ts';
import {
  assertArgumentsChecked,
  assertRejected,
  assertSameFloats,
  BUILDS,
  f,
  Heap,
  randomFloats,
} from './testing/native-test-kit.ts';

const SIZES = [0, 1, 3, 7, 8, 9, 15, 16, 17, 31, 33, 64, 65, 1021];
const REFERENCE: Record<keyof typeof UNARY_OP, (x: number) => number> = {
  sqrt: (x) => f(Math.sqrt(x)), // a correctly rounded double sqrt rounds to the correctly rounded float one
  square: (x) => f(x * x),
};

for (const { variant, kernels: k, skip } of BUILDS) {
  describe(`native unary (${variant} build)`, { skip }, () => {
    test('every op equals float32 arithmetic at every size, writing only the output', () => {
      for (const [name, op] of Object.entries(UNARY_OP) as [keyof typeof UNARY_OP, number][]) {
        for (const n of SIZES) {
          const heap = new Heap(2400);
          const [lo, hi] = name === 'sqrt' ? [-0.5, 1e4] : [-3e19, 3e19]; // NaN and infinity too
          const xs = randomFloats(n, 4000 + n, lo, hi);
          xs.set([0, -0, Infinity, NaN].slice(0, n));
          const [x, o] = [heap.put(xs), heap.alloc(n)];
          heap.run(() => k!.unary(heap.buffer, op, n, x, o), [[o, n]]);
          assertSameFloats(heap.read(o, n), Array.from(xs, REFERENCE[name]), `${name} n=${n}`);
        }
      }
    });

    test('rejects unknown op codes and bad arguments, the heap unchanged', () => {
      const heap = new Heap(300);
      const [x, o] = [heap.put(randomFloats(37, 7, 0, 4)), heap.alloc(37)];
      const call = (args: unknown[]) => k!.unary(heap.buffer, ...(args as [number, number, number, number]));
      for (const op of [2, 3, -1, 0.5, NaN, 2 ** 31]) assertRejected(heap, call, [op, 37, x, o], 'unary', 'op');
      assertArgumentsChecked(
        k!,
        heap,
        {
          kernel: 'unary',
          names: ['op', 'n', 'xOff', 'outOff'],
          offsets: { xOff: 37, outOff: 37 },
          counts: ['n'],
        },
        [UNARY_OP.square, 37, x, o],
      );
    });
  });
}
