// A task defined in the config: the definition's checks (each error names the key), the four table formats reading
// the same rows to the same examples, header detection, the file's own ids or content ids, and the row errors
// (unknown field with the fields the file has, a label not in labels, empty text, a repeated id).
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { parquetWriteBuffer } from 'hyparquet-writer';
import { CustomTaskError, customTaskSpec, registerCustomTasks } from './custom-task.ts';
import { assignIds } from './example-id.ts';
import { loadTaskSplit } from './load-task.ts';
import { getTask } from './tasks.ts';
import { loadTrainEval } from './train-eval.ts';
import type { Example } from './types.ts';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'prunelab-custom-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));
const write = (rel: string, content: string | ArrayBuffer) => {
  const file = path.join(tmp, rel);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, typeof content === 'string' ? content : Buffer.from(content));
  return file;
};
/** Registers a task and returns a loader of its splits. */
const define = (name: string, def: Record<string, unknown>) => {
  registerCustomTasks({ [name]: def }, () => tmp);
  return (split: string, lenient = false) => loadTaskSplit(name, split, { lenient });
};
const rowsOf = (ex: Example[]) => ex.map((e) => [e.id, e.text, e.label]);

const ROWS: [string, string, string][] = [
  ['a1', 'The soup was cold, and the waiter rude.', 'neg'],
  ['a2', 'A lovely evening; we will be back.', 'pos'],
  ['a3', 'Fine food "with a view".', 'pos'],
];

test('the definition: each error names the key under custom_tasks and what is allowed', () => {
  const bad = (def: unknown, key: string, msg: RegExp, name = 'mine') => {
    assert.throws(
      () => customTaskSpec(name, def, tmp),
      (e: Error) => {
        assert.ok(e instanceof CustomTaskError, e.message);
        assert.equal(e.key.join('.'), key);
        assert.match(e.message, msg);
        return true;
      },
    );
  };
  const ok = { train: 'a.csv', dev: 'b.csv', text: 'review', label: 'stars', labels: ['neg', 'pos'] };
  bad({ ...ok, train: undefined }, 'custom_tasks.mine.train', /is required/);
  bad({ ...ok, kind: 'multiple-choice' }, 'custom_tasks.mine.kind', /expected classification or regression/);
  bad({ ...ok, txt: 'x' }, 'custom_tasks.mine.txt', /allowed: kind, train, dev, dev_fraction, format, text/);
  bad({ ...ok, labels: undefined }, 'custom_tasks.mine.labels', /label names in class order .* or the number/);
  bad({ ...ok, labels: ['a', 'a'] }, 'custom_tasks.mine.labels', /lists a name twice/);
  bad({ ...ok, text: ['a', 'b', 'c'] }, 'custom_tasks.mine.text', /two for a pair/);
  bad({ ...ok, text: 1 }, 'custom_tasks.mine.text', /mix names and column numbers/);
  bad({ ...ok, dev_fraction: 0.2 }, 'custom_tasks.mine.dev_fraction', /cannot be given with dev/);
  bad({ ...ok, dev: undefined, dev_fraction: 1.5 }, 'custom_tasks.mine.dev_fraction', /between 0 and 1/);
  bad({ ...ok, train: 'a.xlsx' }, 'custom_tasks.mine.train', /cannot tell the format .* add format: csv \| tsv/);
  bad({ ...ok, format: 'xml' }, 'custom_tasks.mine.format', /expected one of csv, tsv, jsonl, parquet/);
  bad({ ...ok, kind: 'regression' }, 'custom_tasks.mine.labels', /for classification/);
  bad({ ...ok, text: 0, label: 1, format: 'jsonl' }, 'custom_tasks.mine.train', /column numbers are for csv\/tsv/);
  bad(ok, 'custom_tasks.sst2', /reuses the registry's task sst2/, 'sst2');
  bad(ok, 'custom_tasks.SST-2', /reuses the registry's task sst2/, 'SST-2');
  const spec = customTaskSpec('mine', ok, tmp);
  assert.equal(spec.kind, 'classification');
  assert.deepEqual(spec.layouts[0]?.format === 'custom' && spec.layouts[0].files, {
    train: path.join(tmp, 'a.csv'),
    dev: path.join(tmp, 'b.csv'),
  });
  assert.equal(spec.evalSplit, 'dev');
});

test('csv, tsv, jsonl and parquet of the same rows give the same examples, with the file ids', async () => {
  const csv = ['review_id,review,stars', ...ROWS.map(([i, t, l]) => `${i},"${t.replace(/"/g, '""')}",${l}`)];
  write('fmt/train.csv', `${csv.join('\n')}\n`);
  write('fmt/train.tsv', `${['review_id\treview\tstars', ...ROWS.map((r) => r.join('\t'))].join('\n')}\n`);
  write(
    'fmt/train.jsonl',
    `${ROWS.map(([review_id, review, stars]) => JSON.stringify({ review_id, review, stars, extra: 1 })).join('\n')}\n`,
  );
  write(
    'fmt/train.parquet',
    parquetWriteBuffer({
      columnData: [
        { name: 'review_id', data: ROWS.map((r) => r[0]), type: 'STRING' },
        { name: 'review', data: ROWS.map((r) => r[1]), type: 'STRING' },
        { name: 'stars', data: ROWS.map((r) => r[2]), type: 'STRING' },
      ],
    }),
  );
  const results = [];
  for (const ext of ['csv', 'tsv', 'jsonl', 'parquet']) {
    const load = define(`fmt_${ext}`, {
      train: `fmt/train.${ext}`,
      text: 'review',
      label: 'stars',
      labels: ['neg', 'pos'],
      id: 'review_id',
    });
    const all = await load('all');
    assert.equal(all.source, 'custom');
    results.push(rowsOf(all.examples as Example[]));
  }
  assert.deepEqual(results[0], [
    ['a1', ROWS[0]![1], 0],
    ['a2', ROWS[1]![1], 1],
    ['a3', ROWS[2]![1], 1],
  ]);
  for (const r of results.slice(1)) assert.deepEqual(r, results[0]);
});

test('no id field: ids from the content as the registry derives them; labels by name or by number 0..C-1', async () => {
  write(
    'ids/train.csv',
    `text,label\n${ROWS.map(([, t, l]) => `"${t.replace(/"/g, '""')}",${l === 'pos' ? 1 : 'neg'}`).join('\n')}\n`,
  );
  const load = define('ids_task', { train: 'ids/train.csv', text: 'text', label: 'label', labels: ['neg', 'pos'] });
  const all = (await load('all')).examples as Example[];
  assert.deepEqual(
    all.map((e) => e.id),
    assignIds(
      'ids_task',
      'all',
      ROWS.map(([, t]) => ({ fields: [t] })),
    ).ids,
  );
  assert.deepEqual(
    all.map((e) => e.label),
    [0, 1, 1],
  );
});

