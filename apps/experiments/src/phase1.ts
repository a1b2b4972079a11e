// Phase 1: fine-tune on the full training set once per seed, recording for every example, at every epoch,
// what the training forward pass made of it (method.md section 1). Records are appended epoch by epoch;
// a finished run is reused on a rerun, an unfinished one is started again from scratch.
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { appendEpoch, batchStats, EpochRecorder, type RunRecordHeader } from '@prunelab/dynamics';
import { disposeParams, evaluate, loadModel, train } from '@prunelab/finetune';
import type { RunContext } from './context.ts';
import { progress } from './progress.ts';

export function scoreRunDir(ctx: RunContext, run: number, seed: number): string {
  return join(ctx.outDir, 'phase1', `run-${run}-seed-${seed}`);
}

/** Only the header is read: the records themselves are read (and checked) once, when subsets are built. */
function isComplete(dir: string, epochs: number, hash: string): boolean {
  const file = join(dir, 'header.json');
  if (!existsSync(file)) return false;
  try {
    const header = JSON.parse(readFileSync(file, 'utf8')) as RunRecordHeader & { configHash?: string };
    return header.epochsDone === epochs && header.configHash === hash;
  } catch {
    return false;
  }
}

export async function scoreRun(ctx: RunContext, run: number, seed: number): Promise<{ dir: string; reused: boolean }> {
  const p1 = ctx.cfg.phase1;
  const dir = scoreRunDir(ctx, run, seed);
  const label = `[phase1 run ${run + 1}/${p1.seeds.length} seed ${seed}]`;
  if (isComplete(dir, p1.epochs, ctx.configHash)) {
    ctx.log(`${label} finished earlier: reusing ${dir}`);
    return { dir, reused: true };
  }
  rmSync(dir, { recursive: true, force: true }); // a half-finished run restarts cleanly
  const header = {
    version: 1 as const, task: ctx.cfg.task, split: 'train', model: ctx.modelDir, seed, run, pass: 'train-forward' as const,
    ids: ctx.trainIds, epochsPlanned: p1.epochs, epochsDone: 0, configHash: ctx.configHash,
  };
  const mlrun = await ctx.tracker.createRun(ctx.experimentId, {
    runName: `phase1-seed-${seed}`, parentRunId: ctx.parent.runId,
    tags: { phase: '1', task: ctx.cfg.task, model: ctx.modelDir, seed: String(seed), method: 'full', backend: ctx.backend },
  });
  await mlrun.logParams({ seed, epochs: p1.epochs, batch_size: p1.batch_size, lr: p1.lr, train_size: ctx.train.n });
  const model = loadModel(ctx.modelDir, { numLabels: ctx.data.task.labels.length, seed });
  let recorder = new EpochRecorder(ctx.trainIds);
  const steps = Math.ceil(ctx.train.n / p1.batch_size) * p1.epochs;
  const bar = progress(label, steps);
  let step = 0;
  try {
    await train(model, ctx.train, {
      epochs: p1.epochs, batchSize: p1.batch_size, lr: p1.lr, warmupSteps: p1.warmup_steps, weightDecay: p1.weight_decay, seed,
      onBatch: ({ rows, logits, numClasses }) => {
        const labels = Array.from(rows, (r) => ctx.train.labels[r]!);
        const s = batchStats(logits, numClasses, labels);
        recorder.add(Array.from(rows, (r) => ctx.trainIds[r]!), s.correct, s.goldProb, s.loss, s.margin);
        bar.tick(++step);
      },
      onEpochEnd: async (e) => {
        appendEpoch(dir, header, recorder.finish());
        header.epochsDone = e.epoch + 1;
        recorder = new EpochRecorder(ctx.trainIds);
        const dev = await evaluate(model, ctx.dev);
        await mlrun.logMetrics({ train_loss: e.loss, train_accuracy: e.trainAccuracy, dev_accuracy: dev.accuracy, dev_loss: dev.loss, examples_per_second: e.examplesPerSecond }, e.epoch + 1);
        bar.tick(step, `epoch ${e.epoch + 1} train acc ${e.trainAccuracy.toFixed(3)} dev acc ${dev.accuracy.toFixed(3)} ${e.examplesPerSecond.toFixed(0)} ex/s`);
      },
    });
    await mlrun.logArtifact(dir, 'records');
    await mlrun.end('FINISHED');
    bar.end('');
  } catch (e) {
    await mlrun.end('FAILED');
    throw e;
  } finally {
    disposeParams(model.params);
  }
  return { dir, reused: false };
}
