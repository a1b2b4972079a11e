import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { FakeMlflowServer } from './testing/fake-mlflow-server.ts';
import { splitBatch } from './rest-batch.ts';
import { MlflowClient, artifactProxyPath } from './rest-client.ts';
import { MlflowApiError, MlflowUnreachableError } from './rest-errors.ts';
import type { WireMetric } from './rest-types.ts';

const TS = 1795394756401;
const server = new FakeMlflowServer();
const sleeps: number[] = [];
let client: MlflowClient;
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'prunelab-rest-'));

before(async () => {
  const url = await server.start();
  client = new MlflowClient({ uri: url, sleep: async (ms) => void sleeps.push(ms), backoffMs: 100, timeoutMs: 5000 });
});
after(async () => {
  await server.close();
  fs.rmSync(tmp, { recursive: true, force: true });
});

function metrics(n: number, key = 'm'): WireMetric[] {
  return Array.from({ length: n }, (_, i) => ({ key, value: i, timestamp: TS, step: i }));
}

describe('splitBatch', () => {
  test('2500 metrics + 250 params + 150 tags -> requests within every limit, order kept', () => {
    const params = Array.from({ length: 250 }, (_, i) => ({ key: `p${i}`, value: 'v' }));
    const tags = Array.from({ length: 150 }, (_, i) => ({ key: `t${i}`, value: 'v' }));
    const chunks = splitBatch({ metrics: metrics(2500), params, tags });
    // params 100,100,50 (+50 tags fill the third), tags 100 (with 900 metrics)... worked by hand:
    // c1: 100p; c2: 100p; c3: 50p+100t (t0..t99) ; c4: 50t + 950m; c5: 1000m; c6: 550m
    assert.deepEqual(
      chunks.map((c) => [c.params.length, c.tags.length, c.metrics.length]),
      [
        [100, 0, 0],
        [100, 0, 0],
        [50, 100, 0],
        [0, 50, 950],
        [0, 0, 1000],
        [0, 0, 550],
      ],
    );
    assert.deepEqual(
      chunks.flatMap((c) => c.metrics.map((m) => m.step)),
      Array.from({ length: 2500 }, (_, i) => i),
    );
    assert.deepEqual(
      chunks.flatMap((c) => c.params.map((p) => p.key)),
      params.map((p) => p.key),
    );
  });

  test('a repeated param key goes to the next request; the byte budget splits big values', () => {
    const dup = splitBatch({
      metrics: [],
      tags: [],
      params: [
        { key: 'a', value: '1' },
        { key: 'a', value: '1' },
      ],
    });
    assert.equal(dup.length, 2);
    const big = Array.from({ length: 5 }, (_, i) => ({ key: `t${i}`, value: 'x'.repeat(4000) }));
    const chunks = splitBatch(
      { metrics: [], params: [], tags: big },
      { metrics: 1000, params: 100, tags: 100, entities: 1000, bytes: 10_000 },
    );
    assert.deepEqual(
      chunks.map((c) => c.tags.length),
      [2, 2, 1],
    );
  });
});

