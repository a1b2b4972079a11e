// Every registry task from the CLI's side (config validation, its TASK_META row from the registry, its data found
// and read under a data root as a new user would give it), and tasks defined in the YAML (custom_tasks): paths
// relative to the defining file, errors at file:line naming the key, the task list, and the data key.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, test } from 'node:test';
import { CUSTOM_KEYS, getTask, TASK_NAMES } from '@prunelab/datasets';
import { loadConfig, validateConfig } from './config.ts';
import { dataKey } from './data-digest.ts';
import { TASKS, type TaskName } from './schema.ts';
import { loadTaskData, TASK_META, taskKind } from './tasks.ts';

const dir = mkdtempSync(join(tmpdir(), 'prunelab-custom-cfg-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const write = (rel: string, text: string) => {
  const p = join(dir, rel);
  mkdirSync(dirname(p), { recursive: true });
  writeFileSync(p, text);
  return p;
};
const at = () => 'test.yaml';
const esc = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
/** a task name defined in the configs below (custom names travel as TaskName once the config is read) */
const MINE = 'my_reviews' as TaskName;

test('every registry task passes config validation and has its registry row in TASK_META', () => {
  assert.deepEqual([...TASKS], [...TASK_NAMES]);
  for (const task of TASK_NAMES) {
    const cfg = validateConfig({ name: 't', tasks: [task], per_task: { [task]: { data: { train_size: 10 } } } }, at);
    assert.deepEqual(cfg.tasks, [task]);
    const spec = getTask(task);
    assert.deepEqual(TASK_META[task], {
      metric: spec.mainMetric,
      evalSplit: spec.evalSplit,
      ...(spec.extraEval && { extraEval: spec.extraEval }),
    });
    assert.equal(taskKind(task), spec.kind);
  }
  assert.throws(
    () => validateConfig({ name: 't', tasks: ['subjj'] }, at),
    /'tasks' is \["subjj"\]; expected a list of mnli, .*subj, .*cb/,
  );
});

test('SUBJ, MR, CR, MPQA and AG News in their common layouts load through the app under a data root', async () => {
  const root = join(dir, 'data');
  const sents = (tag: string) => Array.from({ length: 10 }, (_, i) => `${tag} sentence number ${i} .`).join('\n');
  write('data/SentEval/SUBJ/subj.objective', sents('objective'));
  write('data/SentEval/SUBJ/subj.subjective', sents('subjective'));
  write('data/SentEval/MR/rt-polarity.neg', sents('bad'));
  write('data/SentEval/MR/rt-polarity.pos', sents('good'));
  // CR and MPQA as one label<TAB>sentence file each, one with a header line
  const tsv = (a: string, b: string) => [sents(a), sents(b)].map((s, l) => s.replace(/^/gm, `${l}\t`)).join('\n');
  write('data/SentEval/CR/cr.tsv', `label\tsentence\n${tsv('awful', 'great')}\n`);
  write('data/SentEval/MPQA/mpqa.tsv', `${tsv('failing', 'supporting')}\n`);
  const ag = (n: number) =>
    Array.from({ length: n }, (_, i) => `"${(i % 4) + 1}","title ${i}","about topic ${i % 4}"`).join('\n');
  write('data/ag_news_csv/train.csv', `Class Index,Title,Description\n${ag(16)}\n`);
  write('data/ag_news_csv/test.csv', `${ag(8)}\n`);
  const data = validateConfig({ name: 't', tasks: ['subj'], data: { root, allow_download: false } }, at).data;
  for (const [task, train, ev, split] of [
    ['subj', 18, 2, 'heldout'],
    ['mr', 18, 2, 'heldout'],
    ['cr', 18, 2, 'heldout'],
    ['mpqa', 18, 2, 'heldout'],
    ['ag_news', 16, 8, 'test'],
  ] as const) {
    const d = await loadTaskData(task, { ...data, train_size: null });
    assert.deepEqual([d.train.length, d.dev.length, d.evalSplit], [train, ev, split], task);
    assert.deepEqual(d.labels, getTask(task).labels, task);
  }
});

const DEF = `  my_reviews:
    train: data/train.csv
    dev: data/dev.csv
    text: review
    label: stars
    labels: [neg, pos]
`;

test('custom_tasks: the task joins the list; paths are relative to the file that defines the task', () => {
  write('cfgs/base/data/train.csv', 'review,stars\nok,pos\n');
  write('cfgs/base/base.yaml', `name: base\ncustom_tasks:\n${DEF}`);
  const cfg = loadConfig(
    write(
      'cfgs/top.yaml',
      'name: top\nextends: base/base.yaml\ntasks: [sst2, my_reviews]\nper_task:\n  my_reviews: { data: { train_size: 5 } }\n',
    ),
  );
  assert.deepEqual(cfg.tasks, ['sst2', 'my_reviews']);
  assert.equal(cfg.custom_tasks.my_reviews?.train, join(dir, 'cfgs/base/data/train.csv'));
  assert.equal(cfg.custom_tasks.my_reviews?.dev, join(dir, 'cfgs/base/data/dev.csv'));
  assert.deepEqual(TASK_META[MINE], { metric: 'accuracy', evalSplit: 'dev' });
  assert.equal(taskKind(MINE), 'classification');
  // --set paths are relative to the working folder
  const set = loadConfig(join(dir, 'cfgs/top.yaml'), ['custom_tasks.my_reviews.train=elsewhere/t.csv']);
  assert.equal(set.custom_tasks.my_reviews?.train, join(process.cwd(), 'elsewhere/t.csv'));
});

test('custom_tasks errors: file:line, the key and the fix', () => {
  const bad = (yaml: string, msg: RegExp) => assert.throws(() => loadConfig(write('bad.yaml', yaml)), msg);
  const file = join(dir, 'bad.yaml');
  bad(
    `name: x\ntasks: [my_reviews]\ncustom_tasks:\n${DEF}    kind: ranking\n`,
    new RegExp(
      `${esc(file)}:10: 'custom_tasks\\.my_reviews\\.kind' is "ranking"; expected classification or regression`,
    ),
  );
  bad(
    `name: x\ntasks: [my_review]\ncustom_tasks:\n${DEF}`,
    /'tasks' is \["my_review"\]; expected a list of mnli, .*cb, my_reviews/,
  );
  bad(
    `name: x\ntasks: [sst2]\ncustom_tasks:\n  sst2: { train: a.csv, text: t, label: l, labels: 2 }\n`,
    /:4: .*reuses the registry's task sst2/,
  );
  bad(`name: x\ncustom_tasks: [a, b]\n`, /:2: 'custom_tasks' must map task names to definitions/);
});

const KEYED = 'keyed' as TaskName;

test('the data key holds the definition: an edited definition reads the data again; registry keys are unchanged', () => {
  const cfg = (labels: string) =>
    validateConfig(
      {
        name: 'k',
        tasks: ['keyed'],
        custom_tasks: { keyed: { train: '/abs/t.csv', text: 'review', label: 'stars', labels: labels.split(',') } },
      },
      at,
    );
  const a = cfg('neg,pos');
  const keyA = dataKey(KEYED, a.data);
  cfg('pos,neg');
  assert.notEqual(dataKey(KEYED, a.data), keyA);
  cfg('neg,pos');
  assert.equal(dataKey(KEYED, a.data), keyA);
  assert.equal(dataKey('sst2', a.data).length, 16);
});

test('experiments/README.md lists every registry task with its layouts, and every key of a custom task', () => {
  const readme = readFileSync(join(import.meta.dirname, '../../../experiments/README.md'), 'utf8');
  for (const task of TASK_NAMES) {
    const row = readme.split('\n').find((l) => l.startsWith(`| \`${task}\` |`));
    assert.ok(row, `experiments/README.md has no row for ${task}`);
    const spec = getTask(task);
    assert.ok(row.includes(` ${spec.kind} | ${spec.evalSplit} |`), `${task}: kind and evaluation split`);
    for (const l of spec.layouts) assert.ok(row.includes(`\`${l.dir}/`), `${task}: layout ${l.dir} not listed`);
  }
  for (const key of CUSTOM_KEYS)
    assert.ok(readme.includes(`| \`custom_tasks.<name>.${key}\` |`), `custom_tasks.<name>.${key} is not documented`);
});
