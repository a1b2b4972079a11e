// With MLFLOW_TRACKING_URI set to a server that does not answer, the grid still runs and every run lands in the
// offline journal under results/<name>/mlflow-pending/ for `experiments sync` (nothing is lost).
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { validateConfig } from './config.ts';
import { runExperiment } from './run.ts';
import { ensureTinyModel } from './tiny-model.ts';
import { workerId } from '@prunelab/tracking';

test('an unreachable MLflow server: the run finishes and journals its runs locally', async () => {
  const tmp = mkdtempSync(join(tmpdir(), 'prunelab-offline-'));
  const modelDir = join(tmp, 'model');
  await ensureTinyModel(modelDir, {
    seed: 1,
    overrides: { hidden_size: 32, num_hidden_layers: 1, intermediate_size: 64, num_attention_heads: 2 },
  });
  const cfg = validateConfig(
    {
      name: 'offline',
      tasks: ['sst2'],
      data: { train_size: 64, dev_size: 32, max_length: 16, allow_download: false },
      models: { tiny: { path: modelDir, generate_if_missing: false } },
      phase1: { seeds: [1, 2], epochs: 1 },
      phase2: { seeds: [7], epochs: 1, lr: 2e-3, batch_size: 16, methods: ['full'] },
      output: { dir: join(tmp, 'results') },
    },
    () => 'test',
  );
  const before = process.env.MLFLOW_TRACKING_URI;
  process.env.MLFLOW_TRACKING_URI = 'http://127.0.0.1:9'; // the discard port: connection refused at once
  try {
    const lines: string[] = [];
    const out = await runExperiment(cfg, { log: (l) => lines.push(l), out: () => {} });
    assert.deepEqual(out.failed, []);
    assert.equal(out.mlruns, 'http://127.0.0.1:9');
    const pending = join(out.outDir, 'mlflow-pending', workerId()); // this process's own journal folder
    const journals = readdirSync(pending).filter((f) => f.endsWith('.jsonl'));
    assert.equal(journals.length, 2); // the grid's parent run and the one job
    const text = journals.map((f) => readFileSync(join(pending, f), 'utf8')).join('\n');
    assert.match(text, /dev_accuracy/);
    assert.ok(!existsSync(join(out.outDir, 'mlruns')));
    // the end of the run says how many runs wait for `experiments sync`; the report points at the server
    assert.ok(
      lines.includes(
        `mlflow: ${journals.length} run(s) wait in the offline journal for the server http://127.0.0.1:9: run ` +
          `\`experiments sync\` when it is reachable`,
      ),
      lines.join('\n'),
    );
    assert.match(readFileSync(out.report, 'utf8'), /MLflow: runs on the tracking server http:\/\/127\.0\.0\.1:9\./);
  } finally {
    if (before === undefined) delete process.env.MLFLOW_TRACKING_URI;
    else process.env.MLFLOW_TRACKING_URI = before;
  }
});
