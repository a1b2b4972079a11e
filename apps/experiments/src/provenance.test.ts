// Honest job keys: a model enters by the content of its folder (cached digests), and finished jobs made by another
// numeric build are reported ('report') or redone with what uses them ('strict').
import assert from 'node:assert/strict';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, test } from 'node:test';
import { findRepoRoot } from '@prunelab/datasets';
import { buildKey, type NumericBuild } from '@prunelab/finetune';
import { validateConfig } from './config.ts';
import { expandGrid, type Grid } from './grid.ts';
import { finishJob, jobDir, jobStatus } from './job-state.ts';
import { describePlan } from './plan.ts';
import { loadPretrainConfig } from './pretrain-config.ts';
import { checkBuilds, describeBuildCheck } from './provenance.ts';
import { folderDigest, readModelWeights, weightLines } from './weights.ts';
import { dataKey, type DataStates } from './data-digest.ts';
import { cellSettings, type ExperimentConfig } from './schema.ts';

/** Every cell's data read, with a fixed record (this file is about the weights and the build, not the data). */
const someData = (cfg: ExperimentConfig): DataStates =>
  Object.fromEntries(
    cfg.tasks.flatMap((t) =>
      Object.keys(cfg.models).map((m) => [
        dataKey(t, cellSettings(cfg, t, m).data),
        { record: { digest: 'd', splits: {}, read: {}, used: {}, official: {}, warnings: [] } },
      ]),
    ),
  );

const roots: string[] = [];
const tmp = () => {
  roots.push(mkdtempSync(join(tmpdir(), 'prunelab-prov-')));
  return roots.at(-1)!;
};
after(() => roots.forEach((r) => rmSync(r, { recursive: true, force: true })));

/** A model folder as the digest sees it: config, weights, tokenizer, and a file no loader reads. */
function modelFolder(dir: string, weights = 'w1'): string {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'config.json'), '{"model_type":"bert"}\n');
  writeFileSync(join(dir, 'model.safetensors'), weights);
  writeFileSync(join(dir, 'tokenizer.json'), '{"model":{}}\n');
  writeFileSync(join(dir, 'README.md'), 'notes\n');
  return dir;
}

function build(over: Partial<NumericBuild> = {}): NumericBuild {
  const b = {
    backend: 'wasm',
    native: true,
    sgemm: 'openblas' as const,
    blasCore: 'Zen',
    threads: 2,
    tfjs: '4.22.0',
    backendVersion: '4.22.0',
    packed: false,
    ...over,
  };
  return { ...b, nativeStatus: b.native ? `native ${b.sgemm}` : 'off', key: buildKey(b) };
}

test('the folder digest covers the files the loaders read, and is cached by path + size + mtime', () => {
  const root = tmp();
  const cache = join(root, 'digests.json');
  const dir = modelFolder(join(root, 'm'));
  const file = join(dir, 'model.safetensors');
  const mtime = new Date(1.7e12); // whole milliseconds, so the test can put it back exactly
  utimesSync(file, mtime, mtime);
  const first = folderDigest(dir, cache);
  assert.deepEqual(first.files, ['config.json', 'model.safetensors', 'tokenizer.json']); // not README.md
  assert.deepEqual(first.hashed, first.files);
  const again = folderDigest(dir, cache);
  assert.equal(again.digest, first.digest);
  assert.deepEqual(again.hashed, []); // nothing read again: size and mtime unchanged
  writeFileSync(join(dir, 'README.md'), 'other notes\n');
  assert.equal(folderDigest(dir, cache).digest, first.digest);

  // same size, mtime put back: the cache answers without reading, so the digest is the cached one
  writeFileSync(file, 'w2');
  utimesSync(file, mtime, mtime);
  const sneaky = folderDigest(dir, cache);
  assert.deepEqual([sneaky.digest, sneaky.hashed], [first.digest, []]);
  // a real rewrite changes the mtime: read again, new digest
  utimesSync(file, mtime, new Date(mtime.getTime() + 5000));
  const rewritten = folderDigest(dir, cache);
  assert.deepEqual(rewritten.hashed, ['model.safetensors']);
  assert.notEqual(rewritten.digest, first.digest);

  // the digest is of the content: a copy elsewhere has the same one
  cpSync(dir, join(root, 'moved'), { recursive: true });
  assert.equal(folderDigest(join(root, 'moved'), cache).digest, rewritten.digest);
  assert.ok(JSON.parse(readFileSync(cache, 'utf8'))[resolve(dir, 'model.safetensors')]);
  // entries of files gone are dropped at the next write
  rmSync(dir, { recursive: true });
  writeFileSync(join(root, 'moved', 'model.safetensors'), 'w3');
  assert.deepEqual(
    Object.keys(JSON.parse(readFileSync(cache, 'utf8'))).filter((p) => p.startsWith(`${dir}/`)),
    [resolve(dir, 'config.json'), resolve(dir, 'model.safetensors'), resolve(dir, 'tokenizer.json')],
  );
  folderDigest(join(root, 'moved'), cache);
  assert.deepEqual(
    Object.keys(JSON.parse(readFileSync(cache, 'utf8'))).filter((p) => p.startsWith(`${dir}/`)),
    [],
  );
});

