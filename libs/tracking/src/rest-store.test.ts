import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, beforeEach, describe, test } from 'node:test';
import { FakeMlflowServer, type FakeRequest } from './testing/fake-mlflow-server.ts';
import { LOCAL_ID_PREFIX, TAG_CLIENT_RUN_ID, lockFile, readState } from './journal.ts';
import { RestStore } from './rest-store.ts';
import { syncPending } from './sync.ts';

const server = new FakeMlflowServer();
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'prunelab-reststore-'));
let url = '';
let n = 0;
const noSleep = async (): Promise<void> => undefined;
const DEAD_PID = 4_194_304 + 1000; // above Linux's largest pid_max: never a live process

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
});

function newDir(): string {
  return fs.mkdtempSync(path.join(tmp, `r${n++}-`));
}

function store(localDir: string, logs: string[] = []): RestStore {
  return new RestStore({
    uri: url,
    localDir,
    worker: 'w1',
    maxAttempts: 2,
    sleep: noSleep,
    timeoutMs: 5000,
    retryOnlineAfterMs: 0,
    log: (l) => void logs.push(l),
  });
}

function runByName(name: string) {
  const found = [...server.runs.values()].filter((r) => r.info.run_name === name);
  assert.equal(found.length, 1, `exactly one run named ${name} on the server, found ${found.length}`);
  return found[0]!;
}

function steps(runId: string, key: string): number[] {
  return server
    .history(runId, key)
    .map((p) => p.step)
    .sort((a, b) => a - b);
}

function pendingFiles(localDir: string): string[] {
  const dir = path.join(localDir, 'mlflow-pending', 'w1');
  return fs.existsSync(dir) ? fs.readdirSync(dir).sort() : [];
}

/** The same job both ways: a grid parent, a child with params, metrics per epoch, tags and artifacts. */
async function job(
  s: RestStore,
  exp: string,
  tag: string,
  srcDir: string,
): Promise<{ parentId: string; childId: string }> {
  const expId = await s.getOrCreateExperiment(exp);
  const parent = await s.createRun(expId, { runName: `${tag}-grid`, tags: { task: 'sst2' }, startTime: 1000 });
  const child = await s.createRun(expId, {
    runName: `${tag}-job`,
    parentRunId: parent.runId,
    tags: { method: 'el2n', seed: '1' },
    startTime: 2000,
  });
  await child.logParams({ 'phase2.lr': 0.00002, epochs: 3 });
  await assert.rejects(child.logParams({ epochs: 4 }), /write-once/); // refused also while offline
  for (let epoch = 0; epoch < 3; epoch++)
    await child.logMetrics({ 'dev/acc': 0.5 + epoch / 10, 'train/loss': 1 / (epoch + 1) }, epoch);
  await child.logMetric('weird', NaN, 0, 5000);
  await child.setTags({ subset: 'H=0.3' });
  fs.writeFileSync(path.join(srcDir, 'report.md'), `# ${tag}`);
  await child.logArtifact(path.join(srcDir, 'report.md'), 'reports');
  await child.end('FINISHED');
  await parent.end('FINISHED');
  return { parentId: parent.runId, childId: child.runId };
}

function checkJob(tag: string, exp: string): void {
  const parent = runByName(`${tag}-grid`);
  const child = runByName(`${tag}-job`);
  const expId = [...server.experiments.values()].find((e) => e.name === exp)!.experiment_id;
  assert.equal(child.info.experiment_id, expId);
  assert.equal(child.tags.get('mlflow.parentRunId'), parent.info.run_id);
  assert.equal(child.tags.get('method'), 'el2n');
  assert.equal(child.tags.get('subset'), 'H=0.3');
  assert.equal(child.tags.get('mlflow.runName'), `${tag}-job`);
  assert.equal(child.info.user_id, os.userInfo().username);
  assert.equal(child.info.start_time, 2000);
  assert.equal(parent.tags.get('task'), 'sst2');
  assert.deepEqual(Object.fromEntries(child.params), { 'phase2.lr': '0.00002', epochs: '3' });
  assert.deepEqual(steps(child.info.run_id, 'dev/acc'), [0, 1, 2]);
  assert.deepEqual(
    server.history(child.info.run_id, 'train/loss').map((p) => p.value),
    [1, 0.5, 1 / 3],
  );
  assert.deepEqual(server.history(child.info.run_id, 'weird'), [
    { key: 'weird', value: 'NaN', timestamp: 5000, step: 0 },
  ]);
  assert.equal(
    server.artifacts.get(`${expId}/${child.info.run_id}/artifacts/reports/report.md`)?.toString(),
    `# ${tag}`,
  );
  for (const r of [parent, child]) {
    assert.equal(r.info.status, 'FINISHED');
    assert.equal(typeof r.info.end_time, 'number');
  }
}

