// Benchmark (not a test): scoring and subset selection at MNLI/SNLI scale, 1,000,000 examples x 6 runs x 3
// epochs, must take under one second. Synthetic records (seeded) are built first and not timed; then every
// score and every subset the paper and its baselines need is computed and timed stage by stage: the scores in one
// pass (allScores), then the ids sorted once, the H subsets and each baseline with its class-balanced variant.
// After the timed runs, an untimed check compares the fast paths with the straightforward ones on the same data.
//   node --import tsx scripts/bench/pruning.ts [--n 1000000] [--runs 6] [--epochs 3] [--repeat 3]
import { availableParallelism, loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { allScores, aum, cartography, el2nScore, forgetting, hHistogram, hScore } from '@prunelab/dynamics';
import {
  idPool,
  methodTop,
  takeK,
  matchedK,
  PAPER_SUBSETS_R6,
  automaticSubsets,
  parseSubsetName,
  selectByHIndices,
  selectionContext,
  SELECTION_METHODS,
  sortByKeys,
  subsetName,
} from '@prunelab/pruning';
import { mulberry32 as rng } from '@prunelab/core';

const { values } = parseArgs({
  options: {
    n: { type: 'string', default: '1000000' },
    runs: { type: 'string', default: '6' },
    epochs: { type: 'string', default: '3' },
    repeat: { type: 'string', default: '3' },
  },
});
const N = Number(values.n);
const R = Number(values.runs);
const E = Number(values.epochs);
const REPEAT = Number(values.repeat);

// --- synthetic records (not timed): ids like libs/datasets' (16 hex chars), a difficulty per example, 3 classes
const setupStart = performance.now();
const next = rng(2024);
const hex = Array.from('0123456789abcdef', (ch) => ch.charCodeAt(0));
const ids = new Array<string>(N);
const codes = new Array<number>(16);
for (let i = 0; i < N; i++) {
  for (let j = 0; j < 16; j++) codes[j] = hex[Math.floor(next() * 16)]!;
  ids[i] = String.fromCharCode(...codes); // a flat string, like the sha1 slices of libs/datasets (not a rope of 16 pieces)
}
const classes = Int32Array.from({ length: N }, () => Math.floor(next() * 3));
const skill = Float32Array.from({ length: N }, () => next());
const correct: Uint8Array[][] = [];
const goldProb: Float32Array[][] = [];
const margin: Float32Array[][] = [];
const el2n: Float32Array[][] = [];
for (let r = 0; r < R; r++) {
  correct.push([]);
  goldProb.push([]);
  margin.push([]);
  el2n.push([]);
  for (let e = 0; e < E; e++) {
    const c = new Uint8Array(N);
    const p = new Float32Array(N);
    const m = new Float32Array(N);
    const l = new Float32Array(N);
    for (let i = 0; i < N; i++) {
      const q = Math.min(1, Math.max(0, skill[i]! * 0.7 + (0.15 * (e + 1)) / E + 0.3 * (next() - 0.5)));
      p[i] = q;
      c[i] = q > 0.5 ? 1 : 0;
      m[i] = 4 * (q - 0.5);
      l[i] = Math.SQRT2 * (1 - q);
    }
    correct[r]!.push(c);
    goldProb[r]!.push(p);
    margin[r]!.push(m);
    el2n[r]!.push(l);
  }
}
console.log(
  `setup (not timed): ${N.toLocaleString('en')} examples x ${R} runs x ${E} epochs in ` +
    `${((performance.now() - setupStart) / 1000).toFixed(1)} s`,
);

// --- timed: everything from records to the ids of every subset
// the registry's methods; random_balanced is random's ranking taken class by class, which every stage below does
const BASELINES = SELECTION_METHODS.filter((m) => !m.balanced);
const cpuMs = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

function once(): { total: number; cpu: number; stages: [string, number, number][]; summary: string; k: number } {
  const stages: [string, number, number][] = [];
  let t = performance.now();
  let tc = cpuMs();
  const lap = (name: string) => {
    const now = performance.now();
    const c = cpuMs();
    stages.push([name, now - t, c - tc]);
    t = now;
    tc = c;
  };
  const start = t;
  const cpu0 = cpuMs();
  // every score in one pass over the records (bit for bit the single-score functions: checked below, untimed)
  const all = allScores({ correct, goldProb, margin, el2n }, { el2nEpoch: 0 });
  const { h, histogram, cartography: carto, forgetting: forg } = all;
  const el2 = all.el2n!;
  lap('hScore + cartography + forgetting + el2n + aum (one pass)');
  const pool = idPool(ids);
  lap('idPool (ids sorted once)');
  const names = R === 6 ? PAPER_SUBSETS_R6 : automaticSubsets(R).map((rm) => subsetName(rm, R));
  const sizes: number[] = [];
  for (const name of names) sizes.push(selectByHIndices(h, parseSubsetName(name, R)).length);
  lap(`${names.length} H subsets`);
  const k = matchedK(N, { hSubset: names[0]!, histogram });
  const given = {
    variability: carto.variability,
    confidence: carto.confidence,
    forgetting: forg.score,
    el2n: el2,
    aum: all.aum!,
  };
  const ctx = selectionContext({ pool, classes, seed: 6666, scores: given });
  let picked = 0;
  for (const m of BASELINES) {
    const ranking = methodTop(ctx, m, k, classes); // one ranking prefix serves both variants
    picked += takeK(ranking, k).length + takeK(ranking, k, classes).length;
    lap(`baseline ${m.name} (+ class-balanced)`);
  }
  const total = performance.now() - start;
  const cpu = cpuMs() - cpu0;
  const summary = `H histogram ${histogram.join('/')}; subsets ${names.map((nm, i) => `${nm}:${sizes[i]}`).join(' ')}; k = ${k}; ${picked} ids picked by ${2 * BASELINES.length} baselines`;
  return { total, cpu, stages, summary, k };
}

let best: ReturnType<typeof once> | undefined;
for (let rep = 0; rep < REPEAT; rep++) {
  const res = once();
  console.log(`run ${rep + 1}: ${res.total.toFixed(0)} ms wall, ${res.cpu.toFixed(0)} ms CPU`);
  if (!best || res.cpu < best.cpu) best = res; // CPU time: least disturbed by other processes on a shared machine
}
console.log(best!.summary);
for (const [name, ms, cpu] of best!.stages)
  console.log(`  ${name.padEnd(40)} ${ms.toFixed(1).padStart(8)} ms wall ${cpu.toFixed(1).padStart(8)} ms CPU`);
// what the paper's comparison alone needs: H-score, its subsets, the random and the ambiguous baselines
const paper = best!.stages.filter(([name]) =>
  /^(hScore|cartography|idPool|\d+ H subsets|baseline (random|ambiguous))/.test(name),
);
console.log(
  `  paper's set (H-score, H subsets, random, ambiguous): ${paper.reduce((a, x) => a + x[1], 0).toFixed(0)} ms wall, ` +
    `${paper.reduce((a, x) => a + x[2], 0).toFixed(0)} ms CPU`,
);
console.log(
  `scoring + selection, best of ${REPEAT} by CPU time: ${best!.total.toFixed(0)} ms wall, ${best!.cpu.toFixed(0)} ms ` +
    `CPU ` +
    `(budget 1000 ms: ${best!.total < 1000 ? 'met' : 'NOT met'}; ratio ${(best!.total / 1000).toFixed(2)}); load average ${loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')} on ${availableParallelism()} cores`,
);

// --- untimed: the optimised paths give exactly what the straightforward ones give, on these records
{
  const bytes = (a: ArrayBufferView) => Buffer.from(a.buffer, a.byteOffset, a.byteLength);
  const all = allScores({ correct, goldProb, margin, el2n }, { el2nEpoch: 0 });
  const c = cartography(goldProb, correct);
  const f = forgetting(correct);
  const h = hScore(correct);
  const same = [
    bytes(all.h).equals(bytes(h)),
    all.histogram.join() === hHistogram(h, R).join(),
    bytes(all.cartography.confidence).equals(bytes(c.confidence)),
    bytes(all.cartography.variability).equals(bytes(c.variability)),
    bytes(all.cartography.correctness).equals(bytes(c.correctness)),
    bytes(all.forgetting.score).equals(bytes(f.score)),
    bytes(all.forgetting.events).equals(bytes(f.events)),
    bytes(all.forgetting.neverLearned).equals(bytes(f.neverLearned)),
    bytes(all.el2n!).equals(bytes(el2nScore(el2n, 0))),
    bytes(all.aum!).equals(bytes(aum(margin))),
  ];
  const pool = idPool(ids);
  const given = {
    variability: c.variability,
    confidence: c.confidence,
    forgetting: f.score,
    el2n: all.el2n!,
    aum: all.aum!,
  };
  const ctx = selectionContext({ pool, classes, seed: 6666, scores: given });
  const k = best!.k;
  for (const m of BASELINES) {
    const full = sortByKeys(pool.byId, m.keys!(ctx)); // the whole ranking, sorted outright
    const top = methodTop(ctx, m, k, classes);
    same.push(
      bytes(takeK(top, k)).equals(bytes(full.slice(0, k))),
      bytes(takeK(top, k, classes)).equals(bytes(takeK(full, k, classes))),
    );
  }
  const bad = same.filter((x) => !x).length;
  console.log(
    `check (untimed): fused scores = single-score functions, ranking prefixes = full rankings: ${bad === 0 ? 'all equal' : `${bad} of ${same.length} DIFFER`}`,
  );
  if (bad) process.exitCode = 1;
}
