// The opt-in record fields (probs, grand, embedding): their statistics, the recorder's widths, and the store,
// including a run cut back by truncateRecord (resume) and records written before the fields existed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EpochRecorder, type EpochArrays, type RunRecordHeader } from './record.ts';
import { batchStats, grandOf, mcBatchStats, softmax } from './stats.ts';
import { appendEpoch, readRunRecord, truncateRecord } from './store.ts';

const close = (a: number, b: number, tol = 1e-6) => assert.ok(Math.abs(a - b) <= tol, `${a} vs ${b}`);

test('batchStats probs are the softmax rows; grand = ||p - y|| sqrt(||h||^2 + bias) from the features', () => {
  const logits = Float32Array.from([2, 0, -1, 0.5, 0.5, 3]);
  const labels = [0, 1];
  const h = Float32Array.from([3, 4, 1, 0]); // ||h_0||^2 = 25, ||h_1||^2 = 1
  const s = batchStats(logits, 3, labels, { probs: true, grand: true, features: { data: h, dim: 2, bias: true } });
  for (let b = 0; b < 2; b++) {
    const p = softmax(logits.subarray(b * 3, b * 3 + 3));
    for (let c = 0; c < 3; c++) close(s.probs![b * 3 + c]!, p[c]!);
    // by hand: the Frobenius norm of the outer product h (p - y)^T next to the bias gradient p - y
    let sq = 0;
    for (let c = 0; c < 3; c++) {
      const d = p[c]! - (c === labels[b] ? 1 : 0);
      for (let k = 0; k < 2; k++) sq += (h[b * 2 + k]! * d) ** 2;
      sq += d * d;
    }
    close(s.grand![b]!, Math.sqrt(sq), 1e-6);
  }
  close(s.grand![0]!, s.el2n[0]! * Math.sqrt(26), 1e-6);
  // no bias (OPT's score): no +1
  const nb = batchStats(logits, 3, labels, { grand: true, features: { data: h, dim: 2, bias: false } });
  close(nb.grand![0]!, s.el2n[0]! * 5, 1e-6);
  assert.equal(nb.probs, undefined);
  assert.equal(nb.embedding, undefined);
  const emb = batchStats(logits, 3, labels, { embedding: true, features: { data: h, dim: 2, bias: true } });
  assert.deepEqual(Array.from(emb.embedding!), Array.from(h));
  // without extras nothing is added
  assert.deepEqual(Object.keys(batchStats(logits, 3, labels)).sort(), [
    'correct',
    'el2n',
    'goldProb',
    'loss',
    'margin',
  ]);
  assert.equal(grandOf(0.5, [3, 4], 0, 2, true), 0.5 * Math.sqrt(26));
});

test('batchStats extras: errors name what is missing', () => {
  const logits = Float32Array.from([1, 0, 0, 1]);
  assert.throws(
    () => batchStats(logits, 2, [0, 1], { grand: true }),
    /grand and embedding need the classifier's input/,
  );
  assert.throws(
    () => batchStats(logits, 2, [0, 1], { grand: true, features: { data: new Float32Array(3), dim: 2, bias: true } }),
    /features have 3 values but the batch needs 2 rows of dim 2/,
  );
});

test('mcBatchStats grand: || sum_c (p_c - y_c) h_c ||, the bias adds nothing; no embedding per example', () => {
  // 1 example, 3 choices, dim 2: one scalar score per choice row
  const scores = Float32Array.from([0.2, 1.0, -0.5]);
  const h = Float32Array.from([1, 0, 0, 2, 1, 1]);
  const s = mcBatchStats(scores, 3, [1], { probs: true, grand: true, features: { data: h, dim: 2, bias: true } });
  const p = softmax(scores);
  const g = [0, 0];
  for (let c = 0; c < 3; c++) for (let k = 0; k < 2; k++) g[k]! += (p[c]! - (c === 1 ? 1 : 0)) * h[c * 2 + k]!;
  close(s.grand![0]!, Math.hypot(g[0]!, g[1]!), 1e-6);
  close(s.probs![0]! + s.probs![1]! + s.probs![2]!, 1, 1e-6);
  assert.throws(
    () => mcBatchStats(scores, 3, [1], { embedding: true, features: { data: h, dim: 2, bias: true } }),
    /no single embedding per example/,
  );
});

