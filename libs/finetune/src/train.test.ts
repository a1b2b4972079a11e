// The training loop learns, is reproducible for a seed, and hands every example's logits to onBatch exactly once.
import * as tf from '@tensorflow/tfjs';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { before, test } from 'node:test';
import { chooseBackend } from './backend.ts';
import { parseBertConfig } from './bert-config.ts';
import { disposeParams, initParams } from './checkpoint.ts';
import { evaluate } from './evaluate.ts';
import { train, trainStateFile, type ResumePoint, type TrainOptions } from './train.ts';
import { readTrainStateInfo, type CallerState } from './train-state.ts';
import { keywordTask } from './testing/keyword-task.ts';

const config = parseBertConfig({
  vocab_size: 40,
  hidden_size: 32,
  num_hidden_layers: 1,
  num_attention_heads: 2,
  intermediate_size: 64,
  max_position_embeddings: 16,
  num_labels: 2,
  hidden_dropout_prob: 0.1,
  attention_probs_dropout_prob: 0.1,
});

before(async () => {
  await chooseBackend();
});

test('a tiny model learns a keyword task far above chance', async () => {
  const model = { config, params: initParams(config, 3) };
  const before = await evaluate(model, keywordTask(200, 2, 12));
  await train(model, keywordTask(400, 1, 12), { epochs: 4, batchSize: 16, lr: 3e-3, seed: 5 });
  const after = await evaluate(model, keywordTask(200, 2, 12));
  disposeParams(model.params);
  assert.ok(after.accuracy > 0.9, `held-out accuracy ${after.accuracy} (before training ${before.accuracy})`);
  assert.ok(after.loss < before.loss);
});

test('same seed, same data order: identical results; onBatch sees every row once per epoch', async () => {
  const data = keywordTask(64, 4, 12);
  const run = async () => {
    const model = { config, params: initParams(config, 9) };
    const seen: number[][] = [[], []];
    const logits: number[] = [];
    const epochs = await train(model, data, {
      epochs: 2,
      batchSize: 10,
      lr: 1e-3,
      seed: 11,
      onBatch: ({ epoch, rows, logits: l, numClasses }) => {
        assert.equal(l.length, rows.length * numClasses);
        seen[epoch]!.push(...rows);
        logits.push(...l);
      },
    });
    disposeParams(model.params);
    return { seen, logits, losses: epochs.map((e) => e.loss) };
  };
  const a = await run();
  const b = await run();
  assert.deepEqual(a.losses, b.losses);
  assert.deepEqual(a.logits, b.logits);
  for (const epochRows of a.seen)
    assert.deepEqual(
      [...epochRows].sort((x, y) => x - y),
      [...Array(64).keys()],
    );
  assert.notDeepEqual(a.seen[0], a.seen[1], 'each epoch reshuffles');
});

test('a run stopped mid-epoch and resumed from its snapshot ends bit for bit like an uninterrupted one', async () => {
  const data = keywordTask(64, 4, 12);
  const opts: TrainOptions = { epochs: 2, batchSize: 10, lr: 1e-3, seed: 11, warmupSteps: 3, weightDecay: 0.01 };
  const bytes = (m: { params: Map<string, tf.Variable> }) =>
    [...m.params].map(([k, v]) => [k, Buffer.from((v.dataSync() as Float32Array).buffer)] as const);
  // uninterrupted: logits of every pass by step
  const whole = { config, params: initParams(config, 9) };
  const wholeLogits = new Map<number, number[]>();
  const wholeEpochs = await train(whole, data, { ...opts, onBatch: (b) => wholeLogits.set(b.step, [...b.logits]) });
  // stopped at step 10 (7 steps per epoch; snapshots at steps 3, 6, the end of epoch 1 (7), 9), after its forward pass
  const dir = mkdtempSync(join(tmpdir(), 'train-resume-'));
  let counter = 0; // caller state: how many passes it saw, restored from the snapshot
  const callerSide = (saved: number[]) => ({
    dir,
    everySteps: 3,
    save: () => ({ json: { counter }, arrays: new Map([['seen', { shape: [1], data: new Int32Array([counter]) }]]) }),
    restore: (s: CallerState, at: ResumePoint) => {
      counter = (s.json as { counter: number }).counter;
      assert.equal(s.arrays?.get('seen')?.data[0], counter);
      saved.push(at.epoch, at.position, at.step);
    },
  });
  const first = { config, params: initParams(config, 9) };
  await assert.rejects(
    train(first, data, {
      ...opts,
      checkpoint: callerSide([]),
      onBatch: (b) => {
        counter++;
        if (b.step === 10) throw new Error('killed');
      },
    }),
    /killed/,
  );
  disposeParams(first.params);
  assert.deepEqual(readTrainStateInfo<{ epoch: number; position: number }>(trainStateFile(dir))?.loop.position, 2);
  const at: number[] = [];
  const second = { config, params: initParams(config, 1) }; // other weights: the snapshot replaces them
  const resumedLogits = new Map<number, number[]>();
  const rest = await train(second, data, {
    ...opts,
    checkpoint: callerSide(at),
    onBatch: (b) => {
      counter++;
      resumedLogits.set(b.step, [...b.logits]);
    },
  });
  assert.deepEqual(at, [1, 2, 9]); // epoch 1, 2 steps in, 9 optimizer steps done
  assert.equal(counter, 14); // 9 passes before the snapshot + 5 after
  assert.deepEqual([...resumedLogits.keys()], [9, 10, 11, 12, 13]);
  for (const [step, l] of resumedLogits) assert.deepEqual(l, wholeLogits.get(step), `logits of step ${step}`);
  const w = wholeEpochs[1]!;
  assert.deepEqual(
    rest.map((e) => [e.epoch, e.loss, e.trainAccuracy]),
    [[1, w.loss, w.trainAccuracy]],
  );
  const a = bytes(whole);
  const b = bytes(second);
  for (let i = 0; i < a.length; i++) assert.ok(a[i]![1].equals(b[i]![1]), `parameter ${a[i]![0]}`);
  // the final snapshot: the run is complete
  assert.equal(readTrainStateInfo<{ epoch: number }>(trainStateFile(dir))?.loop.epoch, 2);
  await assert.rejects(
    train(second, data, { ...opts, lr: 2e-3, checkpoint: { dir } }),
    /saved by a run with other settings.*delete it to start over/,
  );
  disposeParams(whole.params);
  disposeParams(second.params);
  assert.ok(existsSync(trainStateFile(dir)));
});

test('training leaks no tensors from step to step', async () => {
  const model = { config, params: initParams(config, 1) };
  const data = keywordTask(48, 1, 12);
  await train(model, data, { epochs: 1, batchSize: 16, lr: 1e-3, seed: 1 });
  const after1 = tf.memory().numTensors;
  await train(model, data, { epochs: 2, batchSize: 16, lr: 1e-3, seed: 1 });
  assert.equal(tf.memory().numTensors, after1);
  disposeParams(model.params);
});

test('an unknown backend name is refused with the allowed names', async () => {
  await assert.rejects(
    chooseBackend('tpu'),
    /unknown backend 'tpu': use one of tensorflow-gpu, tensorflow, webgpu, wasm, cpu or 'auto'/,
  );
});
