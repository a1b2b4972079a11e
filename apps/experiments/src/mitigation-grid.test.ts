// The jobs the grid plans from the mitigation keys (grid.ts expandGrid on configs read from YAML; the model weights
// faked by their digest): one phase-2 job per entry and seed, named by the label; keys that leave the plain runs'
// unchanged (none adds nothing) and hold every option; the prefix dependencies on the none run of the same seed
// (deps, prefixFrom, the none job's keepFor); phase 1's one mitigation in its keys only when not none.
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { MITIGATIONS, parseMitigation } from '@prunelab/finetune';
import { loadConfig } from './config.ts';
import { type AlStepJob, expandGrid, jobCost, type Phase1Job, type Phase2Job } from './grid.ts';
import type { ModelWeights } from './weights.ts';

const dir = mkdtempSync(join(tmpdir(), 'prunelab-mit-grid-'));
let n = 0;
const W: Record<string, ModelWeights> = { a: { dir: '/nowhere/a', digest: 'w1' } as ModelWeights };
const HEAD = 'name: m\ntasks: [sst2]\nmodels: { a: { path: /nowhere/a } }\n';

function grid(body: string, head = HEAD) {
  const f = join(dir, `g${++n}.yaml`);
  writeFileSync(f, `${head}${body}`);
  return expandGrid(loadConfig(f), W);
}
/** the phase-2 jobs of full data, seeds 1 and 2, with this `phase2.mitigation` line (none: no such key) */
const phase2 = (mitigation?: string, head = HEAD) =>
  grid(
    `phase2:\n  methods: [full]\n  seeds: [1, 2]\n${mitigation === undefined ? '' : `  mitigation: ${mitigation}\n`}`,
    head,
  ).jobs.filter((j): j is Phase2Job => j.kind === 'phase2');
const byId = (jobs: Phase2Job[], id: string): Phase2Job => {
  const j = jobs.find((x) => x.id === `sst2/a/phase2/${id}`);
  assert.ok(j, `no job ${id} among ${jobs.map((x) => x.id).join(', ')}`);
  return j;
};

const LIST = '[none, ensemble, swa, { method: deni, copies: 2, label: d2 }]';

test('one job per entry and seed, named by the label', () => {
  const jobs = phase2(LIST);
  assert.deepEqual(
    jobs.map((j) => j.id.replace('sst2/a/phase2/', '')),
    [1, 2].flatMap((s) => ['full', 'full-ensemble', 'full-swa', 'full-d2'].map((x) => `${x}-seed-${s}`)),
  );
  assert.equal(byId(jobs, 'full-seed-1').mitigation, undefined, 'none: no mitigation on the job');
  assert.deepEqual(byId(jobs, 'full-d2-seed-2').mitigation, {
    label: 'd2',
    spec: parseMitigation({ method: 'deni', copies: 2 }),
  });
  assert.equal(byId(jobs, 'full-d2-seed-2').seed, 2);
  assert.match(byId(jobs, 'full-ensemble-seed-1').label, / ensemble seed 1$/);
  assert.match(byId(jobs, 'full-seed-1').label, /full data seed 1$/);
  // the options with their defaults filled (what the key holds)
  assert.deepEqual(byId(jobs, 'full-ensemble-seed-1').mitigation?.spec, { method: 'ensemble', options: { size: 5 } });
  // a list without none has no plain job
  assert.deepEqual(
    phase2('[swa]').map((j) => j.id),
    ['sst2/a/phase2/full-swa-seed-1', 'sst2/a/phase2/full-swa-seed-2'],
  );
});

test('keys: none keeps the key of a config without mitigations; every mitigated job has its own; options count', () => {
  const jobs = phase2(LIST);
  const plain = phase2();
  for (const seed of [1, 2]) {
    const h = byId(plain, `full-seed-${seed}`).hash;
    assert.equal(byId(jobs, `full-seed-${seed}`).hash, h, 'none: the key made before mitigations existed');
    assert.equal(byId(phase2('[none]'), `full-seed-${seed}`).hash, h);
    assert.equal(byId(phase2('[{ method: none }, swa]'), `full-seed-${seed}`).hash, h);
    assert.equal(byId(phase2('[swa, none]'), `full-seed-${seed}`).hash, h, 'its place in the list does not count');
  }
  assert.equal(new Set(jobs.map((j) => j.hash)).size, jobs.length, 'every job its own key');
  // an option changes the key; the default written out does not; the label does not; other entries do not
  const key = (list: string, id: string) => byId(phase2(list), id).hash;
  const d2 = byId(jobs, 'full-d2-seed-1').hash;
  assert.notEqual(key('[{ method: deni, copies: 3, label: d2 }]', 'full-d2-seed-1'), d2);
  assert.notEqual(key('[{ method: deni, copies: 2, noise: 0.3, label: d2 }]', 'full-d2-seed-1'), d2);
  assert.equal(key('[{ method: deni, copies: 2, start: 0.3, label: d2 }]', 'full-d2-seed-1'), d2);
  assert.equal(key('[{ method: deni, copies: 2, label: other }]', 'full-other-seed-1'), d2);
  assert.equal(key('[{ method: deni, copies: 2, label: d2 }]', 'full-d2-seed-1'), d2, 'alone in the list');
  const ens = byId(jobs, 'full-ensemble-seed-1').hash;
  assert.equal(key('[{ method: ensemble, size: 5 }]', 'full-ensemble-seed-1'), ens);
  assert.notEqual(key('[{ method: ensemble, size: 3 }]', 'full-ensemble-seed-1'), ens);
  assert.notEqual(key('[{ method: swa, start: 0.5 }]', 'full-swa-seed-1'), byId(jobs, 'full-swa-seed-1').hash);
  // the training settings stay in every key: another lr changes the mitigated jobs too
  const lr = grid(`phase2:\n  methods: [full]\n  seeds: [1, 2]\n  lr: 1.0e-3\n  mitigation: ${LIST}\n`);
  assert.notEqual((lr.byId.get('sst2/a/phase2/full-d2-seed-1') as Phase2Job).hash, d2);
});

