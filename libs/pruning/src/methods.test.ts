// The selection-method registry: each method by hand, the properties every method must have (exactly k distinct
// ids, independent of input order, the cheap prefix = the full ranking, class quotas), the errors, the table's
// own rules (names, score columns) and the docs table in README.md.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { mulberry32 as rng } from '@prunelab/core';
import { idPool } from './id-pool.ts';
import { matchedK } from './matched-size.ts';
import { SELECTION_METHODS, SELECTION_METHOD_NAMES, scoreColumns, selectionMethod } from './methods/index.ts';
import type { RunRecord } from '@prunelab/dynamics';
import {
  byScore,
  methodTop,
  type ScoreColumn,
  scoreOf,
  selectIds,
  selectIndices,
  selectionContext,
  type SelectionInput,
  type SelectionMethod,
  takeK,
} from './methods/method.ts';
import { randomSubset } from './random-subset.ts';
import { classCounts, classQuotas } from './rank.ts';
import { sortByKeys } from './radix.ts';

const ids = ['f', 'c', 'a', 'e', 'b', 'd'];
const classes = [0, 1, 0, 1, 0, 1]; // f a b | c e d
const scores = {
  variability: [0.1, 0.4, 0.4, 0.0, 0.2, 0.3],
  confidence: [0.9, 0.5, 0.2, 0.95, 0.6, 0.1],
  forgetting: [0, 3, 1, 0, 1, 1],
  el2n: [0.2, 0.9, 1.1, 0.05, 0.7, 1.3],
  aum: [2.5, -1, 0.5, 3, -1, 0.2],
};
type Input = Omit<SelectionInput, 'pool'> & { ids: string[] };
const ctxOf = (input: Input) => selectionContext({ ...input, pool: idPool(input.ids) });
const balancedOf = (m: SelectionMethod): SelectionMethod => ({ ...m, name: `${m.name}_balanced`, balanced: true });
/** The methods that rank by the score columns these tests give outright (the others have tests of their own). */
const byGiven = (given: Record<string, unknown>) =>
  SELECTION_METHODS.filter((m) => m.keys && m.columns.every((c) => c.name in given) && !m.options);

test('each method by hand (k = 3), ties to the smaller id', () => {
  const ctx = ctxOf({ ids, scores, seed: 7, classes });
  const pick = (name: string) => selectIds(ctx, selectionMethod(name), 3);
  assert.deepEqual(pick('ambiguous'), ['a', 'c', 'd']); // 0.4 (a, c tie), 0.3
  assert.deepEqual(pick('forgetting'), ['c', 'a', 'b']); // 3, then the 1s a, b (d left out)
  assert.deepEqual(pick('el2n'), ['d', 'a', 'c']); // 1.3, 1.1, 0.9
  assert.deepEqual(pick('easy'), ['e', 'f', 'b']); // confidence 0.95, 0.9, 0.6
  assert.deepEqual(pick('hard'), ['d', 'a', 'c']); // confidence 0.1, 0.2, 0.5
  assert.deepEqual(pick('aum'), ['b', 'c', 'd']); // -1 (b, c tie), 0.2
  assert.deepEqual(pick('random'), randomSubset(ids, 3, 7)); // the first k of the seeded permutation
  const perm = randomSubset(ids, 6, 7); // random_balanced: quotas 2 + 1, each class in permutation order
  const first = (of: string, q: number) => perm.filter((id) => of.includes(id)).slice(0, q);
  const keep = new Set([...first('fab', 2), ...first('ced', 1)]);
  assert.deepEqual(
    pick('random_balanced'),
    perm.filter((id) => keep.has(id)),
  );
});

test('class-balanced variants by hand: quotas 2 + 1 for classes of 3 + 3', () => {
  const ctx = ctxOf({ ids, scores, seed: 7, classes });
  const pick = (name: string) => selectIds(ctx, balancedOf(selectionMethod(name)), 3);
  assert.deepEqual(pick('ambiguous'), ['a', 'c', 'b']); // ranking a c d b f e: d skipped (class 1 full)
  assert.deepEqual(pick('easy'), ['e', 'f', 'b']);
  assert.deepEqual(pick('hard'), ['d', 'a', 'b']); // ranking d a c b ...: c skipped
});

