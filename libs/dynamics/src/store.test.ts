import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, mkdtempSync, readFileSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { EpochArrays, RunRecordHeader } from './record.ts';
import { appendEpoch, readRunRecord, truncateRecord } from './store.ts';

const ids = ['q1', 'q2', 'q3'];
function header(): RunRecordHeader & { configHash: string } {
  return {
    version: 1,
    task: 'toy',
    split: 'train',
    model: 'm',
    seed: 7,
    run: 0,
    pass: 'train-forward',
    ids,
    epochsPlanned: 3,
    epochsDone: 0,
    configHash: 'abc123',
  };
}
function epoch(e: number): EpochArrays {
  return {
    correct: Uint8Array.from([e % 2, 1, 0]),
    goldProb: Float32Array.from([0.1 * (e + 1), 0.5, 0.25]),
    loss: Float32Array.from([e, e + 0.5, 2]),
    margin: Float32Array.from([-e, 1, -0.75]),
  };
}
function withDir(fn: (dir: string) => void): void {
  const root = mkdtempSync(join(tmpdir(), 'prunelab-dyn-'));
  try {
    fn(join(root, 'run-0'));
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

test('store round trip over 3 epochs keeps extra header fields', () =>
  withDir((dir) => {
    const h = header();
    for (let e = 0; e < 3; e++) {
      appendEpoch(dir, h, epoch(e));
      h.epochsDone++;
      assert.equal(readRunRecord(dir).header.epochsDone, e + 1);
    }
    const rec = readRunRecord<RunRecordHeader & { configHash: string }>(dir);
    assert.equal(rec.header.configHash, 'abc123');
    assert.deepEqual(rec.header.ids, ids);
    assert.equal(rec.correct.length, 3);
    for (let e = 0; e < 3; e++) {
      const x = epoch(e);
      assert.deepEqual(rec.correct[e], x.correct);
      assert.deepEqual(rec.goldProb[e], x.goldProb);
      assert.deepEqual(rec.loss[e], x.loss);
      assert.deepEqual(rec.margin[e], x.margin);
    }
    // 3 epochs x 3 ids x 4 bytes, little-endian
    assert.equal(statSync(join(dir, 'loss.f32')).size, 36);
    assert.equal(readFileSync(join(dir, 'loss.f32')).readFloatLE(4 * 4), 1.5); // epoch 1, id q2: e + 0.5
    assert.throws(() => appendEpoch(dir, h, epoch(3)), /already has 3 of 3 planned epochs/);
  }));

test('the header carries the numeric build that computed the record; records without one still read', () =>
  withDir((dir) => {
    const build = {
      key: 'wasm+openblas:Zen/2t tfjs-4.22.0',
      backend: 'wasm',
      native: true,
      sgemm: 'openblas',
      threads: 2,
      blasCore: null,
    };
    appendEpoch(dir, { ...header(), build }, epoch(0));
    assert.deepEqual(readRunRecord(dir).header.build, build);
    const headerPath = join(dir, 'header.json');
    const { build: _b, ...old } = JSON.parse(readFileSync(headerPath, 'utf8')) as RunRecordHeader;
    writeFileSync(headerPath, JSON.stringify(old)); // a record from before builds were recorded
    const rec = readRunRecord(dir);
    assert.equal(rec.header.build, undefined);
    assert.deepEqual(rec.loss[0], epoch(0).loss);
    writeFileSync(headerPath, JSON.stringify({ ...old, build: 'wasm' }));
    assert.throws(() => readRunRecord(dir), /has a "build" of "wasm"; it must be an object with a string key/);
  }));

test('a crash between binary writes and header update is recovered by the next append', () =>
  withDir((dir) => {
    const h = header();
    appendEpoch(dir, h, epoch(0));
    h.epochsDone = 1;
    // crash: epoch 1 half-written to the binary files, header.json still says 1 epoch
    appendFileSync(join(dir, 'correct.u8'), Buffer.from([9, 9, 9]));
    appendFileSync(join(dir, 'gold_prob.f32'), Buffer.alloc(7, 0xff));
    const partial = readRunRecord(dir);
    assert.equal(partial.correct.length, 1); // the torn epoch is invisible
    appendEpoch(dir, h, epoch(1));
    h.epochsDone = 2;
    const rec = readRunRecord(dir);
    assert.equal(rec.header.epochsDone, 2);
    assert.deepEqual(rec.correct[1], epoch(1).correct);
    assert.deepEqual(rec.goldProb[1], epoch(1).goldProb);
    assert.equal(statSync(join(dir, 'gold_prob.f32')).size, 24); // 2 epochs x 3 ids x 4 bytes, junk gone
  }));

test('a crash after a whole epoch reached the binary files but not header.json is recovered', () =>
  withDir((dir) => {
    const h = header();
    appendEpoch(dir, h, epoch(0));
    h.epochsDone = 1;
    appendEpoch(dir, h, epoch(1));
    h.epochsDone = 2;
    // simulate the crash: put header.json back to its 1-epoch state, so epoch 1's bytes are orphans on disk
    const headerPath = join(dir, 'header.json');
    writeFileSync(headerPath, JSON.stringify({ ...JSON.parse(readFileSync(headerPath, 'utf8')), epochsDone: 1 }));
    assert.equal(statSync(join(dir, 'margin.f32')).size, 24); // 2 epochs x 3 ids x 4 bytes are on disk
    const resumed = readRunRecord(dir);
    assert.equal(resumed.header.epochsDone, 1); // only what the header vouches for
    assert.equal(resumed.margin.length, 1);
    // the resumed run redoes epoch 1 with different values (another run of the same epoch)
    const redo: EpochArrays = { ...epoch(1), margin: Float32Array.from([4, 5, 6]) };
    appendEpoch(dir, resumed.header, redo);
    appendEpoch(dir, { ...resumed.header, epochsDone: 2 }, epoch(2));
    const rec = readRunRecord(dir);
    assert.equal(rec.header.epochsDone, 3);
    assert.deepEqual(
      rec.margin.map((m) => Array.from(m)),
      [
        [-0, 1, -0.75],
        [4, 5, 6],
        [-2, 1, -0.75],
      ],
    );
    assert.equal(statSync(join(dir, 'margin.f32')).size, 36); // the orphaned epoch-1 bytes were replaced, not kept
  }));

test('damaged records give errors naming the file', () =>
  withDir((dir) => {
    const h = header();
    appendEpoch(dir, h, epoch(0));
    h.epochsDone = 1;
    appendEpoch(dir, h, epoch(1));
    truncateSync(join(dir, 'margin.f32'), 20);
    assert.throws(
      () => readRunRecord(dir),
      /margin\.f32 has 20 bytes but header\.json claims 2 epochs of 3 values \(24 bytes\)/,
    );
    assert.throws(() => appendEpoch(dir, h, epoch(1)), /2 epochs are on disk but header\.epochsDone = 1/);
    assert.throws(
      () => appendEpoch(dir, { ...h, epochsDone: 0 }, { ...epoch(0), loss: new Float32Array(2) }),
      /loss has 2 values but the header has 3 ids/,
    );
    assert.throws(() => readRunRecord(join(dir, 'nope')), /nope.header\.json not found/);
  }));

test('EL2N is an optional quantity: written when the first epoch has it, required at every later epoch', () =>
  withDir((dir) => {
    const h = header();
    const withEl2n = (e: number): EpochArrays => ({ ...epoch(e), el2n: Float32Array.from([0.5 * e, 1, 0.25]) });
    appendEpoch(dir, h, withEl2n(0));
    h.epochsDone = 1; // the caller's header does not list the optional quantities: the one on disk does
    assert.throws(() => appendEpoch(dir, h, epoch(1)), /records optional quantities \[el2n\] but this epoch has \[\]/);
    appendEpoch(dir, h, withEl2n(1));
    const rec = readRunRecord(dir);
    assert.deepEqual(rec.header.optional, ['el2n']);
    assert.deepEqual(
      rec.el2n?.map((a) => Array.from(a)),
      [
        [0, 1, 0.25],
        [0.5, 1, 0.25],
      ],
    );
    assert.equal(statSync(join(dir, 'el2n.f32')).size, 24);
    // a run without it has no el2n arrays and no el2n.f32
    const other = join(dir, '..', 'run-1');
    appendEpoch(other, header(), epoch(0));
    assert.equal(readRunRecord(other).el2n, undefined);
    assert.equal(readRunRecord(other).header.optional, undefined);
    assert.throws(
      () => appendEpoch(other, { ...header(), epochsDone: 1 }, withEl2n(1)),
      /records optional quantities \[\] but this epoch has \[el2n\]/,
    );
  }));

test('a torn first epoch (crash before header.json existed) is overwritten by the restart', () =>
  withDir((dir) => {
    appendEpoch(dir, header(), epoch(0));
    rmSync(join(dir, 'header.json')); // the crash happened before the header was written
    assert.throws(() => readRunRecord(dir), /header\.json not found/);
    appendEpoch(dir, header(), epoch(2));
    const rec = readRunRecord(dir);
    assert.equal(rec.correct.length, 1);
    assert.deepEqual(rec.loss[0], epoch(2).loss);
    assert.equal(statSync(join(dir, 'correct.u8')).size, 3);
  }));

test('appending epoch 0 over a finished run is refused', () =>
  withDir((dir) => {
    appendEpoch(dir, header(), epoch(0));
    assert.throws(() => appendEpoch(dir, header(), epoch(1)), /1 epochs are on disk but header\.epochsDone = 0/);
    assert.deepEqual(readRunRecord(dir).loss[0], epoch(0).loss);
  }));

test('truncateRecord cuts a run back to k epochs; redoing them gives the same bytes', () =>
  withDir((dir) => {
    const files = ['header.json', 'correct.u8', 'gold_prob.f32', 'loss.f32', 'margin.f32'];
    const write = (h: RunRecordHeader, from: number) => {
      for (let e = from; e < 3; e++) {
        appendEpoch(dir, h, epoch(e));
        h.epochsDone++;
      }
    };
    write(header(), 0);
    const straight = files.map((f) => readFileSync(join(dir, f)));
    truncateRecord(dir, 1);
    assert.equal(readRunRecord(dir).header.epochsDone, 1);
    assert.equal(statSync(join(dir, 'loss.f32')).size, 12);
    write({ ...header(), epochsDone: 1 }, 1);
    files.forEach((f, i) => assert.ok(readFileSync(join(dir, f)).equals(straight[i]!), f));
    truncateRecord(dir, 0);
    assert.throws(() => readRunRecord(dir), /header.json not found/);
    write(header(), 0);
    files.forEach((f, i) => assert.ok(readFileSync(join(dir, f)).equals(straight[i]!), f));
    assert.throws(() => truncateRecord(dir, 4), /cannot keep 4 epochs of the 3 recorded/);
  }));
