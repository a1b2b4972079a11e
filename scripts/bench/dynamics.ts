// Benchmark (not a test): what recording training dynamics costs next to training itself. Trains a BERT-tiny
// sized classifier (hidden 128, 2 layers, batch 32, length 64) with @prunelab/finetune on synthetic tokens and,
// in the same onBatch the experiments app uses, times the recording: batchStats (correct, gold prob, loss,
// margin, EL2N from the logits) + EpochRecorder, and at the end of the epoch appendEpoch to disk. Both are
// measured side by side in one process, so machine load affects them alike.
//   node --import tsx scripts/bench/dynamics.ts [--steps 24] [--classes 3] [--backend auto] [--scale 1000000]
// --scale: the recording cost is also measured alone for that many examples (a full MNLI-sized epoch).
import { mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { appendEpoch, batchStats, EpochRecorder, type RunRecordHeader } from '@prunelab/dynamics';
import { chooseBackend, disposeParams, type EncodedSet, initParams, parseBertConfig, train } from '@prunelab/finetune';
import { mulberry32 as rng } from '@prunelab/core';

const { values } = parseArgs({
  options: {
    steps: { type: 'string', default: '24' },
    classes: { type: 'string', default: '3' },
    backend: { type: 'string', default: 'auto' },
    scale: { type: 'string', default: '1000000' },
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
console.log(
  `load average ${loadavg()
    .map((l) => l.toFixed(1))
    .join(' ')} on ${availableParallelism()} cores`,
);
