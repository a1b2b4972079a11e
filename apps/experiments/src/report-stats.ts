// The report's significance arithmetic: differences between two phase-2 results paired by seed, their mean and a
// 95% interval over seeds. The report uses the paired t interval (Student t quantile with n - 1 degrees of freedom,
// computed here by inverting the t distribution's CDF, itself a regularized incomplete beta); a seeded percentile
// bootstrap of the mean difference sits beside it in the CSV. With the 3 seeds the grids run, the bootstrap has only
// 27 equally likely resamples and its 2.5%..97.5% interval is the range [min, max] of the differences: it excludes 0
// whenever the three differences share a sign, which happens 1 time in 4 with no effect at all. The t interval
// widens for small n as it should (x 4.303 at n = 3), so it is the one the marks use.
import { mulberry32 } from '@prunelab/core';

/** ln Γ(x) for x > 0 (Lanczos, g = 7, 9 terms: about 15 significant digits). */
export function logGamma(x: number): number {
  if (x < 0.5) return Math.log(Math.PI / Math.abs(Math.sin(Math.PI * x))) - logGamma(1 - x); // reflection
  const c = [
    0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
    12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
  ];
  const y = x - 1;
  let a = c[0]!;
  const t = y + 7.5;
  for (let i = 1; i < 9; i++) a += c[i]! / (y + i);
  return 0.5 * Math.log(2 * Math.PI) + (y + 0.5) * Math.log(t) - t + Math.log(a);
}

/** The continued fraction of the incomplete beta (modified Lentz), converging for x < (a + 1) / (a + b + 2). */
function betaFraction(x: number, a: number, b: number): number {
  const tiny = 1e-300;
  let c = 1;
  let d = 1 - ((a + b) * x) / (a + 1);
  d = 1 / (Math.abs(d) < tiny ? tiny : d);
  let h = d;
  for (let m = 1; m <= 300; m++) {
    const m2 = 2 * m;
    for (const aa of [
      (m * (b - m) * x) / ((a + m2 - 1) * (a + m2)),
      (-(a + m) * (a + b + m) * x) / ((a + m2) * (a + m2 + 1)),
    ]) {
      d = 1 + aa * d;
      d = 1 / (Math.abs(d) < tiny ? tiny : d);
      c = 1 + aa / c;
      if (Math.abs(c) < tiny) c = tiny;
      h *= d * c;
    }
    if (Math.abs(d * c - 1) < 1e-15) break;
  }
  return h;
}

/** The regularized incomplete beta I_x(a, b), 0 <= x <= 1. */
export function regIncBeta(x: number, a: number, b: number): number {
  if (x <= 0) return 0;
  if (x >= 1) return 1;
  const front = Math.exp(logGamma(a + b) - logGamma(a) - logGamma(b) + a * Math.log(x) + b * Math.log(1 - x));
  // the fraction converges fast on one side of the mean; the symmetry I_x(a,b) = 1 - I_{1-x}(b,a) covers the other
  return x < (a + 1) / (a + b + 2) ? (front * betaFraction(x, a, b)) / a : 1 - (front * betaFraction(1 - x, b, a)) / b;
}

/** P(T <= t) for Student's t with df degrees of freedom. */
export function studentTCdf(t: number, df: number): number {
  const tail = 0.5 * regIncBeta(df / (df + t * t), df / 2, 0.5); // P(T > |t|)
  return t >= 0 ? 1 - tail : tail;
}

