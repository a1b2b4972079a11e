// `peft:` in experiment configs: where it may be set and which setting wins, the errors that stop a config before
// anything runs (file:line, the key path, what is allowed), and what the parsed options do to the job keys.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { PEFT_METHOD_NAMES, tinyConfig } from '@prunelab/finetune';
import { loadConfig, validateConfig } from './config.ts';
import { expandGrid, type Grid, type Phase1Job, type Phase2Job } from './grid.ts';
import { settingsNote } from './report-cells.ts';
import { ticketSummary } from './report-tables.ts';
import { cellSettings } from './schema.ts';
import { settingsChange } from './stale.ts';
import type { ModelWeights } from './weights.ts';

const dir = mkdtempSync(join(tmpdir(), 'prunelab-peft-config-'));
const esc = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
function file(name: string, text: string): string {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
}

// model folders with only config.json: what the plan reads to check options against the model
function folder(name: string, family: 'bert' | 'opt' | 'use-lite'): string {
  const d = join(dir, name);
  mkdirSync(d, { recursive: true });
  writeFileSync(join(d, 'config.json'), JSON.stringify(tinyConfig(family)));
  return d;
}
const BERT = folder('bert', 'bert');
const OPT = folder('opt', 'opt');
const weights = (models: Record<string, string>): Record<string, ModelWeights> =>
  Object.fromEntries(Object.entries(models).map(([n, d]) => [n, { dir: d, digest: `digest-${n}`, pretrain: null }]));

const base = {
  name: 'p',
  tasks: ['sst2'],
  models: { a: { path: BERT }, b: { path: OPT, family: 'opt' } },
  phase1: { seeds: [1, 2], epochs: 2 },
  phase2: { seeds: [7], methods: ['full', 'hscore', 'random'] },
};
type Raw = Record<string, unknown>;
const cfgOf = (over: Raw = {}) => validateConfig({ ...base, ...over }, () => 'test');
const gridOf = (over: Raw = {}) => expandGrid(cfgOf(over), weights({ a: BERT, b: OPT }));
const hashes = (g: Grid) => new Map(g.jobs.map((j) => [j.id, j.hash]));
const LORA = { method: 'lora', r: 4, lora_alpha: 8 };

test('peft settings: a phase (per task, per model, top level) wins over the model-level default; none is full', () => {
  const cfg = cfgOf({
    models: {
      a: { path: BERT, peft: LORA, phase2: { peft: 'none' } },
      b: { path: OPT, family: 'opt' },
    },
    phase1: { ...base.phase1, peft: { method: 'ia3' } },
    per_task: { rte: { phase1: { peft: { method: 'lora', r: 2 } } } },
    tasks: ['sst2', 'rte'],
  });
  assert.deepEqual(cellSettings(cfg, 'sst2', 'a').phase1.peft, { method: 'ia3' }); // the top-level phase setting
  assert.equal(cellSettings(cfg, 'sst2', 'a').phase2.peft, 'none'); // the model's phase override
  assert.deepEqual(cellSettings(cfg, 'rte', 'a').phase1.peft, { method: 'lora', r: 2 }); // per task
  assert.deepEqual(cellSettings(cfg, 'sst2', 'b').phase1.peft, { method: 'ia3' });
  assert.equal(cellSettings(cfg, 'sst2', 'b').phase2.peft, 'none'); // nothing set: full fine-tuning
  const plain = cfgOf({ models: { a: { path: BERT, peft: LORA } } });
  assert.deepEqual(cellSettings(plain, 'sst2', 'a').phase2.peft, LORA); // no phase setting: the model's
});

