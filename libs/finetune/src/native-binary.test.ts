// ../native/kernels/binary.cc: out[i] = a[i % aSize] op b[i % bSize], against float32 arithmetic bit for bit, for
// every op and every loop it picks (same sizes, scalar either side, a size dividing n either side, and the
// general modulo loop for sizes that do not divide n) at sizes that end in every vector tail; unknown op codes
// and bad arguments rejected.
import { describe, test } from 'node:test';
import { BINARY_OP } from './kernels-native.ts';
import {
  assertArgumentsChecked,
  assertRejected,
  assertSameFloats,
  BUILDS,
  f,
  Heap,
  randomFloats,
} from './testing/native-test-kit.ts';

const REFERENCE: Record<keyof typeof BINARY_OP, (p: number, q: number) => number> = {
  add: (p, q) => f(p + q),
  sub: (p, q) => f(p - q),
  mul: (p, q) => f(p * q),
  div: (p, q) => f(p / q),
};

// [n, aSize, bSize]
const CASES: [number, number, number][] = [
  [0, 0, 0],
  [1, 1, 1],
  [7, 7, 7],
  [17, 17, 17],
  [64, 64, 64],
  [1021, 1021, 1021], // same shape
  [9, 9, 1],
  [33, 33, 1],
  [1021, 1021, 1],
  [9, 1, 9],
  [33, 1, 33],
  [1021, 1, 1021], // a scalar
  [65, 65, 5],
  [24, 24, 8],
  [63, 63, 9],
  [65, 13, 65],
  [24, 3, 24],
  [63, 7, 63], // a bias-like suffix
  [10, 10, 3],
  [10, 3, 10],
  [12, 2, 3],
  [7, 1, 1],
  [5, 8, 5],
  [9, 9, 20], // the modulo loop
];

for (const { variant, kernels: k, skip } of BUILDS) {
  describe(`native binary (${variant} build)`, { skip }, () => {
    test('every op equals float32 arithmetic in every loop, writing only the output', () => {
      for (const [name, op] of Object.entries(BINARY_OP) as [keyof typeof BINARY_OP, number][]) {
        for (const [n, as, bs] of CASES) {
          const heap = new Heap(3400);
          const [xs, ys] = [randomFloats(as, 5000 + n + as), randomFloats(bs, 6000 + n + bs)];
          const [a, b, o] = [heap.put(xs), heap.put(ys), heap.alloc(n)];
          heap.run(() => k!.binary(heap.buffer, op, n, a, as, b, bs, o), [[o, n]]);
          const want = Array.from({ length: n }, (_, i) => REFERENCE[name](xs[i % as]!, ys[i % bs]!));
          assertSameFloats(heap.read(o, n), want, `${name} n=${n} aSize=${as} bSize=${bs}`);
        }
      }
    });

    test('rejects unknown op codes, empty operands of a non-empty output and bad arguments, the heap unchanged', () => {
      const heap = new Heap(400);
      const [a, b, o] = [heap.put(randomFloats(37, 8)), heap.put(randomFloats(37, 9)), heap.alloc(37)];
      const call = (args: unknown[]) => (k!.binary as (...x: unknown[]) => void)(heap.buffer, ...args);
      for (const op of [4, 5, -1, 1.5, NaN, 2 ** 32]) {
        assertRejected(heap, call, [op, 37, a, 37, b, 37, o], 'binary', 'op');
      }
      assertRejected(heap, call, [BINARY_OP.add, 37, a, 0, b, 37, o], 'binary', 'aSize');
      assertRejected(heap, call, [BINARY_OP.add, 37, a, 37, b, 0, o], 'binary', 'bSize');
      assertArgumentsChecked(
        k!,
        heap,
        {
          kernel: 'binary',
          names: ['op', 'n', 'aOff', 'aSize', 'bOff', 'bSize', 'outOff'],
          offsets: { aOff: 37, bOff: 37, outOff: 37 },
          counts: ['n', 'aSize', 'bSize'],
        },
        [BINARY_OP.div, 37, a, 37, b, 37, o],
      );
    });
  });
}
