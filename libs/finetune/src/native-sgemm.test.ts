// ../native/kernels/sgemm.cc in both builds: the loop build against its float32 replica (the same products and
// additions in the same order: bit for bit), the OpenBLAS build against the double product within the rounding
// bound of any summation order; every transpose combination, with and without bias, odd sizes around the
// vector and block widths, batches with broadcast (stride 0) and overlapping operands, K = 0; bad arguments,
// including strides whose products overflow 64 bits, rejected.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  assertArgumentsChecked,
  assertRejected,
  assertSameFloats,
  BUILDS,
  f,
  Heap,
  randomFloats,
} from './testing/native-test-kit.ts';

// [M, N, K]: 8/16-float vectors, OpenBLAS' 16x4 (Haswell/Zen) and 8x... register blocks, their tails
const SHAPES: [number, number, number][] = [
  [1, 1, 1],
  [1, 7, 3],
  [7, 1, 5],
  [3, 5, 1],
  [8, 8, 8],
  [9, 17, 33],
  [17, 9, 16],
  [33, 65, 7],
  [64, 64, 64],
  [65, 63, 67],
  [2, 130, 129],
  [31, 2, 1],
  [130, 3, 2],
];

interface Gemm {
  batch: number;
  M: number;
  N: number;
  K: number;
  tA: boolean;
  tB: boolean;
  aStride: number;
  bStride: number;
  bias: boolean;
}

/** C for every batch entry: [loop build's float32 replica, the double product, the rounding bound per entry]. */
function reference(g: Gemm, A: Float32Array, B: Float32Array, bias: Float32Array | null) {
  const { batch, M, N, K, tA, tB, aStride, bStride } = g;
  const size = batch * M * N;
  const exact = new Float32Array(size),
    double = new Float64Array(size),
    bound = new Float64Array(size);
  const gamma = (K + 2) * 2 ** -23; // >= twice the bound (K + 1) u / (1 - (K + 1) u) on |error| / sum |terms|
  for (let b = 0; b < batch; b++) {
    for (let i = 0; i < M; i++) {
      const o = (b * M + i) * N;
      for (let j = 0; j < N; j++) {
        let c = bias ? bias[j]! : 0,
          d = c,
          mag = Math.abs(c);
        for (let k = 0; k < K; k++) {
          const av = A[b * aStride + (tA ? k * M + i : i * K + k)]!;
          const bv = B[b * bStride + (tB ? j * K + k : k * N + j)]!;
          c = f(c + f(av * bv));
          d += av * bv;
          mag += Math.abs(av * bv);
        }
        exact[o + j] = c;
        double[o + j] = d;
        bound[o + j] = gamma * mag;
      }
    }
  }
  return { exact, double, bound };
}

function run(k: NonNullable<(typeof BUILDS)[number]['kernels']>, variant: string, g: Gemm, seed: number): void {
  const { batch, M, N, K } = g;
  const aLen = batch === 0 ? 0 : (batch - 1) * g.aStride + M * K;
  const bLen = batch === 0 ? 0 : (batch - 1) * g.bStride + K * N;
  const heap = new Heap(aLen + bLen + batch * M * N + N + 64);
  const As = randomFloats(aLen, seed),
    Bs = randomFloats(bLen, seed + 1);
  const bias = g.bias ? randomFloats(N, seed + 2) : null;
  const [a, b, c] = [heap.put(As), heap.put(Bs), heap.alloc(batch * M * N)];
  const biasOff = bias ? heap.put(bias) : -1;
  heap.run(
    () => k.sgemm(heap.buffer, batch, M, N, K, g.tA, g.tB, a, g.aStride, b, g.bStride, c, biasOff),
    [[c, batch * M * N]],
  );
  const got = heap.read(c, batch * M * N);
  const want = reference(g, As, Bs, bias);
  const what = `sgemm ${JSON.stringify(g)}`;
  if (variant === 'loop') {
    assertSameFloats(got, want.exact, what);
  } else {
    got.forEach((v, i) => {
      if (!(Math.abs(v - want.double[i]!) <= want.bound[i]!)) {
        assert.fail(`${what}: [${i}] ${v}, exact ${want.double[i]} (bound ${want.bound[i]})`);
      }
    });
  }
}

