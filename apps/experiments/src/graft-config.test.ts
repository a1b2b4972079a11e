// graft: in a config - checked when read, with the key's file:line and the fix - and the jobs it adds to the grid:
// one per fine-tuning run graft.runs names, after it, keyed by the run's key and the graft settings; the runs it reads
// keep their weights, the others do not.
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { ConfigError, loadConfig } from './config.ts';
import { expandGrid, type GraftJob, type Phase1Job, type Phase2Job } from './grid.ts';
import type { ExperimentConfig } from './schema.ts';

const dir = mkdtempSync(join(tmpdir(), 'prunelab-graft-config-'));
let n = 0;
function file(text: string): string {
  const p = join(dir, `c${++n}.yaml`);
  writeFileSync(p, text);
  return p;
}
const HEAD = 'name: g\ntasks: [sst2, trec]\nmodels: { a: { path: /nowhere/a } }\n'; // a key after it: line 4
const GRID = 'phase1: { seeds: [1, 2] }\nphase2: { seeds: [7, 8], methods: [full, hscore, random] }\n'; // lines 4-5
const read = (body: string, h = HEAD): ExperimentConfig => loadConfig(file(`${h}${body}`));
const WEIGHTS = { a: { dir: '/nowhere/a', digest: 'w1', pretrain: null } };

function refused(body: string, line: number, re: RegExp, h = HEAD): void {
  const f = file(`${h}${body}`);
  assert.throws(
    () => loadConfig(f),
    (e: unknown) => {
      assert.ok(e instanceof ConfigError, `not a ConfigError: ${String(e)}`);
      assert.ok(e.message.startsWith(`${f}:${line}: `) && e.message.includes('graft'), e.message);
      assert.match(e.message, re);
      return true;
    },
  );
}

test('graft: defaults, and what the schema refuses', () => {
  const c = read(`${GRID}graft: {}\n`);
  assert.deepEqual(c.graft?.runs, ['full']);
  assert.deepEqual(c.graft?.sparsities, [0.0001, 0.001, 0.01]);
  assert.deepEqual(c.graft?.methods, ['graft', 'top_delta', 'random', 'fisher']);
  assert.equal(c.graft?.lr, 1e7);
  assert.equal(c.graft?.beta, 10);
  assert.equal(c.graft?.scope, 'layers');
  assert.equal(read(GRID).graft, null);
  refused(`${GRID}graft:\n  sparsities: [0.001, 1.5]\n`, 7, /list of numbers >= 1e-9 below 1/);
  refused(`${GRID}graft:\n  methods: [graft, magnitude]\n`, 7, /graft, top_delta, random, fisher/);
  refused(`${GRID}graft:\n  scope: heads\n`, 7, /layers, body/);
  refused(`${GRID}graft:\n  spasities: [0.1]\n`, 7, /did you mean 'sparsities'/);
});

test('graft: runs the grid does not make, tasks it cannot score, PEFT without a merge, an AL experiment', () => {
  refused('phase2: { methods: [full] }\ngraft: { runs: [hscore] }\n', 5, /add 'hscore' to phase2.methods/);
  refused('phase2: { methods: [full] }\ngraft: { runs: [phase1] }\n', 5, /phase-1 runs exist when/);
  refused('phase2: { methods: [hscore] }\ngraft: { runs: [full] }\n', 5, /add 'full' to phase2\.methods/);
  refused(
    'phase2: { methods: [full, hscore] }\npruning: { subsets: ["02"] }\ngraft: { runs: [hscore] }\n',
    6,
    /'winning' to pruning\.subsets/,
  );
  refused(
    `${GRID}graft: {}\n`,
    6,
    /task 'stsb' is regression/,
    'name: g\ntasks: [sst2, stsb]\nmodels: { a: { path: /x } }\n',
  );
  refused(
    `${GRID}graft: {}\n`,
    6,
    /bn|adds parameters with no pretrained value/,
    'name: g\ntasks: [sst2]\nmodels: { a: { path: /x, peft: { method: seq_bn } } }\n',
  );
  assert.ok(
    read(`${GRID}graft: {}\n`, 'name: g\ntasks: [sst2]\nmodels: { a: { path: /x, peft: { method: lora } } }\n').graft,
  );
});

