// Test-only: the hf-tiny tokenizer fixtures (encodings made by transformers 4.31's slow tokenizers
// and by the Rust tokenizers library) and a check that tokens agree with the text their offsets cut.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { CHAR_TO_BYTE } from '../byte-level.ts';
import { SHARED_DIR } from './shared-data.ts';
import type { Encoded } from '../tokenizer-types.ts';

export const TOKENIZER_FIXTURES = path.join(SHARED_DIR, 'fixtures/hf-tiny/tokenizers');

export interface FixtureEnc {
  input_ids: number[];
  attention_mask: number[];
  token_type_ids?: number[];
  tokens?: string[];
  decoded?: string;
}
export interface FixtureRecord {
  text: string;
  text_pair: string;
  single: FixtureEnc;
  single_truncated_padded: FixtureEnc;
  pair: FixtureEnc;
  pair_truncated_padded: FixtureEnc;
  pair_truncated_padded_rust: FixtureEnc;
  slow_and_rust_truncation_differ: boolean;
}
export interface TokenizerFixture {
  settings: { max_length: number };
  records: FixtureRecord[];
  batch_pairs_truncated_padded_longest: {
    input_ids: number[][];
    attention_mask: number[][];
    token_type_ids?: number[][];
  };
}

export function readTokenizerFixture(name: 'bert-wordpiece' | 'roberta-bpe'): TokenizerFixture {
  return JSON.parse(
    fs.readFileSync(path.join(TOKENIZER_FIXTURES, name, 'tokenizer_fixture.json'), 'utf8'),
  ) as TokenizerFixture;
}

/** Our encoding in the fixture's shape; token_type_ids only where the fixture has them (BERT). */
export function asFixture(e: Encoded, withTypes: boolean): FixtureEnc {
  return withTypes
    ? { input_ids: e.inputIds, attention_mask: e.attentionMask, token_type_ids: e.tokenTypeIds }
    : { input_ids: e.inputIds, attention_mask: e.attentionMask };
}

export function idsOf(x: FixtureEnc, withTypes: boolean): FixtureEnc {
  return withTypes
    ? { input_ids: x.input_ids, attention_mask: x.attention_mask, token_type_ids: x.token_type_ids as number[] }
    : { input_ids: x.input_ids, attention_mask: x.attention_mask };
}

/** Offsets lie in the text, never go backwards within a segment, and specials/pads are [0, 0]. */
export function assertOffsetsWellFormed(e: Encoded, texts: string[]): void {
  let last: [number, number] = [0, 0];
  let lastSeq: 0 | 1 | null = null;
  e.offsets.forEach(([s, t], i) => {
    const seq = e.sequenceIds[i] ?? null;
    if (seq === null) {
      assert.deepEqual([s, t], [0, 0], `special/pad token #${i} has offsets [${s}, ${t}]`);
      return;
    }
    const text = texts[seq] as string;
    assert.ok(
      0 <= s && s <= t && t <= text.length,
      `token #${i} offsets [${s}, ${t}] outside text of length ${text.length}`,
    );
    if (seq === lastSeq) assert.ok(s >= last[0], `token #${i} starts before the previous token`);
    last = [s, t];
    lastSeq = seq;
  });
}

/** Raw bytes of byte-level token strings. */
export function tokenBytes(tokens: string[]): Buffer {
  const out: number[] = [];
  for (const t of tokens) for (const c of t) out.push(CHAR_TO_BYTE.get(c) ?? -1);
  return Buffer.from(out);
}

/**
 * Byte-level BPE: tokens whose spans overlap (pieces of one multi-byte character) are checked as a
 * group: the group's span holds exactly their bytes; with trimmed offsets their leading/trailing
 * spaces are not in the span. Returns how many tokens were checked.
 */
export function assertBpeOffsetsMatchBytes(
  e: Encoded,
  texts: string[],
  trimmed: boolean,
  specialTokens: Set<string>,
): number {
  let checked = 0;
  const plain = (k: number, seq: 0 | 1 | null | undefined) =>
    e.sequenceIds[k] === seq && !specialTokens.has(e.tokens[k] as string);
  for (let i = 0; i < e.tokens.length; ) {
    const seq = e.sequenceIds[i];
    if (seq === null || seq === undefined || !plain(i, seq)) {
      i++;
      continue;
    }
    let [s, t] = e.offsets[i] as [number, number];
    let j = i + 1;
    while (j < e.tokens.length && plain(j, seq) && (e.offsets[j] as [number, number])[0] < t) {
      t = Math.max(t, (e.offsets[j] as [number, number])[1]);
      s = Math.min(s, (e.offsets[j] as [number, number])[0]);
      j++;
    }
    let bytes = tokenBytes(e.tokens.slice(i, j)).toString('latin1');
    if (trimmed) bytes = bytes.replace(/^ +| +$/g, '');
    const slice = Buffer.from((texts[seq] as string).slice(s, t), 'utf8').toString('latin1');
    assert.equal(slice, bytes, `tokens ${JSON.stringify(e.tokens.slice(i, j))} vs text slice [${s}, ${t}]`);
    checked += j - i;
    i = j;
  }
  return checked;
}
