import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { encodeExamples } from './encode-examples.ts';
import { SHARED_DATA, SHARED_DIR } from './test-helpers.ts';
import { WordPieceTokenizer } from './wordpiece.ts';

const FIXTURE_DIR = path.join(SHARED_DIR, 'fixtures/hf-tiny/tokenizers/bert-wordpiece');
const BERT_BASE = path.join(SHARED_DATA, 'tokenizers/bert-base-uncased');

interface Enc {
  input_ids: number[];
  attention_mask: number[];
  token_type_ids: number[];
  tokens?: string[];
}
interface FixtureRecord {
  text: string;
  text_pair: string;
  single: Enc;
  single_truncated_padded: Enc;
  pair: Enc;
  pair_truncated_padded: Enc;
  pair_truncated_padded_rust: Enc;
  slow_and_rust_truncation_differ: boolean;
}
interface Fixture {
  settings: { max_length: number };
  records: FixtureRecord[];
  batch_pairs_truncated_padded_longest: { input_ids: number[][]; attention_mask: number[][]; token_type_ids: number[][] };
}

const fixture = JSON.parse(fs.readFileSync(path.join(FIXTURE_DIR, 'tokenizer_fixture.json'), 'utf8')) as Fixture;
const tiny = WordPieceTokenizer.fromFile(path.join(FIXTURE_DIR, 'tokenizer.json'));
const L = fixture.settings.max_length;

/** The unpadded prefix of an encoding (mask 1), for comparing with HF calls made without padding. */
function unpadded(e: { inputIds: number[]; attentionMask: number[]; tokenTypeIds: number[] }) {
  const n = e.attentionMask.filter((m) => m === 1).length;
  return { input_ids: e.inputIds.slice(0, n), attention_mask: e.attentionMask.slice(0, n), token_type_ids: e.tokenTypeIds.slice(0, n) };
}
const expectEnc = (x: Enc) => ({ input_ids: x.input_ids, attention_mask: x.attention_mask, token_type_ids: x.token_type_ids });
const asHf = (e: { inputIds: number[]; attentionMask: number[]; tokenTypeIds: number[] }) => ({
  input_ids: e.inputIds,
  attention_mask: e.attentionMask,
  token_type_ids: e.tokenTypeIds,
});

test('tiny tokenizer has the special ids and vocab size of the fixture', () => {
  assert.deepEqual([tiny.padId, tiny.unkId, tiny.clsId, tiny.sepId, tiny.vocabSize], [0, 1, 2, 3, 118]);
});

fixture.records.forEach((r, i) => {
  test(`fixture record #${i}: ${JSON.stringify(r.text).slice(0, 40)}`, () => {
    // tokens without the [CLS]/[SEP] added by encode
    assert.deepEqual(['[CLS]', ...tiny.tokenize(r.text), '[SEP]'], r.single.tokens);
    assert.deepEqual(['[CLS]', ...tiny.tokenize(r.text), '[SEP]', ...tiny.tokenize(r.text_pair), '[SEP]'], r.pair.tokens);
    // no truncation: encode with room to spare, compare the unpadded prefix, the rest must be padding
    const single = tiny.encode(r.text, undefined, 64);
    assert.deepEqual(unpadded(single), expectEnc(r.single));
    assert.ok(single.inputIds.slice(r.single.input_ids.length).every((id) => id === tiny.padId));
    assert.deepEqual(unpadded(tiny.encode(r.text, r.text_pair, 64)), expectEnc(r.pair));
    // truncation + padding to max_length, slow-tokenizer longest_first semantics
    assert.deepEqual(asHf(tiny.encode(r.text, undefined, L)), expectEnc(r.single_truncated_padded));
    assert.deepEqual(asHf(tiny.encode(r.text, r.text_pair, L)), expectEnc(r.pair_truncated_padded));
  });
});

test('truncation follows the slow tokenizer where it differs from the Rust one', () => {
  const differ = fixture.records.filter((r) => r.slow_and_rust_truncation_differ);
  assert.ok(differ.length >= 2);
  for (const r of differ) {
    const got = asHf(tiny.encode(r.text, r.text_pair, L));
    assert.deepEqual(got, expectEnc(r.pair_truncated_padded));
    assert.notDeepEqual(got.input_ids, r.pair_truncated_padded_rust.input_ids);
  }
});