test('csv/tsv without a header: columns by number; a first line whose label is no label is taken for a header', async () => {
  const body = ROWS.map(([, t, l]) => `${l === 'pos' ? 1 : 0}\t${t}`).join('\n');
  write('nohdr/a.tsv', `${body}\n`);
  write('nohdr/b.tsv', `polarity\tsentence\n${body}\n`);
  const a = await define('nohdr_a', { train: 'nohdr/a.tsv', text: 1, label: 0, labels: 2 })('all');
  const b = await define('nohdr_b', { train: 'nohdr/b.tsv', text: 1, label: 0, labels: 2 })('all');
  assert.deepEqual(
    (a.examples as Example[]).map((e) => [e.text, e.label]),
    ROWS.map(([, t, l]) => [t, l === 'pos' ? 1 : 0]),
  );
  assert.deepEqual(
    (b.examples as Example[]).map((e) => [e.text, e.label]),
    (a.examples as Example[]).map((e) => [e.text, e.label]),
  );
  assert.deepEqual(getTask('nohdr_a').labels, ['0', '1']);
});

test('a field the file lacks: the error lists the fields the file has', async () => {
  const file = write('unk/train.csv', 'id,body,stars\n1,good,pos\n');
  const load = define('unk', { train: 'unk/train.csv', text: 'review', label: 'stars', labels: ['neg', 'pos'] });
  await assert.rejects(load('all'), (e: Error) => {
    assert.match(e.message, new RegExp(`^${file}:1: no field "review" \\(custom_tasks\\.unk\\.text\\)`));
    assert.match(e.message, /has the fields "id", "body", "stars": name one of them in the config/);
    return true;
  });
  const headerless = write('unk/b.csv', 'good food,pos\n');
  const load2 = define('unk2', { train: 'unk/b.csv', text: 'review', label: 'stars', labels: ['neg', 'pos'] });
  await assert.rejects(load2('all'), /looks like data, not a header: add a header line or name columns by number/);
  assert.ok(headerless);
  write('unk/c.jsonl', '{"body": "x", "stars": "pos"}\n');
  const load3 = define('unk3', { train: 'unk/c.jsonl', text: 'review', label: 'stars', labels: ['neg', 'pos'] });
  await assert.rejects(load3('all'), /c\.jsonl:1: no field "review" .* has the fields "body", "stars"/);
});

