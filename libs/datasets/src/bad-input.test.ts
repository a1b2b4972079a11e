// Bad input stops the load with an error naming the file, the line and what was expected; lenient
// mode skips bad rows and reports how many.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { loadTaskSplit } from './load-task.ts';
import type { Example } from './types.ts';

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'prunelab-bad-'));
after(() => fs.rmSync(root, { recursive: true, force: true }));
const write = (rel: string, content: string) => {
  const file = path.join(root, rel);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, content);
  return file;
};
const load = (task: string, split: string, lenient = false) =>
  loadTaskSplit(task, split, { dataRoot: root, envDataRoot: '', lenient });

describe('bad input', () => {
  const rte = write(
    'glue/RTE/dev.tsv',
    'index\tsentence1\tsentence2\tlabel\n0\tA.\tB.\tentailment\n1\tC.\tD.\tmaybe\n2\tE.\tF.\n3\tG.\tH.\tnot_entailment\n',
  );

  test('unknown label: file:line, the value and the allowed labels', async () => {
    await assert.rejects(load('rte', 'dev'), (err: Error) => {
      assert.equal(
        err.message,
        `${rte}:3: unknown label "maybe": expected one of entailment, not_entailment; fix the row or pass --set data.lenient=true ` +
          `to skip bad rows`,
      );
      return true;
    });
  });

  test('lenient: bad rows skipped and counted, good rows kept', async () => {
    const s = await load('rte', 'dev', true);
    assert.deepEqual(
      (s.examples as Example[]).map((e) => e.text),
      ['A.', 'G.'],
    );
    assert.equal(s.skipped, 2);
    assert.match(
      s.warnings[0] as string,
      /2 malformed row\(s\) skipped \(data\.lenient\); first: .*dev\.tsv:3: unknown label "maybe": expected one of entailment, not_entailment \| .*dev\.tsv:4: expected 4 tab-separated columns like the header \(index, sentence1, sentence2, label\), found 3/,
    );
    assert.match(s.description, /2 malformed rows skipped/);
  });

  test('missing column: names the column, the file and line 1', async () => {
    const f = write('glue/QNLI/dev.tsv', 'index\tquestion\tlabel\n0\tWhy?\tentailment\n');
    await assert.rejects(
      load('qnli', 'dev'),
      new RegExp(
        `^Error: ${f.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:1: missing column "sentence": expected a GLUE QNLI ` +
          `header with question, sentence, label`,
      ),
    );
  });

  test('missing label column in a labelled split', async () => {
    write('glue/WNLI/train.tsv', 'index\tsentence1\tsentence2\n0\tA.\tB.\n');
    await assert.rejects(
      load('wnli', 'train'),
      /train\.tsv:1: missing label column "label": the train split of WNLI must be labelled/,
    );
  });

  test('empty file', async () => {
    const f = write('glue/CoLA/dev.tsv', '');
    await assert.rejects(
      load('cola', 'dev'),
      new RegExp(`${f.replace(/[.]/g, '\\.')} is empty: expected a GLUE TSV file`),
    );
  });

  test('headerless CoLA row with the wrong number of columns; STS-B score out of range', async () => {
    write('glue/CoLA/train.tsv', 'gj04\t1\t\tGood sentence.\ngj04\t1\tOnly three\n');
    await assert.rejects(
      load('cola', 'train'),
      /train\.tsv:2: expected 4 tab-separated columns \(source, label, original label, sentence\), found 3/,
    );
    write(
      'glue/STS-B/dev.tsv',
      'index\tgenre\tfilename\tyear\told_index\tsource1\tsource2\tsentence1\tsentence2\tscore\n0\tm\tf\ty\t0\tn\tn\tA.\tB.\t7.5\n',
    );
    await assert.rejects(load('stsb', 'dev'), /dev\.tsv:2: score "7\.5" is not a number between 0 and 5/);
  });

  test('wrong path: the data root from the config must hold the task; the message lists where it looked', async () => {
    await assert.rejects(load('mnli', 'train'), (err: Error) => {
      assert.match(
        err.message,
        /^MultiNLI train not found under data root .* \(data\.root in the config\): looked for .*glue\/MNLI\/train\.tsv or .*hf\/mnli\/train\{\.parquet,\.jsonl,-\*\.parquet\}/,
      );
      return true;
    });
    await assert.rejects(
      loadTaskSplit('sst2', 'train', { dataRoot: path.join(root, 'nope'), envDataRoot: '' }),
      /not found under data root .*nope/,
    );
    await assert.rejects(
      load('mnli', 'dev'),
      /MultiNLI has no split "dev"; its splits are train, dev_matched, dev_mismatched, test_matched, test_mismatched/,
    );
    await assert.rejects(load('glue', 'dev'), /unknown task "glue"; known tasks: mnli, sst2/);
  });

  test('jsonl: invalid JSON and missing fields name the line', async () => {
    write(
      'snli_1.0/snli_1.0_dev.jsonl',
      '{"sentence1": "A.", "sentence2": "B.", "gold_label": "neutral"}\n{"sentence1": "A.", \n{"sentence1": "A.", "gold_label": "neutral"}\n',
    );
    await assert.rejects(
      load('snli', 'dev'),
      /snli_1\.0_dev\.jsonl:2: not valid JSON .*expected one JSON object per line/,
    );
    const s = await load('snli', 'dev', true);
    assert.equal(s.examples.length, 1);
    assert.equal(s.skipped, 2);
    assert.match(s.warnings.join('\n'), /snli_1\.0_dev\.jsonl:3: missing string field sentence2/);
  });

  test('SQuAD: an answer outside its context names the JSON path; a shifted answer_start is a warning', async () => {
    const ctx = 'Paris is in France.';
    write(
      'squad_v2/dev-v2.0.json',
      JSON.stringify({
        version: 'v2.0',
        data: [
          {
            title: 't',
            paragraphs: [
              {
                context: ctx,
                qas: [
                  {
                    id: 'a',
                    question: 'Where?',
                    answers: [{ text: 'France', answer_start: 13 }],
                    is_impossible: false,
                  },
                  { id: 'b', question: 'What?', answers: [{ text: 'Paris', answer_start: 40 }], is_impossible: false },
                ],
              },
            ],
          },
        ],
      }),
    );
    await assert.rejects(
      load('squad_v2', 'dev'),
      /dev-v2\.0\.json: data\[0\]\.paragraphs\[0\]\.qas\[1\] \(id b\): answers\[0\]\.answer_start 40 lies outside the context \(19 characters\)/,
    );
    const s = await load('squad_v2', 'dev', true);
    assert.equal(s.examples.length, 1);
    assert.match(s.warnings.join('\n'), /1 answer\(s\) whose text differs from the context at answer_start/);
  });

  test('RACE: a bad answer letter names the file and question', async () => {
    write(
      'RACE/test/middle/1.txt',
      JSON.stringify({
        answers: ['E'],
        options: [['a', 'b', 'c', 'd']],
        questions: ['Q?'],
        article: 'A.',
        id: 'middle1.txt',
      }),
    );
    await assert.rejects(
      load('race', 'test'),
      /RACE\/test\/middle\/1\.txt: question 1: expected a string question, 4 string options and an answer letter A-D, found answer "E"/,
    );
  });
});
