import assert from 'node:assert/strict';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { FileStore } from './file-store.ts';
import { openTracker } from './open-tracker.ts';
import { RestStore } from './rest-store.ts';

const dir = path.join(os.tmpdir(), 'prunelab-open-tracker-never-written');

test('no URI (or empty): the file store in <localDir>/mlruns', () => {
  for (const env of [{}, { MLFLOW_TRACKING_URI: '' }, { MLFLOW_TRACKING_URI: '  ' }]) {
    const t = openTracker({ localDir: dir, env });
    assert.ok(t instanceof FileStore);
    assert.equal(t.root, path.join(dir, 'mlruns'));
  }
});

test('paths and file: URIs: the file store there', () => {
  const a = openTracker({ localDir: dir, env: { MLFLOW_TRACKING_URI: '/srv/mlruns' } });
  assert.ok(a instanceof FileStore && a.root === '/srv/mlruns');
  const b = openTracker({ localDir: dir, uri: 'file:///srv/other%20runs' });
  assert.ok(b instanceof FileStore && b.root === '/srv/other runs');
  const c = openTracker({ localDir: dir, uri: './rel/mlruns' });
  assert.ok(c instanceof FileStore && c.root === path.resolve('rel/mlruns'));
});

test('http(s): the REST store, journal under <localDir>/mlflow-pending/<host>-<pid>, explicit uri over the environment', () => {
  const t = openTracker({ localDir: dir, uri: 'http://127.0.0.1:5000/', env: { MLFLOW_TRACKING_URI: '/ignored' } });
  assert.ok(t instanceof RestStore);
  assert.equal(t.uri, 'http://127.0.0.1:5000');
  assert.equal(
    t.pendingDir,
    path.join(dir, 'mlflow-pending', `${os.hostname()}-${process.pid}`.replace(/[^\w.-]/g, '_')),
  );
  assert.ok(
    openTracker({ localDir: dir, env: { MLFLOW_TRACKING_URI: 'https://mlflow.example.org' } }) instanceof RestStore,
  );
});

test('unsupported schemes name the alternatives', () => {
  assert.throws(
    () => openTracker({ localDir: dir, uri: 'sqlite:///mlflow.db' }),
    /'sqlite:\/\/\/mlflow.db' is not supported: use http\(s\):\/\/host:port/,
  );
  assert.throws(() => openTracker({ localDir: dir, uri: 'databricks://profile' }), /not supported/);
});

test('MLflow client variables set retries and timeout; a bad value names the variable', () => {
  const env = {
    MLFLOW_TRACKING_URI: 'http://127.0.0.1:5000',
    MLFLOW_HTTP_REQUEST_MAX_RETRIES: '0',
    MLFLOW_HTTP_REQUEST_TIMEOUT: '2',
    PRUNELAB_MLFLOW_RETRY_ONLINE_SECONDS: '0',
    PRUNELAB_WORKER_ID: 'gpu box/7',
  };
  const t = openTracker({ localDir: dir, env });
  assert.ok(t instanceof RestStore);
  assert.equal(t.pendingDir, path.join(dir, 'mlflow-pending', 'gpu_box_7'));
  assert.throws(
    () => openTracker({ localDir: dir, env: { ...env, MLFLOW_HTTP_REQUEST_TIMEOUT: 'soon' } }),
    /MLFLOW_HTTP_REQUEST_TIMEOUT='soon' is not a non-negative number/,
  );
});
