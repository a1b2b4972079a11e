// The significance arithmetic against tabulated values and hand calculations: Student t quantiles, the incomplete
// beta in closed-form cases, differences paired by seed (unpaired seeds left out and named, n = 1 without an
// interval), and the bootstrap's degenerate interval at 3 seeds that is why the report marks by t.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { mulberry32 } from '@prunelab/core';
import {
  bootstrapMeanInterval,
  logGamma,
  pairedDiff,
  regIncBeta,
  studentTCdf,
  studentTQuantile,
} from './report-stats.ts';

const close = (a: number, b: number, tol: number, what: string) =>
  assert.ok(Math.abs(a - b) <= tol, `${what}: ${a} vs ${b} (tolerance ${tol})`);

test('Student t quantiles match the tables (3 decimals) and the closed forms', () => {
  // t_{0.975, df} from a printed t table
  const table: [number, number][] = [
    [1, 12.706],
    [2, 4.303],
    [3, 3.182],
    [4, 2.776],
    [5, 2.571],
    [9, 2.262],
    [29, 2.045],
    [120, 1.98],
  ];
  for (const [df, t] of table) close(studentTQuantile(0.975, df), t, 5e-4, `t_{0.975,${df}}`);
  close(studentTQuantile(0.995, 1), 63.657, 5e-4, 't_{0.995,1}');
  close(studentTQuantile(0.95, 10), 1.812, 5e-4, 't_{0.95,10}');
  // df = 1 is the Cauchy distribution: quantile tan(pi (p - 1/2)); df = 2: (2p - 1) sqrt(2 / (4p (1 - p)))
  for (const p of [0.6, 0.9, 0.975, 0.999]) {
    close(studentTQuantile(p, 1), Math.tan(Math.PI * (p - 0.5)), 1e-9 * Math.tan(Math.PI * (p - 0.5)), `cauchy ${p}`);
    close(studentTQuantile(p, 2), (2 * p - 1) * Math.sqrt(2 / (4 * p * (1 - p))), 1e-9, `df 2, ${p}`);
  }
  // large df: the normal's 1.959964
  close(studentTQuantile(0.975, 1e6), 1.959964, 1e-5, 't_{0.975,1e6}');
  // symmetric, and the CDF inverts the quantile
  close(studentTQuantile(0.025, 4), -studentTQuantile(0.975, 4), 1e-12, 'symmetry');
  close(studentTCdf(studentTQuantile(0.9, 7), 7), 0.9, 1e-10, 'cdf(quantile)');
  assert.equal(studentTCdf(0, 3), 0.5);
  assert.throws(() => studentTQuantile(1, 3), /strictly in \(0, 1\)/);
  assert.throws(() => studentTQuantile(0.975, 0), /at least 2 values/);
});

test('the incomplete beta and log-gamma in closed-form cases', () => {
  for (const x of [0.01, 0.3, 0.5, 0.77, 0.99]) {
    close(regIncBeta(x, 1, 1), x, 1e-13, `I_${x}(1,1)`);
    close(regIncBeta(x, 3, 1), x ** 3, 1e-13, `I_${x}(3,1)`);
    close(regIncBeta(x, 1, 4), 1 - (1 - x) ** 4, 1e-13, `I_${x}(1,4)`);
    close(regIncBeta(x, 0.5, 0.5), (2 / Math.PI) * Math.asin(Math.sqrt(x)), 1e-12, `I_${x}(1/2,1/2)`);
  }
  close(logGamma(5), Math.log(24), 1e-12, 'ln 4!');
  close(logGamma(0.5), 0.5 * Math.log(Math.PI), 1e-12, 'ln Γ(1/2)');
  close(logGamma(0.1), Math.log(9.513507698668732), 1e-12, 'ln Γ(0.1)');
});

