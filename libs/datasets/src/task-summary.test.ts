// The data summary lists what each task has, where from, and what is missing.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { summarizeTaskData, taskDataMarkdown } from './task-summary.ts';

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'prunelab-summary-'));
after(() => fs.rmSync(root, { recursive: true, force: true }));

test('present, partial and missing tasks', async () => {
  fs.mkdirSync(path.join(root, 'glue', 'QNLI'), { recursive: true });
  fs.writeFileSync(path.join(root, 'glue', 'QNLI', 'dev.tsv'), 'index\tquestion\tsentence\tlabel\n0\tWhy?\tBecause.\tentailment\n');
  const rows = await summarizeTaskData({ dataRoot: root, envDataRoot: '' }, ['qnli', 'race']);
  assert.deepEqual(rows, [
    { task: 'qnli', split: 'dev', source: 'config', format: 'glue-tsv', rows: 1, official: 5_463 },
    { task: 'qnli', split: 'train', source: 'missing', official: 104_743, note: 'partial copy: this split is absent' },
    { task: 'qnli', split: 'test', source: 'missing', official: 5_463, note: 'partial copy: this split is absent' },
    { task: 'race', split: '*', source: 'missing', note: 'no copy under any data root' },
  ]);
  assert.match(taskDataMarkdown(rows), /\| qnli \| dev \| config \| glue-tsv \| 1 \| 5,463 \| {2}\|/);
});