test('one graft job per named run, after it, keyed by its key and the settings; only those runs keep weights', () => {
  const cfg = read(`${GRID}graft: { runs: [full, hscore], sparsities: [0.001] }\n`);
  const grid = expandGrid(cfg, WEIGHTS);
  const grafts = grid.jobs.filter((j): j is GraftJob => j.kind === 'graft');
  assert.deepEqual(
    grafts.map((j) => j.id),
    [
      'sst2/a/graft/full-seed-7',
      'sst2/a/graft/full-seed-8',
      'sst2/a/graft/hscore-seed-7',
      'sst2/a/graft/hscore-seed-8',
      'trec/a/graft/full-seed-7',
      'trec/a/graft/full-seed-8',
      'trec/a/graft/hscore-seed-7',
      'trec/a/graft/hscore-seed-8',
    ],
  );
  for (const g of grafts) {
    const run = grid.byId.get(g.run) as Phase2Job;
    assert.deepEqual(g.deps, [run.id]);
    assert.equal(run.keepWeights, true);
    assert.equal(g.seed, run.seed);
    assert.equal(g.trainSubset, run.subset?.file ?? null);
    assert.equal(run.method, g.runKind);
  }
  const kept = grid.jobs.filter((j) => (j as Phase1Job).keepWeights).map((j) => j.id);
  assert.equal(kept.length, 8); // full and the winning ticket's hscore runs; not random, not phase 1
  assert.ok(!kept.some((id) => id.includes('phase1') || id.includes('random')));
  // the runs' own keys do not change when grafting is added; the graft keys follow the settings and the run
  const plain = expandGrid(read(GRID), WEIGHTS);
  for (const j of plain.jobs) assert.equal(grid.byId.get(j.id)?.hash, j.hash, j.id);
  const other = expandGrid(read(`${GRID}graft: { runs: [full, hscore], sparsities: [0.01] }\n`), WEIGHTS);
  const retrained = expandGrid(read(`${GRID}graft: { runs: [full, hscore], sparsities: [0.001] }\n`), {
    a: { dir: '/nowhere/a', digest: 'w2', pretrain: null },
  });
  for (const g of grafts) {
    assert.notEqual(other.byId.get(g.id)?.hash, g.hash);
    assert.notEqual(retrained.byId.get(g.id)?.hash, g.hash);
  }
  const p1 = expandGrid(read(`${GRID}graft: { runs: [phase1] }\n`), WEIGHTS).jobs.filter((j) => j.kind === 'graft');
  assert.deepEqual(
    p1.map((j) => j.id),
    [
      'sst2/a/graft/phase1-seed-1',
      'sst2/a/graft/phase1-seed-2',
      'trec/a/graft/phase1-seed-1',
      'trec/a/graft/phase1-seed-2',
    ],
  );
});

test("a model's own phase2.methods decides its cell's jobs (a few-shot model beside a full one)", () => {
  const cfg = read(
    'phase1: { seeds: [1, 2] }\nphase2: { seeds: [7], methods: [full, hscore] }\ngraft: { runs: [full, hscore] }\n',
    'name: g\ntasks: [sst2]\nmodels:\n  a: { path: /nowhere/a }\n' +
      '  fs: { path: /nowhere/a, data: { per_class: 16 }, phase2: { methods: [full] } }\n' +
      '  r: { path: /nowhere/a, phase2: { methods: [full, hscore, random] } }\n',
  );
  const w = { dir: '/nowhere/a', digest: 'w1', pretrain: null };
  const grid = expandGrid(cfg, { a: w, fs: w, r: w });
  const ids = (model: string) => grid.jobs.filter((j) => j.model === model).map((j) => j.id);
  assert.deepEqual(ids('fs'), ['sst2/fs/phase2/full-seed-7', 'sst2/fs/graft/full-seed-7']);
  assert.ok(ids('a').includes('sst2/a/graft/hscore-seed-7') && !ids('a').some((id) => id.includes('random')));
  assert.ok(ids('r').includes('sst2/r/phase2/random-02-seed-7'));
  // every scores job draws the baselines any cell runs
  const scores = grid.jobs.filter((j) => j.kind === 'scores');
  assert.ok(scores.length === 2 && scores.every((j) => j.kind === 'scores' && j.baselines.join() === 'random'));
});
