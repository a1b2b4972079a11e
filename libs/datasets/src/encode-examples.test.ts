// Classification encoding through the Tokenizer interface: pairs, padding, regression scores, and the same rows
// as Hugging Face's batch call on the tiny BERT fixture.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { WordPieceTokenizer } from '@prunelab/tokenizers';
import { encodeExamples } from './encode-examples.ts';
import { SHARED_DIR } from './testing/test-helpers.ts';
import { TestTokenizer } from './testing/test-tokenizer.ts';

// The tiny BERT tokenizer of the shared fixtures and HF's batch call on its records (padding='longest').
const FIXTURE_DIR = path.join(SHARED_DIR, 'fixtures/hf-tiny/tokenizers/bert-wordpiece');
type Batch = Record<'input_ids' | 'attention_mask' | 'token_type_ids', number[][]>;
const fixture = JSON.parse(fs.readFileSync(path.join(FIXTURE_DIR, 'tokenizer_fixture.json'), 'utf8')) as {
  settings: { max_length: number };
  records: { text: string; text_pair?: string }[];
  batch_pairs_truncated_padded_longest: Batch;
};
const tiny = WordPieceTokenizer.fromFile(path.join(FIXTURE_DIR, 'tokenizer.json'));
const L = fixture.settings.max_length;

test('pairs are [CLS] a [SEP] b [SEP], padded, labels kept', () => {
  const tok = new TestTokenizer();
  const enc = encodeExamples(
    tok,
    [
      { id: 'x', text: 'good film', textB: 'a gem', label: 1 },
      { id: 'y', text: 'bad', label: 0 },
    ],
    8,
  );
  assert.equal(tok.decode(Array.from(enc.inputIds.slice(0, 8)), false), '[CLS] good film [SEP] a gem [SEP] [PAD]');
  assert.deepEqual(Array.from(enc.tokenTypeIds.slice(0, 8)), [0, 0, 0, 0, 1, 1, 1, 0]);
  assert.deepEqual(Array.from(enc.attentionMask.slice(8, 16)), [1, 1, 1, 0, 0, 0, 0, 0]);
  assert.deepEqual([...enc.labels], [1, 0]);
  assert.deepEqual(enc.ids, ['x', 'y']);
});

test('regression keeps float scores', () => {
  const enc = encodeExamples(new TestTokenizer(), [{ id: 's', text: 'a', textB: 'b', label: 3.8 }], 6, {
    regression: true,
  });
  assert.ok(Math.abs((enc.scores?.[0] ?? 0) - 3.8) < 1e-6);
});

test('encodeExamples matches the batch call (padding to the longest row, max_length 16)', () => {
  const batch = fixture.batch_pairs_truncated_padded_longest;
  const examples = fixture.records.map((r, i) => ({ id: String(i), text: r.text, textB: r.text_pair, label: i % 2 }));
  const enc = encodeExamples(tiny, examples, L);
  assert.equal(enc.n, examples.length);
  assert.equal(enc.inputIds.length, examples.length * L);
  assert.deepEqual(
    Array.from(enc.labels),
    examples.map((e) => e.label),
  );
  const width = batch.input_ids[0]?.length ?? 0;
  const rows = (a: Int32Array) => examples.map((_, i) => Array.from(a.subarray(i * L, i * L + width)));
  assert.deepEqual(rows(enc.inputIds), batch.input_ids);
  assert.deepEqual(rows(enc.attentionMask), batch.attention_mask);
  assert.deepEqual(rows(enc.tokenTypeIds), batch.token_type_ids);
  // columns past the batch width are padding only
  for (let i = 0; i < enc.n; i++)
    assert.ok(enc.attentionMask.subarray(i * L + width, (i + 1) * L).every((m) => m === 0));
});
