// The task-kind table: every registered task's kind has a row whose head is core's, whose rule for "correct" is
// core's, whose encoding gives one training row per example, and whose metrics lead with the registry row's main
// metric; the registry rows name evaluation splits they can provide.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { HEAD_OF_KIND, KIND_RULES, TASK_KINDS } from '@prunelab/core';
import { encodeExamples } from './encode-examples.ts';
import { KINDS, kindOfTask } from './kinds/index.ts';
import { squadWindowOptions } from './kinds/extractive-qa.ts';
import type { KindEncodeOptions } from './kinds/kind-spec.ts';
import { encodeMultipleChoice } from './race-prepare.ts';
import { getTask, officialTrainSize, TASK_NAMES, taskSplits } from './tasks.ts';
import { TestTokenizer } from './testing/test-tokenizer.ts';
import type { ChoiceExample, Example, QaExample } from './types.ts';

const tok = new TestTokenizer();
const opts = (maxLength: number, lines: string[] = [], split = 'train'): KindEncodeOptions => ({
  maxLength,
  docStride: 128,
  log: (l) => lines.push(l),
  task: 't',
  split,
});

test(
  'a row per kind, with core head and rule for correct; each registry task: a kind, an eval split it has, a main ' +
    'metric',
  () => {
    assert.deepEqual(Object.keys(KINDS).sort(), [...TASK_KINDS].sort());
    for (const k of TASK_KINDS) {
      assert.equal(KINDS[k].kind, k);
      assert.equal(KINDS[k].head, HEAD_OF_KIND[k]);
      assert.equal(KINDS[k].correct, KIND_RULES[k].correct, `${k}: the rule for correct is core's, not a copy`);
    }
    assert.equal(TASK_NAMES.length, 20);
    for (const name of TASK_NAMES) {
      const spec = getTask(name);
      assert.equal(kindOfTask(name), KINDS[spec.kind]);
      const splits = taskSplits(spec);
      const where = `${name}: eval split ${spec.evalSplit} not among ${splits.join(', ')}`;
      assert.ok(splits.includes(spec.evalSplit) || splits.includes('all'), where);
      assert.ok(!spec.unlabelledSplits.includes(spec.evalSplit), `${name}: eval split ${spec.evalSplit} has no labels`);
      for (const x of spec.extraEval ?? []) assert.ok(splits.includes(x), `${name}: extra eval split ${x}`);
      assert.ok(officialTrainSize(spec) > 0, name);
      assert.ok(KINDS[spec.kind].classes(spec).length >= 2, `${name}: balanced baselines need classes`);
    }
    const main = ['cola', 'stsb', 'squad_v2', 'sst2'].map((t) => getTask(t).mainMetric);
    assert.deepEqual(main, ['matthews', 'pearson', 'f1', 'accuracy']);
    assert.deepEqual(getTask('mnli').extraEval, ['dev_mismatched']);
  },
);

test('classification and multiple choice encode as before; metrics as the registry row names them', () => {
  const ex: Example[] = [
    { id: 'a', text: 'good film', label: 1 },
    { id: 'b', text: 'bad one', label: 0 },
    { id: 'c', text: 'fine', textB: 'ok', label: 1 },
  ];
  assert.deepEqual(KINDS.classification.encodeTrain(tok, ex, opts(8)), encodeExamples(tok, ex, 8));
  const ev = KINDS.classification.encodeEval(tok, ex, opts(8));
  // logits [3, 2]: predicts 1, 1, 0 against gold 1, 0, 1
  const out = { logits: Float32Array.from([0, 1, 0, 2, 3, 1]), n: 3, numClasses: 2, accuracy: 1 / 3 };
  const cola = KINDS.classification.metrics(getTask('cola'), ev, out);
  assert.deepEqual(Object.keys(cola.metrics).sort(), ['accuracy', 'matthews']);
  assert.equal(cola.metrics.accuracy, 1 / 3);
  const mrpc = KINDS.classification.metrics(getTask('mrpc'), ev, out);
  assert.equal(mrpc.metrics.f1, 0.5); // precision 1/2, recall 1/2
  const mc: ChoiceExample[] = [
    { id: 'q', context: 'an article', question: 'which', options: ['a', 'b', 'c', 'd'], label: 2 },
  ];
  assert.deepEqual(KINDS['multiple-choice'].encodeTrain(tok, mc, opts(12)), encodeMultipleChoice(tok, mc, 12));
  assert.equal(KINDS['multiple-choice'].classes(getTask('race')).length, 4);
});

test('regression: float targets, rounded score bins as classes, Pearson/Spearman, the within-tolerance share', () => {
  const ex: Example[] = [4.6, 0.2, 2.5].map((label, i) => ({ id: `p${i}`, text: `a${i}`, textB: `b${i}`, label }));
  const set = KINDS.regression.encodeTrain(tok, ex, opts(6));
  assert.deepEqual(
    [...set.targets!].map((x) => Math.round(x * 10) / 10),
    [4.6, 0.2, 2.5],
  );
  assert.deepEqual([...set.labels], [5, 0, 3]);
  assert.equal(KINDS.regression.numLabels(getTask('stsb')), 1);
  const ev = KINDS.regression.encodeEval(tok, ex, opts(6));
  const out = { logits: Float32Array.from([4, 1, 2]), n: 3, numClasses: 1, accuracy: 2 / 3 };
  const r = KINDS.regression.metrics(getTask('stsb'), ev, out);
  // by hand: cov 6.567 / sqrt(4.667 * 9.687)
  assert.ok(Math.abs(r.metrics.pearson! - 0.9767) < 1e-4, String(r.metrics.pearson));
  assert.equal(r.metrics.spearman, 1);
  assert.equal(r.metrics.within_tolerance, 2 / 3);
});

test('extractive QA: one training window per question; evaluation windows decode to answers scored by F1/EM', () => {
  const context = Array.from({ length: 40 }, (_, i) => `w${i}`).join(' ');
  const at = context.indexOf('w30 ');
  const qa: QaExample[] = [
    { id: 'q1', context, question: 'where', answers: [{ text: 'w30 w31', start: at }] },
    { id: 'q2', context, question: 'none', answers: [] },
  ];
  const lines: string[] = [];
  const o = opts(24, lines);
  const train = KINDS['extractive-qa'].encodeTrain(tok, qa, o);
  assert.equal(train.n, 2);
  assert.deepEqual([...train.labels], [1, 0]);
  assert.equal(train.startPositions![1], 0);
  assert.ok(
    lines.some((l) => /doc_stride 128 capped at 8/.test(l)),
    lines.join('\n'),
  );
  const ev = KINDS['extractive-qa'].encodeEval(tok, qa, o);
  assert.ok(ev.set.n > 2, 'the 40-word context needs several 24-token windows');
  // logits that point every window at its gold span (or at [CLS]): a perfect model
  const T = ev.set.maxLength;
  const logits = new Float32Array(ev.set.n * 2 * T);
  ev.squad!.features.forEach((f, w) => {
    logits[w * 2 * T + f.startPosition] = 10;
    logits[(w * 2 + 1) * T + f.endPosition] = 10;
  });
  const out = { logits, n: ev.set.n, numClasses: T, accuracy: 1 };
  const perfect = KINDS['extractive-qa'].metrics(getTask('squad_v2'), ev, out);
  assert.deepEqual(perfect.metrics, { f1: 1, exact_match: 1 });
  assert.equal(perfect.accuracy, 1);
  assert.deepEqual(squadWindowOptions(384, 128), { maxLength: 384, stride: 128, maxQueryLength: 64 });
});