test('EpochRecorder keeps probs and embedding rows of any width, in id order; widths and presence are fixed', () => {
  const r = new EpochRecorder(['a', 'b', 'c']);
  const base = (k: number) => ({
    correct: new Uint8Array(k),
    goldProb: new Float32Array(k),
    loss: new Float32Array(k),
    margin: new Float32Array(k),
  });
  r.addRows([2, 0], { ...base(2), probs: [0.1, 0.9, 0.8, 0.2], grand: [5, 6], embedding: [1, 2, 3, 4, 5, 6] });
  assert.throws(
    () => r.addRows([1], { ...base(1), probs: [0.5, 0.25, 0.25], grand: [1], embedding: [7, 8, 9] }),
    /probs has 3 values for 1 ids; pass 2 per id/,
  );
  assert.throws(
    () => r.addRows([1], { ...base(1), probs: [0.5, 0.5], embedding: [7, 8, 9] }),
    /gives \[probs, embedding\]/,
  );
  r.addBatch(['b'], { ...base(1), probs: [0.5, 0.5], grand: [7], embedding: [7, 8, 9] });
  const e = r.finish();
  assert.deepEqual(Array.from(e.probs!), Array.from(Float32Array.from([0.8, 0.2, 0.5, 0.5, 0.1, 0.9])));
  assert.deepEqual(Array.from(e.grand!), [6, 7, 5]);
  assert.deepEqual(Array.from(e.embedding!), [4, 5, 6, 7, 8, 9, 1, 2, 3]);
  assert.equal(e.el2n, undefined);
});