test('every method returns exactly k distinct ids, deterministic, independent of input order (200 random sets)', () => {
  const next = rng(99);
  const methods = byGiven(scores).flatMap((m) => (m.balanced ? [m] : [m, balancedOf(m)]));
  for (let trial = 0; trial < 200; trial++) {
    const n = Math.floor(next() * 80);
    const ids = Array.from({ length: n }, (_, i) => `x${Math.floor(next() * 1e6)}-${i}`);
    const C = 1 + Math.floor(next() * 4);
    const cls = Int32Array.from(ids, () => Math.floor(next() * C));
    const sc = {
      variability: Float32Array.from(ids, () => Math.floor(next() * 5) / 10), // coarse: many ties
      confidence: Float32Array.from(ids, () => next()),
      forgetting: Float32Array.from(ids, () => Math.floor(next() * 3)),
      el2n: Float32Array.from(ids, () => next() * 1.4),
      aum: Array.from(ids, () => Math.floor(next() * 9) - 4), // plain numbers, ties
    };
    const k = Math.floor(next() * (n + 1));
    const seed = Math.floor(next() * 1000);
    const rev = <T extends ArrayLike<number>>(a: T) => Array.from(a).reverse();
    const ctx = ctxOf({ ids, scores: sc, seed, classes: cls });
    const revScores = Object.fromEntries(Object.entries(sc).map(([c, v]) => [c, rev(v)]));
    const revCtx = ctxOf({ ids: [...ids].reverse(), scores: revScores, seed, classes: rev(cls) });
    for (const m of methods) {
      const a = selectIds(ctx, m, k);
      const full = sortByKeys(ctx.pool.byId, m.keys!(ctx));
      const want = takeK(full, k, m.balanced ? cls : undefined);
      assert.deepEqual(Array.from(selectIndices(ctx, m, k)), Array.from(want), `${m.name}: prefix = full ranking`);
      assert.equal(a.length, k);
      assert.equal(new Set(a).size, k);
      assert.deepEqual(selectIds(ctx, m, k), a);
      assert.deepEqual(selectIds(revCtx, m, k), a, `${m.name} depends on input order`);
      if (m.balanced && n > 0) {
        const got = classCounts(Array.from(selectIndices(ctx, m, k), (i) => cls[i]!));
        const want = classQuotas(classCounts(cls), k);
        want.forEach((q, c) => assert.equal(got[c] ?? 0, q, `${m.name}: class ${c}`));
      }
    }
  }
});

test('random: seeds differ; errors name what is missing and the fix', () => {
  const ids = Array.from({ length: 500 }, (_, i) => `id-${i}`);
  const random = selectionMethod('random');
  const a = new Set(selectIds(ctxOf({ ids, seed: 1 }), random, 100));
  const overlap = selectIds(ctxOf({ ids, seed: 2 }), random, 100).filter((id) => a.has(id)).length;
  assert.ok(overlap < 45, `seeds 1 and 2 share ${overlap} of 100 ids (expected about 20)`);
  assert.throws(() => selectIds(ctxOf({ ids }), random, 1), /random: no seed given; pass seed/);
  assert.throws(() => selectIds(ctxOf({ ids, seed: 1.5 }), random, 1), /seed = 1.5; use an integer seed/);
  assert.throws(() => selectIds(ctxOf({ ids, seed: 1 }), selectionMethod('random_balanced'), 1), /no classes given/);
  const pick = (name: string, k: number, scores?: SelectionInput['scores']) =>
    selectIds(ctxOf({ ids, scores }), selectionMethod(name), k);
  const nan = new Float32Array(500).fill(NaN);
  assert.throws(() => pick('el2n', 1), /needs scores\.el2n; compute it from the phase-1 records/);
  assert.throws(() => pick('aum', 1, { aum: [1, 2] }), /500 ids but 2 values in scores\.aum/);
  assert.throws(() => pick('easy', 501, { confidence: new Float32Array(500) }), /k = 501 is out of range/);
  assert.throws(() => pick('el2n', 1, { el2n: nan }), /hold no EL2N and the task has more than 2 classes; rerun/);
  assert.throws(() => pick('aum', 1, { aum: nan }), /score of id "id-0" is NaN/);
  assert.throws(() => selectionMethod('nope'), /"nope" is unknown; choose one of random, random_balanced, /);
});

