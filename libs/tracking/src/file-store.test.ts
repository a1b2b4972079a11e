import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import YAML from 'yaml';
import { FileStore } from './file-store.ts';
import { findExperimentByName, listRuns, readRun } from './read-store.ts';
import type { RunHandle } from './tracker.ts';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'prunelab-tracking-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

const HEX32 = /^[0-9a-f]{32}$/;
const TS = 1795394756401; // a known timestamp, so metric lines can be compared byte for byte

function yamlFile(file: string): Record<string, unknown> {
  return YAML.parse(fs.readFileSync(file, 'utf8')) as Record<string, unknown>;
}

describe('FileStore writes the MLflow file store layout', () => {
  const root = path.join(tmp, 'mlruns');
  const store = new FileStore(root);
  let expId = '';
  let parent: RunHandle;
  let child: RunHandle;
  const before_ = Date.now();

  before(async () => {
    expId = await store.getOrCreateExperiment('sst2-pruning');
    parent = await store.createRun(expId, { runName: 'full-data', tags: { stage: 'phase1' }, startTime: TS });
    await parent.logParams({ 'phase1.lr': 0.00002, epochs: 3, model: 'bert-tiny', shuffle: true });
    await parent.logParams({ epochs: 3 }); // same value again is fine
    await parent.setTags({ 'mlflow.note.content': 'logged from TS', 'nested/tag': 'x' });
    await parent.logMetric('loss', 1, 0, TS);
    await parent.logMetric('loss', 0.5, 1, TS + 1);
    await parent.logMetric('loss', 1 / 3, 2, TS + 2);
    await parent.logMetric('tiny', 1e-5, 0, TS);
    await parent.logMetric('weird', NaN, 0, TS);
    await parent.logMetric('weird', Infinity, 1, TS);
    await parent.logMetric('weird', -Infinity, 2, TS);
    await parent.logMetric('eval/acc', 0.9, 7, TS);
    await parent.logMetrics({ 'train/acc': 0.75, 'train/loss': 0.25 }, 4);
    const src = path.join(tmp, 'src');
    fs.mkdirSync(path.join(src, 'scores', 'deep'), { recursive: true });
    fs.writeFileSync(path.join(src, 'summary.json'), '{"ok":true}');
    fs.writeFileSync(path.join(src, 'scores', 'h.tsv'), 'id\th\n');
    fs.writeFileSync(path.join(src, 'scores', 'deep', 'r.txt'), 'r');
    await parent.logArtifact(path.join(src, 'summary.json'));
    await parent.logArtifact(path.join(src, 'summary.json'), 'reports/final');
    await parent.logArtifact(path.join(src, 'scores'));
    child = await store.createRun(expId, { runName: 'seed-1', parentRunId: parent.runId, startTime: TS + 10 });
    await child.logMetric('loss', 2, 0, TS);
    await child.end('FAILED');
    await parent.end('FINISHED');
  });

  test('Default experiment 0 and .trash exist', () => {
    assert.ok(fs.statSync(path.join(root, '.trash')).isDirectory());
    const meta = yamlFile(path.join(root, '0', 'meta.yaml'));
    assert.deepEqual(Object.keys(meta), [
      'artifact_location',
      'creation_time',
      'experiment_id',
      'last_update_time',
      'lifecycle_stage',
      'name',
    ]);
    assert.equal(meta.name, 'Default');
    assert.equal(meta.experiment_id, '0');
    assert.equal(meta.lifecycle_stage, 'active');
    assert.equal(meta.artifact_location, `file://${path.join(root, '0')}`);
    assert.equal(typeof meta.creation_time, 'number');
    assert.equal(meta.last_update_time, meta.creation_time);
    // experiment_id is a quoted string, as MLflow writes it
    assert.match(fs.readFileSync(path.join(root, '0', 'meta.yaml'), 'utf8'), /^experiment_id: '0'$/m);
  });

  test('experiment meta.yaml', () => {
    assert.match(expId, /^[1-9]\d{17}$/); // MLflow 2.x file store: random 18-digit id
    const text = fs.readFileSync(path.join(root, expId, 'meta.yaml'), 'utf8');
    assert.match(text, new RegExp(`^experiment_id: '${expId}'$`, 'm'));
    const meta = yamlFile(path.join(root, expId, 'meta.yaml'));
    assert.deepEqual(Object.keys(meta), [
      'artifact_location',
      'creation_time',
      'experiment_id',
      'last_update_time',
      'lifecycle_stage',
      'name',
    ]);
    assert.equal(meta.name, 'sst2-pruning');
    assert.equal(meta.experiment_id, expId);
    assert.equal(meta.lifecycle_stage, 'active');
    assert.equal(fileURLToPath(meta.artifact_location as string), path.join(root, expId));
    assert.ok((meta.creation_time as number) >= before_ && (meta.creation_time as number) <= Date.now());
    assert.equal(meta.last_update_time, meta.creation_time);
  });

  test('run meta.yaml holds every MLflow field, status 3 after end', () => {
    assert.match(parent.runId, HEX32);
    const runDir = path.join(root, expId, parent.runId);
    const meta = yamlFile(path.join(runDir, 'meta.yaml'));
    assert.deepEqual(Object.keys(meta), [
      'artifact_uri',
      'deleted_time',
      'end_time',
      'entry_point_name',
      'experiment_id',
      'lifecycle_stage',
      'run_id',
      'run_name',
      'run_uuid',
      'source_name',
      'source_type',
      'source_version',
      'start_time',
      'status',
      'tags',
      'user_id',
    ]);
    assert.equal(meta.artifact_uri, `file://${runDir}/artifacts`);
    assert.equal(meta.deleted_time, null);
    assert.equal(typeof meta.end_time, 'number');
    assert.ok((meta.end_time as number) >= before_ && (meta.end_time as number) <= Date.now());
    assert.equal(meta.entry_point_name, '');
    assert.equal(meta.experiment_id, expId);
    assert.equal(meta.lifecycle_stage, 'active');
    assert.equal(meta.run_id, parent.runId);
    assert.equal(meta.run_name, 'full-data');
    assert.equal(meta.run_uuid, parent.runId);
    assert.equal(meta.source_name, '');
    assert.equal(meta.source_type, 4);
    assert.equal(meta.source_version, '');
    assert.equal(meta.start_time, TS);
    assert.equal(meta.status, 3);
    assert.deepEqual(meta.tags, []);
    assert.equal(meta.user_id, os.userInfo().username);
    for (const sub of ['metrics', 'params', 'tags', 'artifacts'])
      assert.ok(fs.statSync(path.join(runDir, sub)).isDirectory(), sub);
    // no temp files left beside meta.yaml
    assert.deepEqual(fs.readdirSync(runDir).sort(), ['artifacts', 'meta.yaml', 'metrics', 'params', 'tags']);
    assert.equal(parent.artifactDir, path.join(runDir, 'artifacts'));
  });

  test('failed child run: status 4, parent tag', () => {
    const run = readRun(root, expId, child.runId);
    assert.equal(run.meta.status, 4);
    assert.equal(run.meta.run_name, 'seed-1');
    assert.equal(run.tags['mlflow.parentRunId'], parent.runId);
    assert.equal(run.tags['mlflow.runName'], 'seed-1');
    assert.deepEqual(run.metrics, { loss: [{ timestamp: TS, value: 2, step: 0 }] });
    assert.equal(readRun(root, expId, parent.runId).tags['mlflow.parentRunId'], undefined);
  });

  test('metric files: `<timestamp> <value> <step>` lines, byte for byte', () => {
    const dir = path.join(root, expId, parent.runId, 'metrics');
    assert.equal(
      fs.readFileSync(path.join(dir, 'loss'), 'utf8'),
      `${TS} 1.0 0\n${TS + 1} 0.5 1\n${TS + 2} 0.3333333333333333 2\n`,
    );
    assert.equal(fs.readFileSync(path.join(dir, 'tiny'), 'utf8'), `${TS} 1e-05 0\n`);
    assert.equal(fs.readFileSync(path.join(dir, 'weird'), 'utf8'), `${TS} nan 0\n${TS} inf 1\n${TS} -inf 2\n`);
    assert.equal(fs.readFileSync(path.join(dir, 'eval', 'acc'), 'utf8'), `${TS} 0.9 7\n`);
    const [a, b] = [
      fs.readFileSync(path.join(dir, 'train', 'acc'), 'utf8'),
      fs.readFileSync(path.join(dir, 'train', 'loss'), 'utf8'),
    ];
    assert.match(a, /^\d{13} 0\.75 4\n$/);
    assert.equal(b.split(' ')[0], a.split(' ')[0]); // one timestamp per logMetrics call
  });

  test('params and tags: raw value, no trailing newline', () => {
    const runDir = path.join(root, expId, parent.runId);
    assert.equal(fs.readFileSync(path.join(runDir, 'params', 'phase1.lr'), 'utf8'), '0.00002');
    assert.equal(fs.readFileSync(path.join(runDir, 'params', 'epochs'), 'utf8'), '3');
    assert.equal(fs.readFileSync(path.join(runDir, 'params', 'shuffle'), 'utf8'), 'true');
    assert.equal(fs.readFileSync(path.join(runDir, 'tags', 'mlflow.runName'), 'utf8'), 'full-data');
    assert.equal(fs.readFileSync(path.join(runDir, 'tags', 'nested', 'tag'), 'utf8'), 'x');
  });

  test('readRun returns params, tags, metrics and artifacts', () => {
    const run = readRun(root, expId, parent.runId);
    assert.deepEqual(run.params, { epochs: '3', model: 'bert-tiny', 'phase1.lr': '0.00002', shuffle: 'true' });
    assert.equal(run.tags['mlflow.runName'], 'full-data');
    assert.equal(run.tags['mlflow.note.content'], 'logged from TS');
    assert.equal(run.tags['nested/tag'], 'x');
    assert.equal(run.tags.stage, 'phase1');
    assert.equal(run.tags['mlflow.user'], os.userInfo().username);
    assert.equal(run.tags['mlflow.source.type'], 'LOCAL');
    assert.deepEqual(run.metrics.loss, [
      { timestamp: TS, value: 1, step: 0 },
      { timestamp: TS + 1, value: 0.5, step: 1 },
      { timestamp: TS + 2, value: 1 / 3, step: 2 },
    ]);
    assert.deepEqual(
      run.metrics.weird?.map((p) => p.value),
      [NaN, Infinity, -Infinity],
    );
    assert.deepEqual(Object.keys(run.metrics).sort(), ['eval/acc', 'loss', 'tiny', 'train/acc', 'train/loss', 'weird']);
    assert.deepEqual(run.artifacts, [
      'reports/final/summary.json',
      'scores/deep/r.txt',
      'scores/h.tsv',
      'summary.json',
    ]);
    const art = path.join(root, expId, parent.runId, 'artifacts');
    assert.equal(fs.readFileSync(path.join(art, 'scores', 'h.tsv'), 'utf8'), 'id\th\n');
    assert.equal(fs.readFileSync(path.join(art, 'reports', 'final', 'summary.json'), 'utf8'), '{"ok":true}');
  });

  test('listRuns orders by start time', () => {
    assert.deepEqual(listRuns(root, expId), [parent.runId, child.runId]);
    assert.deepEqual(listRuns(root, '0'), []);
  });

  test('experiments are reused by name; new names get new ids', async () => {
    assert.equal(await store.getOrCreateExperiment('sst2-pruning'), expId);
    assert.equal(await new FileStore(root).getOrCreateExperiment('sst2-pruning'), expId); // by scanning meta.yaml
    const other = await store.getOrCreateExperiment('random-baseline');
    assert.notEqual(other, expId);
    assert.equal(findExperimentByName(root, 'random-baseline'), other);
    assert.equal(findExperimentByName(root, 'Default'), '0');
    assert.equal(findExperimentByName(root, 'nope'), undefined);
  });

  test('logging to a finished run is allowed (as on the server)', async () => {
    await parent.logMetric('late', 1, 0, TS);
    assert.deepEqual(readRun(root, expId, parent.runId).metrics.late, [{ timestamp: TS, value: 1, step: 0 }]);
  });
});

