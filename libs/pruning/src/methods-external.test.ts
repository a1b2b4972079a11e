// The external method: the four file forms (CSV and JSONL, scores and id lists), `order`, and every bad file
// refused with the file, the line and the fix.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { idPool } from './id-pool.ts';
import { externalDigest, readExternal } from './methods/external.ts';
import { selectionMethod } from './methods/index.ts';
import { selectIds, selectionContext } from './methods/method.ts';

const dir = mkdtempSync(join(tmpdir(), 'prunelab-external-'));
const ids = ['d', 'b', 'e', 'a', 'c'];
const file = (name: string, text: string) => {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
};
const pick = (path: string, k: number, order?: string) =>
  selectIds(
    selectionContext({ pool: idPool(ids), options: { external: { file: path, ...(order && { order }) } } }),
    selectionMethod('external'),
    k,
  );

test('external reads all four forms: CSV and JSONL, scores and id lists', () => {
  const csv = file('s.csv', 'id,score\r\na,0.5\r\nb,3\r\nc,-1\r\nd,2\r\ne,1e1\r\n');
  assert.deepEqual(pick(csv, 3), ['e', 'b', 'd']);
  assert.deepEqual(pick(csv, 2, 'asc'), ['c', 'a']);
  const list = file('l.csv', 'id\nc\na\n\nd\n');
  assert.deepEqual(pick(list, 2), ['c', 'a']);
  assert.deepEqual(pick(list, 3), ['c', 'a', 'd']);
  const jsonl = file(
    's.jsonl',
    ['a', 'b', 'c', 'd', 'e'].map((id, i) => JSON.stringify({ id, score: i % 3 })).join('\n'),
  );
  assert.deepEqual(pick(jsonl, 3), ['c', 'b', 'e']); // 2, then the 1s b and e
  const jl = file('l.jsonl', '{"id": "e"}\n{"id": "b"}\n');
  assert.deepEqual(pick(jl, 2), ['e', 'b']);
  const x = readExternal(list, idPool(ids));
  assert.equal(x.kind, 'list');
  assert.deepEqual(Array.from(x.values), [3, NaN, NaN, 2, 1]); // the scores.csv column: 1-based list position
  assert.match(externalDigest(csv), /^[0-9a-f]{64}$/);
  assert.notEqual(externalDigest(csv), externalDigest(list));
});

test('external refuses bad files, naming the file, the line and the fix', () => {
  const bad = (name: string, text: string, re: RegExp, k = 1) => {
    const path = file(name, text);
    assert.throws(
      () => pick(path, k),
      (e: Error) => e.message.includes(path) && re.test(e.message),
      name,
    );
  };
  bad('unknown.csv', 'id,score\na,1\nzz,2\n', /:3: id "zz" is not in the training set/);
  bad('twice.csv', 'id\na\nb\na\n', /:4: id "a" appears a second time; keep one/);
  bad('nan.csv', 'id,score\na,1\nb,abc\n', /:3: the score of id "b" is "abc"; give a finite number/);
  bad('inf.jsonl', '{"id":"a","score":1}\n{"id":"b","score":"Infinity"}\n', /:2: the score of id "b" is "Infinity"/);
  bad('null.jsonl', '{"id":"a","score":null}\n', /:1: the score of id "a" is null/);
  bad('short.csv', 'id,score\na,1\nb,2\n', /3 of 5 training examples have no score \(e\.g\. id "d"\)/);
  bad('header.csv', 'example,score\na,1\n', /:1: the header is "example,score"; write `id,score`/);
  bad('fields.csv', 'id,score\na,1,2\n', /:2: 3 fields; expected id,score/);
  bad('mixed.jsonl', '{"id":"a","score":1}\n{"id":"b"}\n', /:2: lacks a "score" unlike the lines before/);
  bad('broken.jsonl', '{"id":"a"}\n{"id":\n', /:2: not a JSON object/);
  bad('list.csv', 'id\na\nb\n', /lists 2 ids but k = 3; list at least k ids/, 3);
  bad('scores.txt', 'id,score\n', /must be a \.csv or \.jsonl file/);
  assert.throws(
    () => pick(join(dir, 'missing.csv'), 1),
    /cannot read .*missing\.csv \(ENOENT\); fix pruning\.method_options\.external\.file/,
  );
});
