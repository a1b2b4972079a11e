// MNLI is evaluated on both dev sets, as the paper reports it: matched is the table's metric, mismatched sits
// beside it (GLUE TSV files written here: MNLI is not on this machine).
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { validateConfig } from './config.ts';
import { runExperiment } from './run.ts';
import { ensureTinyModel } from './tiny-model.ts';

const LABELS = ['entailment', 'neutral', 'contradiction'];

function tsv(file: string, rows: number, offset: number): void {
  const lines = ['index\tsentence1\tsentence2\tgold_label'];
  for (let i = 0; i < rows; i++) {
    const k = i + offset;
    lines.push(
      `${k}\tThe cat number ${k} sat on mat ${k % 7}.\tA cat ` +
        `${k % 3 === 0 ? 'sat' : k % 3 === 1 ? 'may have sat' : 'never sat'} on a mat.\t${LABELS[k % 3]}`,
    );
  }
  writeFileSync(file, lines.join('\n') + '\n');
}

test('MNLI: matched and mismatched dev accuracy per run, both in the table and the CSV', async () => {
  const tmp = mkdtempSync(join(tmpdir(), 'prunelab-mnli-'));
  const glue = join(tmp, 'glue', 'MNLI');
  mkdirSync(glue, { recursive: true });
  tsv(join(glue, 'train.tsv'), 60, 0);
  tsv(join(glue, 'dev_matched.tsv'), 18, 1000);
  tsv(join(glue, 'dev_mismatched.tsv'), 21, 2000);
  const modelDir = join(tmp, 'model');
  await ensureTinyModel(modelDir, {
    seed: 1,
    overrides: { hidden_size: 32, num_hidden_layers: 1, intermediate_size: 64, num_attention_heads: 2 },
  });
  const cfg = validateConfig(
    {
      name: 'mnli',
      tasks: ['mnli'],
      data: { root: tmp, train_size: null, dev_size: null, max_length: 32, allow_download: false },
      models: { tiny: { path: modelDir, generate_if_missing: false } },
      phase1: { seeds: [1, 2], epochs: 1 },
      phase2: { seeds: [7, 8], epochs: 1, lr: 2e-3, batch_size: 16, methods: ['full'] },
      output: { dir: join(tmp, 'results') },
    },
    () => 'test',
  );
  const out = await runExperiment(cfg, { log: () => {}, out: () => {} });
  assert.deepEqual(out.failed, []);
  const [row] = out.rows;
  assert.equal(row!.size, 60);
  const mm = row!.extra.dev_mismatched!;
  assert.ok(mm.mean >= 0 && mm.mean <= 1);
  // accuracies on 21 examples are multiples of 1/21
  const done = JSON.parse(readFileSync(join(out.outDir, 'mnli/tiny/phase2/full-seed-7/done.json'), 'utf8'));
  assert.ok(Math.abs(done.result.extra.dev_mismatched * 21 - Math.round(done.result.extra.dev_mismatched * 21)) < 1e-9);
  assert.ok(Math.abs(done.result.metric * 18 - Math.round(done.result.metric * 18)) < 1e-9);
  const report = readFileSync(out.report, 'utf8');
  assert.match(
    report,
    /\| training data \| examples \| size % \| accuracy % dev_matched \(mean ± std\) \| accuracy % dev_mismatched \| seeds \|/,
  );
  // a tiny model may predict one class: then the cell is marked † and the seeds counted as collapsed
  assert.match(
    report,
    /\| full data \| 60 \| 100\.0 \| \d+\.\d\d ± \d+\.\d\d( †)? \| \d+\.\d\d ± \d+\.\d\d \| 2( \(\d collapsed\))? \|/,
  );
  assert.match(readFileSync(out.csv, 'utf8'), /"dev_mismatched=\d\.\d{6}±\d\.\d{6}"/);
});