describe('FileStore rejects what the MLflow server rejects', () => {
  const root = path.join(tmp, 'mlruns-errors');
  const store = new FileStore(root);
  let run: RunHandle;
  before(async () => {
    run = await store.createRun('0', { runName: 'errors' });
  });

  test('invalid key characters', async () => {
    await assert.rejects(
      run.logMetric('bad:key', 1),
      /invalid metric key 'bad:key': keys may only contain letters, digits/,
    );
    await assert.rejects(run.logParams({ 'a*b': 1 }), /invalid param key 'a\*b'/);
    await assert.rejects(run.setTags({ 'a?': 'x' }), /invalid tag key 'a\?'/);
  });

  test('keys that are not normalised relative paths', async () => {
    for (const key of ['../x', 'a//b', '/abs', 'a/', './a', 'a/./b', 'a/..', '', '..a']) {
      await assert.rejects(run.logMetric(key, 1), /must be normalised relative paths/, key);
    }
    await run.logMetric('a..b', 1); // dots inside a name are fine
  });

  test('length limits: key 250, param 6000, tag 5000', async () => {
    await run.logParams({ ['k'.repeat(250)]: 'x', long6000: 'v'.repeat(6000) });
    await assert.rejects(run.logParams({ ['k'.repeat(251)]: 'x' }), /has length 251, over MLflow's limit of 250/);
    await assert.rejects(
      run.logParams({ long6001: 'v'.repeat(6001) }),
      /param 'long6001' value .* has length 6001, over MLflow's limit of 6000/,
    );
    await run.setTags({ t5000: 't'.repeat(5000) });
    await assert.rejects(
      run.setTags({ t5001: 't'.repeat(5001) }),
      /tag 't5001' value .* has length 5001, over MLflow's limit of 5000/,
    );
    await assert.rejects(run.logMetric('m'.repeat(251), 1), /metric key .* has length 251/);
  });

  test('params are write-once', async () => {
    await run.logParams({ batch_size: 32 });
    await run.logParams({ batch_size: '32' });
    await assert.rejects(
      run.logParams({ batch_size: 64 }),
      /param 'batch_size' of run [0-9a-f]{32} was already logged with value '32' .* cannot change to '64'/,
    );
    // a rejected batch writes nothing
    await assert.rejects(run.logParams({ fresh: 1, batch_size: 64 }), /batch_size/);
    assert.equal(readRun(root, '0', run.runId).params.fresh, undefined);
  });

  test('a metric key cannot be both a file and a folder', async () => {
    await run.logMetric('a', 1);
    await assert.rejects(
      run.logMetric('a/b', 1),
      /metric key 'a\/b' collides with metric 'a' already in run .*rename one of them/,
    );
    await run.logMetric('c/d', 1);
    await assert.rejects(run.logMetric('c', 1), /metric key 'c' collides with metrics 'c\/\.\.\.'/);
    await assert.rejects(run.logMetrics({ e: 1, 'e/f': 2 }), /metric keys 'e' and 'e\/f' cannot both exist in one run/);
    await assert.rejects(run.logParams({ p: 1, 'p/q': 2 }), /param keys 'p' and 'p\/q'/);
    assert.deepEqual(readRun(root, '0', run.runId).metrics.a?.length, 1);
  });

  test('bad metric values, steps, statuses and artifacts', async () => {
    await assert.rejects(run.logMetric('m', '1' as unknown as number), /metric 'm' value must be a number/);
    await assert.rejects(run.logMetric('m', 1, 1.5), /metric 'm' step must be an integer/);
    await assert.rejects(run.logParams({ cfg: { a: 1 } as unknown as string }), /flattenParams/);
    await assert.rejects(run.logArtifact(path.join(tmp, 'missing.txt')), /missing\.txt does not exist/);
    await assert.rejects(run.logArtifact(__filenameOf(), '../escape'), /invalid artifact path '\.\.\/escape'/);
    await assert.rejects(run.end('DONE' as 'FINISHED'), /unknown status 'DONE'/);
  });

  test('createRun checks the experiment and tag conflicts', async () => {
    await assert.rejects(store.createRun('123', { runName: 'x' }), /no experiment '123' in .*getOrCreateExperiment/);
    await assert.rejects(store.createRun('../0', { runName: 'x' }), /invalid experiment id/);
    await assert.rejects(
      store.createRun('0', { runName: 'x', tags: { 'mlflow.runName': 'y' } }),
      /tag 'mlflow.runName'='y' conflicts with runName 'x'/,
    );
    await assert.rejects(store.getOrCreateExperiment(''), /non-empty string/);
  });

  test('a deleted experiment name is not silently reused', async () => {
    const id = await store.getOrCreateExperiment('doomed');
    fs.renameSync(path.join(root, id), path.join(root, '.trash', id)); // what MLflow's delete does
    await assert.rejects(
      store.getOrCreateExperiment('doomed'),
      /experiment 'doomed' exists in deleted state .*\.trash/,
    );
  });
});

function __filenameOf(): string {
  return fileURLToPath(import.meta.url);
}

test('one folder logged into one run by two stores at once (two coordinators of a grid): both succeed, one copy', async () => {
  const root = path.join(tmp, 'mlruns-race');
  const src = path.join(tmp, 'race-src');
  for (let i = 0; i < 30; i++) {
    fs.mkdirSync(path.join(src, `d${i % 5}`, `e${i % 3}`), { recursive: true });
    fs.writeFileSync(path.join(src, `d${i % 5}`, `e${i % 3}`, `f${i}.txt`), `file ${i}`);
  }
  const a = new FileStore(root);
  const expId = await a.getOrCreateExperiment('race');
  const run = await a.createRun(expId, { runName: 'grid', tags: { 'prunelab.grid_hash': 'h1' } });
  const b = await new FileStore(root).resumeRun(expId, 'prunelab.grid_hash', 'h1');
  assert.ok(b, 'the second store finds the run by its tag');
  for (let round = 0; round < 3; round++)
    await Promise.all([run.logArtifact(src), b.run.logArtifact(src), run.logArtifact(src)]);
  const dest = path.join(root, expId, run.runId, 'artifacts', 'race-src');
  const files = (dir: string): string[] =>
    fs
      .readdirSync(dir, { recursive: true, withFileTypes: true })
      .filter((d) => d.isFile())
      .map((d) => path.relative(dir, path.join(d.parentPath, d.name)))
      .sort();
  assert.deepEqual(files(dest), files(src));
  assert.deepEqual(
    fs.readdirSync(path.dirname(dest)).filter((n) => n.includes('.tmp-')),
    [],
    'no copy left aside',
  );
});