test('matchedK: a given size, a fraction, or the size of a named H subset', () => {
  assert.equal(matchedK(10, { size: 4 }), 4);
  assert.equal(matchedK(10, { fraction: 0.25 }), 3); // 2.5 rounds up
  assert.equal(matchedK(10, { fraction: 0.24 }), 2);
  // H histogram for R = 6: [H=0: 3, 1: 1, 2: 2, 3: 0, 4: 1, 5: 1, 6: 2] (10 examples)
  const histogram = [3, 1, 2, 0, 1, 1, 2];
  assert.equal(matchedK(10, { hSubset: '06', histogram }), 5); // H in 1..5
  assert.equal(matchedK(10, { hSubset: '0126', histogram }), 2); // H in 3..5
  assert.equal(matchedK(10, { hSubset: '012356', histogram }), 1); // H = 4
  assert.throws(() => matchedK(11, { hSubset: '06', histogram }), /counts 10 examples but the set has 11/);
  assert.throws(() => matchedK(10, { fraction: 1.5 }), /fraction = 1\.5/);
  assert.throws(() => matchedK(10, { size: 11 }), /k = 11 is out of range/);
});

test('methodTop at scale: a prefix of the full ranking that serves both the plain and the balanced k', () => {
  const next = rng(4);
  for (let trial = 0; trial < 6; trial++) {
    const n = 20000 + Math.floor(next() * 5000);
    const ids = Array.from({ length: n }, (_, i) => `s${i}`);
    // one big class, three small
    const cls = Int32Array.from(ids, () => (next() < 0.8 ? 0 : 1 + Math.floor(next() * 3)));
    const ctx = ctxOf({
      ids,
      seed: trial,
      classes: cls,
      scores: {
        variability: Float32Array.from(ids, () => Math.floor(next() * 50) / 100),
        confidence: Float32Array.from(ids, () => next() ** 3),
        forgetting: Float32Array.from(ids, () => Math.floor(next() * 4)),
        el2n: Array.from(ids, () => next() * 1.4), // float64 values: 64-bit keys
        aum: Float32Array.from(ids, () => 4 * (next() - 0.5)),
      },
    });
    const k = Math.floor(next() * n);
    for (const m of byGiven(scores)) {
      const full = sortByKeys(ctx.pool.byId, m.keys!(ctx));
      const top = methodTop(ctx, m, k, cls);
      assert.ok(top.length >= k && top.length <= n);
      assert.deepEqual(Array.from(top), Array.from(full.subarray(0, top.length)), `${m.name}: prefix`);
      assert.deepEqual(Array.from(takeK(top, k)), Array.from(full.subarray(0, k)));
      assert.deepEqual(Array.from(takeK(top, k, cls)), Array.from(takeK(full, k, cls)));
    }
  }
});

