// Linear CKA: 1 for a representation with itself, unchanged by an orthogonal transform or an isotropic scaling,
// the Gram form equals the feature form, and unrelated representations score lower than related ones.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { mulberry32 } from '@prunelab/core';
import { gram, gramCka, linearCka } from './cka.ts';
import { curveAuc, ripl } from './curves.ts';

const randomMatrix = (n: number, d: number, seed: number) => {
  const r = mulberry32(seed);
  return Float64Array.from({ length: n * d }, () => r() * 2 - 1);
};
/** x [n, d] times a d x d rotation in the plane of axes 0 and 1 and a reflection of axis 2. */
function rotate(x: Float64Array, n: number, d: number, angle: number): Float64Array {
  const y = Float64Array.from(x);
  for (let i = 0; i < n; i++) {
    const [a, b] = [x[i * d]!, x[i * d + 1]!];
    y[i * d] = Math.cos(angle) * a - Math.sin(angle) * b;
    y[i * d + 1] = Math.sin(angle) * a + Math.cos(angle) * b;
    y[i * d + 2] = -x[i * d + 2]!;
  }
  return y;
}

/** CKA straight from its feature-space formula: ||Yc^T Xc||^2 / (||Xc^T Xc|| ||Yc^T Yc||). */
function featureCka(x: Float64Array, y: Float64Array, n: number, dx: number, dy: number): number {
  const centre = (m: Float64Array, d: number) => {
    const c = Float64Array.from(m);
    for (let j = 0; j < d; j++) {
      let s = 0;
      for (let i = 0; i < n; i++) s += m[i * d + j]!;
      for (let i = 0; i < n; i++) c[i * d + j]! -= s / n;
    }
    return c;
  };
  const [a, b] = [centre(x, dx), centre(y, dy)];
  const cross = (p: Float64Array, q: Float64Array, dp: number, dq: number) => {
    let s = 0;
    for (let u = 0; u < dp; u++)
      for (let v = 0; v < dq; v++) {
        let t = 0;
        for (let i = 0; i < n; i++) t += p[i * dp + u]! * q[i * dq + v]!;
        s += t * t;
      }
    return s;
  };
  return cross(b, a, dy, dx) / Math.sqrt(cross(a, a, dx, dx) * cross(b, b, dy, dy));
}

test('CKA of a representation with itself is 1; orthogonal transforms and isotropic scaling change nothing', () => {
  const [n, d] = [40, 6];
  const x = randomMatrix(n, d, 1);
  assert.ok(Math.abs(linearCka(x, x, n, d, d) - 1) < 1e-12);
  const y = randomMatrix(n, 4, 2).map((v, i) => v + x[Math.floor(i / 4) * d + (i % 4)]!); // related to x
  const base = linearCka(x, y, n, d, 4);
  assert.ok(Math.abs(linearCka(rotate(x, n, d, 0.7), y, n, d, 4) - base) < 1e-12);
  assert.ok(
    Math.abs(
      linearCka(
        x.map((v) => v * 3.5),
        y,
        n,
        d,
        4,
      ) - base,
    ) < 1e-12,
  );
  assert.ok(
    Math.abs(
      linearCka(
        x.map((v) => v + 2),
        y,
        n,
        d,
        4,
      ) - base,
    ) < 1e-12,
  ); // centring: a shift is nothing
  assert.ok(Math.abs(featureCka(x, y, n, d, 4) - base) < 1e-12);
  assert.ok(Math.abs(gramCka(gram(x, n, d), gram(y, n, 4), n) - base) < 1e-15);
  const unrelated = linearCka(x, randomMatrix(n, 4, 3), n, d, 4);
  assert.ok(unrelated < base, `${unrelated} < ${base}`);
  assert.ok(Number.isNaN(linearCka(new Float64Array(n * 2).fill(1), x, n, 2, d))); // a constant representation
});

test('AUC is the trapezoid mean over the sizes; RIPL the share of the gap to 1 gained over random', () => {
  // (100, .5) (200, .7) (400, .8): areas 100 * .6 + 200 * .75 = 210 over 300 = .7
  assert.ok(
    Math.abs(
      curveAuc([
        { x: 400, y: 0.8 },
        { x: 100, y: 0.5 },
        { x: 200, y: 0.7 },
      ]) - 0.7,
    ) < 1e-12,
  );
  assert.equal(curveAuc([{ x: 5, y: 0.4 }]), 0.4);
  assert.throws(
    () =>
      curveAuc([
        { x: 5, y: 0.4 },
        { x: 5, y: 0.5 },
      ]),
    /two points at x = 5/,
  );
  assert.ok(Math.abs(ripl(0.8, 0.6) - 0.5) < 1e-12); // gains half of the .4 random leaves
  assert.ok(ripl(0.5, 0.6) < 0);
  assert.equal(ripl(0.7, 0.7), 0);
});
