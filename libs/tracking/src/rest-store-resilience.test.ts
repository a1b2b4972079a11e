// What a real deployment does to a run after training: a server without artifact proxying, a server that comes
// back within the run, a grid run resumed by its tag, dataset inputs, several workers on one results folder.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, beforeEach, describe, test } from 'node:test';
import { FakeMlflowServer } from './testing/fake-mlflow-server.ts';
import { LOCAL_ID_PREFIX, lockFile } from './journal.ts';
import { RestStore } from './rest-store.ts';
import { syncPending, syncedIds } from './sync.ts';
import type { DatasetInput } from './tracker.ts';

const server = new FakeMlflowServer();
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'prunelab-resilience-'));
let url = '';
let n = 0;
const noSleep = async (): Promise<void> => undefined;

before(async () => {
  url = await server.start();
});
after(async () => {
  await server.close();
  fs.rmSync(tmp, { recursive: true, force: true });
});
beforeEach(() => {
  server.down = false;
  server.fault = () => undefined;
  server.serveArtifacts = true;
  server.artifactRoot = 'mlflow-artifacts:';
});

const newDir = () => fs.mkdtempSync(path.join(tmp, `r${n++}-`));

function store(localDir: string, logs: string[] = [], worker = 'w1'): RestStore {
  return new RestStore({
    uri: url,
    localDir,
    worker,
    maxAttempts: 3,
    sleep: noSleep,
    timeoutMs: 5000,
    retryOnlineAfterMs: 0,
    log: (l) => void logs.push(l),
  });
}

const runNamed = (name: string) => {
  const found = [...server.runs.values()].filter((r) => r.info.run_name === name);
  assert.equal(found.length, 1, `one run named ${name}, found ${found.length}`);
  return found[0]!;
};

function jobFolder(dir: string): string {
  const job = path.join(dir, 'job');
  fs.mkdirSync(path.join(job, 'subsets'), { recursive: true });
  fs.writeFileSync(path.join(job, 'metrics.jsonl'), '{"epoch":1}\n');
  fs.writeFileSync(path.join(job, 'subsets', 'a.json'), '{}');
  return job;
}

describe('a server that does not proxy artifacts', () => {
  test('s3:// artifact root: found before training, the job still finishes, a tag says where the files are', async () => {
    server.serveArtifacts = false;
    server.artifactRoot = 's3://bucket/mlflow';
    const dir = newDir();
    const logs: string[] = [];
    const s = store(dir, logs);
    const expId = await s.getOrCreateExperiment('exp-s3');
    const parent = await s.createRun(expId, { runName: 's3-grid' });
    const reason = await s.checkArtifacts(parent);
    assert.match(reason ?? '', /s3:\/\/bucket\/mlflow\/.*--no-serve-artifacts/);
    const job = await s.createRun(expId, { runName: 's3-job', parentRunId: parent.runId });
    await job.logMetrics({ acc: 0.9 }, 1);
    const folder = jobFolder(dir);
    await job.logArtifact(folder, 'job'); // must not throw
    await job.logArtifact(path.join(folder, 'metrics.jsonl'));
    await job.end('FINISHED');
    await parent.end('FINISHED');
    const r = runNamed('s3-job');
    assert.equal(r.info.status, 'FINISHED');
    assert.equal(r.tags.get('prunelab.local_artifact.job_job'), folder);
    assert.equal(r.tags.get('prunelab.local_artifact.metrics.jsonl'), path.join(folder, 'metrics.jsonl'));
    assert.equal(server.calls('mlflow-artifacts').length, 0); // nothing was even tried
    assert.equal(logs.filter((l) => /artifacts are not uploaded/.test(l)).length, 1); // warned once
    assert.match(logs.find((l) => /artifacts are not uploaded/.test(l))!, new RegExp(`stay on disk under ${dir}`));
    assert.deepEqual(s.pendingRuns(), []); // not journaled: nothing for sync to retry forever
  });

  test('proxy route answering 503 "--no-serve-artifacts": refused at once (no retries), the run stays online', async () => {
    server.serveArtifacts = false; // mlflow-artifacts: URIs, but the route is disabled
    const dir = newDir();
    const logs: string[] = [];
    const s = store(dir, logs);
    const run = await s.createRun(await s.getOrCreateExperiment('exp-503'), { runName: 'r503' });
    const before = server.requests.length;
    await run.logArtifact(jobFolder(dir));
    const puts = server.requests.slice(before).filter((r) => r.method === 'PUT');
    assert.equal(puts.length, 1); // one refusal, not the retry schedule, then no more attempts
    await run.logArtifact(path.join(dir, 'job', 'metrics.jsonl'));
    assert.equal(server.requests.slice(before).filter((r) => r.method === 'PUT').length, 1);
    assert.equal(run.offline, false);
    await run.end('FINISHED');
    const r = runNamed('r503');
    assert.equal(r.info.status, 'FINISHED');
    assert.equal(r.tags.get('prunelab.local_artifact.job'), path.join(dir, 'job'));
    assert.match(s.artifactsRefused ?? '', /HTTP 503.*--no-serve-artifacts/);
  });

  test('the probe at grid start: a proxy that answers is fine; one that does not answer is left to the journal', async () => {
    const s = store(newDir());
    const run = await s.createRun(await s.getOrCreateExperiment('exp-probe'), { runName: 'probe' });
    assert.equal(await s.checkArtifacts(run), undefined);
    server.fault = (r) => (r.path.startsWith('/api/2.0/mlflow-artifacts') ? 'drop-before' : undefined);
    assert.equal(await s.checkArtifacts(run), undefined); // unknown: not refused
    assert.equal(s.artifactsRefused, undefined);
    server.fault = () => undefined;
    await run.end('FINISHED');
  });

  test('artifacts journaled offline and replayed to a server without a proxy: synced, with the tag instead', async () => {
    const dir = newDir();
    server.down = true;
    const s = store(dir);
    const run = await s.createRun(await s.getOrCreateExperiment('exp-s3-sync'), { runName: 'off-s3' });
    const folder = jobFolder(dir);
    await run.logArtifact(folder);
    await run.end('FINISHED');
    server.down = false;
    server.serveArtifacts = false;
    server.artifactRoot = 's3://bucket/x';
    const report = await syncPending(dir, url, { client: { sleep: noSleep, timeoutMs: 5000 } });
    assert.deepEqual(report.failed, []);
    const r = runNamed('off-s3');
    assert.equal(r.info.status, 'FINISHED');
    assert.equal(r.tags.get('prunelab.local_artifact.job'), folder);
  });
});

