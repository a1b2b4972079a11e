import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { didYouMean, loadConfig } from './config.ts';
import { SCHEMA } from './schema.ts';

const dir = mkdtempSync(join(tmpdir(), 'prunelab-config-'));
function file(name: string, text: string): string {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
}

test('the shipped smoke config loads, with defaults filled in', () => {
  const cfg = loadConfig(join(import.meta.dirname, '../../../experiments/smoke.yaml'));
  assert.equal(cfg.name, 'smoke');
  assert.equal(cfg.phase1.seeds.length, 3);
  assert.equal(cfg.phase1.warmup_steps, SCHEMA.phase1.warmup_steps.default);
  assert.deepEqual(cfg.phase2.methods, ['full', 'hscore', 'random']);
  assert.equal(cfg.output.dir, 'results');
});

test('a misspelt key names file, line and the likely key', () => {
  const p = file('typo.yaml', 'name: x\nphase1:\n  seeds: [1]\n  epoch: 2\n');
  assert.throws(() => loadConfig(p), (e: Error) => {
    assert.match(e.message, new RegExp(`${p.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:4: unknown key 'phase1.epoch' \\(did you mean 'epochs'\\?\\)`));
    return true;
  });
});

test('a wrong type or value names the line and what is allowed', () => {
  assert.throws(() => loadConfig(file('type.yaml', 'name: x\nphase2:\n  lr: fast\n')), /type.yaml:3: 'phase2.lr' is "fast"; expected a number >= 0/);
  assert.throws(() => loadConfig(file('enum.yaml', 'name: x\nmodel:\n  backend: tpu\n')), /enum.yaml:3: .*expected one of auto, tensorflow-gpu, tensorflow, wasm, cpu/);
  assert.throws(() => loadConfig(file('noname.yaml', 'task: sst2\n')), /'name' is required/);
  assert.throws(() => loadConfig(file('bad.yaml', 'name: x\nphase1: [1\n')), /bad.yaml:\d+: not valid YAML/);
  assert.throws(() => loadConfig(join(dir, 'missing.yaml')), /missing.yaml: cannot read the config \(ENOENT\)/);
});

test('--set overrides are parsed as YAML and validated', () => {
  const p = file('base.yaml', 'name: x\nphase2:\n  lr: 0.1\n');
  const cfg = loadConfig(p, ['phase2.lr=1e-5', 'phase1.seeds=[1,2]']);
  assert.equal(cfg.phase2.lr, 1e-5);
  assert.deepEqual(cfg.phase1.seeds, [1, 2]);
  assert.throws(() => loadConfig(p, ['phase2.lr']), /expected key=value/);
  assert.throws(() => loadConfig(p, ['phase9.lr=1']), /unknown key 'phase9'/);
});

test('did-you-mean only suggests close keys', () => {
  assert.equal(didYouMean('batchsize', ['batch_size', 'lr']), " (did you mean 'batch_size'?)");
  assert.equal(didYouMean('zzz', ['batch_size', 'lr']), '');
});
