// The splits a task trains and evaluates on come from its registry row (evalSplit, extraEval); a SentEval copy that
// is one pool is split 90/10 by a seed.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { loadTrainEval } from './train-eval.ts';
import type { Example } from './types.ts';

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'prunelab-train-eval-'));
const write = (rel: string, text: string) => {
  fs.mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
  fs.writeFileSync(path.join(root, rel), text);
};
const opts = { dataRoot: root, envDataRoot: '', allowDownload: false };

test('MNLI: train, the registry row eval split dev_matched and extra dev_mismatched', async () => {
  const header = ['sentence1', 'sentence2', 'gold_label'];
  const tsv = (rows: string[][]) => [header, ...rows].map((r) => `${r.join('\t')}\n`).join('');
  write(
    'glue/MNLI/train.tsv',
    tsv([
      ['a', 'b', 'entailment'],
      ['c', 'd', 'neutral'],
      ['e', 'f', 'contradiction'],
    ]),
  );
  write('glue/MNLI/dev_matched.tsv', tsv([['g', 'h', 'neutral']]));
  write(
    'glue/MNLI/dev_mismatched.tsv',
    tsv([
      ['i', 'j', 'contradiction'],
      ['k', 'l', 'entailment'],
    ]),
  );
  const s = await loadTrainEval('mnli', opts, 1);
  assert.equal(s.evalSplit, 'dev_matched');
  assert.deepEqual([s.train.examples.length, s.eval.examples.length], [3, 1]);
  assert.deepEqual(
    s.extra.map((x) => [x.split, x.loaded.examples.length]),
    [['dev_mismatched', 2]],
  );
  assert.deepEqual(s.warnings, []);
});

test('SUBJ as a SentEval pool: a seeded 90/10 split into train and held-out, disjoint, the same per seed', async () => {
  const lines = (word: string) => Array.from({ length: 10 }, (_, i) => `${word} sentence ${i} .\n`).join('');
  write('SentEval/SUBJ/subj.objective', lines('objective'));
  write('SentEval/SUBJ/subj.subjective', lines('subjective'));
  const a = await loadTrainEval('subj', opts, 7);
  assert.equal(a.evalSplit, 'heldout');
  assert.deepEqual([a.train.examples.length, a.eval.examples.length], [18, 2]);
  const ids = (x: { examples: unknown[] }) => (x.examples as Example[]).map((e) => e.id);
  assert.equal(new Set([...ids(a.train), ...ids(a.eval)]).size, 20);
  assert.match(a.warnings.join('\n'), /SUBJ has one pool here \(20 examples\): seeded 90\/10 split \(seed 7\)/);
  const b = await loadTrainEval('subj', opts, 7);
  assert.deepEqual(ids(b.eval), ids(a.eval));
  const c = await loadTrainEval('subj', opts, 8);
  assert.notDeepEqual(ids(c.eval), ids(a.eval));
});

test('a task with no data and no pool fails with the loader error naming where it looked', async () => {
  await assert.rejects(loadTrainEval('rte', opts, 1), /RTE train not found under data root .*fix the path/);
});
