// ../native/kernels/layer-norm-grad.cc against its float32 replica (bit for bit) and against finite differences
// of layer norm in double, on widths that end in every tail of the 8-float lanes; bad arguments rejected.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  assertArgumentsChecked,
  assertRejected,
  assertSameFloats,
  BUILDS,
  f,
  Heap,
  laneDot,
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

function layerNormGradRef(x: Float32Array, rows: number, cols: number, g: Float32Array, dy: Float32Array, eps: number) {
  const dx = new Float32Array(rows * cols);
  const sg = new Float64Array(cols),
    sb = new Float64Array(cols);
  const xhat = new Float32Array(cols),
    gy = new Float32Array(cols);
  for (let r = 0; r < rows; r++) {
    const o = r * cols;
    const mean = f(laneSum(x, o, cols) / cols);
    const rstd = f(1 / Math.sqrt(laneSqDev(x, o, mean, cols) / cols + eps));
    for (let j = 0; j < cols; j++) {
      xhat[j] = f(x[o + j]! - mean) * rstd;
      gy[j] = dy[o + j]! * g[j]!;
      sg[j] = sg[j]! + f(dy[o + j]! * xhat[j]!);
      sb[j] = sb[j]! + dy[o + j]!;
    }
    const a1 = f(laneSum(gy, 0, cols) / cols);
    const a2 = f(laneDot(gy, 0, xhat, 0, cols) / cols);
    for (let j = 0; j < cols; j++) dx[o + j] = rstd * f(f(gy[j]! - a1) - f(xhat[j]! * a2));
  }
  return { dx, dg: Float32Array.from(sg), db: Float32Array.from(sb) };
}

/** sum(layerNorm(x) * w) in double, for finite differences. */
function loss(x: number[], rows: number, cols: number, g: number[], b: number[], w: Float32Array, eps: number): number {
  let s = 0;
  for (let r = 0; r < rows; r++) {
    const row = x.slice(r * cols, (r + 1) * cols);
    const mean = row.reduce((p, v) => p + v, 0) / cols;
    const sd = Math.sqrt(row.reduce((p, v) => p + (v - mean) ** 2, 0) / cols + eps);
    row.forEach((v, j) => (s += (((v - mean) / sd) * g[j]! + b[j]!) * w[r * cols + j]!));
  }
  return s;
}

function setUp(heap: Heap, rows: number, cols: number, seed: number) {
  const xs = randomFloats(rows * cols, seed, -3, 5),
    gs = randomFloats(cols, seed + 1, 0.5, 1.5);
  const dys = randomFloats(rows * cols, seed + 2);
  const off = {
    x: heap.put(xs),
    g: heap.put(gs),
    dy: heap.put(dys),
    dx: heap.alloc(rows * cols),
    dg: heap.alloc(cols),
    db: heap.alloc(cols),
  };
  return { xs, gs, dys, off };
}

for (const { variant, kernels: k, skip } of BUILDS) {
  describe(`native layerNormGrad (${variant} build)`, { skip }, () => {
    test('equals its float32 replica at every width, writing only dx, dg and db', () => {
      for (const [rows, cols] of SHAPES) {
        const heap = new Heap(2000);
        const { xs, gs, dys, off } = setUp(heap, rows, cols, 400 + cols);
        heap.run(
          () => k!.layerNormGrad(heap.buffer, rows, cols, off.x, off.g, off.dy, off.dx, off.dg, off.db, 1e-5),
          [
            [off.dx, rows * cols],
            [off.dg, cols],
            [off.db, cols],
          ],
        );
        const want = layerNormGradRef(xs, rows, cols, gs, dys, 1e-5);
        assertSameFloats(heap.read(off.dx, rows * cols), want.dx, `dx ${rows}x${cols}`);
        assertSameFloats(heap.read(off.dg, cols), want.dg, `dg ${rows}x${cols}`);
        assertSameFloats(heap.read(off.db, cols), want.db, `db ${rows}x${cols}`);
      }
    });

    test('dx matches finite differences of layer norm in double', () => {
      const [rows, cols, eps] = [2, 11, 1e-5];
      const heap = new Heap(300);
      const { xs, gs, dys, off } = setUp(heap, rows, cols, 9);
      k!.layerNormGrad(heap.buffer, rows, cols, off.x, off.g, off.dy, off.dx, off.dg, off.db, eps);
      const x = Array.from(xs),
        g = Array.from(gs),
        b = new Array(cols).fill(0.1);
      for (let i = 0; i < rows * cols; i++) {
        const h = 1e-6;
        const up = x.slice(),
          down = x.slice();
        up[i]! += h;
        down[i]! -= h;
        const fd = (loss(up, rows, cols, g, b, dys, eps) - loss(down, rows, cols, g, b, dys, eps)) / (2 * h);
        const got = heap.f[off.dx + i]!;
        assert.ok(Math.abs(got - fd) < 1e-4 * Math.max(1, Math.abs(fd)), `dx[${i}] ${got} vs ${fd}`);
      }
    });

    test('rejects bad arguments and spans whose size overflows 64 bits, the heap unchanged', () => {
      const heap = new Heap(40_000); // room for 2^14-float g and b: only the product is wrong
      const { off } = setUp(heap, 3, 9, 12);
      const call = (args: unknown[]) => (k!.layerNormGrad as (...x: unknown[]) => void)(heap.buffer, ...args);
      const overflow = [2 ** 50, 2 ** 14, off.x, 0, off.dy, off.dx, 0, 2 ** 14, 1e-5];
      assertRejected(heap, call, overflow, 'layerNormGrad', 'rows');
      assertArgumentsChecked(
        k!,
        heap,
        {
          kernel: 'layerNormGrad',
          names: ['rows', 'cols', 'xOff', 'gOff', 'dyOff', 'dxOff', 'dgOff', 'dbOff', 'eps'],
          offsets: { xOff: 27, gOff: 9, dyOff: 27, dxOff: 27, dgOff: 9, dbOff: 9 },
          counts: ['rows', 'cols'],
        },
        [3, 9, off.x, off.g, off.dy, off.dx, off.dg, off.db, 1e-5],
      );
    });
  });
}
