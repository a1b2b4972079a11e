import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { findRepoRoot } from './repo-root.ts';
import { loadSentimentTask, type SentimentTaskOptions } from './resolve.ts';
import { fakeFetch, fakeSst2Zip, SHARED_DATA } from './test-helpers.ts';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'prunelab-resolve-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));
/** A "repository" with no ../shared/data beside it, to exercise the fallbacks. */
const loneRepo = path.join(tmp, 'nested', 'repo');
fs.mkdirSync(loneRepo, { recursive: true });

/** Runs `fn` with PRUNELAB_DATA set (or unset), restoring the caller's value. */
async function withEnv<T>(value: string | undefined, fn: () => Promise<T>): Promise<T> {
  const saved = process.env['PRUNELAB_DATA'];
  if (value === undefined) delete process.env['PRUNELAB_DATA'];
  else process.env['PRUNELAB_DATA'] = value;
  try {
    return await fn();
  } finally {
    if (saved === undefined) delete process.env['PRUNELAB_DATA'];
    else process.env['PRUNELAB_DATA'] = saved;
  }
}

const base: SentimentTaskOptions = { task: 'sst2', cacheDir: path.join(tmp, 'cache-unused'), trainSize: 2000, seed: 1, allowDownload: false };

test('findRepoRoot finds the workspace root', () => {
  const root = findRepoRoot(import.meta.dirname);
  assert.ok(JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')).workspaces);
  assert.equal(findRepoRoot(path.join(root, 'libs', 'data', 'src')), root);
});

test('without config or env, ../shared/data is used and described', async () => {
  const t = await withEnv(undefined, () => loadSentimentTask(base));
  assert.equal(t.source, 'shared');
  assert.equal(t.root, SHARED_DATA);
  assert.equal(t.task.name, 'sst2');
  assert.deepEqual(t.task.labels, ['negative', 'positive']);
  assert.equal(t.train.length, 2000);
  assert.equal(t.dev.length, 872);
  assert.deepEqual(t.warnings, []);
  assert.ok(
    t.description.startsWith('SST-2 (GLUE TSV) from ../shared/data: 2,000 of 67,349 training sentences (seed 1), dev 872'),
    t.description,
  );
  assert.match(t.description, /repeats 371 sentences/);
});

test('subsampling is deterministic for a seed, differs for another, and keeps file order', async () => {
  const opts = { ...base, dataRoot: SHARED_DATA, trainSize: 500, devSize: 100 };
  const a = await loadSentimentTask(opts);
  const b = await loadSentimentTask(opts);
  const c = await loadSentimentTask({ ...opts, seed: 2 });
  assert.equal(a.source, 'config');
  assert.deepEqual(a.train.map((e) => e.id), b.train.map((e) => e.id));
  assert.deepEqual(a.dev.map((e) => e.id), b.dev.map((e) => e.id));
  assert.equal(a.train.length, 500);
  assert.equal(a.dev.length, 100);
  const overlap = c.train.filter((e) => new Set(a.train.map((x) => x.id)).has(e.id)).length;
  assert.ok(overlap < 50, `seeds 1 and 2 share ${overlap} of 500`);
  // file order: positions in the full split increase
  const full = await loadSentimentTask({ ...opts, trainSize: Infinity });
  assert.equal(full.train.length, 67_349);
  const pos = new Map(full.train.map((e, i) => [e.id, i]));
  const idx = a.train.map((e) => pos.get(e.id) ?? -1);
  assert.ok(idx.every((v, i) => v >= 0 && (i === 0 || v > (idx[i - 1] ?? -1))));
  assert.match(full.description, /all 67,349 training sentences/);
});

test('a configured or env root without SST-2 is an error naming the path', async () => {
  const empty = path.join(tmp, 'empty-root');
  fs.mkdirSync(empty, { recursive: true });
  const expected = path.join('glue', 'SST-2', 'train.tsv');
  await assert.rejects(loadSentimentTask({ ...base, dataRoot: empty }), (e: Error) => e.message.includes(empty) && e.message.includes(expected));
  await assert.rejects(
    withEnv(empty, () => loadSentimentTask(base)),
    (e: Error) => e.message.includes(empty) && e.message.includes('PRUNELAB_DATA'),
  );
  // pointing at the glue folder itself gets a hint
  await assert.rejects(loadSentimentTask({ ...base, dataRoot: path.join(SHARED_DATA, 'glue') }), /point it at the folder that contains glue\//);
});

test('PRUNELAB_DATA is used when there is no configured root', async () => {
  const t = await withEnv(SHARED_DATA, () => loadSentimentTask({ ...base, trainSize: 10 }));
  assert.equal(t.source, 'env');
  assert.equal(t.train.length, 10);
});

test('no local data: download into the cache, then reuse the cache', async () => {
  const cacheDir = path.join(tmp, 'cache');
  const calls: string[] = [];
  const opts = { ...base, cacheDir, repoRoot: loneRepo, allowDownload: true, fetchImpl: fakeFetch(fakeSst2Zip(), calls), trainSize: 2 };
  const t = await withEnv(undefined, () => loadSentimentTask(opts));
  assert.equal(t.source, 'cache');
  assert.equal(t.root, cacheDir);
  assert.equal(t.train.length, 2);
  assert.ok(t.warnings.some((w) => /has 3 rows but the official GLUE SST-2 train split has 67,349/.test(w)));
  const again = await withEnv(undefined, () => loadSentimentTask({ ...opts, allowDownload: false }));
  assert.equal(again.source, 'cache');
  assert.equal(calls.length, 1);
});

test('no data anywhere: a failed download is a warning and the synthetic task is used', async () => {
  const opts = { ...base, cacheDir: path.join(tmp, 'cache-none'), repoRoot: loneRepo, allowDownload: true, fetchImpl: fakeFetch(null, []), trainSize: 300, devSize: 50 };
  const t = await withEnv(undefined, () => loadSentimentTask(opts));
  assert.equal(t.source, 'synthetic');
  assert.equal(t.root, undefined);
  assert.equal(t.task.name, 'synthetic-sentiment');
  assert.equal(t.train.length, 300);
  assert.equal(t.dev.length, 50);
  assert.ok(t.warnings.some((w) => w.startsWith('SST-2 download failed')));
  assert.ok(t.warnings.some((w) => /SYNTHETIC/.test(w)));
  assert.match(t.description, /^synthetic two-class sentiment task/);
  const noDownload = await withEnv(undefined, () => loadSentimentTask({ ...opts, allowDownload: false }));
  assert.deepEqual(noDownload.train, t.train);
  assert.ok(noDownload.warnings.some((w) => w.includes('download disabled')));
});
