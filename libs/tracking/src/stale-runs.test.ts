import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { FileStore } from './file-store.ts';
import { readRun } from './read-store.ts';
import { markStaleRuns } from './stale-runs.ts';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'prunelab-stale-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

test(
  'runs left RUNNING (as after SIGKILL) are marked KILLED with end_time at their last metric; finished and ' +
    'excluded runs are untouched',
  async () => {
    const root = path.join(tmp, 'mlruns');
    const store = new FileStore(root);
    const exp = await store.getOrCreateExperiment('grid');
    const done = await store.createRun(exp, { runName: 'done' });
    await done.end('FINISHED');
    const killed = await store.createRun(exp, { runName: 'killed' });
    const late = Date.now() + 3_600_000; // later than any file time, so it must be the end_time
    await killed.logMetric('loss', 1, 0, late - 10);
    await killed.logMetric('loss', 0.5, 1, late);
    const noMetrics = await store.createRun(exp, { runName: 'no-metrics', startTime: 1000 });
    const mine = await store.createRun(exp, { runName: 'mine' }); // held by the caller: excluded

    const doneMeta = readRun(root, exp, done.runId).meta;
    const marked = await markStaleRuns(root, { exclude: [mine.runId] });
    assert.deepEqual(marked.map((m) => m.runName).sort(), ['killed', 'no-metrics']);
    const k = readRun(root, exp, killed.runId).meta;
    assert.equal(k.status, 5);
    assert.equal(k.end_time, late);
    const nm = readRun(root, exp, noMetrics.runId).meta;
    assert.equal(nm.status, 5);
    assert.ok((nm.end_time as number) >= 1000 && (nm.end_time as number) <= Date.now()); // its tag files' time
    assert.deepEqual(readRun(root, exp, done.runId).meta, doneMeta);
    assert.equal(readRun(root, exp, mine.runId).meta.status, 1);

    const failed = await markStaleRuns(root, { status: 'FAILED' });
    assert.deepEqual(
      failed.map((m) => m.runId),
      [mine.runId],
    );
    assert.equal(readRun(root, exp, mine.runId).meta.status, 4);
    assert.deepEqual(await markStaleRuns(root), []); // nothing left running
    assert.deepEqual(await markStaleRuns(path.join(tmp, 'missing')), []);
  },
);
