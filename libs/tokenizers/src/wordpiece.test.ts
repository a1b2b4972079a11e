import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { padBatch } from './assemble-encoding.ts';
import { bertNormalize, bertNormalizeAligned, type BertNormalizerConfig } from './bert-pretokenizer.ts';
import { SHARED_DATA, SHARED_DIR } from './testing/shared-data.ts';
import {
  asFixture,
  assertOffsetsWellFormed,
  idsOf,
  readTokenizerFixture,
  type FixtureEnc,
} from './testing/tokenizer-fixture.ts';
import type { Encoded } from './tokenizer-types.ts';
import { WordPieceTokenizer } from './wordpiece.ts';

const FIXTURE_DIR = path.join(SHARED_DIR, 'fixtures/hf-tiny/tokenizers/bert-wordpiece');
const BERT_BASE = path.join(SHARED_DATA, 'tokenizers/bert-base-uncased');

type Enc = FixtureEnc;
const fixture = readTokenizerFixture('bert-wordpiece');
const tiny = WordPieceTokenizer.fromFile(path.join(FIXTURE_DIR, 'tokenizer.json'));
const L = fixture.settings.max_length;

/** The unpadded prefix of an encoding (mask 1), for comparing with HF calls made without padding. */
function unpadded(e: { inputIds: number[]; attentionMask: number[]; tokenTypeIds: number[] }) {
  const n = e.attentionMask.filter((m) => m === 1).length;
  return {
    input_ids: e.inputIds.slice(0, n),
    attention_mask: e.attentionMask.slice(0, n),
    token_type_ids: e.tokenTypeIds.slice(0, n),
  };
}
const expectEnc = (x: Enc) => ({
  input_ids: x.input_ids,
  attention_mask: x.attention_mask,
  token_type_ids: x.token_type_ids,
});
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
    assert.deepEqual(
      ['[CLS]', ...tiny.tokenize(r.text), '[SEP]', ...tiny.tokenize(r.text_pair), '[SEP]'],
      r.pair.tokens,
    );
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
    assert.throws(
      () => WordPieceTokenizer.fromFile(missing),
      (e: Error) => e.message.includes(missing),
    );
    const bpe = path.join(dir, 'bpe.json');
    fs.writeFileSync(bpe, JSON.stringify({ model: { type: 'BPE', vocab: {} } }));
    assert.throws(
      () => WordPieceTokenizer.fromFile(bpe),
      (e: Error) => e.message.includes(bpe) && e.message.includes('"BPE"'),
    );
    const broken = path.join(dir, 'broken.json');
    fs.writeFileSync(broken, '{"model": ');
    assert.throws(
      () => WordPieceTokenizer.fromFile(broken),
      (e: Error) => e.message.includes(broken) && /not valid JSON/.test(e.message),
    );
    const noCls = path.join(dir, 'nocls.json');
    fs.writeFileSync(
      noCls,
      JSON.stringify({
        model: { type: 'WordPiece', unk_token: '[UNK]', vocab: { '[UNK]': 0, '[PAD]': 1, '[SEP]': 2 } },
      }),
    );
    assert.throws(
      () => WordPieceTokenizer.fromFile(noCls),
      (e: Error) => e.message.includes(noCls) && e.message.includes('[CLS]'),
    );
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('encode rejects a maxLength without room for the special tokens', () => {
  assert.throws(() => tiny.encode('the cat', 'a dog', 2), /maxLength must be an integer >= 3/);
  assert.deepEqual(tiny.encode('the cat', undefined, 2).inputIds, [tiny.clsId, tiny.sepId]);
});

// ---- The Tokenizer interface (encode with options, offsets, decode) ----

const UNCASED: BertNormalizerConfig = {
  cleanText: true,
  handleChineseChars: true,
  stripAccents: null,
  lowercase: true,
};

