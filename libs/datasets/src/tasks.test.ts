// The registry covers every task of the issue with its metrics and label names.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { hasDownload } from './task-download.ts';
import { TASK_NAMES, getTask, labelId, taskSplits } from './tasks.ts';

test('every task, its kind and metrics', () => {
  const summary = Object.fromEntries(TASK_NAMES.map((n) => [n, `${getTask(n).kind}: ${getTask(n).metrics.join('+')}`]));
  assert.deepEqual(summary, {
    mnli: 'classification: accuracy',
    sst2: 'classification: accuracy',
    snli: 'classification: accuracy',
    squad_v2: 'extractive-qa: squad_em+squad_f1',
    race: 'multiple-choice: accuracy',
    cola: 'classification: matthews',
    mrpc: 'classification: accuracy+f1',
    qnli: 'classification: accuracy',
    qqp: 'classification: accuracy+f1',
    rte: 'classification: accuracy',
    stsb: 'regression: pearson+spearman',
    wnli: 'classification: accuracy',
    subj: 'classification: accuracy',
    trec: 'classification: accuracy',
    ag_news: 'classification: accuracy',
    mr: 'classification: accuracy',
    cr: 'classification: accuracy',
    mpqa: 'classification: accuracy',
    imdb: 'classification: accuracy',
    cb: 'classification: accuracy+f1',
  });
  assert.ok(
    TASK_NAMES.every((n) => hasDownload(n)),
    'every task has an official download source',
  );
});

test('names, aliases, splits and labels', () => {
  assert.equal(getTask('SST-2').name, 'sst2');
  assert.equal(getTask('STS-B').name, 'stsb');
  assert.equal(getTask('squad2').name, 'squad_v2');
  assert.deepEqual(taskSplits(getTask('mnli')), [
    'train',
    'dev_matched',
    'dev_mismatched',
    'test_matched',
    'test_mismatched',
  ]);
  assert.deepEqual(taskSplits(getTask('mr')), ['all', 'train', 'dev', 'test']);
  const wnli = getTask('wnli');
  assert.deepEqual([labelId(wnli, '1'), labelId(wnli, 'entailment'), labelId(wnli, 'yes')], [1, 1, undefined]);
  assert.equal(labelId(getTask('ag_news'), '1'), 0);
});
