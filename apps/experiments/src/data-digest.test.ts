// The data enters the job keys: labels edited in place make the jobs that read them stale and status says which
// split changed; the digest is cached by the files read; data not on disk is "not read yet" (pending, no download);
// done.json keeps what was read (the data object the report shows).
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { validateConfig } from './config.ts';
import { dataLines, readDataStates } from './data-digest.ts';
import { expandGrid, type Grid } from './grid.ts';
import { finishJob, jobDir, jobStatus, readJson, type DoneMarker } from './job-state.ts';
import { describePlan } from './plan.ts';
import { staleReason } from './stale.ts';
import { readModelWeights } from './weights.ts';

const roots: string[] = [];
after(() => roots.forEach((r) => rmSync(r, { recursive: true, force: true })));

/** A temp root with a 200-sentence SST-2 train split (labels alternate) and a 20-sentence dev split, a model folder. */
function setup(flip = 0) {
  const root = mkdtempSync(join(tmpdir(), 'prunelab-data-'));
  roots.push(root);
  writeSst2(root, flip);
  const model = join(root, 'model');
  mkdirSync(model);
  writeFileSync(join(model, 'config.json'), '{"model_type":"bert"}\n');
  writeFileSync(join(model, 'model.safetensors'), 'w');
  const cfg = validateConfig(
    {
      name: 'dd',
      tasks: ['sst2'],
      models: { a: { path: model, family: 'bert' } },
      data: { root: join(root, 'data'), train_size: 150, seed: 1, allow_download: false },
      phase1: { seeds: [1, 2], epochs: 1 },
      phase2: { seeds: [7], methods: ['full', 'hscore'] },
      output: { dir: join(root, 'results') },
    },
    () => 'test',
  );
  return { root, cfg, outDir: join(root, 'results', 'dd'), cache: join(root, 'data-digests.json') };
}

/** SST-2 files; the first `flip` training labels inverted (same size: only the digest can tell). */
function writeSst2(root: string, flip: number) {
  const dir = join(root, 'data', 'glue', 'SST-2');
  mkdirSync(dir, { recursive: true });
  const rows = (n: number, f: number) =>
    Array.from({ length: n }, (_, i) => `sentence number ${i} here\t${(i % 2) ^ (i < f ? 1 : 0)}`);
  const train = join(dir, 'train.tsv');
  writeFileSync(train, ['sentence\tlabel', ...rows(200, flip)].join('\n') + '\n');
  writeFileSync(join(dir, 'dev.tsv'), ['sentence\tlabel', ...rows(20, 0)].join('\n') + '\n');
  const later = new Date(Date.now() + flip * 1000); // a distinct mtime even on a coarse clock
  utimesSync(train, later, later);
}

/** Every job finished as run leaves it (training jobs keep their data record and weights in done.json). */
function finishAll(outDir: string, grid: Grid) {
  for (const j of grid.jobs) {
    const training = j.kind !== 'scores' && { data: j.data, weights: j.weights };
    finishJob(jobDir(outDir, j), { hash: j.hash, finishedAt: 'then', seconds: 1, ...training });
  }
}

test('labels flipped in place: dependent jobs are stale and status says which split changed', async () => {
  const { cfg, outDir, cache, root } = setup();
  const logged: string[] = [];
  const opts = { download: false, cacheFile: cache, log: (l: string) => logged.push(l) };
  const data = await readDataStates(cfg, opts);
  const grid = expandGrid(cfg, readModelWeights(cfg, join(root, 'w.json')), data);
  const p1 = grid.byId.get('sst2/a/phase1/seed-1')!;
  assert.equal(p1.data?.used.train, 150);
  assert.deepEqual(p1.data?.read, { train: 200, dev: 20 });
  assert.deepEqual(p1.data?.official, { train: 67_349, dev: 872 });
  assert.match(p1.data!.warnings.join('\n'), /gives 200 SST-2 train examples but the official split has 67,349/);
  finishAll(outDir, grid);
  assert.deepEqual(new Set(grid.jobs.map((j) => jobStatus(outDir, j))), new Set(['done']));
  const done = readJson<DoneMarker>(join(jobDir(outDir, p1), 'done.json'))!;
  assert.deepEqual(done.data, p1.data); // the report reads exactly this object

  // unchanged files: the digest comes from the cache (nothing read, nothing logged)
  logged.length = 0;
  const again = await readDataStates(cfg, opts);
  assert.deepEqual(again, data);
  assert.deepEqual(logged, []);

  writeSst2(root, 100); // 100 of 200 labels flipped in place
  const now = await readDataStates(cfg, opts);
  assert.equal(logged.length, 1); // read again
  const after = expandGrid(cfg, readModelWeights(cfg, join(root, 'w.json')), now);
  for (const j of after.jobs) assert.equal(jobStatus(outDir, j), 'stale', j.id);
  const was = data[Object.keys(data)[0]!]!.record!.splits;
  const is = now[Object.keys(now)[0]!]!.record!.splits;
  assert.equal(was.dev, is.dev);
  const why = `data changed: sst2 train digest ${was.train} -> ${is.train}`;
  assert.equal(staleReason(outDir, after.byId.get('sst2/a/phase1/seed-1')!, after), why);
  assert.equal(staleReason(outDir, after.byId.get('sst2/a/phase2/full-seed-7')!, after), why);
  assert.equal(
    staleReason(outDir, after.byId.get('sst2/a/scores/all')!, after),
    `its phase-1 run sst2/a/phase1/seed-1 is stale (${why})`,
  );
  const plan = describePlan(cfg, after, outDir, 'wasm');
  assert.match(plan, /status: 5 stale/);
  assert.ok(plan.includes(`sst2/a/phase1/seed-2`) && plan.includes(`(stale: ${why})`), plan);
});

test('data not on disk: "not read yet", its jobs pending, nothing downloaded', async () => {
  const { cfg, outDir, cache, root } = setup();
  rmSync(join(root, 'data', 'glue', 'SST-2', 'dev.tsv'));
  const data = await readDataStates(cfg, { download: false, cacheFile: cache });
  const grid = expandGrid(cfg, readModelWeights(cfg, join(root, 'w.json')), data);
  finishAll(outDir, grid); // even a done.json with the placeholder hash does not count
  for (const j of grid.jobs) {
    assert.equal(j.dataMissing, true);
    assert.equal(jobStatus(outDir, j), 'pending', j.id);
  }
  assert.deepEqual(dataLines(cfg, data), [
    'data sst2: not on disk yet (run reads or downloads it); its jobs are pending',
  ]);
});

test('weights rewritten, data unchanged: status says the model weights changed', async () => {
  const { cfg, outDir, cache, root } = setup();
  const data = await readDataStates(cfg, { download: false, cacheFile: cache });
  const wcache = join(root, 'w.json');
  const before = readModelWeights(cfg, wcache);
  finishAll(outDir, expandGrid(cfg, before, data));
  writeFileSync(join(root, 'model', 'model.safetensors'), 'retrained');
  const now = readModelWeights(cfg, wcache);
  const grid = expandGrid(cfg, now, data);
  assert.equal(
    staleReason(outDir, grid.byId.get('sst2/a/phase2/full-seed-7')!, grid),
    `model weights changed: ${before.a!.digest} -> ${now.a!.digest}`,
  );
});
