// Benchmark (not a test): scoring and subset selection at MNLI/SNLI scale, 1,000,000 examples x 6 runs x 3
// epochs, must take under one second. Synthetic records (seeded) are built first and not timed; then every
// score and every subset the paper and its baselines need is computed and timed stage by stage: the scores in one
// pass (allScores), then the ids sorted once, the H subsets and each baseline with its class-balanced variant.
// After the timed runs, an untimed check compares the fast paths with the straightforward ones on the same data.
// The newer methods that need no embeddings are in the same budget: tdds from 2-class probabilities, grand, ccs
// (wrapping aum), and external (reading a CSV of every id and score: timed on its own line, it is file parsing).
// Then, untimed by the budget, the embedding methods (d2, moderate, semdedup) at --emb-n examples x --dim dims of
// clustered synthetic embeddings, with the k-NN graph's recall against brute force on a sample of examples.
//   node --import tsx scripts/bench/pruning.ts [--n 1000000] [--runs 6] [--epochs 3] [--repeat 3]
//     [--emb-n 100000] [--dim 384] [--emb-noise 0.25] (--emb-n 0 skips the embedding methods)
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { allScores, aum, cartography, el2nScore, forgetting, hHistogram, hScore } from '@prunelab/dynamics';
import type { RunRecord } from '@prunelab/dynamics';
import {
  idPool,
  idRanks,
  type knnGraph,
  selectIndices,
  selectionMethod,
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
    'emb-n': { type: 'string', default: '100000' },
    dim: { type: 'string', default: '384' },
    'emb-noise': { type: 'string', default: '0.25' },
  },
});
const N = Number(values.n);
const R = Number(values.runs);
const E = Number(values.epochs);
const REPEAT = Number(values.repeat);
const EMB_N = Number(values['emb-n']);
const DIM = Number(values.dim);
const NOISE = Number(values['emb-noise']); // uniform noise around 1000 centres: 0.25 well separated, 1 overlapping

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
const probs: Float32Array[][] = []; // 2 classes: [gold, other] per example
const grandNorm: Float32Array[][] = [];
for (let r = 0; r < R; r++) {
  correct.push([]);
  goldProb.push([]);
  margin.push([]);
  el2n.push([]);
  probs.push([]);
  grandNorm.push([]);
  for (let e = 0; e < E; e++) {
    const c = new Uint8Array(N);
    const p = new Float32Array(N);
    const m = new Float32Array(N);
    const l = new Float32Array(N);
    const pc = new Float32Array(2 * N);
    const g = new Float32Array(N);
    for (let i = 0; i < N; i++) {
      const q = Math.min(1, Math.max(0, skill[i]! * 0.7 + (0.15 * (e + 1)) / E + 0.3 * (next() - 0.5)));
      p[i] = q;
      c[i] = q > 0.5 ? 1 : 0;
      m[i] = 4 * (q - 0.5);
      l[i] = Math.SQRT2 * (1 - q);
      pc[2 * i] = q;
      pc[2 * i + 1] = 1 - q;
      g[i] = l[i]! * (1 + 0.5 * next()); // ||p - y|| times a feature norm
    }
    correct[r]!.push(c);
    goldProb[r]!.push(p);
    margin[r]!.push(m);
    el2n[r]!.push(l);
    probs[r]!.push(pc);
    grandNorm[r]!.push(g);
  }
}
const runs: RunRecord[] = Array.from({ length: R }, (_, r) => ({
  header: {} as RunRecord['header'],
  correct: correct[r]!,
  goldProb: goldProb[r]!,
  loss: [],
  margin: margin[r]!,
  el2n: el2n[r]!,
  probs: probs[r]!,
  grand: grandNorm[r]!,
}));
// external: a CSV of every id and a score (written once, untimed; reading it is timed)
const externalDir = mkdtempSync(join(tmpdir(), 'prunelab-bench-'));
const externalFile = join(externalDir, 'scores.csv');
process.on('exit', () => rmSync(externalDir, { recursive: true, force: true }));
writeFileSync(externalFile, `id,score\n${ids.map((id, i) => `${id},${skill[i]!.toFixed(6)}`).join('\n')}\n`);
console.log(
  `setup (not timed): ${N.toLocaleString('en')} examples x ${R} runs x ${E} epochs in ` +
    `${((performance.now() - setupStart) / 1000).toFixed(1)} s`,
);

// --- timed: everything from records to the ids of every subset
// the registry's ranking methods over the scores every record holds; random_balanced is random's ranking taken
// class by class, which every stage below does. The newer methods have stages of their own below.
const BASELINES = SELECTION_METHODS.filter(
  (m) =>
    !m.balanced &&
    !m.options &&
    m.keys &&
    m.columns.every((c) => c.name !== 'moderate' && c.name !== 'd2' && c.name !== 'semdedup'),
);
const cpuMs = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