for (const { variant, kernels: k, skip } of BUILDS) {
  describe(`native sgemm (${variant} build)`, { skip }, () => {
    const exactly = variant === 'loop' ? ', bit for bit' : '';
    test(`every transpose combination and odd size, with and without bias${exactly}`, () => {
      let seed = 1;
      for (const [M, N, K] of SHAPES) {
        for (const tA of [false, true]) {
          for (const tB of [false, true]) {
            for (const bias of [false, true]) {
              run(k!, variant, { batch: 1, M, N, K, tA, tB, aStride: 0, bStride: 0, bias }, (seed += 3));
            }
          }
        }
      }
    });

    test('batches: own entries, broadcast (stride 0) and overlapping operands, no entries, K = 0', () => {
      let seed = 500;
      for (const [M, N, K] of [
        [3, 5, 7],
        [17, 9, 33],
        [65, 7, 9],
      ] as const) {
        const strides: [number, number][] = [
          [M * K, K * N],
          [0, K * N],
          [M * K, 0],
          [0, 0],
          [1, 3],
        ];
        for (const [aStride, bStride] of strides) {
          for (const tB of [false, true]) {
            run(k!, variant, { batch: 3, M, N, K, tA: !tB, tB, aStride, bStride, bias: tB }, (seed += 3));
          }
        }
      }
      for (const bias of [false, true]) {
        run(k!, variant, { batch: 0, M: 4, N: 5, K: 6, tA: false, tB: false, aStride: 24, bStride: 30, bias }, 900);
        // K = 0: zeros, or the bias rows
        run(k!, variant, { batch: 2, M: 4, N: 5, K: 0, tA: false, tB: true, aStride: 0, bStride: 0, bias }, 901);
        run(k!, variant, { batch: 2, M: 0, N: 5, K: 3, tA: true, tB: false, aStride: 0, bStride: 15, bias }, 902);
      }
    });

    test('rejects bad arguments, sizes past int, strides whose products overflow 64 bits; heap unchanged', () => {
      const heap = new Heap(9000);
      const [a, b, c] = [heap.put(randomFloats(30, 30)), heap.put(randomFloats(24, 31)), heap.alloc(40)];
      const bias = heap.put(randomFloats(4, 32));
      const call = (args: unknown[]) => (k!.sgemm as (...x: unknown[]) => void)(heap.buffer, ...args);
      const valid = [2, 5, 4, 3, false, true, a, 15, b, 12, c, bias];
      const withArg = (i: number, v: unknown) => valid.map((x, j) => (j === i ? v : x));
      // 4097 entries of 1x1x1, A's 2^52 apart: the last starts at 2^64, 0 in 64-bit arithmetic
      const big = heap.alloc(4097);
      assertRejected(heap, call, [4097, 1, 1, 1, false, false, a, 2 ** 52, b, 0, big, -1], 'sgemm', 'aStride');
      assertRejected(heap, call, [4097, 1, 1, 1, false, false, a, 0, b, 2 ** 52, big, -1], 'sgemm', 'bStride');
      for (const [i, name] of [
        [1, 'M'],
        [2, 'N'],
        [3, 'K'],
        [0, 'batch'],
      ] as const) {
        assertRejected(heap, call, withArg(i, 2 ** 31), 'sgemm', name);
      }
      assertRejected(heap, call, withArg(11, -2), 'sgemm', 'biasOff');
      for (const flag of [2, -1, 0.5]) assertRejected(heap, call, withArg(4, flag), 'sgemm', 'transA');
      for (const flag of ['no', null]) assertRejected(heap, call, withArg(5, flag), 'sgemm', 'transB', TypeError);
      assertArgumentsChecked(
        k!,
        heap,
        {
          kernel: 'sgemm',
          names: ['batch', 'M', 'N', 'K', 'transA', 'transB', 'aOff', 'aStride', 'bOff', 'bStride', 'cOff', 'biasOff'],
          offsets: { aOff: 30, bOff: 24, cOff: 40, biasOff: 4 },
          counts: ['batch', 'M', 'N', 'K', 'aStride', 'bStride'],
          optional: ['biasOff'],
        },
        valid,
      );
    });
  });
}
