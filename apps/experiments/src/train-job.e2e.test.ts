// Resuming killed training jobs: the CLI runs a tiny grid (2 phase-1 runs, scores, 2 phase-2 jobs) and is killed
// with SIGKILL mid-epoch, once during phase 1 and once during phase 2, each time after a mid-epoch snapshot of that
// job exists; reruns resume the jobs. The record files and metrics.jsonl must equal, byte for byte, those of an
// uninterrupted run of the same grid in another folder; no snapshot may be left; MLflow holds one complete
// FINISHED run per job, the resumed ones tagged with the run they resumed from. Before each rerun the test also
// leaves what a kill between an epoch's writes and its snapshot would leave, which the resume must cut off.
// Phase 1 records the opt-in fields (phase1.record: probs, grand, embedding) too: they resume byte for byte, and
// their values are checked against their definitions.
import assert from 'node:assert/strict';
import { appendFileSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { RECORD_FILES, readRunRecord } from '@prunelab/dynamics';
import { listExperiments, listRuns, readRun } from '@prunelab/tracking';
import { cli, midEpoch } from './testing/cli.ts';
import { ensureTinyModel } from './tiny-model.ts';
import { SNAPSHOT } from './train-job.ts';

const TINY = { hidden_size: 32, num_hidden_layers: 1, intermediate_size: 64, num_attention_heads: 2 };
const PHASE1 = ['sst2/a/phase1/seed-1', 'sst2/a/phase1/seed-2'];
const PHASE2 = ['sst2/a/phase2/full-seed-7', 'sst2/a/phase2/hscore-02-seed-7'];

/**
 * Leave in a killed job's folder what a kill after an epoch's writes but before its snapshot would: one more epoch
 * in the record files and header, one more metrics and timing row. The resume must cut it all off.
 */
function writePastSnapshot(jobDir: string): void {
  const headerFile = join(jobDir, 'header.json');
  if (existsSync(headerFile)) {
    type Header = { ids: string[]; epochsDone: number; epochsPlanned: number; embeddingDim?: number };
    const h = JSON.parse(readFileSync(headerFile, 'utf8')) as Header;
    for (const r of Object.values(RECORD_FILES)) {
      const file = join(jobDir, r.file);
      if (r.file === RECORD_FILES.embedding.file) continue;
      if (existsSync(file)) appendFileSync(file, Buffer.alloc(h.ids.length * r.bytes, 7));
    }
    // the embedding file is replaced whole at each epoch end: the next epoch's would be there
    const embedding = h.embeddingDim && {
      embeddingEpoch: h.epochsDone,
      bytes: writeFileSync(
        join(jobDir, RECORD_FILES.embedding.file),
        Buffer.alloc(h.ids.length * h.embeddingDim * 4, 7),
      ),
    };
    const more = { ...h, epochsDone: h.epochsDone + 1, ...(embedding && { embeddingEpoch: embedding.embeddingEpoch }) };
    if (h.epochsDone < h.epochsPlanned) writeFileSync(headerFile, JSON.stringify(more, null, 2) + '\n');
  }
  appendFileSync(join(jobDir, 'metrics.jsonl'), '{"epoch":99}\n');
  appendFileSync(join(jobDir, 'timing.jsonl'), '{"epoch":99}\n');
}

test('phase-1 and phase-2 jobs killed mid-epoch resume to byte-identical records and metrics', async () => {
  const tmp = mkdtempSync(join(tmpdir(), 'prunelab-resume-'));
  await ensureTinyModel(join(tmp, 'model-a'), { seed: 1, overrides: TINY });
  const config = (out: string) => {
    const file = join(tmp, `${out}.yaml`);
    writeFileSync(
      file,
      [
        'name: resume',
        'tasks: [sst2]',
        'data: { train_size: 160, dev_size: 32, seed: 3, allow_download: false, max_length: 32 }',
        `models: { a: { path: ${join(tmp, 'model-a')}, generate_if_missing: false } }`,
        'phase1: { seeds: [1, 2], epochs: 3, lr: 2.0e-3, batch_size: 16, checkpoint_every: 2, record: [probs, grand, embedding] }',
        'phase2: { seeds: [7], epochs: 3, lr: 2.0e-3, batch_size: 16, methods: [full, hscore], checkpoint_every: 3 }',
        'pruning: { subsets: [winning] }',
        `output: { dir: ${join(tmp, out)} }`,
        '',
      ].join('\n'),
    );
    return file;
  };
  const straight = await cli(['run', config('straight')]);
  assert.equal(straight.code, 0, `${straight.stdout}\n${straight.stderr}`);
  const a = join(tmp, 'straight', 'resume');
  const b = join(tmp, 'killed', 'resume');

  // kill 1: inside phase-1 run 1's second epoch; kill 2: inside the full-data phase-2 job's second epoch
  const kill1 = await cli(['run', config('killed')], () => midEpoch(join(b, PHASE1[0]!)));
  assert.equal(kill1.signal, 'SIGKILL', `not killed:\n${kill1.stdout}\n${kill1.stderr}`);
  assert.ok(!existsSync(join(b, PHASE1[0]!, 'done.json')));
  writePastSnapshot(join(b, PHASE1[0]!));
  const kill2 = await cli(['run', config('killed')], () => midEpoch(join(b, PHASE2[0]!)));
  assert.equal(kill2.signal, 'SIGKILL', `not killed:\n${kill2.stdout}\n${kill2.stderr}`);
  assert.match(kill2.stdout, /phase1 sst2\/a seed 1 .*resumed at epoch [23] step \d+/);
  assert.ok(!existsSync(join(b, PHASE2[0]!, 'done.json')));
  writePastSnapshot(join(b, PHASE2[0]!));
  const last = await cli(['run', config('killed')]);
  assert.equal(last.code, 0, `${last.stdout}\n${last.stderr}`);
  assert.match(last.stdout, /phase2 sst2\/a full data seed 7 .*resumed at epoch [23] step \d+/);

  const same = (job: string, file: string) => {
    const x = readFileSync(join(a, job, file));
    assert.ok(x.length > 0, `${job}/${file} is empty`);
    assert.ok(x.equals(readFileSync(join(b, job, file))), `${job}/${file} differs from the uninterrupted run's`);
  };
  for (const job of PHASE1) {
    for (const f of ['header.json', 'metrics.jsonl', ...Object.values(RECORD_FILES).map((r) => r.file)]) same(job, f);
  }
  for (const job of PHASE2) same(job, 'metrics.jsonl');
  for (const job of PHASE1) checkRecordFields(join(a, job));
  for (const job of [...PHASE1, ...PHASE2]) {
    assert.ok(!existsSync(join(b, job, SNAPSHOT)), `${job}: snapshot left behind`);
    const timing = readFileSync(join(b, job, 'timing.jsonl'), 'utf8')
      .trim()
      .split('\n');
    assert.equal(timing.length, 3, `${job}: one timing row per epoch`);
    assert.equal(
      readFileSync(join(b, job, 'metrics.jsonl'), 'utf8')
        .trim()
        .split('\n').length,
      3,
    );
  }

  // MLflow: each resumed job has one FINISHED run that names the killed run and holds all 3 epochs' metrics
  const mlruns = join(b, 'mlruns');
  const exp = listExperiments(mlruns).find((e) => e.name === 'resume')!;
  const runs = listRuns(mlruns, exp.id).map((id) => readRun(mlruns, exp.id, id));
  for (const job of [PHASE1[0]!, PHASE2[0]!]) {
    const mine = runs.filter((r) => r.tags['mlflow.runName'] === job);
    const finished = mine.filter((r) => r.meta.status === 3);
    assert.equal(finished.length, 1, job);
    const killed = mine.find((r) => r.meta.run_id === finished[0]!.tags.resumed_from_run);
    assert.equal(killed?.meta.status, 5, `${job}: the run it resumed from should be KILLED`);
    assert.deepEqual(finished[0]!.metrics.dev_accuracy?.map((p) => p.step).sort(), [1, 2, 3]);
  }
});

/** The opt-in fields of a finished phase-1 run against their definitions (BERT's classifier has a bias). */
function checkRecordFields(dir: string): void {
  const rec = readRunRecord(dir);
  const { ids, numClasses: C, epochsDone: E } = rec.header;
  const n = ids.length;
  assert.deepEqual(rec.header.optional, ['el2n', 'probs', 'grand', 'embedding']);
  assert.equal(C, 2);
  assert.equal(rec.probs?.length, E);
  assert.equal(rec.grand?.length, E);
  assert.equal(rec.embedding?.epoch, E - 1);
  assert.equal(rec.embedding?.dim, TINY.hidden_size);
  assert.equal(rec.embedding?.data.length, n * TINY.hidden_size);
  for (let e = 0; e < E; e++) {
    const p: Float32Array = rec.probs![e]!;
    assert.equal(p.length, n * C!);
    for (let i = 0; i < n; i++) {
      const row: number[] = Array.from(p.subarray(i * C!, (i + 1) * C!));
      assert.ok(Math.abs(row.reduce((a, b) => a + b, 0) - 1) < 1e-5, `probs row ${i} sums to 1`);
      // the gold class is the one whose probability the record keeps as goldProb
      const gold: number = row.findIndex((q) => Math.abs(q - rec.goldProb[e]![i]!) < 1e-6);
      assert.ok(gold >= 0, `epoch ${e} row ${i}: goldProb is one of the probs`);
      const argmax: number = row.indexOf(Math.max(...row));
      assert.equal(argmax === gold ? 1 : 0, rec.correct[e]![i], `epoch ${e} row ${i}: argmax(probs) vs correct`);
      const el2n = Math.hypot(...row.map((q, c) => q - (c === gold ? 1 : 0)));
      assert.ok(Math.abs(el2n - rec.el2n![e]![i]!) < 1e-5, `epoch ${e} row ${i}: el2n from probs`);
      if (e === E - 1) {
        const h = rec.embedding!.data.subarray(i * rec.embedding!.dim, (i + 1) * rec.embedding!.dim);
        const want = el2n * Math.sqrt(h.reduce((a, x) => a + x * x, 0) + 1);
        assert.ok(Math.abs(want - rec.grand[e]![i]!) <= 1e-4 * Math.max(1, want), `row ${i}: grand`);
      }
    }
  }
}
