import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { padBatch } from './assemble-encoding.ts';
import { ByteLevelBpeTokenizer } from './bpe.ts';
import { BYTE_TO_CHAR, CHAR_TO_BYTE } from './byte-level.ts';
import { loadGpt2Bpe } from './gpt2-files.ts';
import { SHARED_DATA, SHARED_DIR } from './testing/shared-data.ts';
import {
  asFixture,
  assertBpeOffsetsMatchBytes,
  assertOffsetsWellFormed,
  idsOf,
  readTokenizerFixture,
  TOKENIZER_FIXTURES,
} from './testing/tokenizer-fixture.ts';

const DIR = path.join(TOKENIZER_FIXTURES, 'roberta-bpe');
const fixture = readTokenizerFixture('roberta-bpe');
const L = fixture.settings.max_length;
const tok = ByteLevelBpeTokenizer.fromFile(path.join(DIR, 'tokenizer.json'));
const SPECIALS = new Set(['<s>', '<pad>', '</s>', '<unk>', '<mask>']);
const GPT2 = path.join(SHARED_DATA, 'tokenizers/gpt2');

test('the byte alphabet is a bijection of the 256 bytes, space = Ġ, newline = Ċ', () => {
  assert.equal(new Set(BYTE_TO_CHAR).size, 256);
  assert.equal(CHAR_TO_BYTE.get('Ġ'), 0x20);
  assert.equal(CHAR_TO_BYTE.get('Ċ'), 0x0a);
  assert.equal(BYTE_TO_CHAR[0x41], 'A');
});

test('roberta-bpe tokenizer.json: sizes and special ids', () => {
  assert.deepEqual(
    [tok.vocabSize, tok.padId, tok.tokenToId('<s>'), tok.tokenToId('</s>'), tok.tokenToId('<mask>')],
    [411, 1, 0, 2, 410],
  );
  assert.deepEqual([tok.numSpecialTokens(false), tok.numSpecialTokens(true)], [2, 4]);
  assert.deepEqual(tok.withSpecialTokens([5, 6], [7]), {
    inputIds: [0, 5, 6, 2, 2, 7, 2],
    tokenTypeIds: [0, 0, 0, 0, 0, 0, 0],
    sequenceIds: [null, 0, 0, null, null, 1, null],
  });
});

fixture.records.forEach((r, i) => {
  test(`roberta-bpe fixture record #${i}: ${JSON.stringify(r.text).slice(0, 40)}`, () => {
    const single = tok.encode(r.text);
    assert.deepEqual(asFixture(single, false), idsOf(r.single, false));
    assert.deepEqual(single.tokens, r.single.tokens);
    assert.ok(single.tokenTypeIds.every((t) => t === 0));
    const pair = tok.encode(r.text, r.text_pair);
    assert.deepEqual(asFixture(pair, false), idsOf(r.pair, false));
    assert.deepEqual(pair.tokens, r.pair.tokens);
    assert.deepEqual(
      asFixture(tok.encode(r.text, undefined, { maxLength: L }), false),
      idsOf(r.single_truncated_padded, false),
    );
    const slow = tok.encode(r.text, r.text_pair, { maxLength: L });
    assert.deepEqual(asFixture(slow, false), idsOf(r.pair_truncated_padded, false));
    assert.deepEqual(slow.tokens, r.pair_truncated_padded.tokens);
    const rust = tok.encode(r.text, r.text_pair, { maxLength: L, truncationStyle: 'rust' });
    assert.deepEqual(asFixture(rust, false), idsOf(r.pair_truncated_padded_rust, false));
    assert.equal(tok.decode(r.single.input_ids, true), r.single.decoded);
    // offsets: every non-special token's span holds its bytes (leading spaces trimmed, as roberta's trim_offsets)
    assertOffsetsWellFormed(pair, [r.text, r.text_pair]);
    const checked = assertBpeOffsetsMatchBytes(pair, [r.text, r.text_pair], true, SPECIALS);
    assert.ok(checked >= pair.tokens.length - 6, `${checked} of ${pair.tokens.length} tokens checked`);
  });
});

