// The grid on BullMQ workers over a real Redis (REDIS_URL, or a private redis-server started here; skipped with a
// visible line where neither exists, a failure under PRUNELAB_REQUIRE_REDIS=1). Each test runs a 7-job grid on a
// random one-layer BERT through the CLI: coordinators (`run --queue`) and workers (`worker --queue`) are real
// processes, killed with real signals.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, afterEach, before, test } from 'node:test';
import { listExperiments, listRuns, readRun } from '@prunelab/tracking';
import { FakeMlflowServer } from '@prunelab/tracking/testing';
import { redisSkipReason, startTestRedis, type TestRedis } from './queue/redis-server.ts';
import { GRID_HASH_TAG } from './tracking.ts';
import { queueJobId } from './queue/connection.ts';
import { cli, type CliProcess, doneMarkers, resultFiles, starts, tinyGrid } from './queue/testing.ts';

const skip = redisSkipReason();
let redis: TestRedis | undefined;
const workers: CliProcess[] = [];
// a killed worker's job is back in the queue after about this long (BullMQ lock and stalled check)
const FAST = { PRUNELAB_QUEUE_LOCK_MS: '3000', PRUNELAB_QUEUE_POLL_MS: '300' };

before(async () => {
  if (!skip) redis = await startTestRedis();
});
// a test that fails midway must not leave its workers taking the next test's jobs
afterEach(async () => {
  for (const w of workers) if (w.child.exitCode === null) w.child.kill('SIGTERM');
  await Promise.all(workers.map((w) => w.exited));
});
after(async () => {
  for (const w of workers) if (w.child.exitCode === null) w.child.kill('SIGTERM');
  await Promise.all(workers.map((w) => w.exited));
  redis?.stop();
});

const worker = () => {
  const w = cli(['worker', '--queue', redis!.url], FAST);
  workers.push(w);
  return w;
};
const stopWorkers = async (ws: CliProcess[]) => {
  for (const w of ws) if (w.child.exitCode === null) w.child.kill('SIGTERM');
  for (const w of ws) await w.exited;
};
/** The restart test needs a server this process started (REDIS_URL's may not be restarted from here). */
const restartSkip = () =>
  process.env.REDIS_URL ? 'REDIS_URL is set: the restart test restarts only a server it started itself' : undefined;
const redisClient = async () => {
  const { Redis } = await import('ioredis');
  return new Redis(redis!.url);
};