test('config errors name file:line, the key path and what is allowed', () => {
  const head = `name: x\nmodels:\n  a: { path: ${BERT} }\n`;
  const unknown = file('unknown.yaml', `${head}phase1:\n  peft:\n    method: lorra\n`);
  assert.throws(
    () => loadConfig(unknown),
    new RegExp(`${esc(unknown)}:6: phase1\\.peft\\.method: unknown PEFT method 'lorra'; known: .*lora`),
  );
  const noMethod = file('nomethod.yaml', `${head}phase2:\n  peft: { r: 8 }\n`);
  assert.throws(
    () => loadConfig(noMethod),
    /nomethod.yaml:5: 'phase2.peft' has no method; give \{method: <one of lora/,
  );
  // a method for another family or head: known from the config alone
  const family = file(
    'family.yaml',
    'name: x\nmodels:\n  u:\n    path: nowhere\n    family: use-lite\n    peft: { method: prefix }\n',
  );
  assert.throws(
    () => loadConfig(family),
    new RegExp(
      `${esc(family)}:6: models\\.u\\.peft\\.method: 'prefix' does not apply to USE-Lite \\(model 'u', family ` +
        'use-lite\\); it applies to bert, roberta, opt',
    ),
  );
  const mc = file('head.yaml', `${head}tasks: [race]\nphase2:\n  peft: { method: prompt }\n`);
  assert.throws(
    () => loadConfig(mc),
    /head.yaml:6: phase2\.peft\.method: 'prompt' supports the seqcls head\(s\); task race trains the 'mc' head/,
  );
  const word = file('word.yaml', `name: x\nmodels:\n  a: { path: ${BERT}, peft: lora }\n`);
  assert.throws(
    () => loadConfig(word),
    /word.yaml:3: 'models.a.peft' is "lora"; expected none or \{method: <a PEFT method>, <its options>\}/,
  );
  // options are checked against the model's config.json when the grid is planned: before anything runs
  const r0 = file('r0.yaml', `${head}phase1:\n  peft:\n    method: lora\n    r: 0\n`);
  assert.throws(
    () => expandGrid(loadConfig(r0), weights({ a: BERT })),
    new RegExp(`${esc(r0)}:7: phase1\\.peft\\.r: 0 is not a valid rank; allowed: an integer >= 1 \\(model 'a'\\)`),
  );
  const target = file(
    'target.yaml',
    `name: x\nmodels:\n  a:\n    path: ${BERT}\n    phase2:\n      peft: { method: lora, target_modules: [q_proj] }\n`,
  );
  assert.throws(
    () => expandGrid(loadConfig(target), weights({ a: BERT })),
    (e: Error) =>
      e.message.startsWith(`${target}:6: models.a.phase2.peft.target_modules: `) &&
      /allowed: .*\(attention\.self\.query, attention\.self\.key, attention\.self\.value, /.test(e.message),
  );
  const option = file('option.yaml', `${head}phase1:\n  peft: { method: lora, rank: 8 }\n`);
  assert.throws(
    () => expandGrid(loadConfig(option), weights({ a: BERT })),
    /option.yaml:5: phase1\.peft\.rank: not an option of LoRA \(peft 0\.5\.0\); allowed: r, lora_alpha/,
  );
  // a model folder not made yet: the options wait for it (run makes the folder and plans again before any job)
  assert.doesNotThrow(() =>
    expandGrid(loadConfig(r0), { a: { dir: join(dir, 'none'), digest: null, pretrain: null } }),
  );
});

test('the job keys: every peft option changes them, unrelated settings and the way options are written do not', () => {
  const plain = hashes(gridOf());
  // model a's phase 1 (and phase 2) tuned with `peft`
  const onA = (phase1: unknown, phase2?: unknown, b: Raw = base.models.b) => ({
    models: { a: { path: BERT, phase1: { peft: phase1 }, ...(phase2 ? { phase2: { peft: phase2 } } : {}) }, b },
  });
  // peft: none, written anywhere, is full fine-tuning: the keys of configs made before peft existed
  assert.deepEqual(hashes(gridOf({ models: { a: { path: BERT, peft: 'none' }, b: base.models.b } })), plain);
  assert.deepEqual(hashes(gridOf({ phase2: { ...base.phase2, peft: 'none' } })), plain);

  const lora = hashes(gridOf(onA(LORA)));
  for (const [id, h] of lora) {
    if (id.includes('/b/')) assert.equal(h, plain.get(id), `${id}: model b is tuned as before`);
    else if (id.includes('/full-seed-')) assert.equal(h, plain.get(id), `${id}: full data does not use phase 1`);
    else assert.notEqual(h, plain.get(id), `${id}: phase 1 (or the runs it reads) tuned with LoRA`);
  }
  // defaults written out, options in another order: the same parsed options, the same keys
  const spelled = { lora_alpha: 8, lora_dropout: 0, target_modules: ['query', 'value'], r: 4, method: 'lora' };
  assert.deepEqual(hashes(gridOf(onA(spelled))), lora);
  for (const change of [
    { r: 8 },
    { lora_alpha: 16 },
    { lora_dropout: 0.1 },
    { target_modules: ['query', 'key', 'value'] },
    { use_rslora: true },
    { method: 'ia3', r: undefined, lora_alpha: undefined },
  ]) {
    const peft = JSON.parse(JSON.stringify({ ...LORA, ...change })) as Raw;
    const other = hashes(gridOf(onA(peft)));
    assert.notEqual(other.get('sst2/a/phase1/seed-1'), lora.get('sst2/a/phase1/seed-1'), JSON.stringify(change));
    assert.notEqual(other.get('sst2/a/phase2/hscore-02-seed-7'), lora.get('sst2/a/phase2/hscore-02-seed-7'));
    assert.equal(other.get('sst2/a/phase2/full-seed-7'), lora.get('sst2/a/phase2/full-seed-7'));
  }
  // phase 2's own peft: phase-2 keys only, every phase-2 job of the cell
  const p2 = hashes(gridOf(onA(LORA, LORA)));
  for (const [id, h] of p2) {
    if (id.includes('/a/phase2/')) assert.notEqual(h, lora.get(id), id);
    else assert.equal(h, lora.get(id), id);
  }
  // an unrelated setting of the same section leaves the peft jobs of other cells alone
  const otherLr = hashes(gridOf(onA(LORA, undefined, { ...base.models.b, phase1: { lr: 1e-3 } })));
  for (const [id, h] of otherLr) if (id.includes('/a/')) assert.equal(h, lora.get(id), id);
});

test('peft: none in phase 2 under a model-level LoRA: LoRA score runs, fully fine-tuned phase 2', () => {
  const over = {
    models: { a: { path: BERT, peft: LORA }, b: base.models.b },
    phase2: { ...base.phase2, peft: 'none' },
  };
  const g = gridOf(over);
  const p1 = g.byId.get('sst2/a/phase1/seed-1') as Phase1Job;
  assert.deepEqual(p1.peft?.options, {
    lora_alpha: 8,
    lora_dropout: 0,
    method: 'lora',
    r: 4,
    target_modules: ['query', 'value'],
    use_rslora: false,
  });
  assert.equal(p1.peft?.key, 'models.a.peft');
  for (const j of g.jobs.filter((x): x is Phase2Job => x.kind === 'phase2')) assert.equal(j.peft, null, j.id);
  // phase 2 on full data is the same job as without any peft; the subset runs read LoRA-scored subsets
  const plain = hashes(gridOf());
  assert.equal(g.byId.get('sst2/a/phase2/full-seed-7')!.hash, plain.get('sst2/a/phase2/full-seed-7'));
  assert.notEqual(g.byId.get('sst2/a/phase2/hscore-02-seed-7')!.hash, plain.get('sst2/a/phase2/hscore-02-seed-7'));
  // and the reverse: subsets scored with full fine-tuning, transferred to a LoRA phase 2 of model b
  const t = gridOf({
    models: { a: base.models.a, b: { ...base.models.b, phase2: { peft: { method: 'lora' } } } },
    pruning: { transfer: ['a -> b'] },
  });
  const moved = t.byId.get('sst2/b/phase2/hscore-02-from-a-seed-7') as Phase2Job;
  assert.equal(moved.peft?.options.method, 'lora');
  assert.deepEqual(moved.peft?.options.target_modules, ['q_proj', 'v_proj']); // OPT's default targets
  assert.equal((t.byId.get('sst2/a/phase1/seed-1') as Phase1Job).peft, null);
});

test('the report labels PEFT cells: settings note and a tuning column; full fine-tuning grids read as before', () => {
  const cfg = cfgOf({
    models: { a: { path: BERT, peft: LORA }, b: base.models.b },
    phase2: { ...base.phase2, peft: 'none' },
  });
  const note = settingsNote(cellSettings(cfg, 'sst2', 'a'));
  assert.match(note, /; tuning: phase 1 LoRA \(peft 0\.5\.0\): r 4, lora_alpha 8, phase 2 full fine-tuning$/);
  assert.doesNotMatch(settingsNote(cellSettings(cfg, 'sst2', 'b')), /tuning/);
  assert.doesNotMatch(settingsNote(cellSettings(cfgOf(), 'sst2', 'a')), /tuning/);
  const g = expandGrid(cfg, weights({ a: BERT, b: OPT }));
  const row = { task: 'sst2', variant: 'all', method: 'full', subset: '', label: 'full data', ticket: false };
  const result = { size: 10, subsetPct: 100, mean: 0.5, std: 0, n: 1, seeds: [7], values: [0.5], collapsedSeeds: [] };
  const rows = ['a', 'b'].map((model) => ({
    ...row,
    ...result,
    model,
    scoredBy: model,
    extra: {},
    others: {},
    curve: [],
  }));
  const t = ticketSummary(rows as never, g, cfg);
  assert.deepEqual(t.header.slice(0, 3), ['task', 'model', 'tuning']);
  assert.deepEqual(
    t.rows.map((r) => r.slice(0, 3)),
    [
      ['sst2', 'a', 'phase 1 lora, phase 2 full'],
      ['sst2', 'b', 'full'],
    ],
  );
  assert.ok(!ticketSummary(rows as never, gridOf(), cfgOf()).header.includes('tuning'));
});

test('experiments/README.md has a row per PEFT method of the table', () => {
  const readme = readFileSync(join(import.meta.dirname, '../../../experiments/README.md'), 'utf8');
  for (const name of PEFT_METHOD_NAMES()) assert.ok(readme.includes(`\n| \`${name}\` |`), `no README row for ${name}`);
});

test('experiments/cpu-lora.yaml: USE-Lite full, LoRA and SeqBn side by side on SST-2 and TREC, and a transfer to LoRA', () => {
  const cfg = loadConfig(join(import.meta.dirname, '../../../experiments/cpu-lora.yaml'));
  assert.deepEqual(cfg.tasks, ['sst2', 'trec']);
  const tuning = Object.keys(cfg.models).map((m) => [m, cellSettings(cfg, 'sst2', m).phase1.peft]);
  assert.deepEqual(tuning, [
    ['use-lite', 'none'],
    ['use-lite-lora', { method: 'lora', r: 8, lora_alpha: 16 }],
    ['use-lite-bn', { method: 'seq_bn', reduction_factor: 16 }],
  ]);
  for (const m of Object.values(cfg.models)) assert.equal(m.path, '.cache/models/use-lite');
  assert.deepEqual(cfg.pruning.transfer, ['use-lite -> use-lite-lora']);
});

test('status of results made before peft existed: no peft setting is full fine-tuning, not a changed setting', () => {
  const now = gridOf({ phase1: { ...base.phase1, lr: 1e-3 } }).byId.get('sst2/a/phase1/seed-1')!.settings;
  // the settings a job.json written before peft existed holds: no peft key, and another lr
  const { peft: _1, ...p1 } = now.phase1;
  const { peft: _2, ...p2 } = now.phase2;
  const old = { ...now, phase1: { ...p1, lr: 2e-5 }, phase2: p2 };
  assert.equal(settingsChange(old, now), 'settings changed: phase1.lr 0.00002 -> 0.001');
  assert.equal(settingsChange({ ...old, phase1: { ...p1 } }, now), undefined);
  const lora = { ...now, phase1: { ...now.phase1, peft: LORA } };
  assert.match(
    settingsChange(now, lora) ?? '',
    /^settings changed: phase1\.peft\.method unset -> "lora", phase1\.peft\.r unset -> 4/,
  );
});
