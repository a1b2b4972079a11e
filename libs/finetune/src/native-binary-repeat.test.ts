// ../native/kernels/binary-repeat.cc: out[i] = a[i] op b[(i / repeat) % bSize] (or b op a[i]), against float32
// arithmetic bit for bit, for every op, both operand orders, b cycling or not, odd repeats; repeats that do not
// divide n, unknown op codes and bad arguments rejected.
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

// [n, bSize, repeat]
const CASES: [number, number, number][] = [
  [0, 0, 0],
  [0, 3, 4],
  [1, 1, 1],
  [24, 8, 3],
  [24, 4, 3],
  [35, 5, 7],
  [12, 12, 1],
  [16, 1, 16],
  [63, 3, 7],
  [1023, 31, 33],
  [1023, 3, 11],
];

for (const { variant, kernels: k, skip } of BUILDS) {
  describe(`native binaryRepeat (${variant} build)`, { skip }, () => {
    test('every op, either order, equals float32 arithmetic, writing only the output', () => {
      for (const [name, op] of Object.entries(BINARY_OP) as [keyof typeof BINARY_OP, number][]) {
        for (const [n, bs, rep] of CASES) {
          for (const bFirst of [false, true]) {
            const heap = new Heap(2200);
            const [xs, ys] = [randomFloats(n, 7000 + n), randomFloats(bs, 8000 + bs)];
            const [a, b, o] = [heap.put(xs), heap.put(ys), heap.alloc(n)];
            heap.run(() => k!.binaryRepeat(heap.buffer, op, n, a, b, bs, rep, o, bFirst), [[o, n]]);
            const want = Array.from({ length: n }, (_, i) => {
              const bv = ys[Math.floor(i / rep) % bs]!;
              return bFirst ? REFERENCE[name](bv, xs[i]!) : REFERENCE[name](xs[i]!, bv);
            });
            assertSameFloats(heap.read(o, n), want, `${name} n=${n} bSize=${bs} repeat=${rep} bFirst=${bFirst}`);
          }
        }
      }
    });

    test('rejects unknown op codes, repeats that do not divide n, and bad arguments, the heap unchanged', () => {
      const heap = new Heap(400);
      const [a, b, o] = [heap.put(randomFloats(36, 10)), heap.put(randomFloats(4, 11)), heap.alloc(36)];
      const call = (args: unknown[]) =>
        k!.binaryRepeat(heap.buffer, ...(args as [number, number, number, number, number, number, number, boolean]));
      const mul = (bSize: number, rep: number, bFirst: unknown) => [BINARY_OP.mul, 36, a, b, bSize, rep, o, bFirst];
      for (const op of [4, -1, 2.5, NaN]) {
        assertRejected(heap, call, [op, 36, a, b, 4, 9, o, false], 'binaryRepeat', 'op');
      }
      for (const rep of [0, 5, 7, 72]) assertRejected(heap, call, mul(4, rep, false), 'binaryRepeat', 'repeat');
      assertRejected(heap, call, mul(0, 9, false), 'binaryRepeat', 'bSize');
      for (const flag of [2, -1, 0.5]) assertRejected(heap, call, mul(4, 9, flag), 'binaryRepeat', 'bFirst');
      for (const flag of ['yes', null]) {
        assertRejected(heap, call, mul(4, 9, flag), 'binaryRepeat', 'bFirst', TypeError);
      }
      assertArgumentsChecked(
        k!,
        heap,
        {
          kernel: 'binaryRepeat',
          names: ['op', 'n', 'aOff', 'bOff', 'bSize', 'repeat', 'outOff', 'bFirst'],
          offsets: { aOff: 36, bOff: 4, outOff: 36 },
          counts: ['n', 'bSize', 'repeat'],
        },
        [BINARY_OP.sub, 36, a, b, 4, 9, o, true],
      );
    });
  });
}