test('two workers, one SIGKILLed mid-job, two racing coordinators: the grid finishes byte-identical to an in-process ' +
  'run, each job started once (the killed one twice), resumed from its snapshot', {
  skip,
  timeout: 300_000,
}, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'prunelab-queue-pair-'));
  const grid = { trainSize: 320, epochs: 3 };
  const config = await tinyGrid(dir, 'pair', grid);
  const refConfig = await tinyGrid(join(dir, 'ref'), 'pair', grid);
  const outDir = join(dir, 'results', 'pair');
  const [w1, w2] = [worker(), worker()];
  const coordinators = [0, 1].map(() => cli(['run', config, '--queue', redis!.url], FAST));

  // SIGKILL the first worker to finish a phase-1 epoch (a snapshot exists, the job is not done)
  const epoch = /^\[\d\/7\] phase1 sst2\/a seed \d+ .* epoch 1\/3 /m;
  const victim = await Promise.race([w1, w2].map((w) => w.waitFor(epoch).then(() => w)));
  const killedJob = [...victim.output().matchAll(/^worker \S+: start (\S+) /gm)].at(-1)?.[1] ?? '';
  victim.child.kill('SIGKILL');
  const survivor = victim === w1 ? w2 : w1;
  const ends = await Promise.all(coordinators.map((c) => c.exited));
  for (const e of ends) assert.equal(e.code, 0, e.output);
  await stopWorkers([survivor]);
  const killed = await victim.exited;
  assert.equal(killed.signal, 'SIGKILL');
  assert.ok(killedJob.includes('/phase1/'), killed.output);
  assert.doesNotMatch(killed.output, new RegExp(`: done ${killedJob}$`, 'm'), 'the job was not killed mid-run');

  // every job ran: once each, the killed one once more, resumed from its snapshot by the survivor
  const counts = starts([killed.output, survivor.output()]);
  assert.equal(doneMarkers(outDir).size, 7);
  assert.equal(counts.size, 7, [...counts].join('\n'));
  for (const [id, n] of counts) assert.equal(n, id === killedJob ? 2 : 1, `${id} started ${n} times`);
  assert.match(readFileSync(join(outDir, killedJob, 'log.txt'), 'utf8'), /resumed at epoch \d, step \d+/);
  assert.match(survivor.output(), /^\[\d\/7\] phase1 .* resumed at epoch \d step \d+/m);
  for (const e of ends) assert.match(e.output, /^jobs: \d ran, \d finished earlier, 0 failed, 0 blocked/m);
  assert.ok(existsSync(join(outDir, 'report.md')) && existsSync(join(outDir, 'report.html')));

  // MLflow: nothing left RUNNING; the killed job's first run KILLED, its second FINISHED
  const mlruns = join(outDir, 'mlruns');
  const runs = listExperiments(mlruns).flatMap((e) => listRuns(mlruns, e.id).map((id) => readRun(mlruns, e.id, id)));
  assert.deepEqual(
    runs.filter((r) => Number(r.meta.status) === 1).map((r) => r.tags['mlflow.runName']),
    [],
  );
  const ofKilled = runs.filter((r) => r.tags.job === killedJob).map((r) => Number(r.meta.status));
  assert.deepEqual(ofKilled.sort(), [3, 5]);
  // the two coordinators started together and share one parent run (Redis lock around find-or-create)
  const parents = runs.filter((r) => r.tags[GRID_HASH_TAG]);
  assert.equal(parents.length, 1, parents.map((r) => r.meta.run_id).join(', '));
  assert.equal(Number(parents[0]!.meta.status), 3);

  // the same grid in one process: summary, scores and subsets byte for byte
  const ref = await cli(['run', refConfig]).exited;
  assert.equal(ref.code, 0, ref.output);
  const want = resultFiles(join(dir, 'ref', 'results', 'pair'));
  const got = resultFiles(outDir);
  assert.deepEqual([...got.keys()], [...want.keys()]);
  for (const [f, text] of want) assert.equal(got.get(f), text, `${f} differs from the in-process run`);
});

/**
 * After Redis lost the grid's jobs (FLUSHALL, a restart): the coordinator ends well, all 7 jobs are done, no job
 * that was done before (`before`, done.json mtimes) was redone, and none started more than twice (the one running
 * across the loss is re-enqueued by the coordinator; the claim keeps a second start off it). Stops the worker.
 */
async function finishesWithoutRedoing(
  c: CliProcess,
  w: CliProcess,
  outDir: string,
  before: Map<string, number>,
  when: string,
) {
  const end = await c.exited;
  assert.equal(end.code, 0, `${end.output}\n--- worker\n${w.output()}`);
  await stopWorkers([w]);
  assert.ok(before.size >= 1);
  const afterwards = doneMarkers(outDir);
  assert.equal(afterwards.size, 7);
  for (const [job, mtime] of before) assert.equal(afterwards.get(job), mtime, `${job} was redone ${when}`);
  for (const [id, n] of starts([w.output()])) assert.ok(n <= 2, `${id} started ${n} times`);
  assert.ok(existsSync(join(outDir, 'report.md')));
  return end;
}

test('FLUSHALL mid-grid: no finished job is redone and the grid completes', { skip, timeout: 300_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'prunelab-queue-flush-'));
  const config = await tinyGrid(dir, 'flush');
  const outDir = join(dir, 'results', 'flush');
  const w = worker();
  const c = cli(['run', config, '--queue', redis!.url], FAST);
  await c.waitFor(/^\[\d\/7\] phase1 sst2\/a seed \d+: done$/m);
  const before = doneMarkers(outDir);
  const r = await redisClient();
  await r.flushall();
  r.disconnect();
  await finishesWithoutRedoing(c, w, outDir, before, 'after FLUSHALL');
});

