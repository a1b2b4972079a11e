// How much the graft masks of different runs overlap (Jaccard of the selected parameters): across seeds of the same
// run, across tasks (same model, run kind, mask and seed: are the skills "almost disjoint"?), and between the
// full-data run and a run at the winning ticket (same seed), each beside the overlap two random masks of the same
// sizes would have by chance. The masks are compared as the graft files hold them, packed 32 to a word
// (libs/finetune jaccardFiles).
import { existsSync } from 'node:fs';
import { jaccardFiles, readGraftMasks, type GraftMasks } from '@prunelab/finetune';
import { csv } from './al-report-format.ts';
import { meanStd } from './stats.ts';

export interface MaskRef {
  task: string;
  model: string;
  runKind: string;
  seed: number;
  method: string;
  sparsity: number;
  /** the graft file, absolute */
  file: string;
  /** entries it selects, and the parameters in scope */
  k: number;
  scopeParams: number;
}

export interface OverlapRow {
  /** seeds: same run kind and task, another seed; tasks: same seed, another task; runs: full data vs another run */
  comparison: 'seeds' | 'tasks' | 'runs';
  model: string;
  method: string;
  sparsity: number;
  taskA: string;
  taskB: string;
  runA: string;
  runB: string;
  /** pairs of masks measured: seed pairs (seeds), seeds both sides have (tasks, runs) */
  n: number;
  jaccard: { mean: number; std: number };
  /** the Jaccard of two random masks of the pairs' sizes, mean over the pairs */
  chance: number;
}

/** Two masks of k1 and k2 of n drawn at random share k1 k2 / n entries in expectation: their Jaccard, about. */
export function chanceJaccard(k1: number, k2: number, n: number): number {
  const both = (k1 * k2) / n;
  const either = k1 + k2 - both;
  return either > 0 ? both / either : 1;
}

/**
 * Files read on demand and kept while they fit in `budget` bytes (the oldest dropped first): each mask is in a few
 * comparisons, made group by group. A missing file: undefined (its pairs are left out).
 */
export function maskReader(budget = 512 * 2 ** 20): (file: string) => GraftMasks | undefined {
  const kept = new Map<string, { words: GraftMasks; bytes: number }>();
  let total = 0;
  return (file) => {
    const had = kept.get(file);
    if (had) {
      kept.delete(file); // to the back: most recently used
      kept.set(file, had);
      return had.words;
    }
    if (!existsSync(file)) return undefined;
    const words = readGraftMasks(file);
    const bytes = [...words.values()].reduce((a, w) => a + w.byteLength, 0);
    kept.set(file, { words, bytes });
    total += bytes;
    for (const [f, v] of kept) {
      if (total <= budget || f === file) break;
      kept.delete(f);
      total -= v.bytes;
    }
    return words;
  };
}

const by = <T>(xs: T[], key: (x: T) => string): Map<string, T[]> => {
  const out = new Map<string, T[]>();
  for (const x of xs) out.set(key(x), [...(out.get(key(x)) ?? []), x]);
  return out;
};

/**
 * Every comparison the masks allow, in the order the masks come (grid order). Run kinds compared with full data:
 * the phase-2 ones (phase 1's seeds are not phase 2's, so no pair shares one).
 */
export function overlapRows(masks: MaskRef[], read = maskReader()): OverlapRow[] {
  const rows: OverlapRow[] = [];
  const measure = (
    pairs: [MaskRef, MaskRef][],
    what: Omit<OverlapRow, 'n' | 'jaccard' | 'chance' | 'model' | 'method' | 'sparsity'>,
  ) => {
    const js: number[] = [];
    const chance: number[] = [];
    for (const [a, b] of pairs) {
      const x = read(a.file);
      const y = read(b.file);
      if (!x || !y) continue;
      js.push(jaccardFiles(x, y));
      chance.push(chanceJaccard(a.k, b.k, a.scopeParams));
    }
    if (!js.length) return;
    const { mean, std } = meanStd(js);
    const [m] = pairs[0]!;
    rows.push({
      comparison: what.comparison,
      model: m.model,
      method: m.method,
      sparsity: m.sparsity,
      taskA: what.taskA,
      taskB: what.taskB,
      runA: what.runA,
      runB: what.runB,
      n: js.length,
      jaccard: { mean, std },
      chance: meanStd(chance).mean,
    });
  };
  // across seeds: every pair of seeds of one (task, model, run kind, mask, sparsity)
  for (const g of by(masks, (m) => [m.task, m.model, m.runKind, m.method, m.sparsity].join('\0')).values()) {
    const pairs = g.flatMap((a, i) => g.slice(i + 1).map((b): [MaskRef, MaskRef] => [a, b]));
    if (pairs.length)
      measure(pairs, {
        comparison: 'seeds',
        taskA: g[0]!.task,
        taskB: g[0]!.task,
        runA: g[0]!.runKind,
        runB: g[0]!.runKind,
      });
  }
  // across tasks: one (model, run kind, mask, sparsity), task pairs matched by seed
  for (const g of by(masks, (m) => [m.model, m.runKind, m.method, m.sparsity].join('\0')).values()) {
    const tasks = [...by(g, (m) => m.task).entries()];
    for (const [i, [ta, a]] of tasks.entries())
      for (const [tb, b] of tasks.slice(i + 1)) {
        const pairs = a.flatMap((x) => b.filter((y) => y.seed === x.seed).map((y): [MaskRef, MaskRef] => [x, y]));
        if (pairs.length)
          measure(pairs, { comparison: 'tasks', taskA: ta, taskB: tb, runA: a[0]!.runKind, runB: a[0]!.runKind });
      }
  }
  // full data vs each other phase-2 run kind: one (task, model, mask, sparsity), matched by seed
  for (const g of by(masks, (m) => [m.task, m.model, m.method, m.sparsity].join('\0')).values()) {
    const full = g.filter((m) => m.runKind === 'full');
    if (!full.length) continue;
    for (const [kind, other] of by(g, (m) => m.runKind)) {
      if (kind === 'full' || kind === 'phase1') continue;
      const pairs = full.flatMap((x) => other.filter((y) => y.seed === x.seed).map((y): [MaskRef, MaskRef] => [x, y]));
      if (pairs.length)
        measure(pairs, { comparison: 'runs', taskA: g[0]!.task, taskB: g[0]!.task, runA: 'full', runB: kind });
    }
  }
  return rows;
}

export function overlapCsv(rows: OverlapRow[]): string {
  const head = ['comparison', 'model', 'method', 'sparsity', 'task_a', 'task_b', 'run_kind_a', 'run_kind_b', 'pairs'];
  return csv(
    [...head, 'jaccard_mean', 'jaccard_std', 'chance'],
    rows.map((r) => [
      r.comparison,
      r.model,
      r.method,
      r.sparsity,
      r.taskA,
      r.taskB,
      r.runA,
      r.runB,
      r.n,
      r.jaccard.mean,
      r.jaccard.std,
      r.chance,
    ]),
  );
}
