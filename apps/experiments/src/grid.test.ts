// The grid as jobs: what a config expands to, and which content decides which job's hash.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { validateConfig } from './config.ts';
import { expandGrid, expandSubsets, type Phase2Job } from './grid.ts';

const base = {
  name: 'g',
  tasks: ['sst2', 'rte'],
  models: { a: { path: '/m/a' }, b: { path: '/m/b', family: 'opt' } },
  phase1: { seeds: [1, 2, 3, 4, 5, 6], epochs: 3 },
  phase2: { seeds: [7, 8], methods: ['full', 'hscore', 'random', 'ambiguous'] },
};
const cfgOf = (over: Record<string, unknown> = {}) => validateConfig({ ...base, ...over }, () => 'test');

test('subset names: winning, paper (the seven for R = 6) and explicit ones, without duplicates', () => {
  assert.deepEqual(expandSubsets(['winning'], 6), [[0, 6]]);
  assert.deepEqual(
    expandSubsets(['paper'], 6).map((r) => r.join('')),
    ['06', '016', '0126', '01236', '0156', '012346', '012356'],
  );
  assert.deepEqual(
    expandSubsets(['winning', '06', '0126'], 6).map((r) => r.join('')),
    ['06', '0126'],
  );
});

test('tasks x models x seeds x subsets x methods, with baselines at every H subset', () => {
  const g = expandGrid(cfgOf({ pruning: { subsets: ['winning', '0126'] } }));
  const count = (kind: string) => g.jobs.filter((j) => j.kind === kind).length;
  assert.equal(count('phase1'), 2 * 2 * 6);
  assert.equal(count('scores'), 2 * 2);
  // per cell: full x 2 seeds + (hscore, random, ambiguous) x 2 subsets x 2 seeds
  assert.equal(count('phase2'), 2 * 2 * (2 + 3 * 2 * 2));
  const j = g.byId.get('rte/b/phase2/random-0126-seed-8') as Phase2Job;
  assert.equal(j.subset?.file, 'rte/b/scores/all/subsets/random-0126.json');
  assert.deepEqual(j.deps, ['rte/b/scores/all']);
  assert.deepEqual(
    g.byId.get('rte/b/scores/all')!.deps,
    [1, 2, 3, 4, 5, 6].map((s) => `rte/b/phase1/seed-${s}`),
  );
});

test('ticket_seeds: more seeds for full data and every method at the winning ticket, the one seed elsewhere', () => {
  const cfg = cfgOf({
    tasks: ['sst2'],
    models: { a: { path: '/m/a' } },
    phase2: { seeds: [6666], ticket_seeds: [1, 2, 6666], methods: ['full', 'hscore', 'random', 'ambiguous'] },
    pruning: { subsets: ['paper'] },
  });
  const p2 = expandGrid(cfg).jobs.filter((j): j is Phase2Job => j.kind === 'phase2');
  const seedsOf = (method: string, subset: string | null) =>
    p2.filter((j) => j.method === method && (j.subset?.name ?? null) === subset).map((j) => j.seed);
  assert.deepEqual(seedsOf('full', null), [6666, 1, 2]);
  for (const m of ['hscore', 'random', 'ambiguous']) {
    assert.deepEqual(seedsOf(m, '06'), [6666, 1, 2], `${m} at the ticket`);
    assert.deepEqual(seedsOf(m, '0126'), [6666], `${m} elsewhere`);
  }
  assert.equal(p2.length, 3 + 3 * 3 + 3 * 6); // full x 3, the ticket x 3 methods x 3 seeds, 6 subsets x 3 methods
  // the extra seeds decide which jobs exist, not what one computes: the 6666 jobs keep their keys
  const plain = expandGrid(cfgOf({ ...cfg, phase2: { ...cfg.phase2, ticket_seeds: [] } }));
  for (const j of plain.jobs) assert.equal(p2.find((x) => x.id === j.id)?.hash ?? j.hash, j.hash);
});

test("baselines_at: all seven H subsets train, the baselines only at the winning ticket's size", () => {
  const g = expandGrid(
    cfgOf({
      tasks: ['sst2'],
      models: { a: { path: '/m/a' } },
      pruning: { subsets: ['paper'], baselines_at: ['winning'] },
    }),
  );
  const p2 = g.jobs.filter((j): j is Phase2Job => j.kind === 'phase2');
  assert.equal(p2.filter((j) => j.method === 'hscore').length, 7 * 2);
  assert.deepEqual(
    [...new Set(p2.filter((j) => j.method === 'random' || j.method === 'ambiguous').map((j) => j.subset?.name))],
    ['06'],
  );
  assert.equal(p2.length, 2 + 7 * 2 + 2 * 2);
  assert.throws(() => cfgOf({ pruning: { baselines_at: ['best'] } }), /baselines_at.*'best'/);
});