describe('RestStore', () => {
  test(
    'online: runs, nesting, params, metrics, tags and artifacts reach the server; nothing left ' + 'locally',
    async () => {
      const dir = newDir();
      const s = store(dir);
      const ids = await job(s, 'exp-online', 'on', dir);
      checkJob('on', 'exp-online');
      assert.equal(ids.childId, runByName('on-job').info.run_id); // online runs carry the server's id
      assert.equal(runByName('on-job').tags.get(TAG_CLIENT_RUN_ID)?.startsWith(LOCAL_ID_PREFIX), true);
      assert.deepEqual(pendingFiles(dir), []); // locks removed at end()
      const batches = server
        .calls('runs/log-batch')
        .map((r: FakeRequest) => r.json as { metrics: { value: unknown }[] });
      assert.ok(batches.some((b) => b.metrics.some((m) => m.value === 'NaN')));
    },
  );

  test(
    'server unreachable from the start: the run goes on, everything is journaled, sync replays it exactly ' + 'once',
    async () => {
      const dir = newDir();
      const logs: string[] = [];
      server.down = true;
      const s = store(dir, logs);
      const ids = await job(s, 'exp-offline', 'off', dir);
      assert.ok(ids.childId.startsWith(LOCAL_ID_PREFIX));
      assert.equal([...server.runs.values()].filter((r) => String(r.info.run_name).startsWith('off-')).length, 0);
      assert.deepEqual(s.pendingRuns().sort(), [ids.childId, ids.parentId].sort());
      assert.match(logs[0] ?? '', /unreachable.*experiments sync/);
      server.down = false;
      const report = await syncPending(dir, url, { client: { sleep: noSleep, timeoutMs: 5000 } });
      assert.deepEqual(report.failed, []);
      assert.equal(report.synced.length, 2);
      checkJob('off', 'exp-offline');
      assert.deepEqual(pendingFiles(dir), ['synced.jsonl']);
      const again = await syncPending(dir, url, { client: { sleep: noSleep, timeoutMs: 5000 } });
      assert.deepEqual(again, { synced: [], orphans: [], busy: [], failed: [] });
      checkJob('off', 'exp-offline'); // still exactly one of everything
    },
  );

  test(
    'server lost mid-run (requests applied but never answered), then back: the run reconnects without ' + 'duplicates',
    async () => {
      const dir = newDir();
      const s = store(dir);
      const expId = await s.getOrCreateExperiment('exp-flaky');
      const run = await s.createRun(expId, { runName: 'flaky', startTime: 1 });
      await run.logMetric('loss', 1, 0, 100);
      await run.logMetric('loss', 0.9, 1, 101);
      server.fault = () => 'drop-after'; // the server applies every request but the answers are lost
      await run.logMetric('loss', 0.8, 2, 102);
      await run.logMetric('loss', 0.7, 3, 103);
      assert.equal(run.offline, true);
      const serverId = run.runId;
      // step 2 reached the server (its answer was lost); the retries and replays checked the history first: once only
      assert.deepEqual(steps(serverId, 'loss'), [0, 1, 2]);
      server.fault = () => undefined;
      await run.logMetric('loss', 0.6, 4, 104); // server answers again: the journal is replayed first
      assert.equal(run.offline, false);
      await run.end('FINISHED');
      assert.deepEqual(
        server.history(serverId, 'loss').map((p) => p.step),
        [0, 1, 2, 3, 4],
      );
      assert.equal(server.runs.get(serverId)!.info.status, 'FINISHED');
      assert.deepEqual(pendingFiles(dir), ['synced.jsonl']);
    },
  );

  test("parent and child created offline come online by themselves when the server returns; the child points at the parent's server id", async () => {
    const dir = newDir();
    server.down = true;
    const s = store(dir);
    const expId = await s.getOrCreateExperiment('exp-nested');
    assert.ok(expId.startsWith('pending-experiment:'));
    const parent = await s.createRun(expId, { runName: 'n-parent', startTime: 1 });
    const child = await s.createRun(expId, { runName: 'n-child', parentRunId: parent.runId, startTime: 2 });
    await child.logMetric('acc', 0.5, 0, 10);
    assert.equal(child.offline, true);
    server.down = false;
    await child.logMetric('acc', 0.6, 1, 11); // replays the child, which first brings its parent online
    assert.equal(child.offline, false);
    assert.equal(parent.offline, false);
    const p = runByName('n-parent');
    const c = runByName('n-child');
    assert.equal(parent.serverRunId, p.info.run_id);
    assert.equal(c.tags.get('mlflow.parentRunId'), p.info.run_id);
    assert.equal(
      c.info.experiment_id,
      [...server.experiments.values()].find((e) => e.name === 'exp-nested')!.experiment_id,
    );
    assert.deepEqual(steps(c.info.run_id, 'acc'), [0, 1]);
    await child.end('FINISHED');
    await parent.end('FINISHED');
    assert.deepEqual(pendingFiles(dir), ['synced.jsonl']);
  });

  test('a sync interrupted half-way resumes without duplicating metrics or runs', async () => {
    const dir = newDir();
    server.down = true;
    const s = store(dir);
    const expId = await s.getOrCreateExperiment('exp-resume');
    const run = await s.createRun(expId, { runName: 'big', startTime: 1 });
    const wide: Record<string, number> = {};
    for (let k = 0; k < 1500; k++) wide[`k${k}`] = k;
    await run.logMetrics(wide, 0); // one journal line, two log-batch requests
    for (let step = 0; step < 20; step++) await run.logMetric('loss', 1 / (step + 1), step, 1000 + step);
    await run.end('FINISHED');
    server.down = false;

    // The server applies the run creation and 3 log-batch requests, but the 3rd answer is lost and then it dies.
    let batches = 0;
    server.fault = (r) => {
      if (r.path.endsWith('/runs/log-batch') && ++batches === 3) {
        server.down = true;
        return 'drop-after';
      }
      return undefined;
    };
    const first = await syncPending(dir, url, { client: { sleep: noSleep, maxAttempts: 2, timeoutMs: 5000 } });
    assert.equal(first.synced.length, 0);
    assert.equal(first.failed.length, 1);
    assert.match(first.failed[0]!.error, /unreachable/);
    const state = readState(s.pendingDir, run.runId)!;
    assert.equal(state.inflight, true); // the 3rd request's fate is unknown
    const serverId = state.serverRunId!;
    assert.equal(server.history(serverId, 'loss').length, 1); // it was applied

    server.down = false;
    server.fault = () => undefined;
    const second = await syncPending(dir, url, { client: { sleep: noSleep, timeoutMs: 5000 } });
    assert.deepEqual(second.failed, []);
    assert.deepEqual(
      second.synced.map((x) => x.serverRunId),
      [serverId],
    );
    assert.equal(runByName('big').info.run_id, serverId); // no second run
    assert.deepEqual(
      steps(serverId, 'loss'),
      Array.from({ length: 20 }, (_, i) => i),
    );
    const wideKeys = server.runs.get(serverId)!.metrics.filter((m) => m.key.startsWith('k'));
    assert.equal(wideKeys.length, 1500);
    assert.equal(server.runs.get(serverId)!.info.status, 'FINISHED');
  });

  test(
    'a replay killed after runs/create (answer lost) finds the run by its client id instead of creating ' + 'another',
    async () => {
      const dir = newDir();
      server.down = true;
      const s = store(dir);
      const run = await s.createRun(await s.getOrCreateExperiment('exp-create'), { runName: 'once', startTime: 1 });
      await run.logMetric('m', 1, 0, 10);
      await run.end('FINISHED');
      server.down = false;
      let creates = 0;
      server.fault = (r) => (r.path.endsWith('/runs/create') && creates++ === 0 ? 'drop-after' : undefined);
      const report = await syncPending(dir, url, { client: { sleep: noSleep, timeoutMs: 5000 } });
      assert.deepEqual(report.failed, []);
      const created = runByName('once');
      assert.deepEqual(
        report.synced.map((x) => x.serverRunId),
        [created.info.run_id],
      );
      assert.deepEqual(steps(created.info.run_id, 'm'), [0]);
    },
  );

  test(
    'killed runs: an offline journal without end and an online run left RUNNING are marked KILLED by sync; live ' +
      'ones are left alone',
    async () => {
      const dir = newDir();
      const s = store(dir);
      const expId = await s.getOrCreateExperiment('exp-killed');
      const online = await s.createRun(expId, { runName: 'online-killed', startTime: 1 });
      await online.logMetric('loss', 1, 0, 7777);
      server.down = true;
      const offline = await s.createRun(expId, { runName: 'offline-killed', startTime: 2 });
      await offline.logMetric('loss', 2, 0, 8888);
      const live = await s.createRun(expId, { runName: 'still-running', startTime: 3 });
      server.down = false;
      // simulate SIGKILL of the process that owned the first two: their locks name a dead pid
      const pdir = s.pendingDir;
      for (const id of [online.runId, offline.runId])
        fs.writeFileSync(lockFile(pdir, id), JSON.stringify({ pid: DEAD_PID }));
      const report = await syncPending(dir, url, { client: { sleep: noSleep, timeoutMs: 5000 } });
      assert.deepEqual(report.failed, []);
      assert.deepEqual(report.busy, [live.runId]); // this process still holds it
      const onlineRun = server.runs.get(online.runId)!;
      assert.equal(onlineRun.info.status, 'KILLED');
      assert.ok((onlineRun.info.end_time as number) >= 7777);
      const offlineRun = runByName('offline-killed');
      assert.equal(offlineRun.info.status, 'KILLED');
      assert.deepEqual(steps(offlineRun.info.run_id, 'loss'), [0]);
      assert.deepEqual(
        report.orphans.map((o) => o.status),
        ['KILLED', 'KILLED'],
      );
      await live.end('FINISHED');
      const last = await syncPending(dir, url, { client: { sleep: noSleep, timeoutMs: 5000 } });
      assert.deepEqual(last.failed, []);
      assert.equal(runByName('still-running').info.status, 'FINISHED');
    },
  );

  test(
    'after a failure the run stays quiet for retryOnlineAfterMs: calls go to the journal without touching the ' +
      'server',
    async () => {
      const dir = newDir();
      const s = new RestStore({
        uri: url,
        localDir: dir,
        worker: 'w1',
        maxAttempts: 2,
        sleep: noSleep,
        timeoutMs: 5000,
        retryOnlineAfterMs: 60_000,
        log: () => undefined,
      });
      const expId = await s.getOrCreateExperiment('exp-quiet');
      server.fault = () => ({ status: 503 });
      const run = await s.createRun(expId, { runName: 'quiet' });
      const seen = server.requests.length;
      for (let step = 0; step < 10; step++) await run.logMetric('loss', step, step, 100 + step);
      await run.end('FINISHED');
      await s.flush();
      assert.equal(server.requests.length, seen); // not one request during the quiet period
      assert.equal(s.offline, true);
      server.fault = () => undefined;
      const report = await syncPending(dir, url, { client: { sleep: noSleep, timeoutMs: 5000 } });
      assert.equal(report.synced.length, 1);
      assert.deepEqual(steps(runByName('quiet').info.run_id, 'loss'), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    },
  );

  test('4xx errors are not swallowed by the offline fallback', async () => {
    const dir = newDir();
    const s = store(dir);
    await assert.rejects(
      s.createRun('999', { runName: 'x' }),
      /MLflow POST runs\/create failed: HTTP 404 RESOURCE_DOES_NOT_EXIST: No Experiment with id=999/,
    );
    assert.deepEqual(pendingFiles(dir), []);
  });
});
