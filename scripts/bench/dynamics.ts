// Benchmark (not a test): what recording training dynamics costs next to training itself. Trains a BERT-tiny
// sized classifier (hidden 128, 2 layers, batch 32, length 64) with @prunelab/finetune on synthetic tokens and,
// in the same onBatch the experiments app uses, times the recording: batchStats (correct, gold prob, loss,
// margin, EL2N from the logits) + EpochRecorder, and at the end of the epoch appendEpoch to disk. Both are
// measured side by side in one process, so machine load affects them alike.
// The opt-in fields of phase1.record (probs, grand, embedding) are measured apart: the training step with the
// classifier's input handed back (train()'s `features`) against without, and their recording cost per epoch.
//   node --import tsx scripts/bench/dynamics.ts [--steps 24] [--classes 3] [--backend auto] [--scale 1000000]
//     [--fields-scale 20000,100000]
// --scale: the recording cost is also measured alone for that many examples (a full MNLI-sized epoch).
// --fields-scale: epoch sizes at which recording with the opt-in fields off and on is timed.
import { mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { appendEpoch, batchStats, EpochRecorder, type ExtraStats, type RunRecordHeader } from '@prunelab/dynamics';
import * as tf from '@tensorflow/tfjs';
import {
  chooseBackend,
  disposeParams,
  type EncodedSet,
  initParams,
  parseBertConfig,
  stepGradients,
  train,
} from '@prunelab/finetune';
import { mulberry32 as rng } from '@prunelab/core';

const { values } = parseArgs({
  options: {
    steps: { type: 'string', default: '24' },
    classes: { type: 'string', default: '3' },
    backend: { type: 'string', default: 'auto' },
    scale: { type: 'string', default: '1000000' },
    'fields-scale': { type: 'string', default: '20000,100000' },
  },
});
const STEPS = Number(values.steps);
const C = Number(values.classes);
const SCALE = Number(values.scale);
const BATCH = 32;
const LEN = 64;

const backend = await chooseBackend(values.backend);
const config = parseBertConfig({
  vocab_size: 30522,
  hidden_size: 128,
  num_hidden_layers: 2,
  num_attention_heads: 2,
  intermediate_size: 512,
  max_position_embeddings: 512,
  num_labels: C,
  hidden_dropout_prob: 0.1,
  attention_probs_dropout_prob: 0.1,
});

function syntheticSet(n: number, seed: number): EncodedSet {
  const next = rng(seed);
  const inputIds = new Int32Array(n * LEN);
  const attentionMask = new Int32Array(n * LEN);
  for (let i = 0; i < n; i++) {
    const len = 16 + Math.floor(next() * (LEN - 16));
    for (let t = 0; t < len; t++) {
      inputIds[i * LEN + t] = t === 0 ? 101 : 1000 + Math.floor(next() * 20000);
      attentionMask[i * LEN + t] = 1;
    }
  }
  const labels = Int32Array.from({ length: n }, () => Math.floor(next() * C));
  return { inputIds, attentionMask, tokenTypeIds: new Int32Array(n * LEN), labels, n, maxLength: LEN };
}

const n = STEPS * BATCH;
const data = syntheticSet(n, 1);
const ids = Array.from({ length: n }, (_, i) => `ex-${i.toString(16).padStart(8, '0')}`);
const dir = mkdtempSync(join(tmpdir(), 'prunelab-bench-dyn-'));
const header: RunRecordHeader = {
  version: 1,
  task: 'bench',
  split: 'train',
  model: 'bert-tiny-shaped',
  seed: 1,
  run: 0,
  pass: 'train-forward',
  ids,
  epochsPlanned: 2,
  epochsDone: 0,
};

const model = { config, params: initParams(config, 7) };
let recordMs = 0;
let recorder = new EpochRecorder(ids);
let lastBatchEnd = 0;
const stepTimes: number[] = [];
try {
  // epoch 0 warms up the kernels; epoch 1 is measured
  const summaries = await train(model, data, {
    epochs: 2,
    batchSize: BATCH,
    lr: 2e-5,
    seed: 3,
    onBatch: ({ epoch, rows, logits, numClasses }) => {
      const t0 = performance.now();
      if (epoch === 1) {
        stepTimes.push(t0 - lastBatchEnd);
      }
      // exactly what apps/experiments does per batch (ids looked up by id), plus EL2N
      const labels = Array.from(rows, (r) => data.labels[r]!);
      const s = batchStats(logits, numClasses, labels);
      recorder.addBatch(
        Array.from(rows, (r) => ids[r]!),
        s,
      );
      const t1 = performance.now();
      if (epoch === 1) recordMs += t1 - t0;
      lastBatchEnd = t1;
    },
    onEpochEnd: (e) => {
      const t0 = performance.now();
      appendEpoch(dir, { ...header, epochsDone: e.epoch }, recorder.finish());
      recorder = new EpochRecorder(ids);
      const t1 = performance.now();
      if (e.epoch === 1) recordMs += t1 - t0;
      lastBatchEnd = t1;
    },
  });
  const s1 = summaries[1]!;
  const trainMs = s1.seconds * 1000; // epoch 1 wall time, recording included
  const stepMs = stepTimes.slice(1).reduce((a, b) => a + b, 0) / Math.max(1, stepTimes.length - 1);
  console.log(
    `backend ${backend.name}; BERT-tiny shape (hidden 128, 2 layers, vocab 30522), batch ${BATCH}, length ${LEN}, ` +
      `${C} classes; ${STEPS} steps per epoch`,
  );
  console.log(
    `training epoch 1: ${trainMs.toFixed(0)} ms (${s1.examplesPerSecond.toFixed(1)} examples/s, ${stepMs.toFixed(1)} ` +
      `ms per step between recordings)`,
  );
  console.log(
    `recording in that epoch (batchStats + EpochRecorder.addBatch per batch, appendEpoch at the end): ` +
      `${recordMs.toFixed(2)} ms`,
  );
  console.log(`overhead: ${((100 * recordMs) / (trainMs - recordMs)).toFixed(3)}% of training time (budget 2%)`);
} finally {
  disposeParams(model.params);
  rmSync(dir, { recursive: true, force: true });
}

// the same recording alone at scale: per-example cost of a whole epoch of SCALE examples
{
  const next = rng(5);
  const bigIds = Array.from({ length: SCALE }, (_, i) => `ex-${i.toString(16).padStart(8, '0')}`);
  const logits = Float32Array.from({ length: BATCH * C }, () => 4 * next() - 2);
  const labels = Int32Array.from({ length: BATCH }, () => Math.floor(next() * C));
  const bigDir = mkdtempSync(join(tmpdir(), 'prunelab-bench-dyn-'));
  try {
    const tNew0 = performance.now();
    const rec = new EpochRecorder(bigIds); // built once per epoch (a Map of the ids)
    const tNew = performance.now() - tNew0;
    const rowBuf = new Int32Array(BATCH);
    const t0 = performance.now();
    for (let b = 0; b < SCALE; b += BATCH) {
      const m = Math.min(BATCH, SCALE - b);
      const rows = m === BATCH ? rowBuf : rowBuf.subarray(0, m);
      for (let j = 0; j < m; j++) rows[j] = b + j;
      const s = batchStats(logits.subarray(0, m * C), C, labels.subarray(0, m));
      rec.addBatch(
        Array.from(rows, (r) => bigIds[r]!),
        s,
      );
    }
    const tBatches = performance.now() - t0;
    const t1 = performance.now();
    appendEpoch(bigDir, { ...header, ids: bigIds, epochsDone: 0 }, rec.finish());
    const tWrite = performance.now() - t1;
    const perExample = (tNew + tBatches + tWrite) / SCALE;
    const trainPerExample = stepTimes.slice(1).reduce((a, b) => a + b, 0) / Math.max(1, stepTimes.length - 1) / BATCH;
    console.log(
      `recording alone, ${SCALE.toLocaleString('en')} examples: recorder setup ${tNew.toFixed(0)} ms + batches ` +
        `${tBatches.toFixed(0)} ms + appendEpoch ${tWrite.toFixed(0)} ms = ${(perExample * 1000).toFixed(2)} us per ` +
        `example`,
    );
    console.log(
      `vs training ${(trainPerExample * 1000).toFixed(0)} us per example: overhead ` +
        `${((100 * perExample) / trainPerExample).toFixed(3)}% (budget 2%)`,
    );
  } finally {
    rmSync(bigDir, { recursive: true, force: true });
  }
}
// the training step with and without the classifier's input handed back (phase1.record grand/embedding): the same
// steps (forward + backward, as train() runs them) alternate off / on, so load drifting over the run hits both alike
// and each pair is compared on its own
{
  const m = { config, params: initParams(config, 7) };
  const vars = [...m.params.values()];
  let seed = 1;
  const ctx = { training: true, nextSeed: () => seed++ };
  const step = async (k: number, features: boolean) => {
    const rows = Int32Array.from({ length: BATCH }, (_, j) => (k * BATCH + j) % n);
    const t0 = performance.now();
    let got = false;
    const grads = await stepGradients(m, data, rows, BATCH, ctx, vars, (p) => (got = p.features !== undefined), {
      features,
    });
    const t = performance.now() - t0;
    tf.dispose(Object.values(grads));
    if (got !== features) throw new Error('bench: features handed back when not asked, or not when asked');
    return t;
  };
  const off: number[] = [];
  const on: number[] = [];
  const diff: number[] = [];
  try {
    for (let k = 0; k < 2; k++) await step(k, k % 2 === 1); // warm-up
    for (let k = 0; k < STEPS; k++) {
      const first = k % 2 === 0; // alternate which goes first
      const a = await step(k, first);
      const b = await step(k, !first);
      const [tOn, tOff] = first ? [a, b] : [b, a];
      on.push(tOn);
      off.push(tOff);
      diff.push(tOn - tOff);
    }
  } finally {
    disposeParams(m.params);
  }
  const median = (x: number[]) => [...x].sort((p, q) => p - q)[Math.floor(x.length / 2)]!;
  // the extra work alone, which the step pairs above bound only to within the machine's noise: downloading h
  const copies: number[] = [];
  for (let k = 0; k < 200; k++) {
    const h = tf.randomNormal([BATCH, config.hidden_size]);
    const t0 = performance.now();
    await h.data();
    copies.push(performance.now() - t0);
    h.dispose();
  }
  console.log(
    `the extra work alone: downloading h [${BATCH}, ${config.hidden_size}] takes ${median(copies).toFixed(3)} ms ` +
      `(median of 200) = ${((100 * median(copies)) / median(off)).toFixed(3)}% of a step`,
  );
  console.log(
    `training step (forward + backward, ${STEPS} pairs) with the classifier's input handed back: median ` +
      `${median(on).toFixed(1)} ms vs ${median(off).toFixed(1)} ms without; median paired difference ` +
      `${median(diff).toFixed(2)} ms (${((100 * median(diff)) / median(off)).toFixed(2)}% of a step)`,
  );
}

// recording one epoch with the opt-in fields off and on: batchStats (+ probs, grand from features of the model's
// width, embedding) + EpochRecorder.addRows + appendEpoch (embedding.f32 replaced at every epoch)
for (const size of String(values['fields-scale']).split(',').map(Number)) {
  const dim = config.hidden_size;
  const next = rng(9);
  const logits = Float32Array.from({ length: BATCH * C }, () => 4 * next() - 2);
  const labels = Int32Array.from({ length: BATCH }, () => Math.floor(next() * C));
  const feats = Float32Array.from({ length: BATCH * dim }, () => next() - 0.5);
  const bigIds = Array.from({ length: size }, (_, i) => `ex-${i.toString(16).padStart(8, '0')}`);
  const time = (extra: ExtraStats | undefined) => {
    const d = mkdtempSync(join(tmpdir(), 'prunelab-bench-dyn-'));
    try {
      const t0 = performance.now();
      const rec = new EpochRecorder(bigIds);
      const rows = new Int32Array(BATCH);
      for (let b = 0; b < size; b += BATCH) {
        const m = Math.min(BATCH, size - b);
        for (let j = 0; j < m; j++) rows[j] = b + j;
        const sub = extra?.features && { ...extra, features: { ...extra.features, data: feats.subarray(0, m * dim) } };
        rec.addRows(rows.subarray(0, m), batchStats(logits.subarray(0, m * C), C, labels.subarray(0, m), sub || extra));
      }
      const t1 = performance.now();
      appendEpoch(d, { ...header, ids: bigIds, epochsDone: 0 }, rec.finish());
      return { batches: t1 - t0, write: performance.now() - t1 };
    } finally {
      rmSync(d, { recursive: true, force: true });
    }
  };
  time(undefined); // warm-up
  const off = time(undefined);
  const on = time({ probs: true, grand: true, embedding: true, features: { data: feats, dim, bias: true } });
  const ms = (x: { batches: number; write: number }) =>
    `${(x.batches + x.write).toFixed(0)} ms (batches ${x.batches.toFixed(0)} + appendEpoch ${x.write.toFixed(0)})`;
  const trainMs = (size / BATCH) * (stepTimes.slice(1).reduce((a, b) => a + b, 0) / Math.max(1, stepTimes.length - 1));
  console.log(
    `recording an epoch of ${size.toLocaleString('en')} examples, ${C} classes, dim ${dim}: fields off ${ms(off)}, ` +
      `probs + grand + embedding on ${ms(on)}; the difference is ` +
      `${((100 * (on.batches + on.write - off.batches - off.write)) / trainMs).toFixed(2)}% of that epoch's training`,
  );
}
console.log(
  `load average ${loadavg()
    .map((l) => l.toFixed(1))
    .join(' ')} on ${availableParallelism()} cores`,
);