test('runs_used / epochs_used ablations are scores variants over the same phase-1 runs', () => {
  const g = expandGrid(
    cfgOf({
      tasks: ['sst2'],
      models: { a: { path: '/m/a' } },
      pruning: { runs_used: [2, 6], epochs_used: [1, 3] },
      phase2: { seeds: [7], methods: ['hscore'] },
    }),
  );
  assert.equal(g.jobs.filter((j) => j.kind === 'phase1').length, 6); // phase 1 runs once
  assert.deepEqual(
    g.jobs.filter((j) => j.kind === 'scores').map((j) => j.id.split('/').pop()),
    ['r2-e1', 'r2', 'e1', 'all'],
  );
  assert.ok(g.byId.has('sst2/a/phase2/hscore-02-r2-e1-seed-7'));
  assert.ok(g.byId.has('sst2/a/phase2/hscore-06-seed-7'));
  assert.deepEqual(g.byId.get('sst2/a/scores/r2')!.deps, ['sst2/a/phase1/seed-1', 'sst2/a/phase1/seed-2']);
});

test('transfer: model b fine-tunes on the subset model a scored', () => {
  const g = expandGrid(cfgOf({ tasks: ['sst2'], pruning: { transfer: ['a -> b'] } }));
  const t = g.byId.get('sst2/b/phase2/hscore-06-from-a-seed-7') as Phase2Job;
  assert.equal(t.model, 'b');
  assert.equal(t.subset?.scoredBy, 'a');
  assert.equal(t.subset?.file, 'sst2/a/scores/all/subsets/hscore-06.json');
  assert.deepEqual(t.deps, ['sst2/a/scores/all']);
});

test('hashes follow content: adding a baseline redoes nothing else; a phase-1 change redoes its dependants', () => {
  const ids = (g: ReturnType<typeof expandGrid>) => new Map(g.jobs.map((j) => [j.id, j.hash]));
  const before = ids(expandGrid(cfgOf()));
  const more = ids(expandGrid(cfgOf({ phase2: { ...base.phase2, methods: [...base.phase2.methods, 'forgetting'] } })));
  for (const [id, h] of before) if (!id.includes('/scores/')) assert.equal(more.get(id), h, id);
  const lr = ids(expandGrid(cfgOf({ phase1: { ...base.phase1, lr: 1e-5 } })));
  assert.notEqual(lr.get('sst2/a/phase1/seed-1'), before.get('sst2/a/phase1/seed-1'));
  assert.notEqual(lr.get('sst2/a/phase2/hscore-06-seed-7'), before.get('sst2/a/phase2/hscore-06-seed-7'));
  assert.equal(lr.get('sst2/a/phase2/full-seed-7'), before.get('sst2/a/phase2/full-seed-7')); // full data does not use phase 1
  const p2 = ids(
    expandGrid(cfgOf({ models: { ...base.models, b: { path: '/m/b', family: 'opt', phase2: { lr: 1e-3 } } } })),
  );
  assert.equal(p2.get('sst2/a/phase2/full-seed-7'), before.get('sst2/a/phase2/full-seed-7'));
  assert.notEqual(p2.get('sst2/b/phase2/full-seed-7'), before.get('sst2/b/phase2/full-seed-7'));
  assert.equal(p2.get('sst2/b/phase1/seed-1'), before.get('sst2/b/phase1/seed-1'));
});

test('per-task settings win over per-model ones', () => {
  const cfg = cfgOf({
    models: { a: { path: '/m/a', phase2: { lr: 2e-5, epochs: 5 } } },
    per_task: { rte: { phase2: { lr: 3e-5 } } },
  });
  const g = expandGrid(cfg);
  assert.equal(g.byId.get('rte/a/phase2/full-seed-7')!.settings.phase2.lr, 3e-5);
  assert.equal(g.byId.get('rte/a/phase2/full-seed-7')!.settings.phase2.epochs, 5);
  assert.equal(g.byId.get('sst2/a/phase2/full-seed-7')!.settings.phase2.lr, 2e-5);
});

test('phase1.record: the default [] leaves every key as it was; asking for fields changes phase 1 and its dependants', () => {
  const ids = (g: ReturnType<typeof expandGrid>) => new Map(g.jobs.map((j) => [j.id, j.hash]));
  const before = ids(expandGrid(cfgOf()));
  // [] is not in the hashed settings: a config written before the key existed keeps its results
  assert.deepEqual(ids(expandGrid(cfgOf({ phase1: { ...base.phase1, record: [] } }))), before);
  const rec = ids(expandGrid(cfgOf({ phase1: { ...base.phase1, record: ['probs', 'grand'] } })));
  assert.notEqual(rec.get('sst2/a/phase1/seed-1'), before.get('sst2/a/phase1/seed-1'));
  assert.notEqual(rec.get('sst2/a/scores/all'), undefined);
  for (const [id, h] of rec) {
    if (id.includes('/phase1/') || id.includes('/scores/')) assert.notEqual(h, before.get(id), id);
    if (id.includes('/full-seed-')) assert.equal(h, before.get(id), id); // full data does not use phase 1
  }
  const other = ids(expandGrid(cfgOf({ phase1: { ...base.phase1, record: ['probs'] } })));
  assert.notEqual(other.get('sst2/a/phase1/seed-1'), rec.get('sst2/a/phase1/seed-1'));
});