test('the table: unique names beside full and hscore, one-line docs, each score column under one name', () => {
  assert.equal(new Set(SELECTION_METHOD_NAMES).size, SELECTION_METHODS.length);
  for (const m of SELECTION_METHODS) {
    assert.match(m.name, /^[a-z][a-z0-9_]*$/, `${m.name}: lower case (a YAML value and part of file names)`);
    assert.ok(!['full', 'hscore'].includes(m.name), `${m.name} is taken by the app`);
    for (const text of [m.doc, m.citation]) assert.doesNotMatch(text, /[\n|]/, `${m.name}: docs are one table cell`);
    assert.ok(m.doc.length > 0, `${m.name}: no doc`);
  }
  const cols = scoreColumns();
  assert.equal(new Set(cols.map((c) => c.name)).size, cols.length);
  for (const c of cols) assert.ok(!['id', 'label', 'h'].includes(c.name), `${c.name}: taken by scores.csv`);
  // existing scores.csv files keep their columns: the data map, then the methods' own in table order
  assert.deepEqual(
    cols.map((c) => c.name),
    [
      ...['confidence', 'variability', 'correctness', 'forgetting', 'el2n', 'aum'],
      ...['tdds', 'd2', 'moderate', 'semdedup', 'grand', 'external'],
    ],
  );
  const other: ScoreColumn = { name: 'el2n', doc: 'another', compute: () => [] };
  const clash: SelectionMethod = { ...selectionMethod('aum'), name: 'other', columns: [other] };
  assert.throws(() => scoreColumns([...SELECTION_METHODS, clash]), /other: its score column "el2n" is not the one/);
});

test('libs/pruning/README.md has a row per method: name, doc, citation', () => {
  const readme = readFileSync(join(import.meta.dirname, '../README.md'), 'utf8');
  for (const m of SELECTION_METHODS) {
    const row = `| \`${m.name}\` | ${m.doc} | ${m.citation} |`;
    assert.ok(readme.includes(row), `libs/pruning/README.md lacks the row\n${row}`);
  }
  const rows = [...readme.matchAll(/^\| `([a-z0-9_]+)` \|/gm)].map((x) => x[1]);
  assert.deepEqual(rows, SELECTION_METHOD_NAMES, 'the README rows are the registered methods, in table order');
});

test('a new method is one object: its own column comes last in scores.csv, its ranking reads the records', () => {
  // e.g. "highest mean training loss", from the loss the records keep (2 runs x 3 epochs, runsUsed 2, epochsUsed 2)
  const LOSS: ScoreColumn = {
    name: 'loss',
    doc: 'mean training loss over the used runs and epochs',
    digits: 5,
    compute: (rec) => {
      const used = rec.runs.slice(0, rec.runsUsed).flatMap((r) => r.loss.slice(0, rec.epochsUsed));
      return Float32Array.from(used[0]!, (_, i) => used.reduce((s, a) => s + a[i]!, 0) / used.length);
    },
  };
  const loss: SelectionMethod<'loss'> = {
    name: 'loss',
    title: 'highest loss',
    doc: 'the k of highest mean loss',
    citation: '',
    columns: [LOSS],
    keys: byScore(LOSS, 'desc'),
  };
  assert.deepEqual(
    scoreColumns([...SELECTION_METHODS, loss])
      .map((c) => c.name)
      .slice(-2),
    ['external', 'loss'],
  );
  const rec = (l: number[][]): RunRecord => ({
    header: {} as RunRecord['header'],
    correct: [],
    goldProb: [],
    margin: [],
    loss: l.map((e) => Float32Array.from(e)),
  });
  const runs = [
    rec([
      [1, 2, 3, 4],
      [1, 2, 3, 4],
      [9, 9, 9, 0],
    ]),
    rec([
      [3, 0, 1, 2],
      [3, 2, 1, 0],
      [9, 9, 9, 9],
    ]),
    rec([[9, 9, 9, 9]]),
  ];
  // means over runs 0-1, epochs 0-1: a 2, b 1.5, c 2, d 2.5 (the third epoch and run are not used)
  const ctx = ctxOf({ ids: ['a', 'b', 'c', 'd'], records: { runs, runsUsed: 2, epochsUsed: 2, numClasses: 2 } });
  assert.deepEqual(selectIds(ctx, loss, 3), ['d', 'a', 'c']);
  assert.deepEqual(Array.from(scoreOf(ctx, LOSS)), [2, 1.5, 2, 2.5]);
});
