// The mitigation keys: what the config reader refuses (file:line, the key, the fix) and the jobs the grid plans from
// them (one per entry and seed, keys that leave the plain runs' unchanged, the prefix dependencies on the none run).
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { loadConfig } from './config.ts';
import { expandGrid, type AlStepJob, type Phase1Job, type Phase2Job } from './grid.ts';
import type { ModelWeights } from './weights.ts';

const dir = mkdtempSync(join(tmpdir(), 'prunelab-mit-config-'));
let n = 0;
function file(text: string): string {
  const p = join(dir, `c${++n}.yaml`);
  writeFileSync(p, text);
  return p;
}
const HEAD = 'name: m\ntasks: [sst2]\nmodels: { a: { path: /nowhere/a } }\n';
const cfgOf = (body: string, head = HEAD) => loadConfig(file(`${head}${body}`));
const W: Record<string, ModelWeights> = { a: { dir: '/nowhere/a', digest: 'w1' } as ModelWeights };
const phase2 = (body: string) =>
  expandGrid(cfgOf(`phase2:\n  methods: [full]\n  seeds: [1, 2]\n${body}`), W).jobs.filter(
    (j): j is Phase2Job => j.kind === 'phase2',
  );

test('a wrong mitigation is refused with its file:line, the key and what would be right', () => {
  const bad = (body: string, re: RegExp, head = HEAD) => assert.throws(() => cfgOf(body, head), re);
  bad(
    'phase2:\n  mitigation: [none, dropoutt]\n',
    /c\d+\.yaml:5: phase2\.mitigation\.1: unknown mitigation 'dropoutt'; known: none, ensemble, swa, ema/,
  );
  bad('phase2:\n  mitigation: [{ method: deni, copy: 3 }]\n', /'copy' is not an option of deni \(its options: copies/);
  bad('phase2:\n  mitigation: [{ method: ensemble, size: 2.5 }]\n', /ensemble\.size must be a whole number; got 2\.5/);
  bad('phase2:\n  mitigation: [{ method: swa, start: 2 }]\n', /swa\.start must be in \[0, 1\]; got 2/);
  bad(
    'phase2:\n  mitigation: [swa, { method: swa, start: 0.5 }]\n',
    /two entries are labelled 'swa'; give one a label \(e\.g\. \{method: swa, label: swa-2/,
  );
  bad('phase2:\n  mitigation: [{ copies: 3 }]\n', /a mitigation mapping needs 'method'/);
  bad('phase1:\n  mitigation: [swa]\n', /'phase1\.mitigation' is \["swa"\]; expected a mitigation name or \{method/);
  // voting needs classes: regression is refused for voting methods, and only for them
  const stsb = 'name: m\ntasks: [stsb]\nmodels: { a: { path: /nowhere/a } }\n';
  bad(
    'phase2:\n  mitigation: [none, { method: deni, copies: 2 }]\n',
    /phase2\.mitigation\.1: deni predicts by majority vote, which needs classes or choices; stsb is regression/,
    stsb,
  );
  assert.doesNotThrow(() => cfgOf('phase2:\n  mitigation: [none, swa, ema]\n', stsb));
  // overrides per task and per model are checked too
  bad(
    'per_task:\n  sst2: { phase2: { mitigation: [nope] } }\n',
    /per_task\.sst2\.phase2\.mitigation\.0: unknown mitigation 'nope'/,
  );
  bad(
    'name: m\ntasks: [sst2]\nmodels: { a: { path: /x, phase1: { mitigation: { method: ema, decay: 2 } } } }\n',
    /models\.a\.phase1\.mitigation: ema\.decay must be in/,
    '',
  );
});

test('one job per entry and seed; none keeps the keys of configs without mitigations', () => {
  const jobs = phase2(
    '  mitigation: [none, { method: ensemble, size: 3 }, swa, { method: deni, copies: 2, label: d2 }]\n',
  );
  const ids = jobs.map((j) => j.id);
  for (const id of ['full-seed-1', 'full-ensemble-seed-1', 'full-swa-seed-2', 'full-d2-seed-1'])
    assert.ok(ids.includes(`sst2/a/phase2/${id}`), id);
  assert.equal(jobs.length, 8);
  const plain = phase2('');
  const byId = (js: Phase2Job[], id: string) => js.find((j) => j.id === `sst2/a/phase2/${id}`)!;
  assert.equal(byId(jobs, 'full-seed-1').hash, byId(plain, 'full-seed-1').hash, 'none: the old key');
  const hashes = new Set(jobs.map((j) => j.hash));
  assert.equal(hashes.size, jobs.length, 'every job its own key');
  // an option is in the key; the label is not what decides it
  const other = phase2('  mitigation: [none, { method: deni, copies: 3, label: d2 }]\n');
  assert.notEqual(byId(other, 'full-d2-seed-1').hash, byId(jobs, 'full-d2-seed-1').hash);
  const relabelled = phase2('  mitigation: [{ method: deni, copies: 2, label: other }]\n');
  assert.equal(byId(relabelled, 'full-other-seed-1').hash, byId(jobs, 'full-d2-seed-1').hash);
});

test('methods that share their first steps with the none run depend on it; the none run keeps their steps', () => {
  const jobs = phase2('  mitigation: [none, { method: ensemble, size: 2 }, swa, ema, mixout, deni, best_practices]\n');
  const get = (id: string) => jobs.find((j) => j.id === `sst2/a/phase2/${id}`)!;
  for (const m of ['ensemble', 'swa', 'deni']) {
    assert.equal(get(`full-${m}-seed-1`).prefixFrom, 'sst2/a/phase2/full-seed-1', m);
    assert.ok(get(`full-${m}-seed-1`).deps.includes('sst2/a/phase2/full-seed-1'), m);
  }
  // ema and mixout act from the first step; best practices trains with other settings: nothing shared
  for (const m of ['ema', 'mixout', 'best_practices']) {
    assert.equal(get(`full-${m}-seed-1`).prefixFrom, undefined, m);
    assert.deepEqual(get(`full-${m}-seed-1`).deps, [], m);
  }
  assert.deepEqual(
    get('full-seed-1').keepFor!.map((s) => s.method),
    ['ensemble', 'swa', 'deni'],
  );
  assert.deepEqual(
    get('full-deni-seed-2').prefixPeers!.map((p) => p.id),
    ['ensemble', 'swa', 'deni'].map((m) => `sst2/a/phase2/full-${m}-seed-2`),
  );
  // without none in the list nothing depends on anything
  for (const j of phase2('  mitigation: [swa, deni]\n')) assert.equal(j.prefixFrom, undefined);
});

test('phase 1 and AL steps take one mitigation, in their keys only when not none', () => {
  const p1 = (body: string) =>
    expandGrid(cfgOf(`phase1:\n  seeds: [1, 2]\n${body}`), W).jobs.filter((j): j is Phase1Job => j.kind === 'phase1');
  const [plain, swa] = [p1(''), p1('  mitigation: swa\n')];
  assert.equal(p1('  mitigation: none\n')[0]!.hash, plain[0]!.hash);
  assert.notEqual(swa[0]!.hash, plain[0]!.hash);
  assert.equal(swa[0]!.mitigation?.spec.method, 'swa');
  assert.match(swa[0]!.label, / swa$/);
  const al = (body: string) =>
    expandGrid(cfgOf(`al:\n  budget: 150\n  strategies: [random]\n  seeds: [1]\n${body}`), W).jobs as AlStepJob[];
  assert.equal(al('  mitigation: none\n')[0]!.hash, al('')[0]!.hash);
  const ema = al('  mitigation: { method: ema, decay: 0.99 }\n');
  assert.notEqual(ema[0]!.hash, al('')[0]!.hash);
  assert.equal(ema[1]!.mitigation?.spec.options.decay, 0.99);
});