describe('MlflowClient against a checking fake server', () => {
  test('experiments: get-by-name miss -> create -> get again', async () => {
    assert.equal(await client.getExperimentByName('exp-a'), undefined);
    const id = await client.getOrCreateExperiment('exp-a');
    assert.equal(id, '1');
    assert.equal(await client.getOrCreateExperiment('exp-a'), '1');
    const creates = server.calls('experiments/create');
    assert.equal(creates.length, 1);
    assert.deepEqual(creates[0]!.json, { name: 'exp-a', tags: [] });
  });

  test('a deleted experiment of that name is reported, not silently recreated', async () => {
    const id = await client.getOrCreateExperiment('exp-deleted');
    server.experiments.get(id)!.lifecycle_stage = 'deleted';
    await assert.rejects(
      client.getOrCreateExperiment('exp-deleted'),
      /'exp-deleted' \(id \d+\) on http:\/\/127.0.0.1:\d+ is deleted; restore it/,
    );
  });

  test(
    'log-batch of 2500 metrics, 150 params, 120 tags: split, every request accepted by the limits ' + 'check',
    async () => {
      const run = await client.createRun({
        experimentId: '1',
        runName: 'r',
        startTime: TS,
        tags: { a: 'b' },
        userId: 'me',
      });
      assert.equal(run.info.status, 'RUNNING');
      assert.equal(run.info.artifact_uri, `mlflow-artifacts:/1/${run.info.run_id}/artifacts`);
      const before_ = server.calls('runs/log-batch').length;
      const params = Array.from({ length: 150 }, (_, i) => ({ key: `p${i}`, value: String(i) }));
      const tags = Array.from({ length: 120 }, (_, i) => ({ key: `t${i}`, value: 'v' }));
      const n = await client.logBatch(run.info.run_id, { metrics: metrics(2500), params, tags });
      const sent = server.calls('runs/log-batch').slice(before_);
      assert.equal(n, sent.length);
      for (const r of sent) {
        const j = r.json as { metrics: unknown[]; params: unknown[]; tags: unknown[] };
        assert.ok(j.metrics.length <= 1000 && j.params.length <= 100 && j.tags.length <= 100);
        assert.ok(j.metrics.length + j.params.length + j.tags.length <= 1000);
      }
      assert.equal(server.history(run.info.run_id, 'm').length, 2500);
      const got = await client.getRun(run.info.run_id);
      assert.equal(got.data.params?.length, 150);
      assert.equal(got.data.tags?.length, 122); // 120 + a + mlflow.runName
    },
  );

  test('the fake server rejects an over-limit batch the way MLflow does', async () => {
    const run = await client.createRun({ experimentId: '1', startTime: TS, tags: {} });
    // bypass the splitting: one raw chunk of 1001 metrics
    await assert.rejects(
      client.logBatchChunk(run.info.run_id, { metrics: metrics(1001), params: [], tags: [] }),
      (err: unknown) => {
        assert.ok(err instanceof MlflowApiError);
        assert.equal(err.status, 400);
        assert.equal(err.errorCode, 'INVALID_PARAMETER_VALUE');
        assert.match(err.message, /at most 1000 metrics/);
        return true;
      },
    );
    const params = Array.from({ length: 101 }, (_, i) => ({ key: `p${i}`, value: 'v' }));
    await assert.rejects(
      client.logBatchChunk(run.info.run_id, { metrics: [], params, tags: [] }),
      /at most 100 params/,
    );
    const tags = Array.from({ length: 101 }, (_, i) => ({ key: `t${i}`, value: 'v' }));
    await assert.rejects(client.logBatchChunk(run.info.run_id, { metrics: [], params: [], tags }), /at most 100 tags/);
    await assert.rejects(
      client.logBatchChunk(run.info.run_id, {
        metrics: metrics(900),
        params: params.slice(0, 100),
        tags: tags.slice(0, 1),
      }),
      /at most 1000 metrics, params, and tags/,
    );
  });

  test(
    'required fields are checked like the real server: missing name, missing metric timestamp, duplicate ' + 'params',
    async () => {
      await assert.rejects(
        client.createExperiment(''),
        /HTTP 400 INVALID_PARAMETER_VALUE: Missing value for required parameter 'name'/,
      );
      const run = await client.createRun({ experimentId: '1', startTime: TS, tags: {} });
      const noTimestamp = [{ key: 'm', value: 1 }] as unknown as WireMetric[];
      await assert.rejects(
        client.logBatchChunk(run.info.run_id, { metrics: noTimestamp, params: [], tags: [] }),
        /INVALID_PARAMETER_VALUE: Invalid value .* for parameter 'metrics'/,
      );
      const dup = [
        { key: 'a', value: '1' },
        { key: 'a', value: '1' },
      ];
      await assert.rejects(
        client.logBatchChunk(run.info.run_id, { metrics: [], params: dup, tags: [] }),
        /Duplicate parameter keys/,
      );
      await client.logBatch(run.info.run_id, { params: dup }); // logBatch splits them into two requests instead
      await assert.rejects(
        client.logBatch(run.info.run_id, { params: [{ key: 'a', value: '2' }] }),
        /Changing param values is not allowed/,
      );
    },
  );

  test('NaN and +-Infinity travel as strings', async () => {
    const run = await client.createRun({ experimentId: '1', startTime: TS, tags: {} });
    await client.logBatch(run.info.run_id, {
      metrics: [
        { key: 'w', value: 'NaN', timestamp: TS, step: 0 },
        { key: 'w', value: '-Infinity', timestamp: TS, step: 1 },
      ],
    });
    const last = server.calls('runs/log-batch').at(-1)!;
    assert.deepEqual(
      (last.json as { metrics: WireMetric[] }).metrics.map((m) => m.value),
      ['NaN', '-Infinity'],
    );
  });

  test('404 RESOURCE_DOES_NOT_EXIST: the error names the endpoint, code and message', async () => {
    await assert.rejects(client.updateRun('0123456789abcdef0123456789abcdef', 'FINISHED', TS), (err: unknown) => {
      assert.ok(err instanceof MlflowApiError);
      assert.equal(
        err.message,
        'MLflow POST runs/update failed: HTTP 404 RESOURCE_DOES_NOT_EXIST: Run with ' +
          'id=0123456789abcdef0123456789abcdef not found',
      );
      return true;
    });
  });

  test('unknown endpoint: an HTML 404 is reported as text, not parsed as JSON', async () => {
    const raw = client as unknown as { call: (s: unknown) => Promise<unknown> };
    await assert.rejects(
      raw.call({ method: 'POST', path: '/api/2.0/mlflow/runs/nope', json: {} }),
      /HTTP 404: 404 Not Found Not Found/,
    );
  });

  test('503 twice then success: retried with doubling backoff, applied once', async () => {
    const run = await client.createRun({ experimentId: '1', startTime: TS, tags: {} });
    let failures = 2;
    sleeps.length = 0;
    server.fault = (r) => (r.path.endsWith('/runs/update') && failures-- > 0 ? { status: 503 } : undefined);
    const info = await client.updateRun(run.info.run_id, 'FINISHED', TS + 5);
    server.fault = () => undefined;
    assert.equal(info.status, 'FINISHED');
    assert.equal(info.end_time, TS + 5);
    assert.deepEqual(sleeps, [100, 200]);
  });

  test('connection dropped after the server applied a batch: the retry does not duplicate points', async () => {
    const run = await client.createRun({ experimentId: '1', startTime: TS, tags: {} });
    let drops = 1;
    server.fault = (r) => (r.path.endsWith('/runs/log-batch') && drops-- > 0 ? 'drop-after' : undefined);
    await client.logBatch(run.info.run_id, { metrics: metrics(5, 'loss') });
    server.fault = () => undefined;
    assert.deepEqual(
      server.history(run.info.run_id, 'loss').map((p) => p.step),
      [0, 1, 2, 3, 4],
    );
  });

  test('server down: MlflowUnreachableError after maxAttempts', async () => {
    server.down = true;
    sleeps.length = 0;
    try {
      await assert.rejects(client.getExperimentByName('x'), (err: unknown) => {
        assert.ok(err instanceof MlflowUnreachableError);
        assert.equal(err.attempts, 5);
        assert.match(err.message, /GET experiments\/get-by-name: server unreachable after 5 attempt/);
        return true;
      });
      assert.deepEqual(sleeps, [100, 200, 400, 800]);
    } finally {
      server.down = false;
    }
  });

  test('artifacts: a file and a folder PUT through the artifact proxy path', async () => {
    const run = await client.createRun({ experimentId: '1', startTime: TS, tags: {} });
    fs.mkdirSync(path.join(tmp, 'plots', 'sub'), { recursive: true });
    fs.writeFileSync(path.join(tmp, 'report.md'), '# report');
    fs.writeFileSync(path.join(tmp, 'plots', 'a.svg'), '<svg/>');
    fs.writeFileSync(path.join(tmp, 'plots', 'sub', 'b c.png'), Buffer.from([0x89, 0x50]));
    await client.logArtifact(run.info.artifact_uri, path.join(tmp, 'report.md'));
    const rels = await client.logArtifact(run.info.artifact_uri, path.join(tmp, 'plots'), 'figs');
    assert.deepEqual(rels, ['figs/plots/a.svg', 'figs/plots/sub/b c.png']);
    const puts = server.requests.filter((r) => r.method === 'PUT').map((r) => r.path);
    const base = `/api/2.0/mlflow-artifacts/artifacts/1/${run.info.run_id}/artifacts`;
    assert.deepEqual(puts.slice(-3), [
      `${base}/report.md`,
      `${base}/figs/plots/a.svg`,
      `${base}/figs/plots/sub/b%20c.png`,
    ]);
    assert.equal(server.artifacts.get(`1/${run.info.run_id}/artifacts/report.md`)?.toString(), '# report');
    assert.deepEqual([...server.artifacts.get(`1/${run.info.run_id}/artifacts/figs/plots/sub/b c.png`)!], [0x89, 0x50]);
  });

  test('artifactProxyPath: host form and unsupported schemes', () => {
    assert.equal(
      artifactProxyPath('mlflow-artifacts://h:5000/3/r/artifacts', 'x.txt'),
      '/api/2.0/mlflow-artifacts/artifacts/3/r/artifacts/x.txt',
    );
    assert.throws(() => artifactProxyPath('s3://bucket/3/r/artifacts', 'x'), /--serve-artifacts/);
  });
});
