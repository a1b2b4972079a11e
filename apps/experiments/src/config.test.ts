import { loadPretrainConfig } from './pretrain-config.ts';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { didYouMean, loadConfig } from './config.ts';
import { MAPS, SCHEMA } from './schema.ts';

const dir = mkdtempSync(join(tmpdir(), 'prunelab-config-'));
const EXPERIMENTS = join(import.meta.dirname, '../../../experiments');
function file(name: string, text: string): string {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
}
const esc = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

test('npm start runs start.yaml: a pretrained model (no random weights), full data vs ticket vs random, 3 seeds', () => {
  const pkg = JSON.parse(readFileSync(join(EXPERIMENTS, '../package.json'), 'utf8')) as { scripts: { start: string } };
  assert.match(pkg.scripts.start, / run experiments\/start\.yaml$/);
  const cfg = loadConfig(join(EXPERIMENTS, 'start.yaml'));
  assert.deepEqual(
    Object.values(cfg.models).map((m) => [m.family, m.generate_if_missing]),
    [['use-lite', false]],
  );
  assert.deepEqual(cfg.phase2.methods, ['full', 'hscore', 'random']);
  assert.equal(cfg.phase2.seeds.length, 3);
});

test('the shipped smoke config loads, with defaults filled in', () => {
  const cfg = loadConfig(join(EXPERIMENTS, 'smoke.yaml'));
  assert.equal(cfg.name, 'smoke');
  assert.deepEqual(cfg.tasks, ['sst2']);
  assert.equal(cfg.phase1.seeds.length, 3);
  assert.equal(cfg.phase1.warmup_steps, SCHEMA.phase1.warmup_steps.default);
  assert.deepEqual(cfg.phase2.methods, ['full', 'hscore', 'random']);
  assert.equal(cfg.models['tiny-bert']!.family, 'bert');
  assert.equal(cfg.models['tiny-bert']!.generate_if_missing, true);
  assert.equal(cfg.output.dir, 'results');
});

test('every shipped config (and ablation) loads', () => {
  const files = readdirSync(EXPERIMENTS, { recursive: true })
    .map(String)
    .filter((f) => f.endsWith('.yaml'));
  assert.ok(files.length >= 8, files.join(', '));
  // pretrain-*.yaml are `experiments pretrain` configs, with their own schema
  for (const f of files)
    assert.doesNotThrow(
      () => (/(^|\/)pretrain-[^/]*\.yaml$/.test(f) ? loadPretrainConfig : loadConfig)(join(EXPERIMENTS, f)),
      f,
    );
  const paper = loadConfig(join(EXPERIMENTS, 'paper.yaml'));
  assert.deepEqual(paper.tasks, ['mnli', 'sst2', 'snli', 'squad_v2', 'race']);
  assert.equal(paper.per_task.squad_v2?.data?.max_length, 384);
  assert.equal(paper.models['opt-350m']?.phase2?.lr, 2e-5);
});

test('a misspelt key names file, line and the likely key', () => {
  const p = file('typo.yaml', 'name: x\nphase1:\n  seeds: [1, 2]\n  epoch: 2\n');
  assert.throws(
    () => loadConfig(p),
    new RegExp(`${esc(p)}:4: unknown key 'phase1.epoch' \\(did you mean 'epochs'\\?\\)`),
  );
  assert.throws(
    () => loadConfig(file('top.yaml', 'name: x\nmodel:\n  path: a\n')),
    /top.yaml:2: unknown key 'model' \(did you mean 'models'\?\)/,
  );
  assert.throws(
    () => loadConfig(file('m.yaml', 'name: x\nmodels:\n  a:\n    path: p\n    famly: opt\n')),
    /m.yaml:5: unknown key 'models.a.famly' \(did you mean 'family'\?\)/,
  );
});

test('a wrong type or value names the line and what is allowed', () => {
  assert.throws(
    () => loadConfig(file('type.yaml', 'name: x\nphase2:\n  lr: fast\n')),
    /type.yaml:3: 'phase2.lr' is "fast"; expected a number >= 0/,
  );
  assert.throws(
    () => loadConfig(file('enum.yaml', 'name: x\nrun:\n  backend: tpu\n')),
    /enum.yaml:3: .*expected one of auto, tensorflow-gpu, tensorflow, webgpu, wasm, cpu/,
  );
  assert.throws(
    () => loadConfig(file('task.yaml', 'name: x\ntasks: [sst2, sst3]\n')),
    /task.yaml:2: 'tasks' is .*expected a list of (\w+, )*sst2, (\w+, )*cola/,
  );
  assert.throws(() => loadConfig(file('noname.yaml', 'tasks: [sst2]\n')), /'name' is required/);
  assert.throws(
    () => loadConfig(file('nopath.yaml', 'name: x\nmodels:\n  a: { family: opt }\n')),
    /nopath.yaml:3: 'models.a.path' is required/,
  );
  assert.throws(() => loadConfig(file('bad.yaml', 'name: x\nphase1: [1\n')), /bad.yaml:\d+: not valid YAML/);
  assert.throws(() => loadConfig(join(dir, 'missing.yaml')), /missing.yaml: cannot read the config \(ENOENT\)/);
});

