import assert from 'node:assert/strict';
import { test } from 'node:test';
import { mulberry32, shuffleInPlace } from '@prunelab/core';
import { syntheticSentiment } from './synthetic.ts';

test('mulberry32 is deterministic, in [0,1), and seed-dependent', () => {
  const a = mulberry32(42);
  const b = mulberry32(42);
  const xs = Array.from({ length: 1000 }, () => a());
  assert.deepEqual(Array.from({ length: 1000 }, () => b()), xs);
  assert.ok(xs.every((x) => x >= 0 && x < 1));
  assert.ok(Math.abs(xs.reduce((s, x) => s + x, 0) / xs.length - 0.5) < 0.05);
  assert.notEqual(mulberry32(43)(), mulberry32(42)());
});

test('shuffleInPlace permutes deterministically', () => {
  const xs = shuffleInPlace(Array.from({ length: 50 }, (_, i) => i), mulberry32(1));
  assert.deepEqual([...xs].sort((p, q) => p - q), Array.from({ length: 50 }, (_, i) => i));
  assert.deepEqual(shuffleInPlace(Array.from({ length: 50 }, (_, i) => i), mulberry32(1)), xs);
  assert.notDeepEqual(xs, Array.from({ length: 50 }, (_, i) => i));
});

test('synthetic task: deterministic for a seed, different for another, sizes as asked', () => {
  const a = syntheticSentiment({ train: 500, dev: 100, seed: 7 });
  assert.deepEqual(syntheticSentiment({ train: 500, dev: 100, seed: 7 }), a);
  assert.notDeepEqual(syntheticSentiment({ train: 500, dev: 100, seed: 8 }).train, a.train);
  assert.equal(a.train.length, 500);
  assert.equal(a.dev.length, 100);
  assert.equal(new Set(a.train.map((e) => e.id)).size, 500);
  assert.ok(a.train.every((e) => /^[0-9a-f]{16}(-\d+)?$/.test(e.id) && (e.label === 0 || e.label === 1) && e.text.length > 0));
});

test('synthetic task: roughly balanced, learnable from words, but noisy', () => {
  const { train } = syntheticSentiment({ train: 4000, dev: 0, seed: 1 });
  const pos = train.filter((e) => e.label === 1).length / train.length;
  assert.ok(pos > 0.45 && pos < 0.55, `positive share ${pos}`);
  // A naive-Bayes bag of words gets well above chance (~0.72) but not near 100%: negation, "but"
  // clauses and neutral sentences need more than word counts.
  const counts = new Map<string, [number, number]>();
  for (const e of train) for (const w of new Set(e.text.split(' '))) {
    const c = counts.get(w) ?? [0, 0];
    c[e.label === 1 ? 1 : 0] += 1;
    counts.set(w, c);
  }
  let correct = 0;
  for (const e of train) {
    let score = 0;
    for (const w of new Set(e.text.split(' '))) {
      const [n0, n1] = counts.get(w) ?? [0, 0];
      score += Math.log((n1 + 1) / (n0 + 1));
    }
    if ((score > 0 ? 1 : 0) === e.label) correct++;
  }
  const acc = correct / train.length;
  assert.ok(acc > 0.65 && acc < 0.9, `bag-of-words accuracy ${acc}`);
});
