// Multiple choice end to end: RACE files in their real folder format (written here: RACE is not on this
// machine), a tiny random BERT with a multiple-choice head, H subsets and a baseline over questions.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { readRunRecord } from '@prunelab/dynamics';
import { validateConfig } from './config.ts';
import { runExperiment } from './run.ts';
import { ensureTinyModel } from './tiny-model.ts';

const WORDS = [
  'river',
  'garden',
  'school',
  'market',
  'window',
  'teacher',
  'winter',
  'bridge',
  'doctor',
  'letter',
  'summer',
  'forest',
];

/** RACE/<split>/middle/<n>.txt: {id, article, questions, options, answers} with `files` articles of 2 questions each. */
function writeRace(root: string, split: string, files: number, offset: number): void {
  const dir = join(root, 'RACE', split, 'middle');
  mkdirSync(dir, { recursive: true });
  for (let f = 0; f < files; f++) {
    const k = f + offset;
    const a = WORDS[k % WORDS.length]!;
    const b = WORDS[(k * 5 + 3) % WORDS.length]!;
    // two questions, four options each; the first question's answer (A) is the place named in the article
    const options = [0, 1].map((q) => [0, 1, 2, 3].map((o) => WORDS[(k + o * 3 + q) % WORDS.length]!));
    writeFileSync(
      join(dir, `${f + 1}.txt`),
      JSON.stringify({
        id: `middle${k}.txt`,
        article:
          `Tom walked to the ${a} near the ${b} on day ${k}. He met a friend there and they talked about the ` +
          `${a}.`,
        questions: ['Where did Tom walk?', `The friend talked about the _ on day ${k}.`],
        options: [options[0]!.map((o, i) => (i === 0 ? a : o === a ? 'house' : o)), options[1]!],
        answers: ['A', ['A', 'B', 'C', 'D'][k % 4]!],
      }),
    );
  }
}

test('RACE as multiple choice: phase 1 records per question, H subsets, a matched baseline, the report', async () => {
  const tmp = mkdtempSync(join(tmpdir(), 'prunelab-race-'));
  writeRace(tmp, 'train', 40, 0);
  writeRace(tmp, 'test', 12, 100);
  const modelDir = join(tmp, 'model');
  await ensureTinyModel(modelDir, {
    seed: 1,
    overrides: { hidden_size: 32, num_hidden_layers: 1, intermediate_size: 64, num_attention_heads: 2 },
  });
  const cfg = validateConfig(
    {
      name: 'race-mc',
      tasks: ['race'],
      data: { root: tmp, train_size: null, dev_size: null, max_length: 48, allow_download: false },
      models: { tiny: { path: modelDir, generate_if_missing: false } },
      phase1: { seeds: [1, 2, 3], epochs: 2, lr: 2e-3, batch_size: 8, record: ['probs', 'grand'] },
      phase2: { seeds: [7], epochs: 1, lr: 2e-3, batch_size: 8, methods: ['full', 'hscore', 'random'] },
      output: { dir: join(tmp, 'results') },
    },
    () => 'test',
  );
  const lines: string[] = [];
  const out = await runExperiment(cfg, { log: (l) => lines.push(l), out: () => {} });
  assert.deepEqual(out.failed, [], lines.join('\n'));
  assert.equal(out.ran.length, 3 + 1 + 3);
  const full = out.rows.find((r) => r.method === 'full')!;
  assert.equal(full.size, 80); // 40 articles x 2 questions
  const ticket = out.rows.find((r) => r.method === 'hscore')!;
  const random = out.rows.find((r) => r.method === 'random')!;
  assert.equal(ticket.size, random.size);
  assert.ok(full.mean >= 0 && full.mean <= 1);
  // the records and the subset files are per question (80 ids), labels are the choice letters
  const header = JSON.parse(readFileSync(join(out.outDir, 'race/tiny/phase1/seed-1/header.json'), 'utf8'));
  assert.equal(header.ids.length, 80);
  // the opt-in fields of multiple choice: softmax over the 4 choices, GraNd of the shared choice scorer
  const rec = readRunRecord(join(out.outDir, 'race/tiny/phase1/seed-1'));
  assert.deepEqual(rec.header.optional, ['el2n', 'probs', 'grand']);
  assert.equal(rec.header.numClasses, 4);
  for (let e = 0; e < 2; e++) {
    assert.equal(rec.probs![e]!.length, 80 * 4);
    assert.equal(rec.grand![e]!.length, 80);
    for (let i = 0; i < 80; i++) {
      const row = Array.from(rec.probs![e]!.subarray(i * 4, i * 4 + 4));
      assert.ok(Math.abs(row.reduce((a, b) => a + b, 0) - 1) < 1e-5);
      assert.ok(
        row.some((q) => Math.abs(q - rec.goldProb[e]![i]!) < 1e-6),
        'goldProb is one of the probs',
      );
      assert.ok(Number.isFinite(rec.grand![e]![i]!) && rec.grand![e]![i]! >= 0);
    }
  }
  const subset = JSON.parse(readFileSync(join(out.outDir, 'race/tiny/scores/all/subsets/hscore-03.json'), 'utf8'));
  assert.equal(subset.size, ticket.size);
  assert.ok(
    Object.keys(subset.perClass ?? {}).every((c) => ['A', 'B', 'C', 'D'].includes(c)),
    JSON.stringify(subset.perClass),
  );
  assert.match(readFileSync(out.report, 'utf8'), /## race · tiny/);
});
