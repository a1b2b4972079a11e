// A graft job (Panigrahi et al. 2023; docs/grafting.md): the fine-tuned run's weights (kept in its final/ folder)
// grafted onto the pretrained model at each sparsity - the learned mask and its baselines (top |delta|, random,
// Fisher) - and lambda-scaled task arithmetic, each evaluated on the run's evaluation split with the task's metrics and
// the expected calibration error. Every mask is written as a graft file (bitset + sparse deltas) a user can apply to
// the pretrained model. Rows are appended to rows.jsonl as they are made: a killed job resumes after the last one.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { mulberry32, selectRows, type EncodedSet } from '@prunelab/core';
import { expectedCalibrationError } from '@prunelab/datasets';
import {
  basePatch,
  disposeParams,
  evaluate,
  fisherScores,
  learnMask,
  loadModel,
  randomMask,
  setGraft,
  startGraft,
  topK,
  writeGraftFile,
  type Graft,
  type Mask,
  type Model,
} from '@prunelab/finetune';
import { readSubset } from '@prunelab/pruning';
import { flattenParams } from '@prunelab/tracking';
import type { Cell } from './cell.ts';
import { jobTags, type JobEnv } from './env.ts';
import { scoreResult } from './evaluation.ts';
import { appendText, ensureDir } from './files.ts';
import type { GraftJob } from './grid.ts';
import { FINAL_WEIGHTS, finishJob, jobLogger, startJob } from './job-state.ts';
import { progress } from './progress.ts';
import type { GraftMethod } from './schema.ts';
import { TASK_META } from './tasks.ts';
import { endFailed, finalRunId, gitCommit, RANDOM_WEIGHTS_TAG } from './tracking.ts';

/** A model evaluated on the run's evaluation split. */
export interface GraftEval {
  /** the task's main metric, a fraction */
  metric: number;
  metrics: Record<string, number>;
  accuracy: number;
  /** expected calibration error, 15 bins */
  ece: number;
}

export interface GraftRow extends GraftEval {
  method: GraftMethod | 'task_arithmetic';
  /** the requested fraction of the scope; null: task arithmetic (the whole scope) */
  sparsity: number | null;
  lambda?: number;
  /** entries the mask selects (graft: the learned mask's size after rounding, not always k) */
  k: number;
  /** metric / the fine-tuned model's metric (the paper's measure) */
  recovered: number;
  /** (metric - pretrained body's) / (fine-tuned's - pretrained body's): the share of what fine-tuning added; with a
   * fine-tuned head on a strong pretrained body most of the metric is there before any graft (NaN when equal) */
  gainRecovered: number;
  /** the graft file, relative to the job folder */
  file?: string;
  /** graft: the step whose rounded mask was kept, and its accuracies on the learning and dev examples */
  bestStep?: number;
  trainAccuracy?: number;
  devAccuracy?: number;
}

export interface GraftResult {
  run: string;
  runKind: string;
  seed: number;
  scope: string;
  /** parameters in scope */
  scopeParams: number;
  metricName: string;
  /** examples the masks learn on, and the dev examples they are chosen by */
  learnExamples: number;
  devExamples: number;
  /** the fine-tuned run's model (gamma = 1) and the pretrained body under the fine-tuned head (gamma = 0) */
  finetuned: GraftEval;
  pretrained: GraftEval;
  rows: GraftRow[];
}

const ROWS = 'rows.jsonl';

/** The mask file name of a method at a sparsity. */
export const maskFile = (method: string, sparsity: number) => `masks/${method}-${sparsity}.safetensors`;