const ids = ['q1', 'q2', 'q3'];
const n = ids.length;
function header(): RunRecordHeader {
  return {
    version: 1,
    task: 'toy',
    split: 'train',
    model: 'm',
    seed: 1,
    run: 0,
    pass: 'train-forward',
    ids,
    epochsPlanned: 3,
    epochsDone: 0,
  };
}
/** An epoch with every optional field: 2 classes, embeddings of dim 2, values that tell epochs apart. */
function epoch(e: number): EpochArrays {
  return {
    correct: Uint8Array.from([1, 0, e % 2]),
    goldProb: Float32Array.from([0.5, 0.25, 0.1 * e]),
    loss: Float32Array.from([e, 1, 2]),
    margin: Float32Array.from([1, -1, e]),
    el2n: Float32Array.from([0.1, 0.2, e]),
    probs: Float32Array.from({ length: n * 2 }, (_, i) => (i % 2 ? 0.25 + e / 10 : 0.75 - e / 10)),
    grand: Float32Array.from([e, e + 1, e + 2]),
    embedding: Float32Array.from({ length: n * 2 }, (_, i) => 10 * e + i),
  };
}
function withDir(fn: (dir: string) => void): void {
  const root = mkdtempSync(join(tmpdir(), 'prunelab-dyn-fields-'));
  try {
    fn(join(root, 'run-0'));
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}
function writeEpochs(dir: string, k: number): RunRecordHeader {
  const h = header();
  for (let e = 0; e < k; e++) {
    appendEpoch(dir, h, epoch(e));
    h.epochsDone++;
  }
  return h;
}

test('store: probs and grand per epoch, embedding of the last epoch only; header names them', () =>
  withDir((dir) => {
    writeEpochs(dir, 3);
    const rec = readRunRecord(dir);
    assert.deepEqual(rec.header.optional, ['el2n', 'probs', 'grand', 'embedding']);
    assert.equal(rec.header.numClasses, 2);
    assert.equal(rec.header.embeddingDim, 2);
    assert.equal(rec.header.embeddingEpoch, 2);
    for (let e = 0; e < 3; e++) {
      assert.deepEqual(rec.probs![e], epoch(e).probs);
      assert.deepEqual(rec.grand![e], epoch(e).grand);
    }
    assert.deepEqual(rec.embedding, { dim: 2, epoch: 2, data: epoch(2).embedding });
    assert.equal(readFileSync(join(dir, 'probs.f32')).length, 3 * n * 2 * 4);
    assert.equal(readFileSync(join(dir, 'embedding.f32')).length, n * 2 * 4); // replaced, not appended
  }));

test('store: a later epoch must keep the fields and widths of the first', () =>
  withDir((dir) => {
    const h = writeEpochs(dir, 1);
    const { probs: _p, ...noProbs } = epoch(1);
    assert.throws(
      () => appendEpoch(dir, h, noProbs),
      /records optional quantities \[el2n, probs, grand, embedding\] but this epoch has \[el2n, grand, embedding\]/,
    );
    assert.throws(
      () => appendEpoch(dir, h, { ...epoch(1), probs: new Float32Array(n * 3) }),
      /probs has 9 values but the header has 3 ids of 2 values \(numClasses\)/,
    );
    assert.throws(
      () => appendEpoch(dir, h, { ...epoch(1), embedding: new Float32Array(n * 3) }),
      /embedding has 9 values but the header has 3 ids of 2 values \(embeddingDim\)/,
    );
    assert.throws(
      () => appendEpoch(join(dir, '..', 'other'), header(), { ...epoch(0), probs: new Float32Array(4) }),
      /probs has 4 values for 3 ids/,
    );
  }));

test('truncateRecord: cutting the epoch the embedding belongs to removes it; redoing the epochs restores the bytes', () =>
  withDir((dir) => {
    writeEpochs(dir, 3);
    const files = ['header.json', 'probs.f32', 'grand.f32', 'embedding.f32'];
    const straight = files.map((f) => readFileSync(join(dir, f)));
    // a resume from the snapshot after epoch 2 (index 1): epoch 3's embedding must not stay as "the last epoch's"
    truncateRecord(dir, 2);
    const cut = readRunRecord(dir);
    assert.equal(cut.header.epochsDone, 2);
    assert.equal(cut.probs!.length, 2);
    assert.equal(cut.embedding, undefined);
    assert.equal(cut.header.embeddingEpoch, undefined);
    assert.ok(!existsSync(join(dir, 'embedding.f32')));
    const h = { ...header(), epochsDone: 2 };
    appendEpoch(dir, h, epoch(2));
    files.forEach((f, i) => assert.ok(readFileSync(join(dir, f)).equals(straight[i]!), `${f} as written straight`));
    // cutting nothing keeps the embedding (a resume inside the epoch after the last one appended)
    truncateRecord(dir, 3);
    assert.equal(readRunRecord(dir).embedding?.epoch, 2);
    truncateRecord(dir, 0);
    assert.ok(!existsSync(join(dir, 'embedding.f32')) && !existsSync(join(dir, 'probs.f32')));
  }));

test('truncateRecord after a kill between appendEpoch and the snapshot drops the next epoch embedding', () =>
  withDir((dir) => {
    writeEpochs(dir, 2);
    const snapshot = readRunRecord(dir); // what a snapshot taken here saw: 2 epochs
    appendEpoch(dir, { ...header(), epochsDone: 2 }, epoch(2)); // then epoch 3 was written and the job killed
    truncateRecord(dir, 2);
    const back = readRunRecord(dir);
    assert.deepEqual(back.probs, snapshot.probs);
    assert.equal(back.embedding, undefined, 'the embedding of the cut epoch is gone');
  }));

test('records without the fields (written before they existed) still read; damaged ones name the file', () =>
  withDir((dir) => {
    const h = header();
    const { el2n: _a, probs: _b, grand: _c, embedding: _d, ...plain } = epoch(0);
    appendEpoch(dir, h, plain);
    const rec = readRunRecord(dir);
    assert.equal(rec.header.optional, undefined);
    assert.equal(rec.probs, undefined);
    assert.equal(rec.grand, undefined);
    assert.equal(rec.embedding, undefined);
    rmSync(dir, { recursive: true });
    writeEpochs(dir, 1);
    writeFileSync(join(dir, 'embedding.f32'), Buffer.alloc(5));
    assert.throws(() => readRunRecord(dir), /embedding\.f32 has 5 bytes but 3 ids of dim 2 need 24/);
  }));
