// A model made with random weights because the config asked for it is flagged where a reviewer looks: job.json
// (random_weights), the MLflow tags (prunelab.random_weights) of every job run and of the grid run. A job that
// fails (here: unreadable weights) ends FAILED in MLflow, not RUNNING (which the next start would call KILLED).
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { validateConfig } from './config.ts';
import { runExperiment } from './run.ts';

/** Every run of a file store: its tags and status line, by run name. */
function runs(mlruns: string): Map<string, { tags: Record<string, string>; status: string }> {
  const out = new Map<string, { tags: Record<string, string>; status: string }>();
  for (const exp of readdirSync(mlruns).filter((e) => /^\d+$/.test(e))) {
    for (const id of readdirSync(join(mlruns, exp))) {
      const dir = join(mlruns, exp, id);
      if (!existsSync(join(dir, 'tags'))) continue;
      const tags = Object.fromEntries(
        readdirSync(join(dir, 'tags')).map((t) => [t, readFileSync(join(dir, 'tags', t), 'utf8')]),
      );
      const status = /status: (\d)/.exec(readFileSync(join(dir, 'meta.yaml'), 'utf8'))?.[1] ?? '?';
      out.set(`${tags['mlflow.runName']}#${id}`, { tags, status });
    }
  }
  return out;
}

test('random weights asked for explicitly: made, flagged in job.json and MLflow; a failing job ends FAILED', async () => {
  const tmp = mkdtempSync(join(tmpdir(), 'prunelab-random-'));
  const modelDir = join(tmp, 'model');
  const cfgOf = (seed: number) =>
    validateConfig(
      {
        name: 'rw',
        tasks: ['sst2'],
        data: { train_size: 48, dev_size: 16, max_length: 16, allow_download: false },
        models: { tiny: { path: modelDir, generate_if_missing: true } },
        phase1: { seeds: [1, 2], epochs: 1 },
        phase2: { seeds: [seed], epochs: 1, batch_size: 16, methods: ['full'] },
        output: { dir: join(tmp, 'results') },
      },
      () => 'test',
    );
  const lines: string[] = [];
  const out = await runExperiment(cfgOf(7), { log: (l) => lines.push(l), out: () => {} });
  assert.deepEqual(out.failed, []);
  assert.match(lines.join('\n'), /model 'tiny': RANDOM WEIGHTS/);
  const [job] = out.ran;
  const jobJson = JSON.parse(readFileSync(join(out.outDir, job!, 'job.json'), 'utf8'));
  assert.equal(jobJson.random_weights, true);
  const first = [...runs(out.mlruns).values()];
  assert.equal(first.length, 2); // the grid run and the job's
  for (const r of first) assert.equal(r.tags['prunelab.random_weights'], 'true');
  assert.ok(first.every((r) => r.status === '3')); // FINISHED

  // weights that cannot be read: the job fails, and both its run and the grid run say FAILED
  writeFileSync(join(modelDir, 'model.safetensors'), 'not a safetensors file');
  const failed = await runExperiment(cfgOf(8), { log: () => {}, out: () => {} });
  assert.equal(failed.failed.length, 1);
  const all = [...runs(out.mlruns).entries()];
  const statuses = all.map(([, r]) => r.status).sort();
  // MLflow's codes: 3 FINISHED (the first run's two), 4 FAILED (the failed job and its grid run), never 5 KILLED
  assert.deepEqual(statuses, ['3', '3', '4', '4'], JSON.stringify(all.map(([k, r]) => [k, r.status])));
});
