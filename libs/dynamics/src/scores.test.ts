import { test } from 'node:test';
import assert from 'node:assert/strict';
import { aum } from './aum.ts';
import { el2nFromGoldProb, el2nScore } from './el2n.ts';

const f32 = (...v: number[]) => Float32Array.from(v);
const close = (a: ArrayLike<number>, b: number[]) => {
  assert.equal(a.length, b.length);
  for (let i = 0; i < b.length; i++) assert.ok(Math.abs(a[i]! - b[i]!) < 1e-6, `[${i}] ${a[i]} != ${b[i]}`);
};

test('AUM is the mean margin over runs x epochs', () => {
  // margin[run][epoch][example]
  const m = [
    [f32(1, -2), f32(3, 0)],
    [f32(-1, 2), f32(1, 8)],
  ];
  close(aum(m), [(1 + 3 - 1 + 1) / 4, (-2 + 0 + 2 + 8) / 4]); // 1, 2
  close(aum(m, { epochsUsed: 1 }), [0, 0]); // (1 - 1) / 2, (-2 + 2) / 2
  close(aum(m, { runsUsed: 1 }), [2, -1]);
});

test('EL2N at a chosen epoch, averaged over runs; from the gold probability for two classes', () => {
  const e = [
    [f32(0.2, 1.0), f32(0.1, 0.8)],
    [f32(0.4, 0.6), f32(0.3, 1.2)],
  ];
  close(el2nScore(e, 0), [0.3, 0.8]);
  close(el2nScore(e, 1), [0.2, 1.0]);
  close(el2nScore(e, 1, { runsUsed: 1 }), [0.1, 0.8]);
  assert.throws(() => el2nScore(e, 2), /epoch = 2; choose a 0-based epoch in 0\.\.1/);
  const p = [[f32(0.5, 1)], [f32(0.75, 0)]];
  close(el2nFromGoldProb(p, 2, 0), [Math.SQRT2 * 0.375, Math.SQRT2 * 0.5]); // sqrt(2) * mean(1 - p)
  assert.throws(
    () => el2nFromGoldProb(p, 3, 0),
    /3 classes; EL2N follows from the gold probability only for 2 classes/,
  );
});
