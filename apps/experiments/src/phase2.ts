// Phase 2: fine-tune from the same starting checkpoint on each subset and on full data, and evaluate on dev
// after every epoch (method.md section 3). A finished job leaves metrics.json and is skipped on a rerun.
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { disposeParams, evaluate, loadModel, train } from '@prunelab/finetune';
import { selectRows, type RunContext } from './context.ts';
import { progress } from './progress.ts';
import type { Method } from './schema.ts';

export interface Phase2Result {
  method: Method;
  seed: number;
  size: number;
  fraction: number;
  devAccuracy: number; // after the last epoch
  epochs: { epoch: number; trainLoss: number; devAccuracy: number; devLoss: number; seconds: number }[];
  configHash: string;
}

export async function subsetRun(ctx: RunContext, method: Method, seed: number, ids: string[]): Promise<Phase2Result> {
  const p2 = ctx.cfg.phase2;
  const dir = join(ctx.outDir, 'phase2', `${method}-seed-${seed}`);
  const done = join(dir, 'metrics.json');
  const label = `[phase2 ${method} seed ${seed}]`;
  if (existsSync(done)) {
    const prev = JSON.parse(readFileSync(done, 'utf8')) as Phase2Result;
    if (prev.configHash === ctx.phase2Hash && prev.size === ids.length) {
      ctx.log(`${label} finished earlier: reusing ${done}`);
      return prev;
    }
  }
  const rowOf = new Map(ctx.trainIds.map((id, i) => [id, i]));
  const data = selectRows(ctx.train, ids.map((id) => rowOf.get(id)!));
  const mlrun = await ctx.tracker.createRun(ctx.experimentId, {
    runName: `phase2-${method}-seed-${seed}`, parentRunId: ctx.parent.runId,
    tags: { phase: '2', task: ctx.cfg.task, model: ctx.modelDir, seed: String(seed), method, backend: ctx.backend },
  });
  await mlrun.logParams({ seed, method, subset_size: ids.length, subset_fraction: ids.length / ctx.trainIds.length, epochs: p2.epochs, batch_size: p2.batch_size, lr: p2.lr });
  const model = loadModel(ctx.modelDir, { numLabels: ctx.data.task.labels.length, seed });
  const bar = progress(`${label} ${ids.length} examples`, Math.ceil(data.n / p2.batch_size) * p2.epochs);
  let step = 0;
  const result: Phase2Result = { method, seed, size: ids.length, fraction: ids.length / ctx.trainIds.length, devAccuracy: NaN, epochs: [], configHash: ctx.phase2Hash };
  try {
    await train(model, data, {
      epochs: p2.epochs, batchSize: p2.batch_size, lr: p2.lr, warmupSteps: p2.warmup_steps, weightDecay: p2.weight_decay, seed,
      onBatch: () => bar.tick(++step),
      onEpochEnd: async (e) => {
        const dev = await evaluate(model, ctx.dev);
        result.epochs.push({ epoch: e.epoch + 1, trainLoss: e.loss, devAccuracy: dev.accuracy, devLoss: dev.loss, seconds: e.seconds });
        result.devAccuracy = dev.accuracy;
        await mlrun.logMetrics({ train_loss: e.loss, dev_accuracy: dev.accuracy, dev_loss: dev.loss }, e.epoch + 1);
        bar.tick(step, `epoch ${e.epoch + 1} dev acc ${dev.accuracy.toFixed(3)}`);
      },
    });
    mkdirSync(dir, { recursive: true });
    writeFileSync(done + '.tmp', JSON.stringify(result, null, 2) + '\n');
    renameSync(done + '.tmp', done); // metrics.json exists only for finished jobs
    await mlrun.logArtifact(done);
    await mlrun.end('FINISHED');
    bar.end(`dev acc ${result.devAccuracy.toFixed(4)}`);
  } catch (e) {
    await mlrun.end('FAILED');
    throw e;
  } finally {
    disposeParams(model.params);
  }
  return result;
}