const cfgOf = (root: string, extra: Record<string, unknown> = {}) =>
  validateConfig(
    {
      name: 'prov',
      tasks: ['sst2'],
      models: { a: { path: join(root, 'a') }, b: { path: join(root, 'b'), generate_if_missing: true } },
      phase1: { seeds: [1, 2], epochs: 1 },
      phase2: { seeds: [7], methods: ['full', 'hscore'] },
      output: { dir: join(root, 'results') },
      ...extra,
    },
    () => 'test',
  );

/** Every job of the grid finished, as `run` leaves them: done.json with the job's hash and the build that made it. */
function finishAll(outDir: string, grid: Grid, made: (id: string) => NumericBuild | undefined): void {
  for (const j of grid.jobs) {
    const b = made(j.id);
    finishJob(jobDir(outDir, j), { hash: j.hash, finishedAt: 'then', seconds: 1, ...(b && { build: b }) });
  }
}

test("rewriting a model's weights makes its jobs stale, and only its jobs", () => {
  const root = tmp();
  const cache = join(root, 'digests.json');
  modelFolder(join(root, 'a'));
  modelFolder(join(root, 'b'), 'other weights');
  const cfg = cfgOf(root);
  const outDir = join(root, 'results', 'prov');
  const grid = expandGrid(cfg, readModelWeights(cfg, cache), someData(cfg));
  finishAll(outDir, grid, () => build());
  assert.deepEqual(new Set(grid.jobs.map((j) => jobStatus(outDir, j))), new Set(['done']));
  const digestA = folderDigest(join(root, 'a'), cache).digest;
  assert.deepEqual(new Set(grid.jobs.filter((j) => j.model === 'a').map((j) => j.weights)), new Set([digestA])); // into job.json

  writeFileSync(join(root, 'a', 'model.safetensors'), 'retrained weights'); // regenerated weights, same path
  const after = expandGrid(cfg, readModelWeights(cfg, cache), someData(cfg));
  for (const j of after.jobs) assert.equal(jobStatus(outDir, j), j.model === 'a' ? 'stale' : 'done', j.id);
  assert.equal(after.jobs.filter((j) => j.model === 'a').length, 2 + 1 + 2); // 2 phase-1, scores, full + hscore

  // the same bytes written again give the same keys: finished jobs stay finished
  writeFileSync(join(root, 'a', 'model.safetensors'), 'w1');
  for (const j of expandGrid(cfg, readModelWeights(cfg, cache), someData(cfg)).jobs)
    assert.equal(jobStatus(outDir, j), 'done', j.id);
});

test('a folder not made yet: its jobs are pending with a placeholder key, status says what will make it', () => {
  const root = tmp();
  modelFolder(join(root, 'a'));
  const cfg = cfgOf(root, { pruning: { transfer: ['a -> b'] } });
  const weights = readModelWeights(cfg, join(root, 'digests.json'));
  assert.equal(weights.b!.digest, null);
  const grid = expandGrid(cfg, weights, someData(cfg));
  const outDir = join(root, 'results', 'prov');
  finishAll(outDir, grid, () => build()); // even a done.json with the placeholder hash does not count
  for (const j of grid.jobs) assert.equal(jobStatus(outDir, j), j.model === 'b' ? 'pending' : 'done', j.id);
  assert.deepEqual(weightLines(cfg, weights), [
    `model 'b': weights not made yet in ${join(root, 'b')} (run makes a tiny bert with RANDOM weights (seed 0; ` +
      `generate_if_missing: true)); its jobs are pending`,
  ]);
  const plan = describePlan(cfg, grid, outDir, 'wasm', { notes: weightLines(cfg, weights) });
  assert.match(plan, /^model 'b': weights not made yet/);
  assert.match(plan, /status: 5 done, 6 pending/); // b: 2 phase-1, scores, 2 phase-2; plus the transfer a -> b
});

