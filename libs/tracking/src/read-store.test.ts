import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import YAML from 'yaml';
import { metaYamlText } from './meta-yaml.ts';
import { findExperimentByName, listExperiments, listRuns, readMetricFile, readRun } from './read-store.ts';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'prunelab-readstore-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

const RUN = '1c6b2d5b909041df93e6e00b960de019';
const EXP = '606783375233873416';

/** A store as MLflow itself writes it: PyYAML wraps long values, metric values are Python floats. */
function mlflowWrittenStore(root: string): void {
  const expDir = path.join(root, EXP);
  const runDir = path.join(expDir, RUN);
  for (const d of ['metrics/eval', 'params', 'tags', 'artifacts/model'])
    fs.mkdirSync(path.join(runDir, d), { recursive: true });
  fs.mkdirSync(path.join(root, '.trash', '77'), { recursive: true });
  fs.writeFileSync(
    path.join(root, '.trash', '77', 'meta.yaml'),
    "artifact_location: file:///x/77\nexperiment_id: '77'\nlifecycle_stage: deleted\nname: old\n",
  );
  fs.writeFileSync(
    path.join(expDir, 'meta.yaml'),
    `artifact_location: file://${expDir}\ncreation_time: 1721450907000\nexperiment_id: '${EXP}'\nlast_update_time: ` +
      `1721450907000\nlifecycle_stage: active\nname: lab\n`,
  );
  fs.writeFileSync(
    path.join(runDir, 'meta.yaml'),
    `artifact_uri: file://${runDir}/artifacts\nend_time: 1721450907230\nentry_point_name: ''\nexperiment_id: ` +
      `'${EXP}'\n` +
      `lifecycle_stage: active\nrun_id: ${RUN}\nrun_name: a run name long enough that PyYAML folds it over two lines ` +
      `of the\n` +
      `  file\nrun_uuid: ${RUN}\nsource_name: ''\nsource_type: 4\nsource_version: ''\nstart_time: ` +
      `1721450907221\nstatus: 3\ntags: []\nuser_id: me\n`,
  );
  fs.writeFileSync(
    path.join(runDir, 'metrics', 'loss'),
    '1721450907221 1.0 0\n1721450907222 nan 1\n1721450907223 -inf 2\n',
  );
  fs.writeFileSync(path.join(runDir, 'metrics', 'eval', 'acc'), '1721450907221 0.5\n'); // pre-1.0 MLflow: no step
  fs.writeFileSync(path.join(runDir, 'params', 'lr'), '0.001');
  fs.writeFileSync(path.join(runDir, 'tags', 'mlflow.runName'), 'r');
  fs.writeFileSync(path.join(runDir, 'artifacts', 'model', 'MLmodel'), 'x');
  fs.writeFileSync(path.join(runDir, 'artifacts', 'model.txt'), 'x');
}

test('readRun reads a store written by MLflow', () => {
  const root = path.join(tmp, 'mlruns');
  mlflowWrittenStore(root);
  const run = readRun(root, EXP, RUN);
  assert.equal(run.meta.run_name, 'a run name long enough that PyYAML folds it over two lines of the file');
  assert.equal(run.meta.experiment_id, EXP);
  assert.equal(run.meta.status, 3);
  assert.deepEqual(run.params, { lr: '0.001' });
  assert.deepEqual(run.tags, { 'mlflow.runName': 'r' });
  assert.deepEqual(run.metrics, {
    'eval/acc': [{ timestamp: 1721450907221, value: 0.5, step: 0 }],
    loss: [
      { timestamp: 1721450907221, value: 1, step: 0 },
      { timestamp: 1721450907222, value: NaN, step: 1 },
      { timestamp: 1721450907223, value: -Infinity, step: 2 },
    ],
  });
  assert.deepEqual(run.artifacts, ['model.txt', 'model/MLmodel']); // one sort over full paths
  assert.deepEqual(listRuns(root, EXP), [RUN]);
  assert.equal(findExperimentByName(root, 'lab'), EXP);
  assert.equal(findExperimentByName(root, 'old'), undefined); // deleted experiments are not found
  assert.deepEqual(listExperiments(root, { deleted: true }), [{ id: '77', name: 'old', lifecycleStage: 'deleted' }]);
});

test('clear errors for missing runs and malformed metric lines', () => {
  const root = path.join(tmp, 'mlruns');
  assert.throws(
    () => readRun(root, EXP, 'f'.repeat(32)),
    /no run f{32} in experiment \d+ of .*meta\.yaml does not exist/,
  );
  assert.throws(() => listRuns(root, '999'), /no experiment 999 in/);
  const bad = path.join(tmp, 'bad-metric');
  fs.writeFileSync(bad, '1 1.0 0\n2 oops 1\n');
  assert.throws(
    () => readMetricFile(bad),
    /bad-metric:2: malformed metric line '2 oops 1'; expected '<timestamp_ms> <value> <step>'/,
  );
  assert.equal(findExperimentByName(path.join(tmp, 'nowhere'), 'x'), undefined);
});

test('meta.yaml text is YAML 1.1 safe (PyYAML reads yes/on/1:20 as bool/int unless quoted)', () => {
  const text = metaYamlText({
    run_name: 'yes',
    b: 'on',
    c: '1:20',
    experiment_id: '0',
    status: 3,
    end_time: null,
    tags: [],
  });
  assert.equal(text, "b: 'on'\nc: '1:20'\nend_time: null\nexperiment_id: '0'\nrun_name: 'yes'\nstatus: 3\ntags: []\n");
  assert.deepEqual(YAML.parse(text, { version: '1.1' }), {
    b: 'on',
    c: '1:20',
    end_time: null,
    experiment_id: '0',
    run_name: 'yes',
    status: 3,
    tags: [],
  });
});