test('row errors name the file, line and field, with the fix; data.lenient skips them', async () => {
  const file = write(
    'rows/train.csv',
    ['id,text,label', 'x1,fine,pos', 'x2,meh,neutral', 'x3,,neg', 'x1,again,neg', 'x5,ok,neg', ''].join('\n'),
  );
  const def = { train: 'rows/train.csv', text: 'text', label: 'label', labels: ['neg', 'pos'], id: 'id' };
  const load = define('rows', def);
  await assert.rejects(load('all'), (e: Error) => {
    assert.match(e.message, new RegExp(`^${file}:3: label "neutral" in field "label" is not one of the task's labels`));
    assert.match(e.message, /list it under custom_tasks\.rows\.labels; fix the row or pass --set data\.lenient=true/);
    return true;
  });
  const lenient = await load('all', true);
  assert.deepEqual(
    lenient.examples.map((e) => e.id),
    ['x1', 'x5'],
  );
  assert.equal(lenient.skipped, 3);
  const skipped = lenient.warnings.join('\n');
  assert.match(skipped, /train\.csv:4: empty text in field "text"/);
  assert.match(skipped, /train\.csv:3: label "neutral"/);
  // the duplicate is reported too (first three listed; check it directly)
  write('rows/dup.csv', 'id,text,label\nx1,fine,pos\nx1,again,neg\n');
  await assert.rejects(
    define('rows_dup', { ...def, train: 'rows/dup.csv' })('all'),
    /dup\.csv:3: id "x1" repeats the one at .*dup\.csv:2; ids must be unique within a file/,
  );
  write('rows/badid.csv', 'id,text,label\n"a b",fine,pos\n');
  await assert.rejects(
    define('rows_badid', { ...def, train: 'rows/badid.csv' })('all'),
    /badid\.csv:2: id "a b" .* drop/,
  );
});

test('pairs, regression, dev_fraction (a seeded split of train) and a dev file', async () => {
  const pairs = ['premise,hypothesis,label', 'A man sleeps.,A man rests.,entailment', 'A dog runs.,A cat sits.,other'];
  write('pair/train.csv', `${pairs.join('\n')}\n`);
  write('pair/dev.csv', `${pairs.slice(0, 2).join('\n')}\n`);
  define('pairs', {
    train: 'pair/train.csv',
    dev: 'pair/dev.csv',
    text: ['premise', 'hypothesis'],
    label: 'label',
    labels: ['entailment', 'other'],
  });
  const te = await loadTrainEval('pairs', {}, 1);
  assert.equal(te.evalSplit, 'dev');
  assert.deepEqual(
    (te.train.examples as Example[]).map((e) => [e.text, e.textB, e.label]),
    [
      ['A man sleeps.', 'A man rests.', 0],
      ['A dog runs.', 'A cat sits.', 1],
    ],
  );
  assert.equal(te.eval.examples.length, 1);

  write(
    'reg/train.jsonl',
    `${Array.from({ length: 10 }, (_, i) => JSON.stringify({ s: `s ${i}`, y: i / 4 })).join('\n')}\n`,
  );
  define('reg', { kind: 'regression', train: 'reg/train.jsonl', text: 's', label: 'y', dev_fraction: 0.2 });
  const r1 = await loadTrainEval('reg', {}, 3);
  const r2 = await loadTrainEval('reg', {}, 3);
  assert.equal(r1.evalSplit, 'heldout');
  assert.equal(r1.eval.examples.length, 2, 'dev_fraction 0.2 of 10');
  assert.equal(r1.train.examples.length, 8);
  assert.deepEqual(rowsOf(r1.eval.examples as Example[]), rowsOf(r2.eval.examples as Example[]), 'seeded');
  assert.ok((r1.train.examples as Example[]).every((e) => e.label === Number(e.text.slice(2)) / 4));
  assert.match(r1.warnings[0] ?? '', /seeded 80\/20 split/);
  write('reg/bad.jsonl', '{"s": "a", "y": "high"}\n');
  define('reg_bad', { kind: 'regression', train: 'reg/bad.jsonl', text: 's', label: 'y' });
  await assert.rejects(loadTaskSplit('reg_bad', 'all'), /bad\.jsonl:1: label "high" in field "y" is not a number/);
});

test('a missing file names the key and how paths are read', async () => {
  define('gone', { train: 'nowhere/train.csv', dev: 'nowhere/dev.csv', text: 't', label: 'l', labels: 2 });
  await assert.rejects(
    loadTaskSplit('gone', 'train'),
    /task gone: .*nowhere\/train\.csv does not exist \(custom_tasks\.gone\.train\); fix the path in the config \(relative to the config file's folder/,
  );
});
