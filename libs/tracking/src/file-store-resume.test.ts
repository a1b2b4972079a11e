// File store: dataset inputs in MLflow's FileStore layout, and a run found again by its tag.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { FileStore } from './file-store.ts';
import { readMetaYaml } from './meta-yaml.ts';
import { readRun } from './read-store.ts';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'prunelab-filestore-resume-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));
const md5 = (a: string, b: string) => createHash('md5').update(a).update(b).digest('hex');

test('logInputs: datasets/<md5(name+digest)>/meta.yaml once per experiment, inputs/<md5(id+run)>/meta.yaml per run', async () => {
  const store = new FileStore(path.join(tmp, 'a', 'mlruns'));
  const exp = await store.getOrCreateExperiment('inputs');
  const ds = {
    dataset: { name: 'sst2/train', digest: '0123456789abcdef', source_type: 'local', source: '{"uri": "/data/sst2"}' },
    tags: [{ key: 'mlflow.data.context', value: 'train' }],
  };
  const runs = [await store.createRun(exp, { runName: 'a' }), await store.createRun(exp, { runName: 'b' })];
  for (const r of runs) {
    await r.logInputs([ds]);
    await r.logInputs([ds]); // again: nothing new
  }
  const datasetId = md5('sst2/train', '0123456789abcdef');
  const expDir = path.join(store.root, exp);
  assert.deepEqual(fs.readdirSync(path.join(expDir, 'datasets')), [datasetId]);
  assert.deepEqual(readMetaYaml(path.join(expDir, 'datasets', datasetId, 'meta.yaml')), {
    digest: '0123456789abcdef',
    name: 'sst2/train',
    profile: null,
    schema: null,
    source: '{"uri": "/data/sst2"}',
    source_type: 'local',
  });
  for (const r of runs) {
    const inputs = fs.readdirSync(path.join(expDir, r.runId, 'inputs'));
    assert.deepEqual(inputs, [md5(datasetId, r.runId)]);
    assert.deepEqual(readMetaYaml(path.join(expDir, r.runId, 'inputs', inputs[0]!, 'meta.yaml')), {
      destination_id: datasetId, // as MLflow writes it
      destination_type: 'RUN',
      source_id: datasetId,
      source_type: 'DATASET',
      tags: { 'mlflow.data.context': 'train' },
    });
  }
  // the run folders still read as runs; `datasets/` is not taken for one
  assert.equal(readRun(store.root, exp, runs[0]!.runId).meta.run_name, 'a');
  await assert.rejects(runs[0]!.logInputs([{ ...ds, dataset: { ...ds.dataset, name: '' } }]), /dataset\.name/);
});

test('resumeRun: the latest active run holding the tag, RUNNING again with its params; none without one', async () => {
  const store = new FileStore(path.join(tmp, 'b', 'mlruns'));
  const exp = await store.getOrCreateExperiment('resume');
  assert.equal(await store.resumeRun(exp, 'prunelab.grid_hash', 'h1'), undefined);
  const old = await store.createRun(exp, { runName: 'old', tags: { 'prunelab.grid_hash': 'h1' }, startTime: 1000 });
  const run = await store.createRun(exp, { runName: 'new', tags: { 'prunelab.grid_hash': 'h1' }, startTime: 2000 });
  await store.createRun(exp, { runName: 'other', tags: { 'prunelab.grid_hash': 'h2' }, startTime: 3000 });
  await run.logParams({ lr: 0.5 });
  await old.end('FINISHED');
  await run.end('FAILED');
  const found = await store.resumeRun(exp, 'prunelab.grid_hash', 'h1');
  assert.equal(found?.run.runId, run.runId);
  assert.deepEqual(found?.params, { lr: '0.5' });
  const meta = () => readRun(store.root, exp, run.runId).meta;
  assert.equal(meta().status, 1);
  assert.equal(meta().end_time, null);
  await found!.run.end('FINISHED');
  assert.equal(meta().status, 3);
  assert.equal(typeof meta().end_time, 'number');
});