test('Redis restarted mid-grid (its data gone): workers and coordinator reconnect, no finished job is redone, the ' +
  'grid completes', { skip: skip ?? restartSkip(), timeout: 300_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'prunelab-queue-restart-'));
  const config = await tinyGrid(dir, 'restart', { trainSize: 320, epochs: 3 });
  const outDir = join(dir, 'results', 'restart');
  const w = worker();
  const c = cli(['run', config, '--queue', redis!.url], FAST);
  // down while a phase-1 job runs, after another one finished
  await c.waitFor(/^\[\d\/7\] phase1 sst2\/a seed \d+: done$/m);
  await w.waitFor(/^\[\d\/7\] phase1 sst2\/a seed \d+ .* epoch 1\/3 /m);
  const before = doneMarkers(outDir);
  await redis!.restart!(2_000);
  const end = await finishesWithoutRedoing(c, w, outDir, before, 'after the restart');
  assert.match(end.output, /^jobs: \d ran, \d finished earlier, 0 failed, 0 blocked/m);
});

test('a failed job blocks its dependants (status --queue names both), retry --failed finishes the grid', {
  skip,
  timeout: 300_000,
}, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'prunelab-queue-retry-'));
  const config = await tinyGrid(dir, 'retry');
  const outDir = join(dir, 'results', 'retry');
  // a file where the scores job's folder must go: the scores job fails, for real, until it is removed
  mkdirSync(join(outDir, 'sst2/a'), { recursive: true });
  writeFileSync(join(outDir, 'sst2/a/scores'), 'in the way\n');
  const w = worker();
  const first = await cli(['run', config, '--queue', redis!.url], FAST).exited;
  assert.equal(first.code, 1, first.output);
  assert.match(first.output, /^\[4\/7\] scores sst2\/a all: FAILED: .+/m);
  assert.match(first.output, /^\[6\/7\] phase2 sst2\/a winning ticket .*: blocked \(sst2\/a\/scores\/all failed\)$/m);
  assert.match(first.output, /^jobs: 4 ran, 0 finished earlier, 1 failed, 2 blocked by a failure$/m);

  const status = await cli(['status', config, '--queue', redis!.url]).exited;
  assert.equal(status.code, 0, status.output);
  assert.match(status.output, /: 7 jobs; 4 done, 1 failed, 2 blocked$/m);
  assert.match(status.output, /^ +4 +failed +scores +sst2\/a\/scores\/all/m);
  assert.match(status.output, /^ +\| .*(ENOTDIR|not a directory)/m);
  assert.match(status.output, /^ +7 +blocked +phase2 +sst2\/a\/phase2\/random-03-seed-7 +by sst2\/a\/scores\/all$/m);

  rmSync(join(outDir, 'sst2/a/scores'));
  const retry = await cli(['retry', config, '--queue', redis!.url, '--failed'], FAST).exited;
  assert.equal(retry.code, 0, `${retry.output}\n--- worker\n${w.output()}`);
  assert.match(retry.output, /^retry: 1 failed job\(s\) back in the queue$/m);
  assert.match(retry.output, /^jobs: 3 ran, 4 finished earlier, 0 failed, 0 blocked/m);
  assert.equal(doneMarkers(outDir).size, 7);
  await stopWorkers([w]);
  const done = await cli(['status', config, '--queue', redis!.url]).exited;
  assert.match(done.output, /: 7 jobs; 7 done$/m);
});

