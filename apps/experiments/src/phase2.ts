// Phase 2: fine-tune from the same starting checkpoint on a subset (or on full data) and evaluate after every
// epoch (method.md section 3), or only after the last one with phase2.eval: last. done.json exists only for
// finished jobs; a killed job resumes from its last snapshot (train-job.ts).
import { join } from 'node:path';
import { readSubset } from '@prunelab/pruning';
import { selectRows } from '@prunelab/core';
import { collapseOf, collapseText } from './collapse.ts';
import type { JobEnv } from './env.ts';
import { scoreEval, scoreMitigated } from './evaluation.ts';
import { readJson, type DoneMarker } from './job-state.ts';
import { fileDigest, jobInputs } from './mlflow-inputs.ts';
import { serverIdOf } from './tracking.ts';
import type { Phase2Job, SubsetRef } from './grid.ts';
import { METRIC_TITLES, TASK_META } from './tasks.ts';
import { runTrainingJob, type Outcome } from './train-job.ts';

export interface Phase2Result {
  size: number;
  fraction: number;
  /** the task's main metric after the last epoch, as a fraction */
  metric: number;
  metricName: string;
  /** every metric of the task after the last epoch (fractions), the main one included */
  metrics?: Record<string, number>;
  /** the main metric on further evaluation splits after the last epoch (MNLI: dev_mismatched) */
  extra?: Record<string, number>;
  /** classification: predictions per class on the evaluation split after the last epoch (collapse.ts) */
  predCounts?: number[];
  /** optimizer steps of every model the job trained (one model, one step = 1) */
  modelSteps?: number;
  /** a mitigated run: the method, and the main model's own last-epoch numbers (metric/metrics above are the
   * mitigated predictor's: the vote, the averaged weights) */
  mitigation?: Outcome['mitigation'] & { mainMetric: number; mainMetrics: Record<string, number> };
  /** devMetric: the main metric; devAccuracy: the share counted correct (QA: exact match) */
  epochs: {
    epoch: number;
    trainLoss: number;
    devAccuracy: number;
    devMetric?: number;
    devLoss: number;
    seconds: number;
  }[];
}

/** A metrics.jsonl row of phase 2 (timings go to timing.jsonl). */
interface Row {
  epoch: number;
  trainLoss: number;
  devAccuracy: number;
  devMetric: number;
  devMetrics: Record<string, number>;
  devLoss: number;
  extra?: Record<string, number>;
  predCounts?: number[];
}