test("untrimmed offsets: the spans of a text cover it and hold exactly the tokens' bytes", () => {
  const raw = ByteLevelBpeTokenizer.fromFile(path.join(DIR, 'tokenizer.json'), { trimOffsets: false });
  for (const r of fixture.records) {
    const p = raw.encode(r.text, undefined, { addSpecialTokens: false });
    assertBpeOffsetsMatchBytes(p, [r.text], false, SPECIALS);
    if (!r.text.includes('<mask>')) {
      assert.equal(p.offsets[0]?.[0], 0);
      assert.equal(p.offsets[p.offsets.length - 1]?.[1], r.text.length);
    }
  }
});

test('<mask> has lstrip: it swallows the space before it, and its span is the mask itself', () => {
  const text = 'The  <mask> is blue.';
  const p = tok.pieces(text);
  assert.deepEqual(p.tokens.slice(0, 3), ['The', '<mask>', 'Ġis']);
  assert.deepEqual(p.offsets[1], [5, 11]);
  assert.equal(text.slice(...(p.offsets[1] as [number, number])), '<mask>');
});

test('padBatch reproduces the batch call with padding to the longest row', () => {
  const batch = fixture.batch_pairs_truncated_padded_longest;
  const rows = fixture.records.map((r) => tok.encode(r.text, r.text_pair, { maxLength: L, padding: 'none' }));
  const padded = padBatch(rows, { id: tok.padId, token: tok.padToken });
  assert.deepEqual(
    padded.map((e) => e.inputIds),
    batch.input_ids,
  );
  assert.deepEqual(
    padded.map((e) => e.attentionMask),
    batch.attention_mask,
  );
  assert.equal(padded[0]?.tokens[15], '<pad>');
});

test('OPT template (BOS </s>, no EOS) reproduces the opt-seqcls "tokenized_text" batch', () => {
  const opt = JSON.parse(
    fs.readFileSync(path.join(SHARED_DIR, 'fixtures/hf-tiny/models/opt-seqcls/fixture.json'), 'utf8'),
  ) as {
    batches: Array<{ name: string; inputs: { input_ids: number[][]; attention_mask: number[][] } }>;
  };
  const batch = opt.batches.find((b) => b.name === 'tokenized_text');
  assert.ok(batch);
  // the same files, two ways: tokenizer.json with an explicit template, and the raw vocab.json + merges.txt
  for (const t of [
    ByteLevelBpeTokenizer.fromFile(path.join(DIR, 'tokenizer.json'), { template: 'opt' }),
    loadGpt2Bpe(DIR, { template: 'opt' }),
  ]) {
    const rows = fixture.records.slice(0, 4).map((r) => t.encode(r.text, undefined, { maxLength: 16 }));
    assert.deepEqual(
      rows.map((e) => e.inputIds),
      batch.inputs.input_ids,
    );
    assert.deepEqual(
      rows.map((e) => e.attentionMask),
      batch.inputs.attention_mask,
    );
    assert.deepEqual(t.withSpecialTokens([5], [6]).inputIds, [2, 5, 6]);
    assert.equal(t.numSpecialTokens(true), 1);
  }
});

test('raw vocab.json + merges.txt with tokenizer_config.json behave like tokenizer.json (RoBERTa)', () => {
  const raw = loadGpt2Bpe(DIR);
  for (const r of fixture.records) {
    assert.deepEqual(raw.encode(r.text, r.text_pair).inputIds, r.pair.input_ids);
    assert.equal(raw.decode(r.single.input_ids, true), r.single.decoded);
  }
});