/** Each piece's span of the raw text, normalised, is the piece (without "##"); [UNK] spans one whole word. */
function assertWordPieceOffsets(e: Encoded, texts: string[]): void {
  assertOffsetsWellFormed(e, texts);
  e.tokens.forEach((tok, i) => {
    const seq = e.sequenceIds[i];
    if (seq === null || seq === undefined) return;
    const [s, t] = e.offsets[i] as [number, number];
    const slice = bertNormalize((texts[seq] as string).slice(s, t), UNCASED).trim(); // a CJK char normalises to " 猫 "
    if (tok === '[UNK]') assert.ok(slice.length > 0 && !/\s/.test(slice), `[UNK] #${i} spans ${JSON.stringify(slice)}`);
    else if (tok === '[MASK]') assert.equal((texts[seq] as string).slice(s, t), '[MASK]');
    else assert.equal(slice, tok.replace(/^##/, ''), `token #${i} ${tok}`);
  });
}

fixture.records.forEach((r, i) => {
  test(`Tokenizer interface, fixture record #${i}: all five encodings, decode, offsets`, () => {
    const single = tiny.encode(r.text, undefined, {});
    assert.deepEqual(asFixture(single, true), idsOf(r.single, true));
    assert.deepEqual(single.tokens, r.single.tokens);
    const pair = tiny.encode(r.text, r.text_pair, {});
    assert.deepEqual(asFixture(pair, true), idsOf(r.pair, true));
    assert.deepEqual(pair.tokens, r.pair.tokens);
    assert.deepEqual(
      asFixture(tiny.encode(r.text, undefined, { maxLength: L }), true),
      idsOf(r.single_truncated_padded, true),
    );
    const slow = tiny.encode(r.text, r.text_pair, { maxLength: L, truncation: 'longest_first', padding: 'max_length' });
    assert.deepEqual(asFixture(slow, true), idsOf(r.pair_truncated_padded, true));
    assert.deepEqual(slow.tokens, r.pair_truncated_padded.tokens);
    const rust = tiny.encode(r.text, r.text_pair, { maxLength: L, truncationStyle: 'rust' });
    assert.deepEqual(asFixture(rust, true), idsOf(r.pair_truncated_padded_rust, true));
    assert.equal(tiny.decode(r.single.input_ids, true), r.single.decoded);
    // sequence ids: null exactly at [CLS]/[SEP]/[PAD]
    pair.tokens.forEach((t, k) => assert.equal(pair.sequenceIds[k] === null, t === '[CLS]' || t === '[SEP]'));
    assertWordPieceOffsets(pair, [r.text, r.text_pair]);
    assertWordPieceOffsets(slow, [r.text, r.text_pair]);
  });
});

test('padBatch reproduces the batch call with padding to the longest row', () => {
  const batch = fixture.batch_pairs_truncated_padded_longest;
  const rows = fixture.records.map((r) => tiny.encode(r.text, r.text_pair, { maxLength: L, padding: 'none' }));
  const padded = padBatch(rows, tiny.padId);
  assert.deepEqual(
    padded.map((e) => e.inputIds),
    batch.input_ids,
  );
  assert.deepEqual(
    padded.map((e) => e.attentionMask),
    batch.attention_mask,
  );
  assert.deepEqual(
    padded.map((e) => e.tokenTypeIds),
    batch.token_type_ids,
  );
  assert.ok(rows.some((e) => e.inputIds.length < L)); // the inputs were not padded already
});

test('only_first / only_second truncation, and their refusal to empty a segment', () => {
  const r = fixture.records[6] as (typeof fixture.records)[number]; // 17-token text, 1-token pair "fast"
  const a = tiny.pieces(r.text).ids.length;
  assert.equal(a, 17);
  // 17 + 1 + 3 specials = 21 > 16: only_first cuts a to 12, which is also what longest_first does here
  assert.deepEqual(
    tiny.encode(r.text, r.text_pair, { maxLength: L, truncation: 'only_first' }).inputIds,
    r.pair_truncated_padded.input_ids,
  );
  assert.throws(
    () => tiny.encode(r.text, r.text_pair, { maxLength: L, truncation: 'only_second' }),
    /'only_second': the second text has 1 tokens but 5 must go/,
  );
  assert.throws(
    () => tiny.encode(r.text, undefined, { maxLength: L, truncation: 'only_second' }),
    /needs a second text/,
  );
  // no truncation: longer than maxLength, not padded (as HF)
  const none = tiny.encode(r.text, r.text_pair, { maxLength: L, truncation: 'none' });
  assert.deepEqual(none.inputIds, r.pair.input_ids);
});

test('withSpecialTokens / numSpecialTokens follow the post_processor template', () => {
  assert.deepEqual(tiny.withSpecialTokens([15, 49], [50]), {
    inputIds: [2, 15, 49, 3, 50, 3],
    tokenTypeIds: [0, 0, 0, 0, 1, 1],
    sequenceIds: [null, 0, 0, null, 1, null],
  });
  assert.deepEqual(tiny.withSpecialTokens([15]), {
    inputIds: [2, 15, 3],
    tokenTypeIds: [0, 0, 0],
    sequenceIds: [null, 0, null],
  });
  assert.deepEqual([tiny.numSpecialTokens(false), tiny.numSpecialTokens(true)], [2, 3]);
  const noSpecial = tiny.encode('the cat', 'a dog', { addSpecialTokens: false });
  assert.deepEqual(noSpecial.inputIds, [15, 49, 16, 50]);
  assert.deepEqual(noSpecial.tokenTypeIds, [0, 0, 0, 0]); // as the slow tokenizer's add_special_tokens=False
});

test('bert-base-uncased: offsets point into the raw text through lowercasing, accents and CJK spacing', () => {
  const tok = WordPieceTokenizer.fromFile(path.join(BERT_BASE, 'tokenizer.json'));
  const text = 'Héllo  WORLD,\tCafe\u0301 猫x [MASK] unaffable';
  const p = tok.pieces(text);
  const spans = p.offsets.map(([s, e]) => text.slice(s, e));
  assert.deepEqual(p.tokens, ['hello', 'world', ',', 'cafe', '[UNK]', 'x', '[MASK]', 'una', '##ffa', '##ble']);
  // "Cafe" + combining acute (5 UTF-16 units) is one token; 猫 is [UNK] in bert-base-uncased's vocabulary
  assert.deepEqual(spans, ['Héllo', 'WORLD', ',', 'Cafe\u0301', '猫', 'x', '[MASK]', 'una', 'ffa', 'ble']);
  assert.deepEqual(p.offsets.slice(0, 2), [
    [0, 5],
    [7, 12],
  ]);
  // decode drops specials (and [UNK]) and glues pieces
  assert.equal(tok.decode(tok.encode(text).inputIds, true), 'hello world, cafe x unaffable');
});

test('aligned normalisation gives exactly the whole-string normalisation', () => {
  const hard = [
    'ΟΔΟΣ ΟΔΟΣ.', // final sigma depends on context
    'Cafe\u0301 Caf\u00e9', // NFD and NFC input
    '\u1100\u1161\u11a8 한국어', // Hangul jamo composing under NFC
    'İstanbul ﬁne straße', // İ lowercases to two units
    'a\u0000b\u200bc\ufffdd\u00a0e\tf\r\ng', // removed controls, whitespace kinds
    '猫と犬 x猫y',
    '🙂 e\u0301\u0301',
  ];
  for (const s of hard) {
    for (const cfg of [
      UNCASED,
      { ...UNCASED, lowercase: false, stripAccents: null },
      { ...UNCASED, stripAccents: false },
    ]) {
      const a = bertNormalizeAligned(s, cfg, 3);
      assert.equal(a.text, bertNormalize(s, cfg), JSON.stringify(s));
      if (a.start && a.end) {
        assert.equal(a.start.length, a.text.length);
        assert.ok(a.start.every((x, k) => x >= 3 && x < (a.end?.[k] ?? 0) && (a.end?.[k] ?? 0) <= s.length + 3));
      }
    }
  }
});
