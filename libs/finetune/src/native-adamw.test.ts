// ../native/kernels/adamw.cc against its float32 replica (adamw.ts' composition, op for op: bit for bit), with
// and without clipping and weight decay, at sizes that end in every tail of the vectorised loop; bad arguments
// rejected.
import { describe, test } from 'node:test';
import { assertArgumentsChecked, assertSameFloats, BUILDS, f, Heap, randomFloats } from './testing/native-test-kit.ts';

const SIZES = [0, 1, 3, 7, 8, 9, 15, 16, 17, 31, 33, 64, 65, 1021];
// scale, b1, 1-b1, b2, 1-b2, decay, sqrt(bc2), eps, lr/bc1
const SETTINGS = [
  [1, 0.9, 1 - 0.9, 0.999, 1 - 0.999, 1, Math.sqrt(1 - 0.999), 1e-8, 1e-3 / (1 - 0.9)],
  [0.37, 0.9, 1 - 0.9, 0.98, 1 - 0.98, 1 - 2e-5 * 0.01, Math.sqrt(1 - 0.98 ** 3), 1e-6, 2e-5 / (1 - 0.9 ** 3)],
];

function adamwRef(p: Float32Array, m: Float32Array, v: Float32Array, g: Float32Array, s: number[]) {
  const [scale, b1, c1, b2, c2, decay, sbc2, eps, step] = s.map(f) as number[];
  const sc = s[0] !== 1 ? scale! : 1,
    dc = s[5] !== 1 ? decay! : 1;
  const out = { p: new Float32Array(p.length), m: new Float32Array(p.length), v: new Float32Array(p.length) };
  for (let i = 0; i < p.length; i++) {
    const gi = f(g[i]! * sc);
    const mi = f(f(m[i]! * b1!) + f(gi * c1!));
    const vi = f(f(v[i]! * b2!) + f(f(gi * gi) * c2!));
    const pi = f(p[i]! * dc);
    const denom = f(f(f(Math.sqrt(vi)) / sbc2!) + eps!);
    out.m[i] = mi;
    out.v[i] = vi;
    out.p[i] = f(pi - f(f(mi / denom) * step!));
  }
  return out;
}

const NAMES = [
  'n',
  'pOff',
  'mOff',
  'vOff',
  'gOff',
  'pOut',
  'mOut',
  'vOut',
  'scale',
  'b1',
  '1-b1',
  'b2',
  '1-b2',
  'decay',
  'sqrtBc2',
  'eps',
  'step',
];

for (const { variant, kernels: k, skip } of BUILDS) {
  describe(`native adamw (${variant} build)`, { skip }, () => {
    test('equals its float32 replica at every size, writing only the three outputs', () => {
      for (const s of SETTINGS) {
        for (const n of SIZES) {
          const heap = new Heap(7400);
          const ps = randomFloats(n, 700 + n),
            ms = randomFloats(n, 800 + n, -0.1, 0.1);
          const vs = randomFloats(n, 1000 + n, 0, 0.5),
            gs = randomFloats(n, 900 + n, -5, 5);
          const [p, m, v, g] = [heap.put(ps), heap.put(ms), heap.put(vs), heap.put(gs)];
          const [po, mo, vo] = [heap.alloc(n), heap.alloc(n), heap.alloc(n)];
          const adamw = k!.adamw as (...args: unknown[]) => void;
          heap.run(
            () => adamw(heap.buffer, n, p, m, v, g, po, mo, vo, ...s),
            [
              [po, n],
              [mo, n],
              [vo, n],
            ],
          );
          const want = adamwRef(ps, ms, vs, gs, s);
          assertSameFloats(heap.read(po, n), want.p, `p n=${n} scale=${s[0]}`);
          assertSameFloats(heap.read(mo, n), want.m, `m n=${n} scale=${s[0]}`);
          assertSameFloats(heap.read(vo, n), want.v, `v n=${n} scale=${s[0]}`);
        }
      }
    });

    test('rejects bad arguments, the heap unchanged', () => {
      const heap = new Heap(600);
      const offs = [0, 1, 2, 3, 4, 5, 6].map((i) =>
        i < 4 ? heap.put(randomFloats(37, 20 + i, 0, 1)) : heap.alloc(37),
      );
      assertArgumentsChecked(
        k!,
        heap,
        {
          kernel: 'adamw',
          names: NAMES,
          counts: ['n'],
          offsets: Object.fromEntries(NAMES.slice(1, 8).map((name) => [name, 37])),
        },
        [37, ...offs, ...SETTINGS[1]!],
      );
    });
  });
}