test('runs that ended while the server was down are pushed by pushPending once it answers, within the run', async () => {
  const dir = newDir();
  const s = store(dir);
  const expId = await s.getOrCreateExperiment('exp-push');
  const parent = await s.createRun(expId, { runName: 'push-grid' });
  server.down = true;
  const job = await s.createRun(expId, { runName: 'push-job', parentRunId: parent.runId });
  assert.ok(job.runId.startsWith(LOCAL_ID_PREFIX));
  await job.logMetrics({ acc: 0.5 }, 1);
  await job.end('FINISHED'); // journaled, lock removed: only sync (or pushPending) will push it
  assert.deepEqual(s.pendingRuns(), [job.runId]); // the parent made no call while the server was down
  assert.deepEqual((await s.pushPending()).synced, []); // still down: nothing, no error
  server.down = false;
  const report = await s.pushPending();
  assert.deepEqual(report.failed, []);
  const r = runNamed('push-job');
  assert.deepEqual(
    report.synced.map((x) => x.serverRunId),
    [r.info.run_id],
  );
  assert.equal(r.info.status, 'FINISHED');
  assert.equal(r.tags.get('mlflow.parentRunId'), parent.runId);
  assert.equal(server.history(r.info.run_id, 'acc').length, 1);
  assert.deepEqual(s.pendingRuns(), []);
  assert.equal(syncedIds(dir).get(job.runId), r.info.run_id); // done.json can be rewritten from this
  await parent.end('FINISHED');
  assert.equal(runNamed('push-grid').info.status, 'FINISHED');
});

test('resumeRun: the latest run with the tag is set RUNNING again and keeps its params; none offline', async () => {
  const dir = newDir();
  const s = store(dir);
  const expId = await s.getOrCreateExperiment('exp-resume-tag');
  assert.equal(await s.resumeRun(expId, 'prunelab.grid_hash', 'abc'), undefined);
  const first = await s.createRun(expId, {
    runName: 'g',
    tags: { 'prunelab.grid_hash': 'abc' },
    startTime: 1000,
  });
  await first.logParams({ lr: 0.1 });
  await first.end('FINISHED');
  const other = await s.createRun(expId, { runName: 'g2', tags: { 'prunelab.grid_hash': 'zzz' }, startTime: 2000 });
  await other.end('FINISHED');
  const again = await s.resumeRun(expId, 'prunelab.grid_hash', 'abc');
  assert.equal(again?.run.runId, first.runId);
  assert.deepEqual(again?.params, { lr: '0.1' });
  assert.equal(server.runs.get(first.runId)!.info.status, 'RUNNING');
  await again!.run.end('FINISHED');
  assert.equal(server.runs.get(first.runId)!.info.status, 'FINISHED');
  server.down = true;
  assert.equal(await s.resumeRun(expId, 'prunelab.grid_hash', 'abc'), undefined);
});