test('the pretrain config that made a folder joins its key; a config changed since is reported', () => {
  const root = tmp();
  const yaml = 'experiments/pretrain-opt.yaml';
  const made = loadPretrainConfig(resolve(findRepoRoot(), yaml));
  modelFolder(join(root, 'a'));
  modelFolder(join(root, 'b'));
  const cfg = cfgOf(root, { models: { a: { path: join(root, 'a'), family: 'opt', pretrain: yaml } } });
  const cache = join(root, 'digests.json');
  const plain = expandGrid(cfg, readModelWeights(cfg, cache), someData(cfg)).jobs[0]!.hash;
  writeFileSync(join(root, 'a', 'pretrain.json'), JSON.stringify({ steps: 1, seconds: 5, config: made }));
  const pretrained = readModelWeights(cfg, cache);
  assert.match(pretrained.a!.pretrain ?? '', /^[0-9a-f]{16}$/);
  assert.notEqual(expandGrid(cfg, pretrained, someData(cfg)).jobs[0]!.hash, plain);
  assert.deepEqual(weightLines(cfg, pretrained), []);
  // timings in pretrain.json do not count, its config does
  writeFileSync(join(root, 'a', 'pretrain.json'), JSON.stringify({ steps: 1, seconds: 9, config: made }));
  assert.equal(readModelWeights(cfg, cache).a!.pretrain, pretrained.a!.pretrain);
  writeFileSync(join(root, 'a', 'pretrain.json'), JSON.stringify({ config: { ...made, seed: made.seed + 1 } }));
  const drifted = readModelWeights(cfg, cache);
  assert.notEqual(drifted.a!.pretrain, pretrained.a!.pretrain);
  assert.match(
    weightLines(cfg, drifted).join('\n'),
    /model 'a': .* was pretrained with another config than experiments\/pretrain-opt\.yaml gives now/,
  );
});

test('finished jobs of another build: reported and reused (report), stale with their dependants (strict)', () => {
  const root = tmp();
  modelFolder(join(root, 'a'));
  modelFolder(join(root, 'b'), 'other weights');
  const cfg = cfgOf(root);
  const outDir = join(root, 'results', 'prov');
  const grid = expandGrid(cfg, readModelWeights(cfg, join(root, 'digests.json')), someData(cfg));
  const loop = build({ sgemm: 'loop', blasCore: null, threads: 1 });
  // model a's first phase-1 run was made by the loop sgemm, an old full run carries no build at all
  finishAll(outDir, grid, (id) =>
    id === 'sst2/a/phase1/seed-1' ? loop : id === 'sst2/b/phase2/full-seed-7' ? undefined : build(),
  );
  const now = build();

  const report = checkBuilds(outDir, grid, now, 'report');
  assert.deepEqual(
    [...report.other],
    [
      [loop.key, ['sst2/a/phase1/seed-1']],
      ['unrecorded', ['sst2/b/phase2/full-seed-7']],
    ],
  );
  assert.deepEqual([...report.stale], []);
  assert.ok(grid.jobs.every((j) => jobStatus(outDir, j, report.stale) === 'done'));
  const lines = describeBuildCheck(report);
  assert.equal(lines[0], `numeric build: 2 finished job(s) were made by another build than this one (${now.key}):`);
  assert.equal(lines[1], `  ${loop.key}: 1 job(s): sst2/a/phase1/seed-1`);
  assert.match(lines.at(-1)!, /run\.numeric_build: report: they are reused \(set run\.numeric_build: strict/);
  assert.match(
    describePlan(cfg, grid, outDir, 'wasm', { check: report }),
    new RegExp(`sst2/a/phase1/seed-1 .*\\(made by ${loop.key.replace(/[+/.]/g, '\\$&')}\\)`),
  );

  const strict = checkBuilds(outDir, grid, now, 'strict');
  // the loop-made records feed a's scores and its H-subset run; the full-data run of a does not use them
  assert.deepEqual([...strict.stale].sort(), [
    'sst2/a/phase1/seed-1',
    'sst2/a/phase2/hscore-02-seed-7',
    'sst2/a/scores/all',
    'sst2/b/phase2/full-seed-7',
  ]);
  for (const j of grid.jobs)
    assert.equal(jobStatus(outDir, j, strict.stale), strict.stale.has(j.id) ? 'stale' : 'done', j.id);
  assert.match(
    describeBuildCheck(strict).at(-1)!,
    /strict: they and 2 finished job\(s\) using their results are stale and run again/,
  );

  // a job still to run on top of another build's results is counted (report mode)
  const pendingScores = grid.jobs.find((j) => j.id === 'sst2/a/scores/all')!;
  finishJob(jobDir(outDir, pendingScores), { hash: 'an older hash', finishedAt: 'then', seconds: 1 });
  assert.deepEqual(checkBuilds(outDir, grid, now, 'report').mixing, ['sst2/a/scores/all']);
  // everything made by this build: nothing to say
  finishAll(outDir, grid, () => now);
  assert.deepEqual(describeBuildCheck(checkBuilds(outDir, grid, now, 'strict')), []);
});
