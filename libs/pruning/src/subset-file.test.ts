import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { missingIds, readSubset, writeSubset } from './subset-file.ts';

function withDir(fn: (dir: string) => void): void {
  const dir = mkdtempSync(join(tmpdir(), 'prunelab-subset-'));
  try {
    fn(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('subset file round trip with per-class counts', () =>
  withDir((dir) => {
    const path = join(dir, 'subsets', 'hscore-06.json');
    const labels = { a: 'pos', b: 'neg', c: 'pos', d: 'neg', e: 'pos' };
    const written = writeSubset(path, {
      ids: ['c', 'a', 'b'],
      method: 'hscore',
      params: { removed: [0, 6], R: 6 },
      source: 'runs/0,runs/1',
      total: 5,
      labels,
    });
    const back = readSubset(path);
    assert.deepEqual(back, written);
    assert.equal(back.format, 'prunelab-subset/1');
    assert.equal(back.size, 3);
    assert.equal(back.fraction, 0.6); // 3 / 5
    assert.deepEqual(back.perClass, { neg: 1, pos: 2 });
    assert.deepEqual(back.ids, ['c', 'a', 'b']);
    assert.deepEqual(back.params, { removed: [0, 6], R: 6 });
    assert.deepEqual(Object.keys(JSON.parse(readFileSync(path, 'utf8'))).at(-1), 'ids');
    assert.deepEqual(readdirSync(join(dir, 'subsets')), ['hscore-06.json']); // no temp file left behind
    const plain = writeSubset(join(dir, 'r.json'), { ids: ['a'], method: 'random', params: { seed: 1 }, total: 4 });
    assert.equal(plain.source, null);
    assert.equal(plain.perClass, undefined);
    assert.deepEqual(readSubset(join(dir, 'r.json')), plain);
    // numeric labels (class indices) as a Map: counts keyed by the label as a string
    const numeric = writeSubset(join(dir, 'n.json'), {
      ids: ['a', 'b', 'c'],
      method: 'ambiguous',
      params: { k: 3 },
      total: 3,
      labels: new Map([
        ['a', 1],
        ['b', 0],
        ['c', 1],
      ]),
    });
    assert.deepEqual(numeric.perClass, { 0: 1, 1: 2 });
    assert.equal(numeric.fraction, 1);
    assert.deepEqual(readSubset(join(dir, 'n.json')), numeric);
  }));

test('corrupt or invalid subset files give errors naming the file', () =>
  withDir((dir) => {
    const path = join(dir, 's.json');
    writeSubset(path, { ids: ['a', 'b'], method: 'random', params: {}, total: 2 });
    const v = JSON.parse(readFileSync(path, 'utf8'));
    writeFileSync(path, JSON.stringify({ ...v, size: 3 }));
    assert.throws(
      () => readSubset(path),
      (e: Error) => e.message.includes(path) && /size = 3 but ids has 2 entries/.test(e.message),
    );
    writeFileSync(path, JSON.stringify({ ...v, format: 'other/9' }));
    assert.throws(() => readSubset(path), /format is "other\/9", expected "prunelab-subset\/1"/);
    writeFileSync(path, '{"format": "prunelab-subset/1", "ids": [');
    assert.throws(
      () => readSubset(path),
      (e: Error) => e.message.includes(path) && /cannot read it as JSON/.test(e.message),
    );
    assert.throws(
      () => writeSubset(path, { ids: ['a', 'z'], method: 'm', params: {}, total: 2, labels: { a: 'x' } }),
      /id "z" has no label/,
    );
    assert.throws(
      () => writeSubset(path, { ids: ['a', 'b'], method: 'm', params: {}, total: 1 }),
      /total = 1 is smaller than the 2 kept ids/,
    );
    assert.throws(() => writeSubset(path, { ids: ['a', 'a'], method: 'm', params: {}, total: 2 }), /duplicates/);
  }));

test('a subset read by another run: task recorded, ids checked against the target training set', () =>
  withDir((dir) => {
    const path = join(dir, 'el2n.json');
    const written = writeSubset(path, {
      ids: ['a', 'b', 'c'],
      method: 'el2n',
      params: { k: 3, epoch: 1 },
      total: 6,
      task: 'sst2/train',
      model: 'roberta-large',
    });
    assert.equal(written.task, 'sst2/train');
    assert.equal(written.model, 'roberta-large');
    // another model on the same task: all ids exist
    assert.deepEqual(readSubset(path, { knownIds: ['c', 'b', 'a', 'z'], task: 'sst2/train' }).ids, ['a', 'b', 'c']);
    assert.throws(
      () => readSubset(path, { knownIds: new Set(['a']) }),
      (e: Error) =>
        e.message.includes(path) && /2 of 3 ids are not in the target training set \("b", "c"\)/.test(e.message),
    );
    assert.throws(
      () => readSubset(path, { task: 'mnli/train' }),
      /chosen on task "sst2\/train" but is read for task "mnli\/train"/,
    );
    assert.deepEqual(missingIds(readSubset(path), ['b']), ['a', 'c']);
  }));