test('dataset inputs reach runs/log-inputs, online and through the journal', async () => {
  const dir = newDir();
  const s = store(dir);
  const expId = await s.getOrCreateExperiment('exp-inputs');
  const datasets: DatasetInput[] = [
    {
      dataset: { name: 'sst2/train', digest: 'abcdef0123456789', source_type: 'local', source: '{"uri":"/d"}' },
      tags: [{ key: 'mlflow.data.context', value: 'train' }],
    },
  ];
  const online = await s.createRun(expId, { runName: 'in-on' });
  await online.logInputs(datasets);
  await assert.rejects(
    online.logInputs([{ dataset: { ...datasets[0]!.dataset, digest: '' }, tags: [] }]),
    /datasets\[0\]\.dataset\.digest must be a non-empty string/,
  );
  await online.end('FINISHED');
  server.down = true;
  const offline = await s.createRun(expId, { runName: 'in-off' });
  await offline.logInputs(datasets);
  await offline.end('FINISHED');
  server.down = false;
  await syncPending(dir, url, { client: { sleep: noSleep, timeoutMs: 5000 } });
  for (const name of ['in-on', 'in-off']) assert.deepEqual(runNamed(name).inputs, datasets);
});

test('one journal folder per worker: two workers on one results folder never share a file; sync takes both', async () => {
  const dir = newDir();
  server.down = true;
  const a = store(dir, [], 'hostA-1');
  const b = store(dir, [], 'hostB-2');
  assert.notEqual(a.pendingDir, b.pendingDir);
  for (const [s, name] of [
    [a, 'wa'],
    [b, 'wb'],
  ] as const) {
    const run = await s.createRun(await s.getOrCreateExperiment('exp-workers'), { runName: name });
    await run.logMetric('m', 1, 0, 5);
    await run.end('FINISHED');
  }
  assert.deepEqual(fs.readdirSync(path.join(dir, 'mlflow-pending')).sort(), ['hostA-1', 'hostB-2']);
  // a run another host still holds: its pid cannot be checked from here, so it is left alone
  const c = store(dir, [], 'hostC-3');
  const held = await c.createRun(await c.getOrCreateExperiment('exp-workers'), { runName: 'wc' });
  fs.writeFileSync(lockFile(c.pendingDir, held.runId), JSON.stringify({ pid: 1, host: 'elsewhere' }));
  server.down = false;
  const report = await syncPending(dir, url, { client: { sleep: noSleep, timeoutMs: 5000 } });
  assert.deepEqual(report.failed, []);
  assert.deepEqual(report.busy, [held.runId]);
  assert.equal(runNamed('wa').info.status, 'FINISHED');
  assert.equal(runNamed('wb').info.status, 'FINISHED');
});

test('pushPending called by several jobs ending at once replays each journal once', async () => {
  const dir = newDir();
  const s = store(dir);
  const expId = await s.getOrCreateExperiment('exp-push-once');
  server.down = true;
  for (const name of ['p1', 'p2']) {
    const run = await s.createRun(expId, { runName: name });
    await run.logMetric('m', 1, 0, 5);
    await run.end('FINISHED');
  }
  server.down = false;
  const reports = await Promise.all([s.pushPending(), s.pushPending(), s.pushPending()]);
  assert.equal(reports[0], reports[1]); // the same push
  assert.equal(reports[0]!.synced.length, 2);
  for (const name of ['p1', 'p2']) assert.equal(server.history(runNamed(name).info.run_id, 'm').length, 1);
});

test('a server without runs/log-inputs (MLflow < 2.4, HTML 404): datasets are skipped with one line, the run goes on', async () => {
  const logs: string[] = [];
  const s = store(newDir(), logs);
  server.fault = (r) => (r.path.endsWith('/runs/log-inputs') ? { status: 404, body: '<h1>Not Found</h1>' } : undefined);
  const run = await s.createRun(await s.getOrCreateExperiment('exp-old'), { runName: 'old' });
  const ds: DatasetInput = { dataset: { name: 'd', digest: '1', source_type: 'local', source: '{}' }, tags: [] };
  await run.logInputs([ds]);
  await run.logInputs([ds]);
  await run.logMetric('m', 1, 0, 5);
  await run.end('FINISHED');
  assert.equal(logs.filter((l) => /has no runs\/log-inputs/.test(l)).length, 1);
  assert.equal(runNamed('old').info.status, 'FINISHED');
  assert.equal(run.offline, false);
});

test("a tag naming another journaled run gets that run's server id when the journal reaches the server", async () => {
  const dir = newDir();
  const s = store(dir);
  const expId = await s.getOrCreateExperiment('exp-named');
  server.down = true;
  const scores = await s.createRun(expId, { runName: 'named-scores' });
  await scores.end('FINISHED'); // ended offline: only its journal knows it
  const job = await s.createRun(expId, { runName: 'named-job', tags: { 'prunelab.subset_run': scores.runId } });
  await job.setTags({ resumed_from_run: scores.runId });
  server.down = false;
  await job.logMetric('m', 1, 0, 5); // the job's replay pushes the run it names first
  assert.equal(job.offline, false);
  const scoresId = runNamed('named-scores').info.run_id;
  assert.equal(runNamed('named-job').tags.get('prunelab.subset_run'), scoresId);
  assert.equal(runNamed('named-job').tags.get('resumed_from_run'), scoresId);
  await job.end('FINISHED');
  assert.deepEqual(s.pendingRuns(), []);
});