export async function runPhase2(env: JobEnv, job: Phase2Job): Promise<Phase2Result> {
  const p2 = job.settings.phase2;
  const { seeds: _s, methods: _m, peft: _peft, ...p2Params } = p2; // peft: logged parsed (train-job.ts)
  const cell = await env.cell(job);
  let ids = cell.trainIds;
  let subsetFile: { file: string; digest: string; rows: number } | undefined;
  if (job.subset) {
    const file = join(env.outDir, job.subset.file);
    ids = readSubset(file).ids;
    subsetFile = { file, digest: fileDigest(file), rows: ids.length };
    const unknown = ids.find((id) => !cell.rowOf.has(id));
    if (unknown)
      throw new Error(
        `${file}: id ${unknown} is not in the ${job.task} training set of model ${job.model}; the subset's source ` +
          `and this cell must use the same data settings`,
      );
    if (ids.length === 0)
      throw new Error(
        `${file}: the subset is empty (see the H histogram of ${job.subset.scores}); nothing to fine-tune on`,
      );
  }
  const data = selectRows(
    cell.train,
    ids.map((id) => cell.rowOf.get(id)!),
  );
  const subsetTag = job.subset
    ? `${job.subset.name}${job.subset.variant.key === 'all' ? '' : `-${job.subset.variant.key}`}`
    : 'full';
  const metricName = TASK_META[job.task].metric;
  const metricTitle = metricName === 'accuracy' ? 'acc' : METRIC_TITLES[metricName];
  return runTrainingJob<Row, Phase2Result>(env, {
    job,
    cell,
    settings: p2,
    data,
    folder: { size: ids.length },
    label: `${job.label} (${ids.length} examples)`,
    tags: {
      method: job.method,
      subset: subsetTag,
      seed: String(job.seed),
      scored_by: job.subset?.scoredBy ?? job.model,
      ...(job.subset && subsetFile && subsetTags(env.outDir, job.subset, subsetFile.digest)),
    },
    params: {
      task: job.task,
      model: job.model,
      model_path: cell.modelDir,
      method: job.method,
      seed: job.seed,
      subset: subsetTag,
      subset_size: ids.length,
      subset_fraction: ids.length / cell.trainIds.length,
      runs_used: job.subset?.variant.runsUsed ?? 0,
      epochs_used: job.subset?.variant.epochsUsed ?? 0,
      data: job.settings.data,
      phase2: p2Params,
    },
    inputs: jobInputs(job, cell, subsetFile),
    hooks: () => ({
      evaluate: async (model, e) => {
        if (p2.eval === 'last' && e.epoch + 1 < p2.epochs) return undefined;
        const dev = await scoreEval(cell, model, cell.dev);
        const extra: Record<string, number> = {};
        for (const x of cell.extraEval) extra[x.split] = (await scoreEval(cell, model, x.set)).metric;
        const row: Row = {
          epoch: e.epoch + 1,
          trainLoss: e.loss,
          devAccuracy: dev.accuracy,
          devMetric: dev.metric,
          devMetrics: dev.metrics,
          devLoss: dev.loss,
          ...(cell.extraEval.length && { extra }),
          ...(dev.predCounts && { predCounts: dev.predCounts }),
        };
        return {
          row,
          metrics: {
            dev_accuracy: dev.accuracy,
            dev_loss: dev.loss,
            ...Object.fromEntries(Object.entries(dev.metrics).map(([k, v]) => [`dev_${k}`, v])),
            ...Object.fromEntries(Object.entries(extra).map(([k, v]) => [`${k}_${metricName}`, v])),
          },
        };
      },
      log: (e, ev) => ev && `epoch ${e.epoch + 1}/${p2.epochs} dev ${metricTitle} ${ev.row.devMetric.toFixed(3)}`,
      final: (model, run) => scoreMitigated(cell, model, run, cell.dev),
      finish: (epochs, dir, outcome) => {
        const rows = epochs.filter((x) => x.row).map((x) => ({ ...x.row!, seconds: x.seconds }));
        const last = rows.at(-1)!;
        const mit = outcome.mitigation;
        const f = mit?.final;
        const predCounts = f ? f.predCounts : last.predCounts;
        const result: Phase2Result = {
          size: ids.length,
          fraction: ids.length / cell.trainIds.length,
          metric: f ? f.metric : last.devMetric,
          metricName,
          metrics: f ? f.metrics : last.devMetrics,
          ...(last.extra && { extra: last.extra }),
          ...(predCounts && { predCounts }),
          modelSteps: outcome.modelSteps,
          ...(mit && { mitigation: { ...mit, mainMetric: last.devMetric, mainMetrics: last.devMetrics } }),
          epochs: rows,
        };
        const collapse = collapseOf(predCounts);
        const degenerate = collapse ? ` DEGENERATE: ${collapseText(collapse, cell.data.labels)}` : '';
        const by = mit ? ` (${mit.label}${mit.models > 1 ? `, vote of ${mit.models}` : ''})` : '';
        const note = `dev ${metricTitle} ${result.metric.toFixed(4)}${by}${degenerate}`;
        return { result, note, artifact: { path: join(dir, 'metrics.jsonl') } };
      },
    }),
  });
}

/**
 * Which subset file the run trained on: its path under results/<name>/, its digest, and the MLflow run of the scores
 * job that wrote it (when that job logged one), so a phase-2 run leads back to its H-scores.
 */
function subsetTags(outDir: string, subset: SubsetRef, digest: string): Record<string, string> {
  const scoresDone = readJson<DoneMarker>(join(outDir, subset.scores, 'done.json'));
  return {
    'prunelab.subset_file': subset.file,
    'prunelab.subset_digest': digest,
    ...(scoresDone?.mlflowRunId && { 'prunelab.subset_run': serverIdOf(outDir, scoresDone.mlflowRunId) }),
  };
}