test('status --queue shows waiting, pending and active jobs (worker, since, progress); cancel drains the grid', {
  skip,
  timeout: 300_000,
}, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'prunelab-queue-cancel-'));
  const config = await tinyGrid(dir, 'cancel', { trainSize: 320, epochs: 3 });
  const status = async () => (await cli(['status', config, '--queue', redis!.url]).exited).output;
  // no worker yet: what the coordinator enqueued waits, what depends on it is pending
  const c = cli(['run', config, '--queue', redis!.url], FAST);
  await c.waitFor(/^\[5\/7\] phase2 sst2\/a full data seed 7: queued$/m);
  const waiting = await status();
  assert.match(waiting, /: 7 jobs; 4 waiting, 3 pending$/m);
  assert.match(waiting, /^ +1 +waiting +phase1 +sst2\/a\/phase1\/seed-1 *$/m);
  assert.match(waiting, /^ +4 +pending +scores +sst2\/a\/scores\/all *$/m);

  const w = worker();
  await w.waitFor(/^\[\d\/7\] phase1 sst2\/a seed \d+ .* epoch 1\/3 /m);
  const name = /^worker (\S+): waiting for jobs/m.exec(w.output())![1]!;
  const active = await status();
  assert.match(
    active,
    new RegExp(`^ +\\d +active +phase1 +\\S+ +on ${name} since \\d{4}-\\d\\d-\\d\\dT[\\d:]+Z, \\d+%$`, 'm'),
  );

  const cancel = await cli(['cancel', config, '--queue', redis!.url]).exited;
  assert.equal(cancel.code, 0, cancel.output);
  // how many are still queued depends on how far the worker got meanwhile (a loaded machine: further); one worker
  // runs one job at a time, and something was queued or running
  const counts = /^cancel cancel: (\d+) queued job\(s\) removed, (\d+) running job\(s\) left to finish$/m.exec(
    cancel.output,
  );
  assert.ok(counts, cancel.output);
  const [removed, running] = [Number(counts[1]), Number(counts[2])];
  assert.ok(running <= 1 && removed + running >= 1, cancel.output);
  const end = await c.exited;
  assert.equal(end.code, 1, end.output);
  assert.match(end.output, /^cancelled \(experiments cancel\): no more jobs of cancel are enqueued$/m);
  assert.ok(existsSync(join(dir, 'results', 'cancel', 'report.md')), 'the report of what finished');
  // the job running at the cancel finishes (cancel leaves it), and the worker starts nothing after it
  const startedBefore = starts([w.output()]).size;
  const finished = () => (w.output().match(/^worker \S+: (done|FAILED) /gm) ?? []).length;
  while (finished() < starts([w.output()]).size) await new Promise((r) => setTimeout(r, 200));
  await stopWorkers([w]);
  assert.equal(starts([w.output()]).size, startedBefore, w.output());
  const after = await status();
  assert.match(after, /^grid cancel on \S+ \(cancelled\): 7 jobs; /m);
  assert.doesNotMatch(after, / (waiting|active) /);
});

test('server mode: the coordinator and two workers log to one MLflow server (the fake): one parent run, every job a ' +
  'FINISHED child on the server, done.json names the server ids, no offline journal left', {
  skip,
  timeout: 300_000,
}, async () => {
  const server = new FakeMlflowServer();
  const url = await server.start();
  try {
    const dir = mkdtempSync(join(tmpdir(), 'prunelab-queue-server-'));
    const config = await tinyGrid(dir, 'served', { trainSize: 160, epochs: 2 });
    const outDir = join(dir, 'results', 'served');
    const env = { ...FAST, MLFLOW_TRACKING_URI: url, MLFLOW_HTTP_REQUEST_MAX_RETRIES: '0' };
    const ws = [cli(['worker', '--queue', redis!.url], env), cli(['worker', '--queue', redis!.url], env)];
    workers.push(...ws);
    const end = await cli(['run', config, '--queue', redis!.url], env).exited;
    assert.equal(end.code, 0, end.output);
    await stopWorkers(ws);
    // both workers took jobs, so two processes wrote to the server besides the coordinator
    for (const w of ws) assert.match(w.output(), /^worker \S+: done /m, w.output());

    const exp = [...server.experiments.values()].find((e) => e.name === 'served')!;
    const runs = [...server.runs.values()].filter((r) => r.info.experiment_id === exp.experiment_id);
    const parents = runs.filter((r) => r.tags.get(GRID_HASH_TAG));
    assert.equal(parents.length, 1);
    const parent = parents[0]!;
    assert.equal(parent.info.status, 'FINISHED');
    const children = runs.filter((r) => r !== parent);
    assert.equal(children.length, 7, children.map((r) => r.info.run_name).join(', '));
    for (const r of children) {
      assert.equal(r.info.status, 'FINISHED', String(r.info.run_name));
      assert.equal(r.tags.get('mlflow.parentRunId'), parent.info.run_id, String(r.info.run_name));
    }
    // done.json of every job names its run on the server (no local- ids: nothing waits for `sync`)
    const done = doneMarkers(outDir);
    assert.equal(done.size, 7);
    for (const job of done.keys()) {
      const id = JSON.parse(readFileSync(join(outDir, job, 'done.json'), 'utf8')).mlflowRunId as string;
      assert.equal(server.runs.get(id)?.info.run_name, job);
    }
    assert.doesNotMatch(end.output, /wait in the offline journal/);
  } finally {
    await server.close();
  }
});

