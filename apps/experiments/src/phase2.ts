// Phase 2: fine-tune from the same starting checkpoint on a subset (or on full data) and evaluate after every
// epoch (method.md section 3), or only after the last one with phase2.eval: last. done.json exists only for finished jobs; a killed job restarts from scratch.
import { join } from 'node:path';
import { disposeParams, loadModel, train } from '@prunelab/finetune';
import { readSubset } from '@prunelab/pruning';
import { flattenParams } from '@prunelab/tracking';
import { selectRows } from '@prunelab/core';
import { jobTags, type JobEnv } from './env.ts';
import { scoreEval } from './evaluation.ts';
import type { Phase2Job } from './grid.ts';
import { appendMetrics, finishJob, jobLogger, startJob } from './job-state.ts';
import { progress } from './progress.ts';
import { recordThroughput, throughputKey } from './throughput.ts';
import { METRIC_TITLES, TASK_META } from './tasks.ts';
import { gitCommit } from './tracking.ts';

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
  /** devMetric: the main metric; devAccuracy: the share counted correct (QA: exact match) */
  epochs: { epoch: number; trainLoss: number; devAccuracy: number; devMetric?: number; devLoss: number; seconds: number }[];
}

export async function runPhase2(env: JobEnv, job: Phase2Job): Promise<Phase2Result> {
  const p2 = job.settings.phase2;
  const { seeds: _s, methods: _m, ...p2Params } = p2;
  const cell = await env.cell(job);
  const started = performance.now();
  let ids = cell.trainIds;
  if (job.subset) {
    const file = join(env.outDir, job.subset.file);
    ids = readSubset(file).ids;
    const unknown = ids.find((id) => !cell.rowOf.has(id));
    if (unknown) throw new Error(`${file}: id ${unknown} is not in the ${job.task} training set of model ${job.model}; the subset's source and this cell must use the same data settings`);
    if (ids.length === 0) throw new Error(`${file}: the subset is empty (see the H histogram of ${job.subset.scores}); nothing to fine-tune on`);
  }
  const dir = startJob(env.outDir, job, { size: ids.length, build: env.build });
  const log = jobLogger(dir, () => {}); // epoch lines reach stdout through the progress line
  const data = selectRows(cell.train, ids.map((id) => cell.rowOf.get(id)!));
  const subsetTag = job.subset ? `${job.subset.name}${job.subset.variant.key === 'all' ? '' : `-${job.subset.variant.key}`}` : 'full';
  const mlrun = await env.tracking.tracker.createRun(env.tracking.experimentId, {
    runName: job.id, parentRunId: env.parent.runId,
    tags: jobTags(env, job, { method: job.method, subset: subsetTag, seed: String(job.seed), scored_by: job.subset?.scoredBy ?? job.model }, gitCommit()),
  });
  await mlrun.logParams(flattenParams({
    task: job.task, model: job.model, model_path: cell.modelDir, method: job.method, seed: job.seed, subset: subsetTag, subset_size: ids.length,
    subset_fraction: ids.length / cell.trainIds.length, runs_used: job.subset?.variant.runsUsed ?? 0, epochs_used: job.subset?.variant.epochsUsed ?? 0,
    data: job.settings.data, phase2: p2Params,
  }));
  const model = loadModel(cell.modelDir, { head: cell.head, ...(cell.head === 'seqcls' && { numLabels: cell.numLabels }), seed: job.seed });
  const metricName = TASK_META[job.task].metric;
  const bar = progress(`${env.position(job)} ${job.label} (${ids.length} examples)`, Math.ceil(data.n / p2.batch_size) * p2.epochs, (t) => env.out(t));
  let step = 0;
  const result: Phase2Result = { size: ids.length, fraction: ids.length / cell.trainIds.length, metric: NaN, metricName, epochs: [] };
  try {
    await train(model, data, {
      epochs: p2.epochs, batchSize: p2.batch_size, gradientAccumulationSteps: p2.grad_accum, lr: p2.lr, warmupSteps: p2.warmup_steps, weightDecay: p2.weight_decay, seed: job.seed,
      onBatch: () => bar.tick(++step),
      onEpochEnd: async (e) => {
        if (p2.eval === 'last' && e.epoch + 1 < p2.epochs) {
          recordThroughput(throughputKey(cell.modelDir, job.settings.data.max_length, env.backend), e.examplesPerSecond);
          await mlrun.logMetrics({ train_loss: e.loss, examples_per_second: e.examplesPerSecond }, e.epoch + 1);
          return;
        }
        const dev = await scoreEval(cell, model, cell.dev);
        const extra: Record<string, number> = {};
        for (const x of cell.extraEval) extra[x.split] = (await scoreEval(cell, model, x.set)).metric;
        const row = { epoch: e.epoch + 1, trainLoss: e.loss, devAccuracy: dev.accuracy, devMetric: dev.metric, devMetrics: dev.metrics, devLoss: dev.loss, seconds: e.seconds,
          ...(cell.extraEval.length && { extra }) };
        if (cell.extraEval.length) result.extra = extra;
        result.epochs.push(row);
        result.metric = dev.metric;
        result.metrics = dev.metrics;
        appendMetrics(dir, row);
        recordThroughput(throughputKey(cell.modelDir, job.settings.data.max_length, env.backend), e.examplesPerSecond);
        await mlrun.logMetrics({ train_loss: e.loss, dev_accuracy: dev.accuracy, dev_loss: dev.loss, examples_per_second: e.examplesPerSecond,
          ...Object.fromEntries(Object.entries(dev.metrics).map(([k, v]) => [`dev_${k}`, v])),
          ...Object.fromEntries(Object.entries(extra).map(([k, v]) => [`${k}_${metricName}`, v])) }, e.epoch + 1);
        const note = `epoch ${e.epoch + 1}/${p2.epochs} dev ${metricName === 'accuracy' ? 'acc' : METRIC_TITLES[metricName]} ${dev.metric.toFixed(3)}`;
        bar.tick(step, note);
        log(`${job.label}: ${note}`);
      },
    });
    await mlrun.logArtifact(join(dir, 'metrics.jsonl'));
    await mlrun.end('FINISHED');
    finishJob(dir, { hash: job.hash, finishedAt: new Date().toISOString(), seconds: (performance.now() - started) / 1000, mlflowRunId: mlrun.runId, result, build: env.build });
    bar.end(`dev ${metricName === 'accuracy' ? 'acc' : METRIC_TITLES[metricName]} ${result.metric.toFixed(4)}`);
  } catch (e) {
    await mlrun.end('FAILED');
    throw e;
  } finally {
    disposeParams(model.params);
  }
  return result;
}