test('rules between keys: subsets, runs_used, transfer', () => {
  const base = 'name: x\nmodels:\n  a: { path: p }\n  b: { path: q }\nphase1:\n  seeds: [1, 2, 3]\n  epochs: 2\n';
  assert.throws(
    () => loadConfig(file('ru.yaml', base + 'pruning:\n  runs_used: [1, 4]\n')),
    /ru.yaml:9: runs_used 4 is above R = 3/,
  );
  assert.throws(
    () => loadConfig(file('eu.yaml', base + 'pruning:\n  epochs_used: [3]\n')),
    /eu.yaml:9: epochs_used 3 is above phase1.epochs = 2/,
  );
  assert.throws(
    () => loadConfig(file('sub.yaml', base + 'pruning:\n  subsets: [best]\n')),
    /sub.yaml:9: subset 'best' is not 'winning', 'paper'/,
  );
  assert.throws(
    () => loadConfig(file('tr.yaml', base + 'pruning:\n  transfer: [a -> c]\n')),
    /tr.yaml:9: transfer 'a -> c' names model 'c'/,
  );
  assert.throws(() => loadConfig(file('tr2.yaml', base + 'pruning:\n  transfer: [a to b]\n')), /must read 'A -> B'/);
  assert.deepEqual(loadConfig(file('ok.yaml', base + 'pruning:\n  transfer: [a -> b]\n')).pruning.transfer, ['a -> b']);
});

test('extends: relative path, deep merge, lists replace, errors point into the right file', () => {
  const sub = mkdtempSync(join(dir, 'ext-'));
  writeFileSync(
    join(sub, 'base.yaml'),
    'name: base\nphase1:\n  seeds: [1, 2, 3]\n  epochs: 2\n  lr: 0.5\nphase2:\n  methods: [full, hscore, random]\n',
  );
  writeFileSync(
    join(sub, 'child.yaml'),
    'extends: base.yaml\nname: child\nphase1:\n  lr: 0.1\nphase2:\n  methods: [full]\n',
  );
  const cfg = loadConfig(join(sub, 'child.yaml'));
  assert.equal(cfg.name, 'child');
  assert.deepEqual(cfg.phase1.seeds, [1, 2, 3]); // merged from the base
  assert.equal(cfg.phase1.epochs, 2);
  assert.equal(cfg.phase1.lr, 0.1); // the child wins
  assert.deepEqual(cfg.phase2.methods, ['full']); // lists replace
  assert.equal(cfg.extends, 'base.yaml');
  // a bad value in the base is reported at the base's line
  writeFileSync(join(sub, 'badbase.yaml'), 'name: b\nphase1:\n  epochs: many\n');
  writeFileSync(join(sub, 'child2.yaml'), 'extends: badbase.yaml\nname: c\n');
  assert.throws(
    () => loadConfig(join(sub, 'child2.yaml')),
    new RegExp(`${esc(join(sub, 'badbase.yaml'))}:3: 'phase1.epochs' is "many"`),
  );
  // missing base
  writeFileSync(join(sub, 'orphan.yaml'), 'name: o\nextends: nowhere.yaml\n');
  assert.throws(
    () => loadConfig(join(sub, 'orphan.yaml')),
    /orphan.yaml:2: extends '.*nowhere.yaml' cannot be read \(ENOENT\)/,
  );
});

test('extends cycles are detected with the whole chain', () => {
  const sub = mkdtempSync(join(dir, 'cycle-'));
  writeFileSync(join(sub, 'a.yaml'), 'name: a\nextends: b.yaml\n');
  writeFileSync(join(sub, 'b.yaml'), 'extends: ./a.yaml\n');
  assert.throws(
    () => loadConfig(join(sub, 'a.yaml')),
    /extends cycle: .*a\.yaml -> .*b\.yaml -> .*a\.yaml; remove one of these extends/,
  );
  writeFileSync(join(sub, 'self.yaml'), 'name: s\nextends: self.yaml\n');
  assert.throws(() => loadConfig(join(sub, 'self.yaml')), /extends cycle/);
});