test('paired differences: mean and t interval by hand, unpaired seeds named, n = 1 and n = 0 without interval', () => {
  // diffs [1, 2, 3] (seeds in any order): mean 2, sd 1, half-width 4.303 x 1 / sqrt(3)
  const d = pairedDiff({ seeds: [9, 7, 8], values: [13, 11, 12] }, { seeds: [8, 7, 9], values: [10, 10, 10] });
  assert.deepEqual(d.seeds, [7, 8, 9]);
  assert.equal(d.n, 3);
  close(d.mean, 2, 1e-12, 'mean');
  close(d.std, 1, 1e-12, 'sd');
  const half = 4.303 / Math.sqrt(3);
  close(d.t!.lo, 2 - half, 1e-3, 'lo');
  close(d.t!.hi, 2 + half, 1e-3, 'hi');
  assert.equal(d.sign, ''); // [-0.48, 4.48] holds 0

  // the same spread 4 points higher: [2.52, 7.48] lies above 0; mirrored below
  assert.equal(pairedDiff({ seeds: [1, 2, 3], values: [5, 6, 7] }, { seeds: [1, 2, 3], values: [0, 0, 0] }).sign, 'up');
  assert.equal(
    pairedDiff({ seeds: [1, 2, 3], values: [0, 0, 0] }, { seeds: [1, 2, 3], values: [5, 6, 7] }).sign,
    'down',
  );

  // seeds only one side ran are left out and named; two common seeds use t_{0.975,1} = 12.706
  const u = pairedDiff({ seeds: [1, 2, 3], values: [0.5, 0.7, 0.9] }, { seeds: [2, 1, 4], values: [0.4, 0.4, 0] });
  assert.deepEqual([u.seeds, u.onlyA, u.onlyB], [[1, 2], [3], [4]]);
  close(u.mean, 0.2, 1e-12, 'mean of [0.1, 0.3]');
  close(u.t!.hi - u.mean, (12.706 * Math.SQRT2 * 0.1) / Math.SQRT2, 1e-4, 'half-width at n = 2');

  // one common seed: the difference, no interval, no mark
  const one = pairedDiff({ seeds: [6666], values: [0.8] }, { seeds: [6666, 1, 2], values: [0.7, 0.9, 0.9] });
  assert.equal(one.n, 1);
  close(one.mean, 0.1, 1e-12, 'n = 1');
  assert.equal(one.t, undefined);
  assert.equal(one.bootstrap, undefined);
  assert.equal(one.sign, '');
  assert.deepEqual(one.onlyB, [1, 2]);

  // none in common
  const none = pairedDiff({ seeds: [1], values: [0.8] }, { seeds: [2], values: [0.7] });
  assert.equal(none.n, 0);
  assert.ok(Number.isNaN(none.mean));
  assert.equal(none.sign, '');
});

test('the bootstrap: the range of the differences at 3 seeds (why the marks use t), near t for 30 seeds', () => {
  // 27 equally likely resamples, each end's share 1/27 > 2.5%: the interval is [min, max]
  assert.deepEqual(bootstrapMeanInterval([0.01, 0.04, 0.02]), { lo: 0.01, hi: 0.04 });
  const d = pairedDiff({ seeds: [1, 2, 3], values: [0.01, 0.04, 0.02] }, { seeds: [1, 2, 3], values: [0, 0, 0] });
  assert.deepEqual(d.bootstrap, { lo: 0.01, hi: 0.04 }); // excludes 0 ...
  assert.equal(d.sign, ''); // ... the t interval does not
  // seeded: the same interval every time
  const rand = mulberry32(5);
  const xs = Array.from({ length: 30 }, () => rand() - 0.3);
  assert.deepEqual(bootstrapMeanInterval(xs), bootstrapMeanInterval(xs));
  // 30 values: the percentile interval is close to the t interval (within 15% of its width)
  const big = pairedDiff(
    { seeds: xs.map((_, i) => i), values: xs },
    { seeds: xs.map((_, i) => i), values: xs.map(() => 0) },
  );
  const width = big.t!.hi - big.t!.lo;
  close(big.bootstrap!.lo, big.t!.lo, 0.15 * width, 'bootstrap lo');
  close(big.bootstrap!.hi, big.t!.hi, 0.15 * width, 'bootstrap hi');
});
