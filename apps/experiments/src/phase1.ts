// Phase 1: fine-tune on the full training set once per seed, recording for every example, at every epoch, what
// the training forward pass made of it (method.md section 1). Records are appended epoch by epoch; a finished
// run is reused, an unfinished one (killed mid-way) restarts from scratch: resuming at an epoch boundary would
// need the AdamW moments and the data order, which libs/finetune does not checkpoint.
import { appendEpoch, EpochRecorder } from '@prunelab/dynamics';
import { disposeParams, loadModel, train } from '@prunelab/finetune';
import { flattenParams } from '@prunelab/tracking';
import { batchDynamics } from './dynamics.ts';
import { jobTags, type JobEnv } from './env.ts';
import { scoreEval } from './evaluation.ts';
import type { Phase1Job } from './grid.ts';
import { appendMetrics, finishJob, jobLogger, startJob } from './job-state.ts';
import { progress } from './progress.ts';
import { recordThroughput, throughputKey } from './throughput.ts';
import { METRIC_TITLES, TASK_META } from './tasks.ts';
import { gitCommit } from './tracking.ts';

/** devAccuracy: the share the H-score would count correct (QA: exact match); devMetric: the task's main metric */
export interface Phase1Result {
  epochs: { epoch: number; trainLoss: number; trainAccuracy: number; devAccuracy: number; devMetric: number; devMetrics: Record<string, number>; devLoss: number; seconds: number; examplesPerSecond: number }[];
}

export async function runPhase1(env: JobEnv, job: Phase1Job): Promise<Phase1Result> {
  const p1 = job.settings.phase1;
  const { seeds: _seeds, ...p1NoSeeds } = p1;
  const cell = await env.cell(job);
  const started = performance.now();
  const dir = startJob(env.outDir, job, { trainSize: cell.train.n, build: env.build });
  const log = jobLogger(dir, () => {}); // epoch lines reach stdout through the progress line
  const label = `${env.position(job)} ${job.label}`;
  const header = {
    version: 1 as const, task: job.task, split: 'train', model: cell.modelDir, seed: job.seed, run: job.run, pass: 'train-forward' as const,
    ids: cell.trainIds, epochsPlanned: p1.epochs, epochsDone: 0, configHash: job.hash, build: env.build,
  };
  const mlrun = await env.tracking.tracker.createRun(env.tracking.experimentId, {
    runName: job.id, parentRunId: env.parent.runId, tags: jobTags(env, job, { method: 'full', subset: 'full', seed: String(job.seed) }, gitCommit()),
  });
  await mlrun.logParams(flattenParams({ task: job.task, model: job.model, model_path: cell.modelDir, seed: job.seed, train_size: cell.train.n, data: job.settings.data, phase1: p1NoSeeds }));
  const model = loadModel(cell.modelDir, { head: cell.head, ...(cell.head === 'seqcls' && { numLabels: cell.numLabels }), seed: job.seed });
  const metricName = TASK_META[job.task].metric;
  let recorder = new EpochRecorder(cell.trainIds);
  const bar = progress(label, Math.ceil(cell.train.n / p1.batch_size) * p1.epochs, (t) => env.out(t));
  let step = 0;
  const result: Phase1Result = { epochs: [] };
  try {
    await train(model, cell.train, {
      epochs: p1.epochs, batchSize: p1.batch_size, gradientAccumulationSteps: p1.grad_accum, lr: p1.lr, warmupSteps: p1.warmup_steps, weightDecay: p1.weight_decay, seed: job.seed,
      onBatch: (b) => {
        recorder.addRows(b.rows, batchDynamics(cell, b)); // record ids are the training rows' ids in row order
        bar.tick(++step);
      },
      onEpochEnd: async (e) => {
        appendEpoch(dir, header, recorder.finish());
        header.epochsDone = e.epoch + 1;
        recorder = new EpochRecorder(cell.trainIds);
        const dev = await scoreEval(cell, model, cell.dev);
        const row = { epoch: e.epoch + 1, trainLoss: e.loss, trainAccuracy: e.trainAccuracy, devAccuracy: dev.accuracy, devMetric: dev.metric, devMetrics: dev.metrics,
          devLoss: dev.loss, seconds: e.seconds, examplesPerSecond: e.examplesPerSecond };
        result.epochs.push(row);
        appendMetrics(dir, row);
        recordThroughput(throughputKey(cell.modelDir, job.settings.data.max_length, env.backend), e.examplesPerSecond);
        await mlrun.logMetrics({ train_loss: e.loss, train_accuracy: e.trainAccuracy, dev_accuracy: dev.accuracy, dev_loss: dev.loss, examples_per_second: e.examplesPerSecond,
          ...Object.fromEntries(Object.entries(dev.metrics).map(([k, v]) => [`dev_${k}`, v])) }, e.epoch + 1);
        const devNote = metricName === 'accuracy' ? `dev acc ${dev.accuracy.toFixed(3)}` : `dev ${METRIC_TITLES[metricName]} ${dev.metric.toFixed(3)} (acc ${dev.accuracy.toFixed(3)})`;
        const note = `epoch ${e.epoch + 1}/${p1.epochs} train acc ${e.trainAccuracy.toFixed(3)} ${devNote} ${e.examplesPerSecond.toFixed(0)} ex/s`;
        bar.tick(step, note);
        log(`${job.label}: ${note}`);
      },
    });
    await mlrun.logArtifact(dir, 'job');
    await mlrun.end('FINISHED');
    finishJob(dir, { hash: job.hash, finishedAt: new Date().toISOString(), seconds: (performance.now() - started) / 1000, mlflowRunId: mlrun.runId, result, build: env.build });
    bar.end('');
  } catch (e) {
    await mlrun.end('FAILED');
    throw e;
  } finally {
    disposeParams(model.params);
  }
  return result;
}