function once(): {
  total: number;
  cpu: number;
  stages: [string, number, number][];
  summary: string;
  k: number;
  inBudget: number;
  cpuInBudget: number;
} {
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
  const records = { runs, runsUsed: R, epochsUsed: E, numClasses: 2 };
  const options = { external: { file: externalFile } };
  const ctx = selectionContext({ pool, classes, seed: 6666, scores: given, records, options });
  let picked = 0;
  let methods = 0;
  for (const m of BASELINES) {
    const ranking = methodTop(ctx, m, k, classes); // one ranking prefix serves both variants
    picked += takeK(ranking, k).length + takeK(ranking, k, classes).length;
    methods += 2;
    lap(`baseline ${m.name} (+ class-balanced)`);
  }
  for (const name of ['tdds', 'grand']) {
    const ranking = methodTop(ctx, selectionMethod(name), k, classes); // scored from probs / grand, then ranked
    picked += takeK(ranking, k).length + takeK(ranking, k, classes).length;
    methods += 2;
    lap(`${name} from the records (+ class-balanced)`);
  }
  picked += selectIndices(ctx, selectionMethod('ccs'), k).length;
  methods++;
  lap('ccs (aum, 50 strata, beta 0.1)');
  const inBudget = performance.now() - start;
  const cpuInBudget = cpuMs() - cpu0;
  picked += selectIndices(ctx, selectionMethod('external'), k).length;
  methods++;
  lap('external (read + check a 1M-row CSV, rank)');
  const total = performance.now() - start;
  const cpu = cpuMs() - cpu0;
  const summary = `H histogram ${histogram.join('/')}; subsets ${names.map((nm, i) => `${nm}:${sizes[i]}`).join(' ')}; k = ${k}; ${picked} ids picked by ${methods} baselines`;
  return { total, cpu, stages, summary, k, inBudget, cpuInBudget };
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
  `scoring + selection without the file read, best of ${REPEAT} by CPU time: ${best!.inBudget.toFixed(0)} ms wall, ` +
    `${best!.cpuInBudget.toFixed(0)} ms CPU (budget 1000 ms: ${best!.inBudget < 1000 ? 'met' : 'NOT met'}; ratio ` +
    `${(best!.inBudget / 1000).toFixed(2)}); with external's file read ${best!.total.toFixed(0)} ms wall, ` +
    `${best!.cpu.toFixed(0)} ms CPU; load average ${loadavg()
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

// --- the embedding methods (not in the 1 s budget): d2, moderate, semdedup at EMB_N x DIM
if (EMB_N > 0) {
  const n = EMB_N;
  const gen = rng(77);
  const centres = Array.from({ length: 1000 }, () => Float32Array.from({ length: DIM }, () => gen() - 0.5));
  const data = new Float32Array(n * DIM);
  for (let i = 0; i < n; i++) {
    const c = centres[Math.floor(gen() * centres.length)]!;
    for (let t = 0; t < DIM; t++) data[i * DIM + t] = c[t]! + NOISE * (gen() - 0.5);
  }
  const eids = ids.slice(0, n);
  const ecls = classes.slice(0, n);
  const eruns: RunRecord[] = runs.map((r) => ({
    header: {} as RunRecord['header'],
    correct: r.correct.map((a) => a.slice(0, n)),
    goldProb: [],
    loss: [],
    margin: [],
    embedding: { dim: DIM, epoch: E - 1, data },
  }));
  const forg = forgetting(eruns.map((r) => r.correct)).score;
  const pool = idPool(eids);
  const ctx = selectionContext({
    pool,
    classes: ecls,
    seed: 6666,
    scores: { forgetting: forg },
    records: { runs: eruns, runsUsed: R, epochsUsed: E, numClasses: 3 },
  });
  const k = Math.round(n * 0.3);
  console.log(
    `embedding methods: ${n.toLocaleString('en')} examples x ${DIM} dims (1000 clusters, noise ${NOISE}), k = ${k}`,
  );
  for (const name of ['moderate', 'd2', 'semdedup']) {
    const t = performance.now();
    const c = cpuMs();
    const got = selectIndices(ctx, selectionMethod(name), k).length;
    console.log(
      `  ${name.padEnd(10)} ${((performance.now() - t) / 1000).toFixed(1).padStart(7)} s wall ` +
        `${((cpuMs() - c) / 1000).toFixed(1).padStart(7)} s CPU (${got} picked)`,
    );
  }
  // untimed: the graph d2 used (inverted file above 5,000 examples) against brute force on 200 examples
  const unit = ctx.cache.get('embedding') as { unit: Float32Array };
  const graph = ctx.cache.get('knn:10:4') as ReturnType<typeof knnGraph>;
  const rank = idRanks(pool);
  let found = 0;
  const Q = 200;
  const sims = new Float32Array(n);
  for (let q = 0; q < Q; q++) {
    const i = Math.floor((q * n) / Q);
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let t = 0; t < DIM; t++) s += unit.unit[i * DIM + t]! * unit.unit[j * DIM + t]!;
      sims[j] = j === i ? -Infinity : Math.fround(1 - Math.fround(s));
    }
    const exact = Array.from({ length: n }, (_, j) => j)
      .filter((j) => j !== i)
      .sort((a, b) => sims[a]! - sims[b]! || rank[a]! - rank[b]!)
      .slice(0, 10);
    const got = new Set(Array.from(graph.neighbours.subarray(i * 10, i * 10 + 10)));
    found += exact.filter((j) => got.has(j)).length;
  }
  console.log(
    `  k-NN graph (${graph.how}): recall@10 ${(found / (Q * 10)).toFixed(3)} against brute force on ${Q} examples`,
  );
}