test('--set overrides are parsed as YAML, validated, and named in errors', () => {
  const p = file('base.yaml', 'name: x\nphase2:\n  lr: 0.1\n');
  const cfg = loadConfig(p, [
    'phase2.lr=1e-5',
    'phase1.seeds=[1,2]',
    'models.m.path=models/m',
    'per_task.rte.phase1.epochs=5',
  ]);
  assert.equal(cfg.phase2.lr, 1e-5);
  assert.deepEqual(cfg.phase1.seeds, [1, 2]);
  assert.equal(cfg.models.m!.path, 'models/m');
  assert.equal(cfg.per_task.rte?.phase1?.epochs, 5);
  assert.throws(() => loadConfig(p, ['phase2.lr']), /expected key=value/);
  assert.throws(() => loadConfig(p, ['phase9.lr=1']), /unknown key 'phase9'/);
  assert.throws(() => loadConfig(p, ['phase2.lr=fast']), /--set phase2.lr=fast: 'phase2.lr' is "fast"/);
});

test('did-you-mean only suggests close keys', () => {
  assert.equal(didYouMean('batchsize', ['batch_size', 'lr']), " (did you mean 'batch_size'?)");
  assert.equal(didYouMean('zzz', ['batch_size', 'lr']), '');
});

test('experiments/README.md documents every key of the schema', () => {
  const readme = readFileSync(join(EXPERIMENTS, 'README.md'), 'utf8');
  const keys = [...Object.keys(MAPS)];
  for (const [section, fields] of Object.entries(SCHEMA)) {
    for (const key of Object.keys(fields))
      keys.push(section === 'top' ? key : section === 'model' ? `models.<name>.${key}` : `${section}.${key}`);
  }
  for (const k of keys) assert.ok(readme.includes(`\`${k}\``), `experiments/README.md does not document \`${k}\``);
});

test('phase1.record: a list of probs, grand, embedding (default []); classes only, no embedding for multiple choice', () => {
  const base = 'name: x\nmodels:\n  a: { path: p }\n';
  assert.deepEqual(loadConfig(file('rec0.yaml', base)).phase1.record, []);
  const ok = loadConfig(file('rec1.yaml', base + 'tasks: [sst2, race]\nphase1:\n  record: [probs, grand]\n'));
  assert.deepEqual(ok.phase1.record, ['probs', 'grand']);
  assert.throws(
    () => loadConfig(file('rec2.yaml', base + 'phase1:\n  record: [probs, logits]\n')),
    /rec2.yaml:5: 'phase1.record' is .*expected a list of probs, grand, embedding/,
  );
  assert.throws(
    () => loadConfig(file('rec3.yaml', base + 'tasks: [sst2, stsb]\nphase1:\n  record: [probs]\n')),
    /rec3.yaml:6: 'phase1.record' is \[probs\], but task stsb is regression: .*set it to \[\] for this task \(per_task.stsb.phase1.record: \[\]\)/,
  );
  assert.throws(
    () => loadConfig(file('rec4.yaml', base + 'tasks: [squad_v2]\nphase1:\n  record: [grand]\n')),
    /rec4.yaml:6: 'phase1.record' is \[grand\], but task squad_v2 is extractive-qa/,
  );
  assert.throws(
    () =>
      loadConfig(
        file('rec5.yaml', base + 'tasks: [race]\nper_task:\n  race:\n    phase1:\n      record: [embedding]\n'),
      ),
    /rec5.yaml:8: 'per_task.race.phase1.record' lists embedding, but task race is multiple choice/,
  );
  // the fix the message names works: the task overrides the base list
  const fixed = loadConfig(
    file(
      'rec6.yaml',
      base + 'tasks: [sst2, stsb]\nphase1:\n  record: [probs]\nper_task:\n  stsb:\n    phase1:\n      record: []\n',
    ),
  );
  assert.deepEqual(fixed.phase1.record, ['probs']);
});

test('run.backend: webgpu refuses the parts that read GPU values synchronously, naming the key; the smoke config loads', () => {
  const smoke = loadConfig(join(EXPERIMENTS, 'webgpu-smoke.yaml'));
  assert.equal(smoke.run.backend, 'webgpu');
  assert.equal(loadConfig(join(EXPERIMENTS, 'webgpu-smoke-wasm.yaml')).run.backend, 'wasm');
  const base = 'name: x\nphase1:\n  seeds: [1, 2]\nrun:\n  backend: webgpu\n';
  assert.throws(
    () => loadConfig(file('wg-mit.yaml', `${base}phase2:\n  mitigation: [none, deni]\n`)),
    /wg-mit.yaml:5: run.backend: webgpu does not run a mitigation other than none yet .*use run.backend: wasm/,
  );
  assert.throws(
    () => loadConfig(file('wg-graft.yaml', `${base}graft:\n  runs: [full]\n`)),
    /wg-graft.yaml:5: run.backend: webgpu does not run graft: yet/,
  );
  assert.equal(loadConfig(file('wg-ok.yaml', `${base}phase2:\n  mitigation: [none]\n`)).run.backend, 'webgpu');
});
