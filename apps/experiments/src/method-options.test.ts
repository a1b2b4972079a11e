// pruning.method_options from the config to the jobs: validation that names the file, line and key; an external
// file's path relative to the config that names it; the options (and the external file's content) in the scores
// job's key and in the keys of that method's phase-2 jobs only; scores.csv computing the newer columns from the
// records' opt-in fields, and the costly ones only for methods in the grid.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hScore, type RunRecord } from '@prunelab/dynamics';
import { idPool, selectionContext } from '@prunelab/pruning';
import { ConfigError, loadConfig, validateConfig } from './config.ts';
import { expandGrid } from './grid.ts';
import { scoresCsv } from './scores.ts';

const dir = mkdtempSync(join(tmpdir(), 'prunelab-options-'));
const yaml = (name: string, text: string) => {
  const path = join(dir, name);
  mkdirSync(join(path, '..'), { recursive: true });
  writeFileSync(path, text);
  return path;
};
const base = `name: t
tasks: [sst2]
models: { m: { path: /m, family: bert } }
`;

test('method_options: unknown method, unknown option, wrong type and a missing file name the file, line and key', () => {
  const bad = (name: string, text: string, re: RegExp) => {
    const path = yaml(name, base + text);
    assert.throws(
      () => loadConfig(path),
      (e: Error) => e instanceof ConfigError && re.test(e.message),
      name,
    );
  };
  bad(
    'm1.yaml',
    'pruning:\n  method_options:\n    cs: { beta: 0.1 }\n',
    /m1\.yaml:6: 'pruning\.method_options\.cs' names no selection method \(did you mean 'ccs'\?\)/,
  );
  bad(
    'm2.yaml',
    'pruning:\n  method_options:\n    ccs:\n      betta: 0.1\n',
    /m2\.yaml:7: pruning\.method_options\.ccs\.betta: unknown option of method ccs; its options are score, beta, strata/,
  );
  bad(
    'm3.yaml',
    'pruning:\n  method_options:\n    ccs:\n      beta: high\n',
    /m3\.yaml:7: pruning\.method_options\.ccs\.beta is "high"; expected a number >= 0 <= 1/,
  );
  bad(
    'm4.yaml',
    'pruning:\n  method_options:\n    ccs:\n      score: tdds\n',
    /ccs\.score is "tdds"; expected one of h, confidence/,
  );
  bad(
    'm5.yaml',
    'phase2:\n  methods: [full, hscore, external]\n',
    /pruning\.method_options\.external\.file is required by method external/,
  );
  bad(
    'm6.yaml',
    'pruning:\n  method_options: [ccs]\n',
    /m6\.yaml:5: 'pruning\.method_options' is \["ccs"\]; expected a mapping of keys/,
  );
});

test('an external file is relative to the config file that names it', () => {
  yaml('cfgs/base/scores.csv', 'id\n');
  const baseFile = yaml(
    'cfgs/base/base.yaml',
    `${base}pruning:\n  method_options:\n    external: { file: scores.csv }\n`,
  );
  const top = yaml(
    'cfgs/top.yaml',
    `extends: base/base.yaml\nname: top\nphase2: { methods: [full, hscore, external] }\n`,
  );
  assert.equal(loadConfig(top).pruning.method_options.external!.file, join(dir, 'cfgs/base/scores.csv'));
  assert.equal(loadConfig(baseFile).pruning.method_options.external!.file, join(dir, 'cfgs/base/scores.csv'));
  yaml('cfgs/mine.csv', 'id\n');
  const own = yaml(
    'cfgs/own.yaml',
    `extends: base/base.yaml\nname: own\npruning:\n  method_options:\n    external: { file: mine.csv }\n`,
  );
  assert.equal(loadConfig(own).pruning.method_options.external!.file, join(dir, 'cfgs/mine.csv'));
});