// The figure is a 5-minute job; PRUNELAB_LOCK_TEST_S shortens it on a developer's machine
const LONG_S = Number(process.env.PRUNELAB_LOCK_TEST_S ?? 300);

test(`a ${LONG_S}-second CPU job (both cores busy) holds its 3-second lock: zero stalled events, started once`, {
  skip,
  timeout: (LONG_S + 180) * 1000,
}, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'prunelab-queue-long-'));
  // far more epochs than fit in LONG_S on any CPU: the test watches it for LONG_S, then cancels it
  const config = await tinyGrid(dir, 'long', { trainSize: 20_000, epochs: 500, seeds: [1, 2], checkpointEvery: 400 });
  const { Job, Queue, QueueEvents } = await import('bullmq');
  const { Redis } = await import('ioredis');
  // BullMQ does not close a connection it was given: disconnected below, or it keeps the test process alive
  const eventsClient = new Redis(redis!.url, { maxRetriesPerRequest: null });
  const events = new QueueEvents('prunelab', { connection: eventsClient });
  await events.waitUntilReady();
  const stalled: string[] = [];
  events.on('stalled', ({ jobId }) => stalled.push(jobId));

  const c = cli(['run', config, '--queue', redis!.url], FAST);
  // the job process trains on 2 threads: the worker's lock renewals compete with it for both cores
  const w = cli(['worker', '--queue', redis!.url], { ...FAST, PRUNELAB_THREADS: '2' });
  workers.push(w);
  await Promise.race([w.waitFor(/^worker \S+: start \S+ \(\w+\)$/m), c.exited]);
  assert.equal(c.child.exitCode, null, c.output());
  const [, id, hash] = /^worker \S+: start (\S+) \((\w+)\)$/m.exec(w.output())!;
  const jobId = queueJobId(join(dir, 'results', 'long'), hash!);
  const t0 = performance.now();
  const r = await redisClient();
  try {
    while (performance.now() - t0 < LONG_S * 1000) {
      await new Promise((res) => setTimeout(res, 5_000));
      assert.doesNotMatch(w.output(), /: (done|FAILED) /, `the job ended within ${LONG_S} s; make it longer`);
      assert.deepEqual(stalled, [], w.output().slice(-2000));
    }
    const queue = new Queue('prunelab', { connection: r });
    const state = await (await Job.fromId(queue, jobId))?.getState();
    await queue.close();
    const fields = await r.hmget(`bull:prunelab:${jobId}`, 'ats', 'stc');
    assert.equal(state, 'active');
    assert.equal(fields[0], '1', 'attempts started');
    assert.ok(!fields[1] || fields[1] === '0', `stalled counter ${fields[1]}`);
    assert.deepEqual(stalled, []);
    assert.doesNotMatch(w.output(), /STALLED/);
    assert.equal(starts([w.output()]).get(id!), 1);
    // the job really trained all along: its progress lines went on to the end
    const last = w.lines.findLast((l) => /^\[\d\/\d\] phase1 sst2\/a seed \d /.test(l.line));
    assert.ok(
      last && performance.now() - last.t < 60_000,
      `no progress in the last minute:\n${w.output().slice(-1500)}`,
    );
  } finally {
    await cli(['cancel', config, '--queue', redis!.url]).exited;
    await stopWorkers([w]);
    await c.exited;
    await events.close();
    eventsClient.disconnect();
    r.disconnect();
  }
});
