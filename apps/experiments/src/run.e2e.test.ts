// The CLI end to end on real SST-2 sentences with very small random models (two of them, plus a transfer of
// subsets from one to the other): killed with SIGKILL once a job has finished and another is in progress, then
// rerun. The grid must finish, finished jobs must not be redone, the report must exist, no MLflow run may
// be left RUNNING and the rerun must continue the grid's parent run rather than start another.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { listExperiments, listRuns, readRun } from '@prunelab/tracking';
import { ensureTinyModel } from './tiny-model.ts';

const ROOT = join(import.meta.dirname, '../../..');
const MAIN = join(import.meta.dirname, 'main.ts');
const TINY = { hidden_size: 32, num_hidden_layers: 1, intermediate_size: 64, num_attention_heads: 2 };

interface Cli {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Run the CLI; `killWhen` sees the stdout so far and returns true to SIGKILL the process. */
function cli(args: string[], killWhen?: (stdout: string) => boolean): Promise<Cli> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', MAIN, ...args], {
      cwd: ROOT,
      env: { ...process.env, CI: '1' },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
      if (killWhen && child.exitCode === null && !child.killed && killWhen(stdout)) child.kill('SIGKILL');
    });
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}

function doneMarkers(outDir: string): Map<string, number> {
  const out = new Map<string, number>();
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      if (e.isDirectory() && e.name !== 'mlruns') walk(join(d, e.name));
      else if (e.name === 'done.json') out.set(d.slice(outDir.length + 1), statSync(join(d, e.name)).mtimeMs);
    }
  };
  walk(outDir);
  return out;
}

function runStatuses(mlruns: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const exp of listExperiments(mlruns)) {
    for (const id of listRuns(mlruns, exp.id)) {
      const r = readRun(mlruns, exp.id, id);
      out[`${r.tags['mlflow.runName']} ${id}`] = Number(r.meta.status);
    }
  }
  return out;
}

