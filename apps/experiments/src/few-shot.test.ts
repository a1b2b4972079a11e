// Few-shot data (data.per_class: K): K training examples of each class, drawn by data.seed from the whole real
// training split (../shared/data), in split order; refused for tasks without classes when the config is read; in
// the job keys and the data digest key only when set, so configs without it keep every key they had.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { findRepoRoot, type Example } from '@prunelab/datasets';
import { ConfigError, loadConfig, validateConfig } from './config.ts';
import { dataKey } from './data-digest.ts';
import { expandGrid, type Grid } from './grid.ts';
import { dataNote } from './report-cells.ts';
import { settingsChange } from './stale.ts';
import { cellSettings, dataSettingsKey, type DataCfg, type ExperimentConfig } from './schema.ts';
import { loadTaskData, perClassDraw, plannedTrainSize, type TaskData } from './tasks.ts';

const SHARED = resolve(findRepoRoot(), '../shared/data');
const dirs: string[] = [];
after(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

/** A config's data settings (schema defaults filled in) with `data` given. */
function dataOf(data: Record<string, unknown>): DataCfg {
  return validateConfig({ name: 'fs', tasks: ['sst2'], data }, () => 'test').data;
}

const byLabel = (d: TaskData) => {
  const out: Record<string, number> = {};
  for (const e of d.train as Example[]) out[d.labels[e.label]!] = (out[d.labels[e.label]!] ?? 0) + 1;
  return out;
};
const ids = (d: TaskData) => d.train.map((e) => e.id);

describe('few-shot draws from the real training split', () => {
  const real = (over: Record<string, unknown>) => dataOf({ root: SHARED, allow_download: false, ...over });
  let sst2: TaskData;
  let sst2Full: TaskData;
  before(async () => {
    assert.ok(existsSync(join(SHARED, 'glue/SST-2/train.tsv')), `${SHARED} is missing: these tests need it`);
    sst2 = await loadTaskData('sst2', real({ per_class: 8 }));
    sst2Full = await loadTaskData('sst2', real({ train_size: null }));
  });

  test('SST-2, per_class 8: exactly 8 of each class, distinct ids, from the split in its order', () => {
    assert.deepEqual(byLabel(sst2), { negative: 8, positive: 8 });
    assert.equal(new Set(ids(sst2)).size, 16);
    assert.equal(sst2.read.train, 67_349);
    assert.equal(sst2Full.train.length, 67_349);
    // every drawn example is the split's own (same id, text, label), and they keep the split's order
    const at = new Map(sst2Full.train.map((e, i) => [e.id, i]));
    const pos = sst2.train.map((e) => at.get(e.id));
    assert.ok(pos.every((p) => p !== undefined));
    assert.deepEqual(
      sst2.train,
      pos.map((p) => sst2Full.train[p!]),
    );
    assert.deepEqual(
      pos,
      [...pos].sort((a, b) => a! - b!),
    );
    assert.ok(pos[15]! - pos[0]! > 1000, `drawn from the whole split, not its head (positions ${pos.join(', ')})`);
    assert.equal(sst2.dev.length, 872, 'the evaluation split is untouched');
    assert.match(sst2.description, /^SST-2[^:]*: 8 per class \(few-shot\): 16 of 67,349 training examples \(seed 1\)/);
    assert.deepEqual(
      sst2.warnings.filter((w) => /per_class|train_size/.test(w)),
      [],
    );
  });

  test('the same seed draws the same examples, another seed others; train_size is ignored', async () => {
    const again = await loadTaskData('sst2', real({ per_class: 8, train_size: 5 }));
    assert.deepEqual(ids(again), ids(sst2));
    const other = await loadTaskData('sst2', real({ per_class: 8, seed: 2 }));
    assert.deepEqual(byLabel(other), { negative: 8, positive: 8 });
    const overlap = ids(other).filter((id) => ids(sst2).includes(id));
    assert.ok(overlap.length < 4, `seed 2 draws other examples (shared: ${overlap.length} of 16)`);
    // one seeded order for every class: a larger K keeps the smaller draw (a K-shot curve grows by adding examples)
    const sixteen = await loadTaskData('sst2', real({ per_class: 16 }));
    assert.deepEqual(byLabel(sixteen), { negative: 16, positive: 16 });
    assert.ok(ids(sst2).every((id) => ids(sixteen).includes(id)));
  });

  test('TREC, per_class 8: 8 of each of its 6 coarse classes', async () => {
    const trec = await loadTaskData('trec', real({ per_class: 8 }));
    assert.deepEqual(byLabel(trec), { ABBR: 8, ENTY: 8, DESC: 8, HUM: 8, LOC: 8, NUM: 8 });
    assert.equal(new Set(ids(trec)).size, 48);
    assert.equal(trec.read.train, 5_452);
    const again = await loadTaskData('trec', real({ per_class: 8 }));
    assert.deepEqual(ids(again), ids(trec));
    const other = await loadTaskData('trec', real({ per_class: 8, seed: 7 }));
    assert.notDeepEqual(ids(other), ids(trec));
    assert.equal(new Set(ids(other)).size, 48);
  });

  test('a class with fewer than K examples gives all it has, with a warning (CB: 16 neutral in train)', async () => {
    const cb = await loadTaskData('cb', real({ per_class: 20 }));
    assert.deepEqual(byLabel(cb), { entailment: 20, contradiction: 20, neutral: 16 });
    assert.equal(new Set(ids(cb)).size, 56);
    assert.deepEqual(
      cb.warnings.filter((w) => w.startsWith('per_class')),
      ['per_class 20: class neutral has only 16 training examples: using all (56 training examples instead of 60)'],
    );
  });

  test('plannedTrainSize: K x the number of classes (train_size ignored)', () => {
    assert.equal(plannedTrainSize('sst2', real({ per_class: 8 })), 16);
    assert.equal(plannedTrainSize('trec', real({ per_class: 8, train_size: 10 })), 48);
    assert.equal(plannedTrainSize('cb', real({ per_class: 20 })), 60);
    assert.equal(plannedTrainSize('sst2', real({})), 2000, 'off: the train_size cap as before');
    assert.equal(plannedTrainSize('trec', real({ train_size: null })), 5_452);
  });

  test('the report says K per class (seed S)', () => {
    const d = real({ per_class: 8 });
    const record = {
      digest: 'abc',
      splits: {},
      read: { train: 67_349, dev: 872 },
      used: { train: 16, dev: 872 },
      official: { train: 67_349, dev: 872 },
      warnings: [],
    };
    const note = dataNote('sst2', d, { record, warnings: [], digests: ['abc'] });
    assert.match(note, /^data: 8 per class \(seed 1\): 16 of 67,349 training examples read \(official: 67,349\);/);
    assert.match(dataNote('sst2', d, { warnings: [], digests: [] }), /^data: 8 per class \(seed 1\) training examples/);
    assert.match(
      dataNote('sst2', real({}), { record, warnings: [], digests: ['abc'] }),
      /^data: 16 of 67,349 training examples read \(seeded subsample, seed 1;/,
    );
  });
});

test('perClassDraw: unlabelled rows are no class; an empty class is named', () => {
  const rows = [0, 1, -1, 0, 1, 0, -1, 0].map((label, i) => ({ id: `r${i}`, label }));
  const { kept, short } = perClassDraw(rows, ['a', 'b', 'c'], 3, 5);
  assert.equal(kept.filter((r) => r.label === 0).length, 3);
  assert.equal(kept.filter((r) => r.label === 1).length, 2);
  assert.ok(kept.every((r) => r.label >= 0));
  assert.deepEqual(
    kept.map((r) => Number(r.id.slice(1))),
    kept.map((r) => Number(r.id.slice(1))).sort((a, b) => a - b),
  );
  assert.deepEqual(short, [
    { label: 'b', n: 2 },
    { label: 'c', n: 0 },
  ]);
});

describe('per_class needs classes: refused when the config is read', () => {
  const where = (path: string[]) => `at:${path.join('.')}`;
  const cfg = (over: Record<string, unknown>) => validateConfig({ name: 'fs', tasks: ['sst2'], ...over }, where);

  test('STS-B (regression) with data.per_class: the key, the kind and the fix', () => {
    assert.throws(
      () => cfg({ tasks: ['sst2', 'stsb'], data: { per_class: 8 } }),
      (e: Error) =>
        e instanceof ConfigError &&
        e.message.startsWith("at:data.per_class: 'data.per_class' is 8 (few-shot: K training examples per class)") &&
        e.message.includes('task stsb is regression') &&
        e.message.includes('set per_task.stsb.data.per_class: null'),
    );
  });

  test('the layer that set it is named: per_task.<task>, models.<m>', () => {
    assert.throws(() => cfg({ tasks: ['squad_v2'], per_task: { squad_v2: { data: { per_class: 4 } } } }), {
      message:
        /^at:per_task\.squad_v2\.data\.per_class: 'per_task\.squad_v2\.data\.per_class' is 4 .* task squad_v2 is extractive-qa: .*; remove it \(or set it to null\) for this task$/,
    });
    assert.throws(() => cfg({ tasks: ['race'], models: { m: { path: '/m/m', data: { per_class: 2 } } } }), {
      message: /^at:models\.m\.data\.per_class: 'models\.m\.data\.per_class' is 2 .* task race is multiple-choice/,
    });
  });

  test('classification tasks take it; a task turned off by its override is fine', () => {
    const c = cfg({
      tasks: ['sst2', 'trec', 'stsb'],
      data: { per_class: 8 },
      per_task: { stsb: { data: { per_class: null } } },
    });
    const m = Object.keys(c.models)[0]!;
    assert.equal(cellSettings(c, 'trec', m).data.per_class, 8);
    assert.equal(cellSettings(c, 'stsb', m).data.per_class, null);
    assert.equal(cfg({}).data.per_class, null, 'default: off');
    assert.throws(() => cfg({ data: { per_class: 0 } }), /'data\.per_class' is 0; expected an integer >= 1 or null/);
  });

  test('from a file: file and line of the key', () => {
    const dir = mkdtempSync(join(tmpdir(), 'prunelab-fewshot-'));
    dirs.push(dir);
    const file = join(dir, 'fs.yaml');
    writeFileSync(file, 'name: fs\ntasks: [stsb]\ndata:\n  seed: 3\n  per_class: 16\n');
    assert.throws(() => loadConfig(file), {
      message: new RegExp(`^${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:5: 'data\\.per_class' is 16`),
    });
  });
});

describe('job keys: per_class enters when set, changes nothing when null', () => {
  const base = {
    name: 'fs',
    tasks: ['sst2', 'trec'],
    models: { a: { path: '/m/a' }, b: { path: '/m/b', family: 'opt' } },
    phase1: { seeds: [1, 2], epochs: 1 },
    phase2: { seeds: [7], methods: ['full', 'hscore', 'random'] },
    pruning: { transfer: ['a -> b'] },
  };
  const cfgOf = (data: Record<string, unknown> = {}) => validateConfig({ ...base, data }, () => 'test');
  const hashes = (g: Grid) => Object.fromEntries(g.jobs.map((j) => [j.id, j.hash]));
  const alCfg = (data: Record<string, unknown> = {}) =>
    validateConfig(
      {
        name: 'fsal',
        tasks: ['sst2'],
        models: { a: { path: '/m/a' } },
        data,
        al: { seeds: [1], strategies: ['random'], warm_start: 10, query: 10, budget: 20 },
      },
      () => 'test',
    );

  test('without per_class: the hashes the code gave before the setting existed', () => {
    // computed with commit 79dba55 (before data.per_class) for this very config and no weights or data read
    const before = {
      'sst2/a/phase1/seed-1': '484df8c13b74ad42',
      'trec/b/phase1/seed-2': 'e411c136f7973084',
      'trec/a/phase1/seed-1': '1510ca045f02d93b',
      'sst2/a/scores/all': 'ab509b7d5d36e07a',
      'trec/a/scores/all': '2a010bff22fb870f',
      'sst2/a/phase2/full-seed-7': '8326b2e9480a4e67',
      'trec/a/phase2/full-seed-7': '995c7116bb6adb09',
      'trec/a/phase2/hscore-02-seed-7': '5f31949caebf3de3',
      'trec/a/phase2/random-02-seed-7': '08e2652b22ba4d5b',
      'sst2/b/phase2/hscore-02-seed-7': '0cc884ec0312a813',
      'sst2/b/phase2/hscore-02-from-a-seed-7': '0d56c7d6b834c065',
    };
    const now = hashes(expandGrid(cfgOf()));
    for (const [id, h] of Object.entries(before)) assert.equal(now[id], h, id);
    assert.deepEqual(hashes(expandGrid(cfgOf({ per_class: null }))), now);
    assert.deepEqual(hashes(expandGrid(alCfg())), {
      'sst2/a/al/random-seed-1/step-00': 'e9f576d3d07cf549',
      'sst2/a/al/random-seed-1/step-01': '52c8ad19f6b8d6c4',
    });
    const cfg = cfgOf();
    assert.equal(dataKey('sst2', cfg.data), 'cccb79845014999c');
    assert.equal(dataKey('trec', cfg.data), '8c52c93a159a519f');
  });

  test('without per_class: the key is that of the data object without the key (a config.json written before it)', () => {
    const cfg = cfgOf();
    const { per_class, ...without } = cfg.data;
    assert.equal(per_class, null);
    assert.deepEqual(dataSettingsKey(cfg.data), without);
    assert.equal(JSON.stringify(dataSettingsKey(cfg.data)), JSON.stringify(without));
    const sha = (x: unknown) => createHash('sha256').update(JSON.stringify(x)).digest('hex').slice(0, 16);
    assert.equal(dataKey('sst2', cfg.data), sha({ task: 'sst2', data: without }));
    const old = { ...cfg, data: without as DataCfg } as ExperimentConfig; // as an old results/<name>/config.json
    assert.deepEqual(hashes(expandGrid(old)), hashes(expandGrid(cfg)));
    assert.deepEqual(hashes(expandGrid({ ...alCfg(), data: without as DataCfg })), hashes(expandGrid(alCfg())));
  });

  test('with per_class: every phase-1, phase-2, transfer and AL key and the data digest key change', () => {
    const off = hashes(expandGrid(cfgOf()));
    const eight = hashes(expandGrid(cfgOf({ per_class: 8 })));
    const sixteen = hashes(expandGrid(cfgOf({ per_class: 16 })));
    assert.deepEqual(Object.keys(eight), Object.keys(off), 'the same jobs');
    for (const id of Object.keys(off)) {
      assert.notEqual(eight[id], off[id], id);
      assert.notEqual(sixteen[id], eight[id], id);
    }
    assert.ok(
      Object.keys(off).some((id) => id.endsWith('-from-a-seed-7')),
      'transfer jobs are among them',
    );
    const al = hashes(expandGrid(alCfg()));
    const al8 = hashes(expandGrid(alCfg({ per_class: 8 })));
    for (const id of Object.keys(al)) assert.notEqual(al8[id], al[id], id);
    const data = cfgOf().data;
    assert.notEqual(dataKey('sst2', { ...data, per_class: 8 }), dataKey('sst2', data));
    assert.notEqual(dataKey('sst2', { ...data, per_class: 8 }), dataKey('sst2', { ...data, per_class: 16 }));
    assert.deepEqual(dataSettingsKey({ ...data, per_class: 8 }), { ...data, per_class: 8 });
  });
});

test('status: a job made before per_class existed has not changed its settings by it (null is unset)', () => {
  const was = { data: { train_size: 2000, seed: 1 } };
  assert.equal(settingsChange(was, { data: { train_size: 2000, per_class: null, seed: 1 } }), undefined);
  assert.equal(
    settingsChange(was, { data: { train_size: 2000, per_class: 8, seed: 1 } }),
    'settings changed: data.per_class unset -> 8',
  );
});
