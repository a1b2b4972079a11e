// SQuAD v2 end to end: a small SQuAD v2.0 json written here (SQuAD is not on this machine) with answerable and
// unanswerable questions and contexts longer than one window, a tiny random BERT with the QA head: phase-1 records
// per question id, H subsets and a matched baseline, phase 2 scored with F1 (EM beside it) from every dev window.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { validateConfig } from './config.ts';
import { runExperiment } from './run.ts';
import { ensureTinyModel } from './tiny-model.ts';

const NAMES = ['Anna', 'Boris', 'Clara', 'David', 'Elena', 'Felix', 'Greta', 'Hugo', 'Iris', 'Jonas'];
const PLACES = ['Paris', 'Oslo', 'Lima', 'Cairo', 'Tokyo', 'Quito', 'Dakar', 'Perth'];
const FILLER = 'The weather was mild and the streets were quiet that morning while the shops opened slowly.';

/** `articles` paragraphs of 3 questions: 2 answerable (who / where), 1 unanswerable; every third context is long. */
function writeSquad(file: string, articles: number, offset: number): number {
  const data = [];
  let questions = 0;
  for (let a = 0; a < articles; a++) {
    const k = a + offset;
    const who = NAMES[k % NAMES.length]!;
    const where = PLACES[(k * 3) % PLACES.length]!;
    const pad = k % 3 === 0 ? ` ${FILLER} ${FILLER} ${FILLER}` : '';
    const context = `${who} travelled to ${where} in year ${1900 + k}.${pad} The trip took ${(k % 9) + 2} days.`;
    const qas = [
      {
        id: `q${k}a`,
        question: `Who travelled to ${where}?`,
        answers: [{ text: who, answer_start: 0 }],
        is_impossible: false,
      },
      {
        id: `q${k}b`,
        question: `Where did ${who} travel?`,
        answers: [{ text: where, answer_start: context.indexOf(where) }],
        is_impossible: false,
      },
      {
        id: `q${k}c`,
        question: 'What colour was the train?',
        answers: [],
        plausible_answers: [{ text: where, answer_start: context.indexOf(where) }],
        is_impossible: true,
      },
    ];
    questions += qas.length;
    data.push({ title: `Trip ${k}`, paragraphs: [{ context, qas }] });
  }
  writeFileSync(file, JSON.stringify({ version: 'v2.0', data }));
  return questions;
}

test(
  'SQuAD v2: per-question records, H subsets and a baseline, dev F1/EM from every window in the ' + 'report',
  async () => {
    const tmp = mkdtempSync(join(tmpdir(), 'prunelab-squad-'));
    mkdirSync(join(tmp, 'squad_v2'));
    const nTrain = writeSquad(join(tmp, 'squad_v2', 'train-v2.0.json'), 14, 0);
    writeSquad(join(tmp, 'squad_v2', 'dev-v2.0.json'), 4, 100);
    const modelDir = join(tmp, 'model');
    await ensureTinyModel(modelDir, {
      seed: 1,
      family: 'bert',
      overrides: { hidden_size: 32, num_hidden_layers: 1, intermediate_size: 64, num_attention_heads: 2 },
    });
    const cfg = validateConfig(
      {
        name: 'squad-qa',
        tasks: ['squad_v2'],
        data: { root: tmp, train_size: null, dev_size: null, max_length: 48, allow_download: false },
        models: { tiny: { path: modelDir, generate_if_missing: false } },
        phase1: { seeds: [1, 2, 3], epochs: 2, lr: 3e-3, batch_size: 8 },
        phase2: { seeds: [7], epochs: 1, lr: 3e-3, batch_size: 8, methods: ['full', 'hscore', 'random_balanced'] },
        output: { dir: join(tmp, 'results') },
      },
      () => 'test',
    );
    const lines: string[] = [];
    const out = await runExperiment(cfg, { log: (l) => lines.push(l), out: () => {} });
    assert.deepEqual(out.failed, [], lines.join('\n'));
    assert.equal(out.ran.length, 3 + 1 + 3);
    // long dev contexts span several windows; training keeps one window per question, with the answer when answerable
    assert.ok(
      lines.includes(
        `data squad_v2: ${nTrain} training questions, one 48-token window each (${(2 * nTrain) / 3} with the answer in ` +
          `it)`,
      ),
      lines.join('\n'),
    );
    assert.ok(lines.includes('data squad_v2: 12 dev questions in 18 windows'), lines.join('\n'));
    assert.equal(lines.filter((l) => l.includes('doc_stride 128 capped at 16')).length, 1);
    // one record per question, whatever the number of windows
    const header = JSON.parse(readFileSync(join(out.outDir, 'squad_v2/tiny/phase1/seed-1/header.json'), 'utf8'));
    assert.equal(header.ids.length, nTrain);
    assert.equal(new Set(header.ids).size, nTrain);
    // scores.csv: per question, 2 answerable (class 1) for 1 unanswerable (class 0) in every paragraph
    const classes = readFileSync(join(out.outDir, 'squad_v2/tiny/scores/all/scores.csv'), 'utf8')
      .trim()
      .split('\n')
      .slice(1)
      .map((l) => l.split(',')[1]);
    assert.deepEqual(
      [classes.filter((c) => c === '1').length, classes.filter((c) => c === '0').length],
      [(2 * nTrain) / 3, nTrain / 3],
    );
    const full = out.rows.find((r) => r.method === 'full')!;
    assert.equal(full.size, nTrain);
    const ticket = out.rows.find((r) => r.method === 'hscore')!;
    const balanced = out.rows.find((r) => r.method === 'random_balanced')!;
    assert.equal(ticket.size, balanced.size);
    for (const r of [full, ticket, balanced]) {
      assert.ok(Number.isFinite(r.mean) && r.mean >= 0 && r.mean <= 1, `F1 ${r.mean}`);
      const em = r.others.exact_match!;
      assert.ok(Number.isFinite(em.mean) && em.mean >= 0 && em.mean <= r.mean + 1e-9, `EM ${em.mean} vs F1 ${r.mean}`);
    }
    // subsets are question ids, classed answerable / unanswerable
    const subset = JSON.parse(
      readFileSync(join(out.outDir, 'squad_v2/tiny/scores/all/subsets/hscore-03.json'), 'utf8'),
    );
    assert.equal(subset.size, ticket.size);
    assert.ok(
      Object.keys(subset.perClass ?? {}).every((c) => ['answerable', 'unanswerable'].includes(c)),
      JSON.stringify(subset.perClass),
    );
    const report = readFileSync(out.report, 'utf8');
    assert.match(report, /## squad_v2 · tiny/);
    assert.match(report, /\| training data \| examples \| size % \| F1 % \(mean ± std\) \| EM % \| seeds \|/);
    const fullRow = report.split('\n').find((l) => l.startsWith('| full data |'))!;
    const [f1, em] = fullRow
      .split('|')
      .slice(4, 6)
      .map((c) => Number(c.trim()));
    assert.ok(f1! >= 0 && f1! <= 100 && em! >= 0 && em! <= f1!, fullRow);
    const done = JSON.parse(readFileSync(join(out.outDir, 'squad_v2/tiny/phase1/seed-1/done.json'), 'utf8'));
    for (const e of done.result.epochs)
      assert.ok(
        e.devMetrics.f1 >= 0 && e.devMetrics.f1 <= 1 && e.devMetrics.exact_match <= e.devMetrics.f1 + 1e-9,
        JSON.stringify(e),
      );
  },
);