test(
  'SIGKILL mid-grid, rerun: finishes, redoes nothing finished, report written, no MLflow run left ' + 'RUNNING',
  async () => {
    const tmp = mkdtempSync(join(tmpdir(), 'prunelab-kill-'));
    await ensureTinyModel(join(tmp, 'model-a'), { seed: 1, overrides: TINY });
    await ensureTinyModel(join(tmp, 'model-b'), { seed: 2, overrides: TINY });
    const config = join(tmp, 'kill.yaml');
    writeFileSync(
      config,
      [
        'name: kill',
        'tasks: [sst2]',
        'data: { train_size: 160, dev_size: 64, seed: 3, allow_download: false, max_length: 24 }',
        'models:',
        `  a: { path: ${join(tmp, 'model-a')}, generate_if_missing: false }`,
        `  b: { path: ${join(tmp, 'model-b')}, generate_if_missing: false }`,
        'phase1: { seeds: [1, 2, 3], epochs: 2, lr: 2.0e-3, batch_size: 16 }',
        'phase2: { seeds: [7], epochs: 1, lr: 2.0e-3, batch_size: 16, methods: [full, hscore, random] }',
        'pruning: { subsets: [winning], transfer: [a -> b] }',
        `output: { dir: ${join(tmp, 'results')} }`,
        '',
      ].join('\n'),
    );
    const outDir = join(tmp, 'results', 'kill');
    const mlruns = join(outDir, 'mlruns');

    // Kill once one job has printed "done" and a later job has printed its first progress line.
    const first = await cli(['run', config], (out) => {
      const done = /^\[(\d+)\/\d+\] .* done in /m.exec(out);
      if (!done) return false;
      const after = out.slice(done.index + done[0].length);
      return /^\[(\d+)\/\d+\] phase[12] .* \d+\/\d+ \d+% elapsed/m.test(after);
    });
    assert.equal(first.signal, 'SIGKILL', `the first run was not killed:\n${first.stdout}\n${first.stderr}`);
    const before = doneMarkers(outDir);
    assert.ok(before.size >= 1, first.stdout);
    const running = Object.entries(runStatuses(mlruns))
      .filter(([, s]) => s === 1)
      .map(([n]) => n);
    assert.ok(
      running.length >= 2,
      `expected the grid run and the job in progress RUNNING, got ` + `${running.join(', ')}`,
    ); // a real mid-run kill

    const second = await cli(['run', config]);
    assert.equal(second.code, 0, `${second.stdout}\n${second.stderr}`);
    assert.match(
      second.stdout,
      new RegExp(`marked ${running.length} run\\(s\\) left RUNNING by a killed process as KILLED`),
    );
    // every job finished before the kill is skipped, untouched
    for (const [job, mtime] of before) {
      assert.ok(second.stdout.includes(`finished earlier, skipped`), second.stdout);
      assert.equal(doneMarkers(outDir).get(job), mtime, `${job} was redone`);
    }
    const skippedLine = /jobs: (\d+) ran, (\d+) finished earlier, 0 failed, 0 blocked/.exec(second.stdout);
    assert.ok(skippedLine, second.stdout);
    assert.equal(Number(skippedLine[2]), before.size);
    // 2 models x (3 phase-1 + 1 scores + 3 phase-2) + 1 transfer = 15 jobs, all finished
    const after = doneMarkers(outDir);
    assert.equal(after.size, 15, [...after.keys()].join('\n'));
    assert.equal(Number(skippedLine[1]) + Number(skippedLine[2]), 15);

    // MLflow: nothing RUNNING; the killed ones are KILLED; every job has one FINISHED run with its tags
    const statuses = runStatuses(mlruns);
    assert.deepEqual(
      Object.entries(statuses).filter(([, s]) => s === 1),
      [],
    );
    // the killed jobs' runs stay KILLED; the grid's run is the same one, continued by the rerun and FINISHED
    for (const n of running.filter((r) => !r.startsWith('kill-grid ')))
      assert.equal(statuses[n], 5, `${n} should be KILLED`);
    const gridRuns = Object.entries(statuses).filter(([n]) => n.startsWith('kill-grid '));
    assert.deepEqual(
      gridRuns.map(([, s]) => s),
      [3],
    );
    assert.ok(running.includes(gridRuns[0]![0]));
    const exp = listExperiments(mlruns).find((e) => e.name === 'kill')!;
    const runs = listRuns(mlruns, exp.id).map((id) => readRun(mlruns, exp.id, id));
    // every finished job (scores jobs included) names its FINISHED run in done.json
    for (const job of after.keys()) {
      const id = JSON.parse(readFileSync(join(outDir, job, 'done.json'), 'utf8')).mlflowRunId;
      assert.equal(runs.find((r) => r.meta.run_id === id)?.meta.status, 3, job);
    }
    const transfer = runs.find((r) => r.tags['mlflow.runName'] === 'sst2/b/phase2/hscore-03-from-a-seed-7')!;
    assert.equal(transfer.meta.status, 3);
    assert.equal(transfer.tags.scored_by, 'a');
    assert.equal(transfer.tags.method, 'hscore');
    assert.equal(transfer.tags.subset, '03');
    assert.ok(transfer.tags['mlflow.parentRunId']);
    assert.equal(transfer.metrics.dev_accuracy?.length, 1);
    assert.equal(transfer.params.phase2_lr ?? transfer.params['phase2.lr'], '0.002');

    // Provenance: the numeric build printed at start-up, in the records' header, job.json, done.json and MLflow tags
    const buildLine = /^numeric build: (wasm|tensorflow|cpu)\b.*tfjs \d/m;
    assert.match(first.stdout, buildLine);
    assert.match(second.stdout, buildLine);
    assert.doesNotMatch(second.stdout, /made by another build/); // one machine, one build
    const seed1 = join(outDir, 'sst2/a/phase1/seed-1');
    const key = (JSON.parse(readFileSync(join(seed1, 'header.json'), 'utf8')) as { build: { key: string } }).build.key;
    assert.match(key, /^(wasm|tensorflow|cpu)\S* tfjs-\d/);
    for (const f of ['job.json', 'done.json'])
      assert.equal(JSON.parse(readFileSync(join(seed1, f), 'utf8')).build.key, key, f);
    assert.equal(transfer.tags.numeric_build, key);
    assert.ok(['on', 'off'].includes(transfer.tags.native!));
    assert.equal(runs.find((r) => r.tags['mlflow.runName'] === 'kill-grid')?.tags.numeric_build, key);

    // Report: tables with the transfer row, the HTML page with inline SVG and no external script
    const report = readFileSync(join(outDir, 'report.md'), 'utf8');
    assert.match(report, /\| full data \| 160 \| 100\.0 \| \d+\.\d\d( †)? \| 1( \(1 collapsed\))? \|/);
    assert.match(report, /\| winning ticket \(drop H=0,3\), scored by a \| \d+ \|/);
    const html = readFileSync(join(outDir, 'report.html'), 'utf8');
    assert.ok(html.includes('<svg') && !/<script[^>]+src=|https?:\/\/cdn/.test(html));
    for (const f of [
      'summary.csv',
      'tables/sst2-a.csv',
      'plots/metric-vs-size.svg',
      'plots/metric-vs-size.png',
      'plots/sst2-a-data-map.png',
    ])
      assert.ok(existsSync(join(outDir, f)), f);
    // the ticket and its random baseline have the same size
    const table = readFileSync(join(outDir, 'tables', 'sst2-a.csv'), 'utf8');
    const sizes = table
      .trim()
      .split('\n')
      .slice(1)
      .map((l) => l.split(','))
      .filter((c) => c[3] === '03')
      .map((c) => c[7]);
    assert.equal(sizes.length, 2);
    assert.equal(sizes[0], sizes[1]);

    // status sees everything done; clean refuses without --yes
    const status = await cli(['status', config]);
    assert.match(status.stdout, /status: 15 done/);
    const clean = await cli(['clean', config]);
    assert.equal(clean.code, 1);
    assert.match(clean.stderr, /rerun with --yes/);
    assert.ok(existsSync(outDir));
  },
);