export async function runGraft(env: JobEnv, job: GraftJob): Promise<GraftResult> {
  const cell = await env.cell(job);
  const started = performance.now();
  const dir = startJob(env.outDir, job, { build: env.build, random_weights: cell.randomWeights }, ROWS);
  const log = jobLogger(dir, env.log);
  const mlrun = await env.tracking.tracker.createRun(env.tracking.experimentId, {
    runName: job.id,
    parentRunId: env.parent.runId,
    tags: {
      ...jobTags(
        env,
        job,
        { method: 'graft', run: job.run, run_kind: job.runKind, seed: String(job.seed) },
        gitCommit(),
      ),
      [RANDOM_WEIGHTS_TAG]: String(cell.randomWeights),
    },
  });
  let graft: Graft | undefined;
  try {
    const o = job.options;
    await mlrun.logParams(flattenParams({ ...o, run: job.run }));
    const ftDir = join(env.outDir, job.run, FINAL_WEIGHTS);
    if (!existsSync(join(ftDir, 'model.safetensors')))
      throw new Error(
        `${ftDir}: the run ${job.run} kept no final weights (it finished before grafting asked for them); run again: ` +
          'the run trains once more to keep them',
      );
    const ft: Model = loadModel(ftDir, { head: cell.head });
    const pre: Model = loadModel(cell.modelDir, {
      head: cell.head,
      ...(cell.head === 'seqcls' && { numLabels: cell.numLabels }),
      seed: job.seed,
    });
    try {
      graft = startGraft(pre, ft, o.scope);
    } finally {
      disposeParams(ft.params);
    }
    const g = graft;
    const { learn, dev } = learningSets(env, job, cell);
    const metricName = TASK_META[job.task].metric;
    const score = async (): Promise<GraftEval> => {
      const r = await evaluate(g.model, cell.dev.set);
      const s = scoreResult(cell, cell.dev, r);
      const ece = expectedCalibrationError(r.logits, cell.dev.set.labels, r.numClasses);
      return { metric: s.metric, metrics: s.metrics, accuracy: s.accuracy, ece };
    };
    setGraft(g, 1);
    const finetuned = await score();
    setGraft(g, 0);
    const pretrained = await score();
    log(
      `${job.label}: ${g.count.toLocaleString('en-US')} parameters in scope (${o.scope}); fine-tuned ${metricName} ` +
        `${finetuned.metric.toFixed(4)}, pretrained body ${pretrained.metric.toFixed(4)}; masks learn on ` +
        `${learn.n} examples, chosen on ${learn.n} + ${dev.n}`,
    );
    const recovery = (e: GraftEval) => ({
      recovered: e.metric / finetuned.metric,
      gainRecovered: (e.metric - pretrained.metric) / (finetuned.metric - pretrained.metric),
    });
    const done = readRows(join(dir, ROWS));
    const plan: { method: GraftMethod | 'task_arithmetic'; sparsity: number | null; lambda?: number }[] = [
      ...o.sparsities.flatMap((sparsity) => o.methods.map((method) => ({ method, sparsity }))),
      ...o.lambdas.map((lambda) => ({ method: 'task_arithmetic' as const, sparsity: null, lambda })),
    ];
    const bar = progress(`${env.position(job)} ${job.label}`, plan.length, env.out);
    let fisher: Float32Array[] | undefined;
    const patches = new Map<number, Mask>(); // the base patch of a k: top_delta's mask and the learned mask's start
    const patchOf = (k: number) => patches.get(k) ?? patches.set(k, basePatch(g, k)).get(k)!;
    const rows: GraftRow[] = [];
    for (const [i, p] of plan.entries()) {
      const same = (r: GraftRow) => r.method === p.method && r.sparsity === p.sparsity && r.lambda === p.lambda;
      const had = done.find(same);
      if (had && (!had.file || existsSync(join(dir, had.file)))) {
        rows.push(had);
        bar.tick(i + 1, `${p.method} kept from before the restart`);
        continue;
      }
      let row: GraftRow;
      if (p.method === 'task_arithmetic') {
        setGraft(g, p.lambda!);
        const e = await score();
        row = {
          method: p.method,
          sparsity: null,
          lambda: p.lambda!,
          k: g.count,
          ...e,
          ...recovery(e),
        };
      } else {
        const sparsity = p.sparsity!;
        const k = Math.max(1, Math.round(sparsity * g.count));
        let mask: Mask;
        let extra: Partial<GraftRow> = {};
        if (p.method === 'top_delta') mask = patchOf(k);
        else if (p.method === 'random') mask = randomMask(g.sizes, k, (o.seed * 7919 + k) >>> 0);
        else if (p.method === 'fisher') {
          fisher ??= await fisherScores(g, learn, fisherRows(learn.n, o.fisher_examples, o.seed));
          mask = topK(fisher, k);
        } else {
          const r = await learnMask(g, learn, dev.n ? dev : learn, {
            k,
            beta: o.beta,
            lr: o.lr,
            steps: o.steps,
            batchSize: o.batch_size,
            batches: o.batches,
            seed: o.seed,
            base: patchOf(k),
          });
          mask = r.mask;
          extra = { bestStep: r.best.step, trainAccuracy: r.best.trainAccuracy, devAccuracy: r.best.devAccuracy };
        }
        setGraft(g, mask);
        const e = await score();
        const file = maskFile(p.method, sparsity);
        ensureDir(join(dir, 'masks'));
        const { entries } = writeGraftFile(join(dir, file), g, mask, {
          run: job.run,
          method: p.method,
          sparsity: String(sparsity),
          scope: o.scope,
          model_weights: job.weights ?? '',
          task: job.task,
        });
        row = { method: p.method, sparsity, k: entries, ...e, ...recovery(e), file, ...extra };
      }
      appendText(join(dir, ROWS), `${JSON.stringify(row)}\n`);
      rows.push(row);
      const key = `${row.method}_${row.sparsity ?? `lambda${row.lambda}`}`;
      await mlrun.logMetrics({
        [`${key}/metric`]: row.metric,
        [`${key}/recovered`]: row.recovered,
        [`${key}/ece`]: row.ece,
        [`${key}/k`]: row.k,
      });
      bar.tick(
        i + 1,
        `${key} ${metricName} ${row.metric.toFixed(4)} (${(100 * row.recovered).toFixed(1)} % of fine-tuned)`,
      );
    }
    const result: GraftResult = {
      run: job.run,
      runKind: job.runKind,
      seed: job.seed,
      scope: o.scope,
      scopeParams: g.count,
      metricName,
      learnExamples: learn.n,
      devExamples: dev.n,
      finetuned,
      pretrained,
      rows,
    };
    await mlrun.logMetrics({
      finetuned_metric: finetuned.metric,
      finetuned_ece: finetuned.ece,
      pretrained_metric: pretrained.metric,
    });
    await mlrun.logArtifact(join(dir, 'masks'));
    await mlrun.end('FINISHED');
    finishJob(dir, {
      hash: job.hash,
      finishedAt: new Date().toISOString(),
      seconds: (performance.now() - started) / 1000,
      mlflowRunId: finalRunId(mlrun),
      result,
      build: env.build,
      data: job.data,
      weights: job.weights,
    });
    const best = rows.filter((r) => r.method === 'graft').sort((a, b) => (a.sparsity ?? 0) - (b.sparsity ?? 0))[0];
    bar.end(best ? `graft at ${best.sparsity}: ${(100 * best.recovered).toFixed(1)} % of fine-tuned` : '');
    return result;
  } catch (e) {
    await endFailed(mlrun, log);
    throw e;
  } finally {
    if (graft) disposeParams(graft.model.params);
  }
}