test('job keys: a method option changes the scores job and that method phase-2 jobs; the file by its content', () => {
  const file = join(dir, 'ext.csv');
  writeFileSync(file, 'id,score\na,1\n');
  const keys = (options: Record<string, unknown>, path = file) => {
    const cfg = validateConfig(
      {
        name: 't',
        tasks: ['sst2'],
        models: { m: { path: '/m', family: 'bert' } },
        phase2: { methods: ['full', 'hscore', 'random', 'ccs', 'external'] },
        pruning: { method_options: { external: { file: path }, ...options } },
      },
      () => 'test',
    );
    const jobs = expandGrid(cfg).jobs;
    const of = (kind: string, method?: string) =>
      jobs
        .filter((j) => j.kind === kind && (!method || (j.kind === 'phase2' && j.method === method)))
        .map((j) => j.hash)
        .join();
    return {
      scores: of('scores'),
      random: of('phase2', 'random'),
      ccs: of('phase2', 'ccs'),
      external: of('phase2', 'external'),
    };
  };
  const a = keys({});
  const defaults = keys({ ccs: { beta: 0.1, score: 'aum' } }); // the defaults written out: the same jobs
  assert.deepEqual(defaults, a);
  const b = keys({ ccs: { beta: 0.2 } });
  assert.notEqual(b.scores, a.scores);
  assert.notEqual(b.ccs, a.ccs);
  assert.equal(b.random, a.random, 'random does not depend on ccs options');
  assert.equal(b.external, a.external);
  writeFileSync(file, 'id,score\na,2\n'); // the content changes: external and scores redo
  const c = keys({});
  assert.notEqual(c.external, a.external);
  assert.notEqual(c.scores, a.scores);
  assert.equal(c.ccs, a.ccs);
  const moved = join(dir, 'moved.csv');
  renameSync(file, moved); // the same content elsewhere: the same jobs
  assert.deepEqual(keys({}, moved), c);
  assert.throws(
    () => keys({}, join(dir, 'gone.csv')),
    /cannot read .*gone\.csv \(ENOENT\); fix pruning\.method_options\.external\.file/,
  );
});

test('scores.csv: the newer columns from the records fields; a costly column only for a method of the grid', () => {
  const n = 6;
  const E = 3;
  const ids = Array.from({ length: n }, (_, i) => `e${i}`);
  const labels = [0, 1, 0, 1, 0, 1];
  const run = (shift: number): RunRecord => {
    const goldProb = Array.from({ length: E }, (_, e) => Float32Array.from(ids, (_, i) => (i + e + shift) / 10));
    return {
      header: {} as RunRecord['header'],
      goldProb,
      correct: goldProb.map((g) => Uint8Array.from(g, (q) => (q > 0.5 ? 1 : 0))),
      loss: [],
      margin: goldProb.map((g) => Float32Array.from(g, (q) => q - 0.5)),
      probs: goldProb.map((g) => Float32Array.from({ length: 2 * n }, (_, j) => (j % 2 ? 1 - g[j >> 1]! : g[j >> 1]!))),
      grand: goldProb.map((g) => Float32Array.from(g, (q) => 1 - q)),
      embedding: { dim: 2, epoch: E - 1, data: Float32Array.from({ length: 2 * n }, (_, j) => ((j * 7) % 5) - 2) },
    };
  };
  const runs = [run(0), run(1)];
  const records = { runs, runsUsed: 2, epochsUsed: E, numClasses: 2 };
  const h = hScore(runs.map((r) => r.correct));
  const csv = (methods: string[]) => {
    const ctx = selectionContext({ pool: idPool(ids), classes: labels, seed: 1, records });
    const [head, ...rows] = scoresCsv(ctx, labels, h, methods).trim().split('\n');
    const cols = head!.split(',');
    return (name: string) => rows.map((r) => r.split(',')[cols.indexOf(name)]!);
  };
  const plain = csv([]);
  for (const c of ['tdds', 'grand', 'moderate'])
    assert.ok(
      plain(c).every((v) => v !== 'NaN'),
      `${c} computed`,
    );
  assert.deepEqual(plain('grand'), ['0.95000', '0.85000', '0.75000', '0.65000', '0.55000', '0.45000']);
  for (const c of ['d2', 'semdedup', 'external'])
    assert.ok(
      plain(c).every((v) => v === 'NaN'),
      `${c}: NaN`,
    );
  const withD2 = csv(['d2', 'semdedup']);
  assert.ok(
    withD2('d2').every((v) => v !== 'NaN'),
    'd2 in the grid: its column',
  );
  assert.ok(withD2('semdedup').every((v) => v === '0' || v === '1'));
});
