// The common variants of the registry's plain-text formats: the AG News CSV with and without its header line
// (`Class Index,Title,Description`), SentEval as one file per label or as one `label<TAB>sentence` file (with or
// without a header), and the errors a malformed line gives (file, line, what was expected, the fix).
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { loadTaskSplit } from './load-task.ts';
import { loadTrainEval } from './train-eval.ts';
import type { Example } from './types.ts';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'prunelab-variants-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));
const write = (root: string, rel: string, content: string) => {
  const file = path.join(tmp, root, rel);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, content);
  return file;
};
const opts = (root: string) => ({ dataRoot: path.join(tmp, root), allowDownload: false });
const plain = (ex: Example[]) => ex.map((e) => [e.id, e.text, e.label]);

const AG_ROWS = [
  '"3","Wall St. Bears Claw Back","Short-sellers are seeing green again."',
  '"2","Cup final tonight","The two sides meet at eight."',
  '"4","New chip ships","A faster processor, a cooler case."',
  '"1","Talks resume","Envoys meet in Geneva."',
];

test('AG News CSV: the header line `Class Index,Title,Description` is recognised; classes 1-4 are labels 0-3', async () => {
  write('ag-plain', 'ag_news_csv/test.csv', `${AG_ROWS.join('\n')}\n`);
  write('ag-header', 'ag_news_csv/test.csv', `Class Index,Title,Description\n${AG_ROWS.join('\n')}\n`);
  const plainRows = await loadTaskSplit('ag_news', 'test', opts('ag-plain'));
  const withHeader = await loadTaskSplit('ag_news', 'test', opts('ag-header'));
  const ex = withHeader.examples as Example[];
  assert.deepEqual(
    ex.map((e) => e.label),
    [2, 1, 3, 0],
  );
  assert.equal(ex[0]?.text, 'Wall St. Bears Claw Back Short-sellers are seeing green again.');
  assert.deepEqual(plain(ex), plain(plainRows.examples as Example[]), 'the same examples and ids with or without');
});

test('AG News CSV: a bad class after the first line is an error naming the file, the line and the fix', async () => {
  const file = write(
    'ag-bad',
    'ag_news_csv/test.csv',
    `Class Index,Title,Description\n${AG_ROWS[0]}\n"5","A fifth class","nope"\n`,
  );
  await assert.rejects(loadTaskSplit('ag_news', 'test', opts('ag-bad')), (err: Error) => {
    assert.match(err.message, new RegExp(`^${file}:3: unknown label "5": expected one of 1 \\(World\\)`));
    assert.match(err.message, /fix the row or pass --set data\.lenient=true/);
    return true;
  });
  const lenient = await loadTaskSplit('ag_news', 'test', { ...opts('ag-bad'), lenient: true });
  assert.equal(lenient.examples.length, 1);
  assert.equal(lenient.skipped, 1);
});

const NEG = ['a dull , lifeless film .', 'the plot goes nowhere .'];
const POS = ['a warm and funny story .', 'the cast is superb .', 'worth every minute .'];

test('SentEval MR: one file per label and one label<TAB>sentence file (header or not) give the same examples', async () => {
  write('mr-files', 'SentEval/MR/rt-polarity.neg', `${NEG.join('\n')}\n`);
  write('mr-files', 'SentEval/MR/rt-polarity.pos', `${POS.join('\n')}\n`);
  const lines = [...NEG.map((s) => `0\t${s}`), ...POS.map((s) => `1\t${s}`)];
  write('mr-tsv', 'SentEval/MR/mr.tsv', `${lines.join('\n')}\n`);
  write('mr-tsv-header', 'SentEval/MR/mr.tsv', `label\tsentence\n${lines.join('\n')}\n`);
  // label names instead of 0/1 (the SetFit exports say neg/pos), in a .txt file
  write(
    'mr-names',
    'SentEval/MR/mr.txt',
    `${lines.map((l) => l.replace(/^0/, 'neg').replace(/^1/, 'pos')).join('\n')}\n`,
  );
  const byId = (ex: Example[]) => plain(ex).sort((a, b) => String(a[0]).localeCompare(String(b[0])));
  const files = await loadTaskSplit('mr', 'all', opts('mr-files'));
  assert.equal(files.format, 'senteval');
  assert.equal(files.examples.length, 5);
  for (const root of ['mr-tsv', 'mr-tsv-header', 'mr-names']) {
    const one = await loadTaskSplit('mr', 'all', opts(root));
    assert.equal(one.format, 'label-tsv', root);
    assert.deepEqual(byId(one.examples as Example[]), byId(files.examples as Example[]), root);
  }
  // and it trains like the pool it is: a seeded 90/10 split
  const te = await loadTrainEval('mr', opts('mr-tsv-header'), 1);
  assert.equal(te.evalSplit, 'heldout');
  assert.equal(te.train.examples.length + te.eval.examples.length, 5);
});

test('SentEval as one file: a line without a tab or with an unknown label names the file, the line and the labels', async () => {
  const file = write('subj-bad', 'SentEval/SUBJ/subj.tsv', 'label\ttext\n0\tthe film opens in 1950 .\nno tab here\n');
  await assert.rejects(loadTaskSplit('subj', 'all', opts('subj-bad')), (err: Error) => {
    assert.match(err.message, new RegExp(`^${file}:3: expected "label<TAB>sentence" \\(labels 0 \\(objective\\)`));
    return true;
  });
  write('subj-bad2', 'SentEval/SUBJ/subj.tsv', '0\tthe film opens in 1950 .\n7\ta seven\n');
  await assert.rejects(
    loadTaskSplit('subj', 'all', opts('subj-bad2')),
    /subj\.tsv:2: unknown label "7": expected one of/,
  );
});
