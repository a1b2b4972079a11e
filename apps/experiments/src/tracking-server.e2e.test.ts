// The grid against the MLflow fake (libs/tracking testing): a server that takes no artifacts (s3:// root, as
// `mlflow server --no-serve-artifacts`) must cost no job; a rerun of a finished grid keeps one parent run; a server
// that is down at start and back mid-grid gets every run within the same `run`, with done.json naming server ids.
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { FakeMlflowServer } from '@prunelab/tracking/testing';
import { validateConfig } from './config.ts';
import { runExperiment } from './run.ts';
import { syncJournal } from './tracking.ts';
import { ensureTinyModel } from './tiny-model.ts';

const server = new FakeMlflowServer();
const tmp = mkdtempSync(join(tmpdir(), 'prunelab-mlflow-e2e-'));
const saved: Record<string, string | undefined> = {};
const ENV = {
  MLFLOW_HTTP_REQUEST_MAX_RETRIES: '0',
  PRUNELAB_MLFLOW_RETRY_ONLINE_SECONDS: '0',
  MLFLOW_HTTP_REQUEST_TIMEOUT: '10',
};

before(async () => {
  const url = await server.start();
  for (const [k, v] of Object.entries({ ...ENV, MLFLOW_TRACKING_URI: url })) {
    saved[k] = process.env[k];
    process.env[k] = v;
  }
  await ensureTinyModel(join(tmp, 'model'), {
    seed: 1,
    overrides: { hidden_size: 32, num_hidden_layers: 1, intermediate_size: 64, num_attention_heads: 2 },
  });
});
after(async () => {
  for (const [k, v] of Object.entries(saved)) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
  await server.close();
});

const config = (name: string, concurrency = 1) =>
  validateConfig(
    {
      name,
      run: { concurrency },
      tasks: ['sst2'],
      data: { train_size: 64, dev_size: 32, max_length: 16, allow_download: false },
      models: { tiny: { path: join(tmp, 'model'), generate_if_missing: false } },
      phase1: { seeds: [1, 2], epochs: 1, batch_size: 16 },
      phase2: { seeds: [7], epochs: 1, lr: 2e-3, batch_size: 16, methods: ['full', 'hscore'] },
      pruning: { subsets: ['winning'] },
      output: { dir: join(tmp, 'results') },
    },
    () => 'test',
  );

const runsOf = (exp: string) => {
  const id = [...server.experiments.values()].find((e) => e.name === exp)!.experiment_id;
  return [...server.runs.values()].filter((r) => r.info.experiment_id === id);
};
const named = (exp: string, name: string) => runsOf(exp).filter((r) => r.info.run_name === name);

/** mlflowRunId of every done.json under the results folder, by job folder. */
function doneIds(outDir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      if (e.isDirectory() && !['mlflow-pending', 'subsets', 'plots', 'tables'].includes(e.name)) walk(join(d, e.name));
      else if (e.name === 'done.json')
        out[d.slice(outDir.length + 1)] = JSON.parse(readFileSync(join(d, e.name), 'utf8')).mlflowRunId;
    }
  };
  walk(outDir);
  return out;
}

