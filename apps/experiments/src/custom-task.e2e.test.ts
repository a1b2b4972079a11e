// A dataset the project has never seen, through the whole protocol with no code change: the test writes a CSV of
// made-up reviews (60 train / 30 dev, two separable classes) and a YAML that defines the task under custom_tasks,
// then runs the CLI: phase 1 (2 seeds x 2 epochs), scores, phase 2 (full, H subset, random), report. A tiny random
// BERT keeps it to seconds. Then an edit of the data file makes exactly the jobs that read it stale.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { mulberry32 } from '@prunelab/core';
import { cli } from './queue/testing.ts';
import { ensureTinyModel } from './tiny-model.ts';

const TINY = { hidden_size: 32, num_hidden_layers: 1, intermediate_size: 64, num_attention_heads: 2 };

/** Made-up reviews: the class decides the adjective, the rest is shared noise. */
function reviews(n: number, seed: number, from: number): string {
  const rand = mulberry32(seed);
  const pick = <T>(xs: T[]) => xs[Math.floor(rand() * xs.length)] as T;
  const good = ['lovely', 'superb', 'delightful', 'wonderful'];
  const bad = ['dreadful', 'awful', 'dismal', 'terrible'];
  const things = ['soup', 'room', 'staff', 'garden', 'view', 'bread'];
  const lines = ['ticket,comment,verdict'];
  for (let i = 0; i < n; i++) {
    const pos = i % 2 === 0;
    lines.push(
      `T${from + i},"the ${pick(things)} was ${pick(pos ? good : bad)}, ${pick(things)} too",${pos ? 'happy' : 'unhappy'}`,
    );
  }
  return `${lines.join('\n')}\n`;
}

const tmp = mkdtempSync(join(tmpdir(), 'prunelab-custom-e2e-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

test('a CSV dataset defined in the YAML runs through phase 1, scores, phase 2 and the report', async () => {
  await ensureTinyModel(join(tmp, 'model'), { seed: 1, overrides: TINY });
  mkdirSync(join(tmp, 'exp', 'feedback'), { recursive: true });
  writeFileSync(join(tmp, 'exp', 'feedback', 'train.csv'), reviews(60, 1, 0));
  writeFileSync(join(tmp, 'exp', 'feedback', 'dev.csv'), reviews(30, 2, 1000));
  const config = join(tmp, 'exp', 'guests.yaml');
  writeFileSync(
    config,
    [
      'name: guests',
      'tasks: [guest_feedback]',
      'custom_tasks:',
      '  guest_feedback:',
      '    kind: classification',
      '    train: feedback/train.csv',
      '    dev: feedback/dev.csv',
      '    text: comment',
      '    label: verdict',
      '    labels: [unhappy, happy]',
      '    id: ticket',
      'data: { train_size: null, seed: 1, max_length: 16 }',
      'models:',
      `  tiny: { path: ${join(tmp, 'model')} }`,
      'phase1: { seeds: [1, 2], epochs: 2, lr: 2.0e-3, batch_size: 16 }',
      'phase2: { seeds: [7], epochs: 2, lr: 2.0e-3, batch_size: 16, methods: [full, hscore, random] }',
      'pruning: { subsets: [winning] }',
      `output: { dir: ${join(tmp, 'results')} }`,
      '',
    ].join('\n'),
  );
  const run = await cli(['run', config]).exited;
  assert.equal(run.code, 0, run.output);
  // 2 phase-1 runs + scores + full + ticket + random at the ticket's size
  assert.match(run.output, /jobs: 6 ran, 0 finished earlier, 0 failed, 0 blocked/);
  const out = join(tmp, 'results', 'guests');
  const p1 = JSON.parse(readFileSync(join(out, 'guest_feedback/tiny/phase1/seed-1/job.json'), 'utf8'));
  assert.deepEqual(p1.data.read, { train: 60, dev: 30 });
  // the records are keyed by the file's own ids
  const header = JSON.parse(readFileSync(join(out, 'guest_feedback/tiny/phase1/seed-1/header.json'), 'utf8'));
  assert.deepEqual([...header.ids].sort(), Array.from({ length: 60 }, (_, i) => `T${i}`).sort());
  const scores = readFileSync(join(out, 'guest_feedback/tiny/scores/all/scores.csv'), 'utf8').trim().split('\n');
  assert.equal(scores.length, 61);
  // the report names the task as the YAML does, with full data, the ticket and random
  const report = readFileSync(join(out, 'report.md'), 'utf8');
  assert.match(report, /Tasks: guest_feedback\./);
  assert.match(report, /## guest_feedback · tiny/);
  assert.match(report, /\| full data \| 60 \|/);
  assert.match(report, /\| winning ticket \(drop H=0,2\) \| \d+ \|/);
  assert.match(report, /\| random at the size of winning ticket \(drop H=0,2\) \| \d+ \|/);
  assert.ok(existsSync(join(out, 'summary.csv')));

  // an edited data file: every job that reads it is stale (the data digest is in the keys)
  const dev = join(tmp, 'exp', 'feedback', 'dev.csv');
  writeFileSync(dev, readFileSync(dev, 'utf8').replace('T1000,"the', 'T1000,"THE'));
  const status = await cli(['status', config]).exited;
  assert.equal(status.code, 0, status.output);
  assert.match(status.output, /data changed: guest_feedback dev digest/);
  assert.match(status.output, /status: .*6 stale/);
});