test('encodeExamples matches the batch call (padding to the longest row, max_length 16)', () => {
  const batch = fixture.batch_pairs_truncated_padded_longest;
  const examples = fixture.records.map((r, i) => ({ id: String(i), text: r.text, textB: r.text_pair, label: i % 2 }));
  const enc = encodeExamples(tiny, examples, L);
  assert.equal(enc.n, examples.length);
  assert.equal(enc.inputIds.length, examples.length * L);
  assert.deepEqual(Array.from(enc.labels), examples.map((e) => e.label));
  const width = batch.input_ids[0]?.length ?? 0;
  const rows = (a: Int32Array) => examples.map((_, i) => Array.from(a.subarray(i * L, i * L + width)));
  assert.deepEqual(rows(enc.inputIds), batch.input_ids);
  assert.deepEqual(rows(enc.attentionMask), batch.attention_mask);
  assert.deepEqual(rows(enc.tokenTypeIds), batch.token_type_ids);
  // columns past the batch width are padding only
  for (let i = 0; i < enc.n; i++) assert.ok(enc.attentionMask.subarray(i * L + width, (i + 1) * L).every((m) => m === 0));
});

test('bert-base-uncased: hand-checked tokenisations', () => {
  const tok = WordPieceTokenizer.fromFile(path.join(BERT_BASE, 'tokenizer.json'));
  assert.deepEqual([tok.vocabSize, tok.padId, tok.unkId, tok.clsId, tok.sepId], [30522, 0, 100, 101, 102]);
  // tokenizer.json ids agree with vocab.txt line numbers
  const vocabTxt = fs.readFileSync(path.join(BERT_BASE, 'vocab.txt'), 'utf8').split('\n');
  const line = (t: string) => vocabTxt.indexOf(t);

  const hello = tok.encode('Hello, world!', undefined, 8);
  assert.deepEqual(hello.inputIds, [101, 7592, 1010, 2088, 999, 102, 0, 0]);
  assert.deepEqual(hello.attentionMask, [1, 1, 1, 1, 1, 1, 0, 0]);
  assert.deepEqual(tok.tokensToIds(['hello', ',', 'world', '!']), ['hello', ',', 'world', '!'].map(line));

  // "unaffable" is not a word in the vocabulary: greedy longest-match gives una + ##ffa + ##ble
  assert.equal(line('unaffable'), -1);
  assert.equal(line('unaf'), -1);
  assert.equal(line('##ffab'), -1);
  assert.deepEqual(tok.tokenize('unaffable'), ['una', '##ffa', '##ble']);
  assert.deepEqual(tok.tokenize('UNAFFABLE'), ['una', '##ffa', '##ble']);
  // accents are stripped by the uncased normaliser; punctuation inside a word splits it
  assert.deepEqual(tok.tokenize('Café résumé'), ['cafe', 'resume']);
  assert.deepEqual(tok.tokenize("don't"), ['don', "'", 't']);
  // a sentence pair gets segment ids 0 / 1
  const pair = tok.encode('a b', 'c', 8);
  assert.deepEqual(pair.inputIds, [101, line('a'), line('b'), 102, line('c'), 102, 0, 0]);
  assert.deepEqual(pair.tokenTypeIds, [0, 0, 0, 0, 1, 1, 0, 0]);
});

test('a missing or non-WordPiece tokenizer.json is an error naming the file', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'prunelab-tok-'));
  try {
    const missing = path.join(dir, 'nope.json');
    assert.throws(() => WordPieceTokenizer.fromFile(missing), (e: Error) => e.message.includes(missing));
    const bpe = path.join(dir, 'bpe.json');
    fs.writeFileSync(bpe, JSON.stringify({ model: { type: 'BPE', vocab: {} } }));
    assert.throws(() => WordPieceTokenizer.fromFile(bpe), (e: Error) => e.message.includes(bpe) && e.message.includes('"BPE"'));
    const broken = path.join(dir, 'broken.json');
    fs.writeFileSync(broken, '{"model": ');
    assert.throws(() => WordPieceTokenizer.fromFile(broken), (e: Error) => e.message.includes(broken) && /not valid JSON/.test(e.message));
    const noCls = path.join(dir, 'nocls.json');
    fs.writeFileSync(noCls, JSON.stringify({ model: { type: 'WordPiece', unk_token: '[UNK]', vocab: { '[UNK]': 0, '[PAD]': 1, '[SEP]': 2 } } }));
    assert.throws(() => WordPieceTokenizer.fromFile(noCls), (e: Error) => e.message.includes(noCls) && e.message.includes('[CLS]'));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('encode rejects a maxLength without room for the special tokens', () => {
  assert.throws(() => tiny.encode('the cat', 'a dog', 2), /maxLength must be an integer >= 3/);
  assert.deepEqual(tiny.encode('the cat', undefined, 2).inputIds, [tiny.clsId, tiny.sepId]);
});