/** The p quantile of Student's t with df >= 1 degrees of freedom (bisection on the CDF to 1e-12). */
export function studentTQuantile(p: number, df: number): number {
  if (!(p > 0 && p < 1)) throw new Error(`studentTQuantile: p = ${p}; fix: pass a probability strictly in (0, 1)`);
  if (!(df >= 1)) throw new Error(`studentTQuantile: df = ${df}; fix: an interval needs at least 2 values (df >= 1)`);
  if (p < 0.5) return -studentTQuantile(1 - p, df);
  let lo = 0;
  let hi = 1;
  while (studentTCdf(hi, df) < p) hi *= 2; // df = 1, p = 0.9995: 636.6
  while (hi - lo > 1e-12 * Math.max(1, hi)) {
    const mid = (lo + hi) / 2;
    if (studentTCdf(mid, df) < p) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}

/** One side of a comparison: its seeds and the metric of each (same order). */
export interface SeedValues {
  seeds: number[];
  values: number[];
}

export interface Interval {
  lo: number;
  hi: number;
}

/** a - b paired by seed. Metrics are fractions, like the rows they come from. */
export interface PairedDiff {
  /** the seeds both sides have, ascending; n = their number */
  seeds: number[];
  n: number;
  /** seeds only one side has: not paired, left out */
  onlyA: number[];
  onlyB: number[];
  /** mean and sample std of the per-seed differences (NaN without a common seed; std 0 at n = 1) */
  mean: number;
  std: number;
  /** the 95% paired t interval of the mean difference: mean ± t_{0.975, n-1} std / sqrt(n); n >= 2 only */
  t?: Interval;
  /** the seeded 95% percentile bootstrap of the mean difference; n >= 2 only */
  bootstrap?: Interval;
  /** the t interval lies above 0 ('up') or below ('down'); '' when it holds 0 or there is none */
  sign: 'up' | 'down' | '';
}

export const BOOTSTRAP_RESAMPLES = 10_000;
export const BOOTSTRAP_SEED = 1;

/** The seeded 95% percentile bootstrap interval of the mean of xs (resampling xs with replacement). */
export function bootstrapMeanInterval(xs: number[], seed = BOOTSTRAP_SEED, B = BOOTSTRAP_RESAMPLES): Interval {
  const rand = mulberry32(seed);
  const n = xs.length;
  const means = new Float64Array(B);
  for (let b = 0; b < B; b++) {
    let s = 0;
    for (let i = 0; i < n; i++) s += xs[Math.floor(rand() * n)]!;
    means[b] = s / n;
  }
  means.sort();
  // the order statistics at 2.5% and 97.5% (no interpolation: with few distinct means, an interpolated bound
  // would be a value no resample has)
  return { lo: means[Math.floor(0.025 * B)]!, hi: means[Math.ceil(0.975 * B) - 1]! };
}

/** a - b over the seeds both have, with the 95% t interval (and the bootstrap beside it) when n >= 2. */
export function pairedDiff(a: SeedValues, b: SeedValues): PairedDiff {
  const bOf = new Map(b.seeds.map((s, i) => [s, b.values[i]!]));
  const aSeeds = new Set(a.seeds);
  const pairs = a.seeds
    .map((s, i) => [s, a.values[i]!] as const)
    .filter(([s]) => bOf.has(s))
    .sort((x, y) => x[0] - y[0]);
  const seeds = pairs.map(([s]) => s);
  const diffs = pairs.map(([s, v]) => v - bOf.get(s)!);
  const n = diffs.length;
  const mean = n ? diffs.reduce((x, y) => x + y, 0) / n : Number.NaN;
  const std = n > 1 ? Math.sqrt(diffs.reduce((x, d) => x + (d - mean) ** 2, 0) / (n - 1)) : n ? 0 : Number.NaN;
  const out: PairedDiff = {
    seeds,
    n,
    onlyA: a.seeds.filter((s) => !bOf.has(s)).sort((x, y) => x - y),
    onlyB: b.seeds.filter((s) => !aSeeds.has(s)).sort((x, y) => x - y),
    mean,
    std,
    sign: '',
  };
  if (n < 2) return out;
  const half = (studentTQuantile(0.975, n - 1) * std) / Math.sqrt(n);
  out.t = { lo: mean - half, hi: mean + half };
  out.bootstrap = bootstrapMeanInterval(diffs);
  out.sign = out.t.lo > 0 ? 'up' : out.t.hi < 0 ? 'down' : '';
  return out;
}