test('jobs that share their first steps with the none run depend on it; the none run keeps those steps for them', () => {
  const jobs = phase2(LIST);
  for (const seed of [1, 2]) {
    const none = byId(jobs, `full-seed-${seed}`);
    const noneId = none.id;
    for (const l of ['ensemble', 'swa', 'd2']) {
      const j = byId(jobs, `full-${l}-seed-${seed}`);
      assert.equal(j.prefixFrom, noneId, `${l}: prefixFrom the none run of its seed`);
      assert.deepEqual(j.deps, [noneId], `${l}: deps`);
      assert.deepEqual(
        j.prefixPeers?.map((p) => p.id),
        ['ensemble', 'swa', 'd2'].map((x) => `sst2/a/phase2/full-${x}-seed-${seed}`),
      );
    }
    assert.deepEqual(none.keepFor, [
      parseMitigation('ensemble'),
      parseMitigation('swa'),
      parseMitigation({ method: 'deni', copies: 2 }),
    ]);
    assert.deepEqual(none.deps, []);
    assert.equal(none.prefixFrom, undefined);
  }
  // without none in the list nobody starts from anything; the plain config keeps nothing
  for (const j of phase2('[ensemble, swa, { method: deni, copies: 2 }]')) {
    assert.equal(j.prefixFrom, undefined, j.id);
    assert.deepEqual(j.deps, [], j.id);
    assert.equal(j.prefixPeers, undefined, j.id);
  }
  for (const j of phase2()) assert.equal(j.keepFor, undefined);
  // a subset run: after its scores job and the none run on the same subset and seed
  const sub = grid(
    'phase1:\n  seeds: [1, 2]\nphase2:\n  methods: [hscore]\n  seeds: [7]\n  mitigation: [none, swa]\n' +
      'pruning:\n  subsets: [winning]\n',
  );
  const swaSub = sub.byId.get('sst2/a/phase2/hscore-02-swa-seed-7') as Phase2Job;
  assert.equal(swaSub.prefixFrom, 'sst2/a/phase2/hscore-02-seed-7');
  assert.deepEqual(swaSub.deps, ['sst2/a/scores/all', 'sst2/a/phase2/hscore-02-seed-7']);
  assert.notEqual(swaSub.hash, (sub.byId.get('sst2/a/phase2/hscore-02-seed-7') as Phase2Job).hash);
  assert.equal(byId(phase2('[none, mixout, ema]'), 'full-seed-1').keepFor, undefined, 'nobody to keep steps for');
});

test('which methods start from the none run: a shared prefix and the same training settings', () => {
  const all = MITIGATIONS.map((m) => m.name);
  const jobs = phase2(`[${all.join(', ')}]`);
  const starting: string[] = [];
  for (const m of MITIGATIONS) {
    if (m.name === 'none') continue;
    const j = byId(jobs, `full-${m.name}-seed-1`);
    const shares = m.prefix(parseMitigation(m.name).options) > 0 && !m.settings;
    assert.equal(j.prefixFrom, shares ? 'sst2/a/phase2/full-seed-1' : undefined, m.name);
    assert.deepEqual(j.deps, shares ? ['sst2/a/phase2/full-seed-1'] : [], m.name);
    if (shares) starting.push(m.name);
  }
  // mixout, EMA, input and prior noise act from the first step (prefix 0); best practices trains with other settings
  assert.deepEqual(starting, ['ensemble', 'swa', 'weight_noise', 'deni', 'delayed_ensemble', 'noisy_interpolation']);
  for (const x of ['mixout', 'ema', 'best_practices'])
    assert.equal(byId(jobs, `full-${x}-seed-1`).prefixFrom, undefined);
  // an option that makes the shared part empty: nothing to start from
  const swa0 = byId(phase2('[none, { method: swa, start: 0 }]'), 'full-swa-seed-1');
  assert.equal(swa0.prefixFrom, undefined);
  assert.deepEqual(swa0.deps, []);
  assert.deepEqual(
    byId(jobs, 'full-seed-1').keepFor?.map((s) => s.method),
    starting,
  );
});

