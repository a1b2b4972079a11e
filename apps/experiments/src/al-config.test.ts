// The al: experiment kind: what the config reader accepts and refuses (file:line, the key, the fix) and the job
// graph it plans (chained steps per curve, keys that hold what decides each step).
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { writeSubset } from '@prunelab/pruning';
import { stepCount } from './al-grid.ts';
import { poolIds, stepSeed, warmStart } from './al-step.ts';
import type { Cell } from './cell.ts';
import { loadConfig } from './config.ts';
import { expandGrid, type AlStepJob } from './grid.ts';
import type { ModelWeights } from './weights.ts';

const dir = mkdtempSync(join(tmpdir(), 'prunelab-al-config-'));
function file(name: string, text: string): string {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
}
const MODEL = 'models: { a: { path: /nowhere/a } }';
const cfgOf = (al: string, more = '') =>
  loadConfig(file('al.yaml', `name: al\ntasks: [sst2, trec]\n${MODEL}\n${more}al:\n${al}\n`));
const W: Record<string, ModelWeights> = { a: { dir: '/nowhere/a', digest: 'w1' } as ModelWeights };

test('an al: config loads with its defaults, and a model may override its training settings', () => {
  const cfg = loadConfig(
    file(
      'ok.yaml',
      'name: al\ntasks: [sst2]\nmodels:\n  a: { path: /x, al: { lr: 3.0e-3 } }\n  b: { path: /x }\nal:\n  budget: 300\n',
    ),
  );
  assert.equal(cfg.al!.warm_start, 100);
  assert.equal(cfg.al!.query, 50);
  assert.equal(cfg.al!.reinit, true);
  assert.equal(stepCount(cfg.al!), 5); // 100, 150, 200, 250, 300
  const plain = loadConfig(file('plain.yaml', 'name: p\ntasks: [sst2]\n'));
  assert.equal(plain.al, null);
});

test('an al: config with impossible or unknown settings is refused with file:line, the key and the fix', () => {
  const bad = (al: string, re: RegExp, more = '') => assert.throws(() => cfgOf(al, more), re);
  bad(
    '  budget: 120',
    /al\.yaml:5: al\.budget = 120 is not al\.warm_start \(100\) plus whole queries of 50; use 100 or 150/,
  );
  bad('  warm_start: 200\n  budget: 150', /al\.budget = 150 is below al\.warm_start = 200/);
  bad(
    '  strategies: [random, entropyy]',
    /al\.yaml:5: al\.strategies: 'entropyy' is not a strategy; strategies: random, /,
  );
  bad(
    '  strategies: [cal]\n  strategy_options: { badge: {} }',
    /al\.yaml:6: al\.strategy_options\.badge: 'badge' is not in al\.strategies/,
  );
  bad('  pool: missing-ids.txt', /al\.yaml:5: al\.pool: .*missing-ids\.txt does not exist/);
  bad('  budget: 200', /al\.yaml:4: 'phase2' belongs to the pruning grid/, 'phase2: { seeds: [1] }\n');
  assert.throws(
    () => loadConfig(file('stsb.yaml', `name: al\ntasks: [stsb]\n${MODEL}\nal: {}\n`)),
    /task stsb is regression; .* classification tasks only/,
  );
  file('few.txt', 'a\nb\n');
  bad('  pool: few.txt', /al\.pool holds 2 ids, fewer than al\.budget = 1000/);
});

test('the AL grid: one chain of steps per task, model, strategy and seed, each step keyed by the steps before it', () => {
  const cfg = cfgOf('  warm_start: 20\n  query: 10\n  budget: 50\n  strategies: [random, entropy]\n  seeds: [1, 2]');
  const g = expandGrid(cfg, W, {});
  const jobs = g.jobs as AlStepJob[];
  assert.equal(jobs.length, 2 * 2 * 2 * 4); // tasks x strategies x seeds x steps (20, 30, 40, 50)
  const curve = jobs.filter((j) => j.task === 'sst2' && j.strategy === 'entropy' && j.seed === 2);
  assert.deepEqual(
    curve.map((j) => [j.id, j.labelled, j.query, j.deps]),
    [
      ['sst2/a/al/entropy-seed-2/step-00', 20, 10, []],
      ['sst2/a/al/entropy-seed-2/step-01', 30, 10, ['sst2/a/al/entropy-seed-2/step-00']],
      ['sst2/a/al/entropy-seed-2/step-02', 40, 10, ['sst2/a/al/entropy-seed-2/step-01']],
      ['sst2/a/al/entropy-seed-2/step-03', 50, 0, ['sst2/a/al/entropy-seed-2/step-02']],
    ],
  );
  assert.ok(jobs.every((j) => j.dataMissing)); // no data read: placeholders, never run
  assert.equal(new Set(jobs.map((j) => j.hash)).size, jobs.length);
  // the same config gives the same keys; a later budget keeps the steps it shares, another query changes them all
  const again = expandGrid(
    cfgOf('  warm_start: 20\n  query: 10\n  budget: 60\n  strategies: [random, entropy]\n  seeds: [1, 2]'),
    W,
    {},
  );
  for (const j of jobs) {
    if (j.query === 0)
      assert.notEqual(again.byId.get(j.id)?.hash, j.hash, j.id); // now it has to query
    else assert.equal(again.byId.get(j.id)?.hash, j.hash, j.id);
  }
  const other = expandGrid(
    cfgOf('  warm_start: 20\n  query: 15\n  budget: 50\n  strategies: [random, entropy]\n  seeds: [1, 2]'),
    W,
    {},
  );
  assert.notEqual(other.byId.get(curve[0]!.id)?.hash, curve[0]!.hash);
});

test('the pool: sorted ids, a pool file restricts them; the warm start is a seeded draw the strategies share', () => {
  const ids = Array.from({ length: 30 }, (_, i) => `id-${String(i).padStart(2, '0')}`);
  const cell = {
    task: 'sst2',
    trainIds: [...ids].reverse(),
    rowOf: new Map(ids.map((id, i) => [id, i])),
  } as unknown as Cell;
  assert.deepEqual(poolIds(cell, null, 10), ids);
  const pf = file('pool.txt', '# kept\nid-05\nid-01\nid-07\n');
  assert.deepEqual(poolIds(cell, pf, 3), ['id-01', 'id-05', 'id-07']);
  assert.throws(() => poolIds(cell, pf, 4), /pool holds 3 examples, fewer than al\.budget = 4/);
  // a pruning run's subset file (the winning ticket, say) is a pool too
  const ticket = join(dir, 'ticket.json');
  writeSubset(ticket, { ids: ['id-09', 'id-02', 'id-04'], method: 'hscore', params: {}, total: 30 });
  assert.deepEqual(poolIds(cell, ticket, 3), ['id-02', 'id-04', 'id-09']);
  assert.throws(() => poolIds(cell, file('bad.txt', 'id-01\nnope\n'), 1), /id nope is not in the sst2 training set/);
  const w = warmStart(ids, 10, 7);
  assert.equal(new Set(w).size, 10);
  assert.deepEqual(warmStart(ids, 10, 7), w);
  assert.notDeepEqual(warmStart(ids, 10, 8), w);
  assert.notEqual(stepSeed(1, 0), stepSeed(1, 1));
});