function readRows(file: string): GraftRow[] {
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.trim())
    .flatMap((l) => {
      try {
        return [JSON.parse(l) as GraftRow];
      } catch {
        return []; // a line cut by a kill: made again
      }
    });
}

/**
 * The examples a mask learns on: graft.per_class per class of the run's training set (a seeded draw), and the dev
 * examples it is chosen by: up to as many again per class from the rest of that set. per_class null: the whole set,
 * no dev examples (chosen by the learning set alone).
 */
export function learningSets(
  env: Pick<JobEnv, 'outDir'>,
  job: GraftJob,
  cell: Pick<Cell, 'train' | 'trainIds' | 'rowOf'>,
): { learn: EncodedSet; dev: EncodedSet } {
  const ids = job.trainSubset ? readSubset(join(env.outDir, job.trainSubset)).ids : cell.trainIds;
  const rows = ids.map((id) => {
    const r = cell.rowOf.get(id);
    if (r === undefined) throw new Error(`${job.trainSubset}: id ${id} is not in the ${job.task} training set`);
    return r;
  });
  const K = job.options.per_class;
  if (K === null) return { learn: selectRows(cell.train, rows), dev: selectRows(cell.train, []) };
  const rand = mulberry32(job.options.seed);
  const shuffled = rows.map((r) => ({ r, u: rand() })).sort((a, b) => a.u - b.u || a.r - b.r);
  const taken = new Map<number, number>();
  const learn: number[] = [];
  const dev: number[] = [];
  for (const { r } of shuffled) {
    const c = cell.train.labels[r]!;
    const n = taken.get(c) ?? 0;
    taken.set(c, n + 1);
    if (n < K) learn.push(r);
    else if (n < 2 * K) dev.push(r);
  }
  const byRow = (a: number, b: number) => a - b;
  return { learn: selectRows(cell.train, learn.sort(byRow)), dev: selectRows(cell.train, dev.sort(byRow)) };
}

/** The learning-set rows Fisher scores average over: all of them, or a seeded draw of `max`. */
function fisherRows(n: number, max: number, seed: number): Int32Array {
  const rand = mulberry32((seed ^ 0x5f3759df) >>> 0);
  const all = Array.from({ length: n }, (_, i) => ({ i, u: rand() })).sort((a, b) => a.u - b.u);
  return Int32Array.from(all.slice(0, Math.min(n, max)).map((x) => x.i)).sort();
}
