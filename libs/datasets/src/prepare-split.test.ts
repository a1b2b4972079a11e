// From a loaded split to model-ready arrays through the cache, for each task kind, and the
// experiment-level train/eval choice.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { defaultEvalSplit, loadExperimentTask } from './experiment-task.ts';
import { loadTaskSplit } from './load-task.ts';
import { prepareSplit, squadFeaturesFromArrays } from './prepare-split.ts';
import { prepareSquadFeatures } from './squad-prepare.ts';
import { getTask } from './tasks.ts';
import { TestTokenizer } from './test-tokenizer.ts';
import type { Example, QaExample } from './types.ts';

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'prunelab-prep-'));
after(() => fs.rmSync(root, { recursive: true, force: true }));
const write = (rel: string, content: string) => {
  fs.mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
  fs.writeFileSync(path.join(root, rel), content);
};
const ctx = 'Paris is the capital of France . It lies on the Seine river , in the north of the country .';
write('data/squad_v2/dev-v2.0.json', JSON.stringify({ version: 'v2.0', data: [{ title: 'Paris', paragraphs: [{ context: ctx, qas: [
  { id: 'a', question: 'Which river?', answers: [{ text: 'Seine', answer_start: ctx.indexOf('Seine') }], is_impossible: false },
  { id: 'b', question: 'Who founded it?', answers: [], is_impossible: true },
] }] }] }));
write('data/glue/STS-B/dev.tsv', 'index\tgenre\tfilename\tyear\told_index\tsource1\tsource2\tsentence1\tsentence2\tscore\n0\tg\tf\ty\t0\tn\tn\tA cat.\tA kitten.\t4.200\n');
const pool = Array.from({ length: 20 }, (_, i) => `sentence ${i}`);
write('data/SentEval/SUBJ/subj.objective', pool.slice(0, 10).join('\n') + '\n');
write('data/SentEval/SUBJ/subj.subjective', pool.slice(10).join('\n') + '\n');
const opts = { dataRoot: path.join(root, 'data'), envDataRoot: '' };
const tok = new TestTokenizer();

describe('prepareSplit', () => {
  test('SQuAD windows go through the cache and come back as the same features', async () => {
    const split = await loadTaskSplit('squad_v2', 'dev', opts);
    const cacheDir = path.join(root, 'cache');
    const p1 = prepareSplit(tok, split, { maxLength: 16, stride: 4, cacheDir });
    const p2 = prepareSplit(tok, split, { maxLength: 16, stride: 4, cacheDir });
    assert.deepEqual([p1.cacheHit, p2.cacheHit], [false, true]);
    const direct = prepareSquadFeatures(tok, split.examples as QaExample[], { maxLength: 16, stride: 4 });
    assert.deepEqual(squadFeaturesFromArrays(p2, split.examples.map((e) => e.id)), direct);
    // another stride is another entry
    assert.equal(prepareSplit(tok, split, { maxLength: 16, stride: 2, cacheDir }).cacheHit, false);
  });

  test('many windows (beyond the initial capacity) pack the same as the feature objects', async () => {
    const long = Array.from({ length: 200 }, (_, i) => `w${i}`).join(' ');
    const split = await loadTaskSplit('squad_v2', 'dev', opts);
    const examples: QaExample[] = [{ id: 'long', context: long, question: 'which one', answers: [{ text: 'w150', start: long.indexOf('w150') }] }];
    const big = { ...split, examples } as typeof split;
    const p = prepareSplit(tok, big, { maxLength: 16, stride: 4 });
    // 2-token question: 16 - 2 - 3 specials = 11 context tokens per window, step 11 - 4 = 7;
    // windows start at 0, 7, ..., 189 (the 28th reaches token 200)
    assert.equal(p.n, 28);
    assert.deepEqual(squadFeaturesFromArrays(p, ['long']), prepareSquadFeatures(tok, examples, { maxLength: 16, stride: 4 }));
  });

  test('STS-B keeps float scores', async () => {
    const split = await loadTaskSplit('stsb', 'dev', opts);
    const p = prepareSplit(tok, split, { maxLength: 8 });
    assert.equal(p.kind, 'regression');
    assert.ok(Math.abs((p.arrays['scores']?.[0] ?? 0) - 4.2) < 1e-6);
  });
});

describe('loadExperimentTask', () => {
  test('default evaluation splits', () => {
    assert.deepEqual(['mnli', 'sst2', 'trec', 'imdb', 'subj', 'cb'].map((t) => defaultEvalSplit(getTask(t))), ['dev_matched', 'dev', 'test', 'test', 'test', 'dev']);
  });

  test('real RTE from ../shared/data with a seeded training subsample', async () => {
    const t = await loadExperimentTask({ task: 'rte', trainSize: 100, seed: 3, envDataRoot: '' });
    assert.equal(t.train.examples.length, 100);
    assert.equal(t.eval.examples.length, 277);
    assert.equal(t.evalSplit, 'dev');
    const again = await loadExperimentTask({ task: 'rte', trainSize: 100, seed: 3, envDataRoot: '' });
    assert.deepEqual(again.train.examples.map((e) => e.id), t.train.examples.map((e) => e.id));
    assert.match(t.description, /^RTE: train 100 of 2,490, dev all 277 \(shared /);
  });

  test('a SentEval pool is split 90/10 with the seed', async () => {
    const t = await loadExperimentTask({ task: 'subj', seed: 1, ...opts });
    assert.deepEqual([t.train.examples.length, t.eval.examples.length, t.evalSplit], [18, 2, 'heldout']);
    const all = new Set([...t.train.examples, ...t.eval.examples].map((e) => (e as Example).text));
    assert.equal(all.size, 20);
    assert.match(t.warnings.join('\n'), /one pool here \(20 examples\): seeded 90\/10 split/);
  });
});
