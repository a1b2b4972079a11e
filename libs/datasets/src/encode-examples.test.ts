// Classification encoding through the Tokenizer interface (pairs, padding, regression scores) and
// through the original encode(a, b, maxLength) shape the experiments app still uses.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { encodeExamples, type LegacyTokenizer } from './encode-examples.ts';
import { TestTokenizer } from './test-tokenizer.ts';

test('pairs are [CLS] a [SEP] b [SEP], padded, labels kept', () => {
  const tok = new TestTokenizer();
  const enc = encodeExamples(tok, [{ id: 'x', text: 'good film', textB: 'a gem', label: 1 }, { id: 'y', text: 'bad', label: 0 }], 8);
  assert.equal(tok.decode(Array.from(enc.inputIds.slice(0, 8)), false), '[CLS] good film [SEP] a gem [SEP] [PAD]');
  assert.deepEqual(Array.from(enc.tokenTypeIds.slice(0, 8)), [0, 0, 0, 0, 1, 1, 1, 0]);
  assert.deepEqual(Array.from(enc.attentionMask.slice(8, 16)), [1, 1, 1, 0, 0, 0, 0, 0]);
  assert.deepEqual([...enc.labels], [1, 0]);
  assert.deepEqual(enc.ids, ['x', 'y']);
});

test('regression keeps float scores', () => {
  const enc = encodeExamples(new TestTokenizer(), [{ id: 's', text: 'a', textB: 'b', label: 3.8 }], 6, { regression: true });
  assert.ok(Math.abs((enc.scores?.[0] ?? 0) - 3.8) < 1e-6);
});

test('the original encode(text, textB, maxLength) tokenizer shape still works', () => {
  const legacy: LegacyTokenizer = { encode: (a, b, max) => ({ inputIds: new Array(max).fill(a.length + (b?.length ?? 0)), attentionMask: new Array(max).fill(1), tokenTypeIds: new Array(max).fill(0) }) };
  const enc = encodeExamples(legacy, [{ id: 'z', text: 'abc', textB: 'de', label: 1 }], 3);
  assert.deepEqual(Array.from(enc.inputIds), [5, 5, 5]);
});
