// Every task with a real copy in ../shared/data loads from it with the official row counts. Expected
// numbers are the README's counts and label tallies made with awk/python on the same files. Each
// file is read once (IMDB's 50,000 reviews dominate the time).
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { before, describe, test } from 'node:test';
import { loadTask, type LoadedSplit } from './load-task.ts';
import { SHARED_DATA } from './testing/test-helpers.ts';
import type { Example } from './types.ts';

function tally(split: LoadedSplit | undefined): Record<string, number> {
  assert.ok(split, 'split loaded');
  assert.ok(split.kind === 'classification', `${split.task.name} is a classification task`);
  const out: Record<string, number> = {};
  for (const ex of split.examples as Example[]) {
    const name = ex.label === -1 ? 'unlabelled' : (split.task.labels[ex.label] as string);
    out[name] = (out[name] ?? 0) + 1;
  }
  return out;
}

describe('tasks from ../shared/data', () => {
  test('the shared data folder exists (tests must not skip silently)', () => {
    assert.ok(
      fs.existsSync(path.join(SHARED_DATA, 'glue', 'SST-2', 'train.tsv')),
      `${SHARED_DATA} is missing: these tests need the read-only shared data`,
    );
  });

  const loaded: Record<string, Awaited<ReturnType<typeof loadTask>>> = {};
  const tasks = ['sst2', 'cola', 'mrpc', 'rte', 'stsb', 'wnli', 'qnli', 'imdb', 'trec', 'cb'];
  before(async () => {
    for (const t of tasks) loaded[t] = await loadTask(t, { envDataRoot: '' });
  });

  test('every split has the official count, from the shared copy, without warnings', () => {
    const counts: Record<string, Record<string, number>> = {};
    for (const t of tasks) {
      const r = loaded[t];
      assert.ok(r);
      counts[t] = {};
      for (const [split, s] of Object.entries(r.splits)) {
        assert.equal(s.source, 'shared', `${t} ${split} source`);
        assert.deepEqual(s.warnings, [], `${t} ${split} warnings`);
        assert.equal(s.examples.length, s.official, `${t} ${split} has the official count`);
        (counts[t] as Record<string, number>)[split] = s.examples.length;
      }
    }
    assert.deepEqual(counts, {
      sst2: { train: 67_349, dev: 872, test: 1_821 },
      cola: { train: 8_551, dev: 1_043, test: 1_063 },
      mrpc: { train: 3_668, dev: 408, test: 1_725 },
      rte: { train: 2_490, dev: 277, test: 3_000 },
      stsb: { train: 5_749, dev: 1_500, test: 1_379 },
      wnli: { train: 635, dev: 71, test: 146 },
      qnli: { dev: 5_463, test: 5_463 },
      imdb: { train: 25_000, test: 25_000 },
      trec: { train: 5_452, test: 500 },
      cb: { train: 250, dev: 56, test: 250 },
    });
  });

  test('a partial copy is reported: QNLI has no train split here', () => {
    const w = loaded['qnli']?.warnings ?? [];
    assert.equal(w.length, 1);
    assert.match(w[0] as string, /QNLI train not found: looked for .*glue\/QNLI\/train\.tsv/);
  });

  test('labels map from each file format to the task label names', () => {
    // awk/python tallies of the label columns of the same files
    assert.deepEqual(tally(loaded['sst2']?.splits['dev']), { negative: 428, positive: 444 });
    assert.deepEqual(tally(loaded['cola']?.splits['dev']), { acceptable: 721, unacceptable: 322 });
    assert.deepEqual(tally(loaded['mrpc']?.splits['dev']), { equivalent: 279, not_equivalent: 129 });
    assert.deepEqual(tally(loaded['rte']?.splits['dev']), { entailment: 146, not_entailment: 131 });
    assert.deepEqual(tally(loaded['qnli']?.splits['dev']), { entailment: 2_702, not_entailment: 2_761 });
    assert.deepEqual(tally(loaded['wnli']?.splits['dev']), { entailment: 31, not_entailment: 40 });
    assert.deepEqual(tally(loaded['cb']?.splits['dev']), { contradiction: 28, entailment: 23, neutral: 5 });
    assert.deepEqual(tally(loaded['trec']?.splits['test']), {
      ABBR: 9,
      DESC: 138,
      ENTY: 94,
      HUM: 65,
      LOC: 81,
      NUM: 113,
    });
    assert.deepEqual(tally(loaded['imdb']?.splits['test']), { neg: 12_500, pos: 12_500 });
    assert.deepEqual(tally(loaded['cb']?.splits['test']), { unlabelled: 250 });
    assert.deepEqual(tally(loaded['rte']?.splits['test']), { unlabelled: 3_000 });
  });

  test(
    'columns: MRPC keeps literal quotes, CoLA reads the 4th column, STS-B scores are floats, TREC strips the ' +
      'label',
    () => {
      const mrpc = loaded['mrpc']?.splits['train']?.examples[0] as Example;
      assert.equal(
        mrpc.text,
        'Amrozi accused his brother , whom he called " the witness " , of deliberately distorting his evidence .',
      );
      assert.equal(mrpc.label, 1);
      const cola = loaded['cola']?.splits['train']?.examples[0] as Example;
      assert.deepEqual(
        [cola.text, cola.label, cola.textB],
        ["Our friends won't buy this analysis, let alone the next one we propose.", 1, undefined],
      );
      const sts = loaded['stsb']?.splits['train']?.examples.slice(0, 2) as Example[];
      assert.deepEqual(
        sts.map((e) => [e.text, e.textB, e.label]),
        [
          ['A plane is taking off.', 'An air plane is taking off.', 5],
          ['A man is playing a large flute.', 'A man is playing a flute.', 3.8],
        ],
      );
      const trec = loaded['trec']?.splits['train']?.examples[0] as Example;
      assert.deepEqual([trec.text, trec.label], ['How did serfdom develop in and then leave Russia ?', 2]);
    },
  );

  test('ids are unique within each split and repeated contents are counted', () => {
    for (const t of tasks) {
      for (const s of Object.values(loaded[t]?.splits ?? {})) {
        assert.equal(new Set(s.examples.map((e) => e.id)).size, s.examples.length, `${t} ${s.split} ids unique`);
      }
    }
    // SST-2 train repeats 371 sentences (the same count the original SST-2 loader reports).
    assert.equal(loaded['sst2']?.splits['train']?.duplicates, 371);
  });
});
