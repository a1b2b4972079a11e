import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cartography } from './cartography.ts';

const f32 = (...v: number[]) => Float32Array.from(v);
const u8 = (...v: number[]) => Uint8Array.from(v);
const close = (a: number, b: number) => assert.ok(Math.abs(a - b) < 1e-6, `${a} != ${b}`);

test('cartography pools all epochs x runs with the population std', () => {
  // 2 runs x 2 epochs x 2 examples. Example 0 sees p = 0.2, 0.4, 0.6, 0.8: mean 0.5,
  // squared deviations .09 + .01 + .01 + .09 = .2, / 4 = .05, std = sqrt(.05) = 0.2236068.
  // Example 1 sees 0.5 four times: mean 0.5, std 0.
  const goldProb = [
    [f32(0.2, 0.5), f32(0.4, 0.5)],
    [f32(0.6, 0.5), f32(0.8, 0.5)],
  ];
  const correct = [
    [u8(0, 1), u8(0, 1)],
    [u8(1, 1), u8(1, 0)],
  ]; // example 0: 2/4, example 1: 3/4
  const c = cartography(goldProb, correct);
  close(c.confidence[0]!, 0.5);
  close(c.variability[0]!, 0.2236068);
  close(c.correctness[0]!, 0.5);
  close(c.confidence[1]!, 0.5);
  close(c.variability[1]!, 0);
  close(c.correctness[1]!, 0.75);
});

test('cartography validates shapes', () => {
  assert.throws(() => cartography([], []), /no runs given/);
  assert.throws(() => cartography([[f32(1)]], [[u8(1)], [u8(1)]]), /1 goldProb runs but 2 correct runs/);
  assert.throws(() => cartography([[f32(1), f32(1)]], [[u8(1)]]), /run 0 has 2 goldProb epochs but 1 correct epochs/);
  assert.throws(() => cartography([[f32(1, 1)], [f32(1)]], [[u8(1, 1)], [u8(1)]]), /run 1 epoch 0 has 1 probabilities/);
});

test(
  'cartography equals the textbook two-pass formulas on random records; constant sequences have variability ' +
    'exactly 0',
  () => {
    let a = 12345;
    const next = () => {
      a = (Math.imul(a, 1103515245) + 12345) >>> 0;
      return a / 4294967296;
    };
    for (let trial = 0; trial < 20; trial++) {
      const R = 1 + (trial % 4);
      const E = 1 + (trial % 3);
      const n = 5000 + trial; // crosses the 4096-example blocks
      const p = Array.from({ length: R }, () =>
        Array.from({ length: E }, () => Float32Array.from({ length: n }, () => (next() < 0.2 ? 0.75 : next()))),
      );
      const c = Array.from({ length: R }, () =>
        Array.from({ length: E }, () => Uint8Array.from({ length: n }, () => (next() < 0.6 ? 1 : 0))),
      );
      for (const run of p) for (const ep of run) ep[7] = 0.3; // example 7 is constant
      const got = cartography(p, c);
      const T = R * E;
      for (let i = 0; i < n; i += 97) {
        const vals = p.flatMap((run) => run.map((ep) => ep[i]!));
        const mu = vals.reduce((x, y) => x + y, 0) / T;
        const sd = Math.sqrt(vals.reduce((x, v) => x + (v - mu) ** 2, 0) / T);
        const hits = c.flatMap((run) => run.map((ep) => ep[i]!)).reduce((x, y) => x + y, 0);
        close(got.confidence[i]!, mu);
        close(got.variability[i]!, sd);
        close(got.correctness[i]!, hits / T);
      }
      assert.equal(got.variability[7], 0);
      close(got.confidence[7]!, 0.3);
    }
  },
);