test('the plan counts model-steps less the steps taken from the none run', () => {
  const cost = (list: string, id: string) => jobCost(byId(phase2(list), id), () => undefined).epochs;
  const epochs = phase2()[0]!.settings.phase2.epochs;
  assert.equal(cost('[none, { method: ensemble, size: 2 }]', 'full-seed-1'), epochs);
  // the ensemble's first member is the none run: from its snapshot only the second member trains
  assert.equal(cost('[none, { method: ensemble, size: 2 }]', 'full-ensemble-seed-1'), epochs);
  assert.equal(cost('[{ method: ensemble, size: 2 }]', 'full-ensemble-seed-1'), 2 * epochs);
  assert.equal(cost('[swa]', 'full-swa-seed-1'), epochs);
  assert.equal(cost('[none, swa]', 'full-swa-seed-1'), 0.75 * epochs);
});

test('per-task lists: each task its own jobs (a voting method for sst2, swa for the regression task)', () => {
  const head = 'name: m\ntasks: [sst2, stsb]\nmodels: { a: { path: /nowhere/a } }\n';
  const g = grid(
    'phase2:\n  methods: [full]\n  seeds: [1]\n  mitigation: [none, { method: deni, copies: 2 }]\n' +
      'per_task:\n  stsb: { phase2: { mitigation: [none, swa] } }\n',
    head,
  );
  assert.deepEqual(
    g.jobs.filter((j) => j.kind === 'phase2').map((j) => j.id),
    [
      'sst2/a/phase2/full-seed-1',
      'sst2/a/phase2/full-deni-seed-1',
      'stsb/a/phase2/full-seed-1',
      'stsb/a/phase2/full-swa-seed-1',
    ],
  );
  assert.equal((g.byId.get('stsb/a/phase2/full-swa-seed-1') as Phase2Job).prefixFrom, 'stsb/a/phase2/full-seed-1');
});

test('phase 1 takes one mitigation, in its keys only when not none; subset runs see it through the records', () => {
  const body = (mit: string) =>
    `phase1:\n  seeds: [1, 2]\n${mit}phase2:\n  methods: [full, hscore]\n  seeds: [7]\npruning:\n  subsets: [winning]\n`;
  const jobsOf = (mit: string) => grid(body(mit)).jobs;
  const p1 = (mit: string) => jobsOf(mit).filter((j): j is Phase1Job => j.kind === 'phase1');
  const [plain, none, swa] = [p1(''), p1('  mitigation: none\n'), p1('  mitigation: swa\n')];
  assert.deepEqual(
    none.map((j) => j.hash),
    plain.map((j) => j.hash),
    'none: the old keys',
  );
  for (const [i, j] of swa.entries()) {
    assert.notEqual(j.hash, plain[i]!.hash);
    assert.equal(j.id, plain[i]!.id, 'the same folders');
    assert.deepEqual(j.mitigation, { label: 'swa', spec: parseMitigation('swa') });
    assert.match(j.label, / swa$/);
    assert.equal(j.prefixFrom, undefined);
  }
  assert.equal(none[0]!.mitigation, undefined);
  assert.notEqual(p1('  mitigation: { method: swa, start: 0.5 }\n')[0]!.hash, swa[0]!.hash, 'an option counts');
  // the H-score subset run trains on what the (mitigated) score runs found: its key follows; full data's does not
  const p2 = (mit: string, id: string) => jobsOf(mit).find((j) => j.id === `sst2/a/phase2/${id}`)!.hash;
  assert.notEqual(p2('  mitigation: swa\n', 'hscore-02-seed-7'), p2('', 'hscore-02-seed-7'));
  assert.equal(p2('  mitigation: none\n', 'hscore-02-seed-7'), p2('', 'hscore-02-seed-7'));
  assert.equal(p2('  mitigation: swa\n', 'full-seed-7'), p2('', 'full-seed-7'));
});

test('active-learning steps take one mitigation, in their keys only when not none', () => {
  const al = (body: string) =>
    grid(`al:\n  budget: 150\n  strategies: [random]\n  seeds: [1]\n${body}`).jobs.filter(
      (j): j is AlStepJob => j.kind === 'al',
    );
  const plain = al('');
  assert.deepEqual(
    al('  mitigation: none\n').map((j) => j.hash),
    plain.map((j) => j.hash),
  );
  const ema = al('  mitigation: { method: ema, decay: 0.99 }\n');
  assert.equal(ema.length, plain.length);
  for (const [i, j] of ema.entries()) {
    assert.notEqual(j.hash, plain[i]!.hash);
    assert.equal(j.mitigation?.spec.options.decay, 0.99);
  }
});