test('GPT-2 encoder.json + vocab.bpe: known ids', () => {
  const g = loadGpt2Bpe(GPT2);
  const enc = JSON.parse(fs.readFileSync(path.join(GPT2, 'encoder.json'), 'utf8')) as Record<string, number>;
  assert.equal(g.vocabSize, 50257);
  assert.equal(g.numSpecialTokens(false), 0); // GPT-2 adds nothing
  assert.deepEqual(g.pieces('Hello world').ids, [15496, 995]);
  assert.deepEqual(g.pieces(' Hello').ids, [18435]);
  assert.deepEqual(g.pieces('!').ids, [0]);
  assert.deepEqual(g.pieces('<|endoftext|>').ids, [50256]);
  assert.equal(g.padId, 50256); // no pad token of its own: <|endoftext|>
  const t = g.pieces('tokenization');
  assert.deepEqual(t.tokens, ['token', 'ization']);
  assert.deepEqual(t.ids, [enc['token'], enc['ization']]);
  assert.deepEqual(t.ids, [30001, 1634]);
  // contractions are split by GPT-2's pattern before BPE
  const c = g.pieces("I can't believe it's true!");
  assert.deepEqual(c.tokens, ['I', 'Ġcan', "'t", 'Ġbelieve', 'Ġit', "'s", 'Ġtrue', '!']);
  assert.deepEqual(
    c.ids,
    c.tokens.map((x) => enc[x]),
  );
  assert.deepEqual(c.ids.slice(0, 3), [40, 460, 470]);
  // newlines and runs of spaces: "\s+(?!\S)" leaves the last space to the next word
  assert.deepEqual(g.pieces('a\n\n b').tokens, ['a', 'ĊĊ', 'Ġb']);
  assert.equal(g.pieces('a\n\n b').ids[1], 628);
  assert.equal(enc['ĠĠ'], undefined); // so two spaces stay two tokens
  assert.deepEqual(g.pieces('a   b').tokens, ['a', 'Ġ', 'Ġ', 'Ġb']);
  assert.deepEqual(g.pieces('a   b').ids.slice(0, 2), [64, 220]);
  // round trip through decode, emoji and CJK included
  const text = 'naïve 🙂 猫 — “quoted”\ttab';
  assert.equal(g.decode(g.pieces(text).ids), text);
  // GPT-2's offsets are not trimmed (as its fast tokenizer): each span holds exactly the token's bytes
  const e = g.encode(text, undefined, { addSpecialTokens: false });
  assert.equal(assertBpeOffsetsMatchBytes(e, [text], false, new Set(['<|endoftext|>'])), e.tokens.length);
  assert.deepEqual(e.offsets.slice(0, 3), [
    [0, 2],
    [2, 5],
    [5, 8],
  ]); // "na", "ïve", " 🙂" (emoji = 2 UTF-16 units)
});

test('GPT-2 with the OPT template and add_prefix_space', () => {
  const g = loadGpt2Bpe(GPT2, { template: 'opt', addPrefixSpace: true });
  const e = g.encode('Hello', 'world');
  assert.deepEqual(e.inputIds, [50256, 18435, 995]); // BOS is <|endoftext|> in GPT-2's vocabulary
  assert.deepEqual(e.offsets, [
    [0, 0],
    [0, 5],
    [0, 5],
  ]);
  assert.deepEqual(e.sequenceIds, [null, 0, 1]);
});

test('bad files: errors name the file and what is wrong', () => {
  assert.throws(
    () => loadGpt2Bpe(SHARED_DATA),
    (err: Error) => err.message.includes(SHARED_DATA) && /encoder\.json \+ vocab\.bpe/.test(err.message),
  );
  assert.throws(
    () => ByteLevelBpeTokenizer.fromJson({ model: { type: 'WordPiece', vocab: {} } }, 'x/tokenizer.json'),
    (err: Error) => err.message.startsWith('x/tokenizer.json: model.type is "WordPiece"'),
  );
  assert.throws(
    () =>
      ByteLevelBpeTokenizer.fromJson(
        { model: { type: 'BPE', vocab: { a: 0 }, merges: [] }, pre_tokenizer: { type: 'Metaspace' } },
        'y.json',
      ),
    /y\.json: pre_tokenizer is "Metaspace"; only a ByteLevel pre-tokenizer/,
  );
  assert.throws(
    () => ByteLevelBpeTokenizer.fromJson({ model: { type: 'BPE', vocab: {}, merges: ['a b c'] } }, 'z.json'),
    /z\.json model\.merges: merge #0 "a b c"/,
  );
});

test(
  'merges as ["a", "b"] pairs (newer tokenizer.json) and a Sequence-wrapped ByteLevel pre-tokenizer load the ' + 'same',
  () => {
    const json = JSON.parse(fs.readFileSync(path.join(DIR, 'tokenizer.json'), 'utf8')) as {
      model: { merges: string[] };
      pre_tokenizer: unknown;
    };
    json.model.merges = json.model.merges.map((m) => m.split(' ')) as unknown as string[];
    json.pre_tokenizer = { type: 'Sequence', pretokenizers: [json.pre_tokenizer] };
    const t = ByteLevelBpeTokenizer.fromJson(json, 'pairs.json');
    for (const r of fixture.records) assert.deepEqual(t.encode(r.text, r.text_pair).inputIds, r.pair.input_ids);
  },
);