test('s3:// artifact root without proxy: every job finishes, files stay on disk (tagged); a rerun keeps one parent', async () => {
  server.serveArtifacts = false;
  server.artifactRoot = 's3://bucket/mlflow';
  try {
    const lines: string[] = [];
    const out = await runExperiment(config('noartifacts'), { log: (l) => lines.push(l), out: () => {} });
    assert.deepEqual(out.failed, []);
    assert.equal(out.ran.length, 5); // 2 phase-1, scores, full, winning ticket
    assert.equal(lines.filter((l) => /artifacts are not uploaded/.test(l)).length, 1, lines.join('\n'));
    assert.ok(lines.some((l) => l.includes(`stay in ${out.outDir}`)));
    assert.equal(server.calls('mlflow-artifacts').length, 0);

    const runs = runsOf('noartifacts');
    assert.equal(runs.length, 6); // the grid's run and one per job, the scores job included
    for (const r of runs) assert.equal(r.info.status, 'FINISHED', String(r.info.run_name));
    const grid = named('noartifacts', 'noartifacts-grid')[0]!;
    assert.match(grid.tags.get('prunelab.grid_hash') ?? '', /^[0-9a-f]{16}$/);
    assert.equal(grid.tags.get('prunelab.local_artifact.report.md'), join(out.outDir, 'report.md'));
    // the summary table's means and stds on the grid's run
    const summary = [...new Set(grid.metrics.map((m) => m.key))].filter((k) => k.startsWith('summary/')).sort();
    assert.deepEqual(summary, [
      'summary/sst2/tiny/all/full-full/mean',
      'summary/sst2/tiny/all/full-full/size',
      'summary/sst2/tiny/all/full-full/std',
      'summary/sst2/tiny/all/hscore-02/mean',
      'summary/sst2/tiny/all/hscore-02/size',
      'summary/sst2/tiny/all/hscore-02/std',
    ]);
    const full = grid.metrics.find((m) => m.key === 'summary/sst2/tiny/all/full-full/mean')!;
    assert.equal(full.value, out.rows.find((r) => r.method === 'full')!.mean);

    // the scores job: its run, the H histogram by step H, the subset files and scores.csv kept on disk
    const scores = named('noartifacts', 'sst2/tiny/scores/all')[0]!;
    const hCounts = scores.metrics.filter((m) => m.key === 'h_count').sort((a, b) => a.step - b.step);
    const done = JSON.parse(readFileSync(join(out.outDir, 'sst2/tiny/scores/all/done.json'), 'utf8'));
    assert.deepEqual(
      hCounts.map((m) => m.value),
      done.result.histogram,
    );
    assert.equal(done.mlflowRunId, scores.info.run_id);
    assert.equal(scores.tags.get('mlflow.parentRunId'), grid.info.run_id);
    assert.equal(
      scores.tags.get('prunelab.local_artifact.scores.csv'),
      join(out.outDir, 'sst2/tiny/scores/all/scores.csv'),
    );
    assert.equal(scores.tags.get('prunelab.local_artifact.subsets'), join(out.outDir, 'sst2/tiny/scores/all/subsets'));

    // phase 2 on the ticket: which subset file, its scores run; datasets as inputs
    const ticket = runsOf('noartifacts').find((r) => r.tags.get('subset') === '02')!;
    assert.equal(ticket.tags.get('prunelab.subset_file'), 'sst2/tiny/scores/all/subsets/hscore-02.json');
    assert.equal(ticket.tags.get('prunelab.subset_run'), scores.info.run_id);
    assert.match(ticket.tags.get('prunelab.subset_digest') ?? '', /^[0-9a-f]{16}$/);
    const names = ticket.inputs.map((i) => `${i.dataset.name} ${i.tags[0]?.value}`).sort();
    assert.deepEqual(names, ['sst2/dev eval', 'sst2/train/hscore-02-seed-7 train']);
    const phase1 = named('noartifacts', 'sst2/tiny/phase1/seed-1')[0]!;
    assert.deepEqual(phase1.inputs.map((i) => i.dataset.name).sort(), ['sst2/dev', 'sst2/train']);
    assert.equal(phase1.tags.get('prunelab.local_artifact.job_seed-1'), join(out.outDir, 'sst2/tiny/phase1/seed-1'));

    // done.json names each job's server run
    const ids = doneIds(out.outDir);
    assert.equal(Object.keys(ids).length, 5);
    for (const [job, id] of Object.entries(ids)) assert.equal(server.runs.get(id)?.info.run_name, job);

    // nothing left to do (a setting that changes no job, too): the same parent run, RUNNING and FINISHED again
    const rerun: string[] = [];
    const again = await runExperiment(config('noartifacts', 2), { log: (l) => rerun.push(l), out: () => {} });
    assert.deepEqual(again.ran, []);
    assert.ok(
      rerun.includes(
        `mlflow: continuing the grid's run ${grid.info.run_id} (grid hash ${grid.tags.get('prunelab.grid_hash')})`,
      ),
    );
    assert.ok(
      rerun.some((l) => /keeps its first value of run\.concurrency \(params are write-once/.test(l)),
      rerun.join('\n'),
    );
    assert.equal(grid.params.get('run.concurrency'), '1');
    assert.equal(runsOf('noartifacts').length, 6);
    assert.equal(named('noartifacts', 'noartifacts-grid')[0]!.info.status, 'FINISHED');
  } finally {
    server.serveArtifacts = true;
    server.artifactRoot = 'mlflow-artifacts:';
  }
});

test('server down at start, back mid-grid: runs that ended meanwhile are pushed within the run; done.json gets server ids', async () => {
  server.down = true;
  const lines: string[] = [];
  const out = await runExperiment(config('comeback'), {
    log: (l) => {
      lines.push(l);
      if (/H histogram/.test(l)) server.down = false; // the scores job: both phase-1 runs ended while it was down
    },
    out: () => {},
  });
  assert.deepEqual(out.failed, []);
  assert.ok(
    lines.some((l) => /the server answers again: \d+ journaled run\(s\) pushed/.test(l)),
    lines.join('\n'),
  );
  const runs = runsOf('comeback');
  assert.equal(runs.length, 6);
  for (const r of runs) assert.equal(r.info.status, 'FINISHED', String(r.info.run_name));
  const grid = named('comeback', 'comeback-grid')[0]!;
  for (const r of runs) if (r !== grid) assert.equal(r.tags.get('mlflow.parentRunId'), grid.info.run_id);
  const pending = join(out.outDir, 'mlflow-pending');
  const left = readdirSync(pending, { recursive: true }).filter(
    (f) => String(f).endsWith('.jsonl') && !String(f).endsWith('synced.jsonl'),
  );
  assert.deepEqual(left, []);
  const ids = doneIds(out.outDir);
  assert.equal(Object.keys(ids).length, 5);
  for (const [job, id] of Object.entries(ids)) {
    assert.doesNotMatch(id, /^local-/, job);
    assert.equal(server.runs.get(id)?.info.run_name, job);
  }
  assert.ok(!lines.some((l) => /wait in the offline journal/.test(l)));
});

test('server down for the whole run: done.json keeps local ids until `experiments sync`, which rewrites them', async () => {
  server.down = true;
  const lines: string[] = [];
  let out: Awaited<ReturnType<typeof runExperiment>>;
  try {
    out = await runExperiment(config('latesync'), { log: (l) => lines.push(l), out: () => {} });
  } finally {
    server.down = false;
  }
  assert.deepEqual(out.failed, []);
  assert.ok(
    lines.some((l) => /6 run\(s\) wait in the offline journal/.test(l)),
    lines.join('\n'),
  );
  const before = doneIds(out.outDir);
  assert.equal(Object.keys(before).length, 5);
  for (const id of Object.values(before)) assert.match(id, /^local-/);
  const report = await syncJournal(out.outDir, () => {});
  assert.deepEqual(report?.failed, []);
  assert.equal(report?.synced.length, 6);
  for (const [job, id] of Object.entries(doneIds(out.outDir))) {
    assert.notEqual(id, before[job]);
    assert.equal(server.runs.get(id)?.info.run_name, job);
    assert.equal(server.runs.get(id)?.info.status, 'FINISHED');
  }
  // the ticket's run was tagged with the scores run's local id while offline: the replay names the server's
  const scoresId = doneIds(out.outDir)['sst2/tiny/scores/all'];
  const ticket = runsOf('latesync').find((r) => r.tags.get('subset') === '02')!;
  assert.equal(ticket.tags.get('prunelab.subset_run'), scoresId);
});
