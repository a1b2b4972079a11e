// SQuAD v2: the official metric on hand-worked examples, the sliding-window preparation on a case
// small enough to check by hand, and the round trip gold spans -> features -> logits -> text (EM 100).
import assert from 'node:assert/strict';
import path from 'node:path';
import { describe, test } from 'node:test';
import { prepareSquadFeatures, type SquadFeature } from './squad-prepare.ts';
import { postprocessSquad } from './squad-postprocess.ts';
import { exactMatch, goldAnswers, normalizeAnswer, squadV2Metrics, tokenF1 } from './squad-metric.ts';
import { TestTokenizer } from './testing/test-tokenizer.ts';
import { loadGpt2Bpe, loadTokenizer, WordPieceTokenizer, type Tokenizer } from '@prunelab/tokenizers';
import type { QaExample } from './types.ts';
import { SHARED_DATA, SHARED_DIR } from './testing/test-helpers.ts';

describe('official SQuAD v2 metric', () => {
  test('normalisation: lowercase, punctuation, articles a/an/the as whole words, whitespace', () => {
    // "The  Quick, brown fox!" -> lower "the  quick, brown fox!" -> no punct "the  quick brown fox"
    // -> "the" removed -> "   quick brown fox" -> collapsed "quick brown fox"
    assert.equal(normalizeAnswer('The  Quick, brown fox!'), 'quick brown fox');
    assert.equal(normalizeAnswer('An apple a day'), 'apple day');
    assert.equal(normalizeAnswer('theory of anatomy'), 'theory of anatomy'); // "the"/"an" inside words stay
    // Python's re.UNICODE \b: "éa" is one word, so its "a" is not an article (an ASCII \b would strip it).
    assert.equal(normalizeAnswer('éa b'), 'éa b');
    assert.equal(normalizeAnswer("Saint-Étienne's"), 'saintétiennes');
  });

  test('exact match and token F1, worked by hand', () => {
    assert.equal(exactMatch('France', 'france.'), 1);
    assert.equal(exactMatch('France', 'in France'), 0);
    // gold [norman, conquest, of, england], pred [norman, conquest]: common 2, P = 2/2, R = 2/4, F1 = 2PR/(P+R) = 2/3
    assert.equal(tokenF1('the Norman conquest of England', 'Norman conquest'), 2 / 3);
    // multiset overlap: gold {red:2, blue:1}, pred {red:1, blue:2} -> common min(2,1)+min(1,2) = 2, P = R = 2/3
    assert.equal(tokenF1('red red blue', 'red blue blue'), 2 / 3);
    // no common token
    assert.equal(tokenF1('Paris', 'London'), 0);
    // empty vs empty is 1, empty vs something is 0 (the unanswerable case)
    assert.equal(tokenF1('', ''), 1);
    assert.equal(tokenF1('', 'Normans'), 0);
    // an answer made only of an article normalises to nothing
    assert.equal(tokenF1('the', ''), 1);
  });

  test("whitespace is Python's str.split() set, not JavaScript's \\s (values checked against evaluate-v2.0.py)", () => {
    // U+FEFF is not Python whitespace: gold "a\uFEFFb c" -> the article "a" goes (\b before U+FEFF, a non-word
    // character) -> " \uFEFFb c" -> tokens ["\uFEFFb", "c"]; pred "b c" -> ["b", "c"]. Common: "c" = 1,
    // P = 1/2, R = 1/2, F1 = 2PR/(P+R) = 1/2; EM 0 ("\uFEFFb c" != "b c"). JavaScript's \s would give EM 1, F1 1.
    assert.equal(normalizeAnswer('a\uFEFFb c'), '\uFEFFb c');
    assert.equal(exactMatch('a\uFEFFb c', 'b c'), 0);
    assert.equal(tokenF1('a\uFEFFb c', 'b c'), 0.5);
    // U+001C-U+001F and U+0085 are Python whitespace (JavaScript's \s has none of them): they split tokens.
    // gold "x\u001Cy" -> ["x", "y"], pred "x y" -> ["x", "y"]: EM 1, F1 1.
    assert.equal(exactMatch('x\u001Cy', 'x y'), 1);
    assert.equal(tokenF1('x\u001Cy', 'x y'), 1);
    // gold "x\u001Dy z" -> ["x", "y", "z"], pred "y" -> ["y"]: common 1, P = 1/1, R = 1/3, F1 = 2(1/3)/(4/3) = 1/2.
    assert.equal(tokenF1('x\u001Dy z', 'y'), 0.5);
    // gold "p\u001Eq" -> ["p", "q"], pred "p\u001Eq r" -> ["p", "q", "r"]: common 2, P = 2/3, R = 1, F1 = 4/5.
    assert.ok(Math.abs(tokenF1('p\u001Eq', 'p\u001Eq r') - 0.8) < 1e-12);
    // gold "u\u001Fv" -> ["u", "v"]; pred "u\u001Fv" -> the same: EM 1; pred "uv" -> ["uv"]: no common token, F1 0.
    assert.equal(exactMatch('u\u001Fv', 'u\u001Fv'), 1);
    assert.equal(tokenF1('u\u001Fv', 'uv'), 0);
    // "the\u0085cat": U+0085 separates, so "the" is a whole word and goes -> "cat"; pred "cat": EM 1.
    // "m\u0085n" -> ["m", "n"] vs pred "m" -> P = 1, R = 1/2, F1 = 2/3.
    assert.equal(normalizeAnswer('the\u0085cat'), 'cat');
    assert.equal(exactMatch('the\u0085cat', 'cat'), 1);
    assert.equal(tokenF1('m\u0085n', 'm'), 2 / 3);
  });

  test('gold answers: those normalising to "" dropped, none left -> [""]', () => {
    assert.deepEqual(goldAnswers([{ text: 'France' }, { text: 'The' }]), ['France']);
    assert.deepEqual(goldAnswers([]), ['']);
    assert.deepEqual(goldAnswers([{ text: 'a' }]), ['']);
  });

  test('totals: max over gold answers, percentages, HasAns / NoAns split', () => {
    const examples = [
      { id: 'q1', answers: [{ text: 'France' }, { text: 'in France' }] }, // pred "in France region"
      { id: 'q2', answers: [{ text: 'the Norman conquest of England' }] }, // pred "Norman conquest"
      { id: 'q3', answers: [] }, // pred "" (correct abstention)
      { id: 'q4', answers: [] }, // pred "Normans" (wrong)
    ];
    const preds = new Map([
      ['q1', 'in France region'],
      ['q2', 'Norman conquest'],
      ['q3', ''],
      ['q4', 'Normans'],
    ]);
    // q1: EM max(0,0) = 0; F1 vs "France": P 1/3 R 1 -> 0.5; vs "in France": P 2/3 R 1 -> 0.8; max 0.8
    // q2: EM 0, F1 2/3;  q3: EM 1, F1 1;  q4: EM 0, F1 0
    const s = squadV2Metrics(examples, preds);
    assert.equal(s.exact, 25);
    assert.ok(Math.abs(s.f1 - (100 * (0.8 + 2 / 3 + 1 + 0)) / 4) < 1e-9);
    assert.equal(s.hasAnsTotal, 2);
    assert.equal(s.hasAnsExact, 0);
    assert.ok(Math.abs((s.hasAnsF1 as number) - (100 * (0.8 + 2 / 3)) / 2) < 1e-9);
    assert.equal(s.noAnsTotal, 2);
    assert.equal(s.noAnsExact, 50);
    assert.throws(() => squadV2Metrics(examples, new Map([['q1', '']])), /no prediction for question q2/);
  });
});

// 30 context tokens w0..w29; the answer "w13 w14".
const CONTEXT = Array.from({ length: 30 }, (_, i) => `w${i}`).join(' ');
const ANSWER_START = CONTEXT.indexOf('w13');
const EX: QaExample = {
  id: 'e1',
  context: CONTEXT,
  question: 'where is it',
  answers: [{ text: 'w13 w14', start: ANSWER_START }],
};

/** Logits that point at each feature's gold span, or at [CLS] when it has none. */
function goldLogits(features: SquadFeature[]): { start: number[][]; end: number[][] } {
  const start: number[][] = [];
  const end: number[][] = [];
  for (const f of features) {
    const s = new Array<number>(f.inputIds.length).fill(-10);
    const e = new Array<number>(f.inputIds.length).fill(-10);
    if (f.startPosition === 0) {
      s[0] = 10;
      e[0] = 10;
    } else {
      s[f.startPosition] = 10;
      e[f.endPosition] = 10;
    }
    start.push(s);
    end.push(e);
  }
  return { start, end };
}

describe('SQuAD v2 preparation', () => {
  const tok = new TestTokenizer();

  test('windows: maxLength 16, stride 4, 3-token question -> 10 context tokens per window, step 6', () => {
    // [CLS] q q q [SEP] c*10 [SEP] = 16; windows start at 0, 6, 12, 18, 24 and the last ends at token 30.
    const f = prepareSquadFeatures(tok, [EX], { maxLength: 16, stride: 4 });
    assert.equal(f.length, 5);
    const firstCtx = f.map((x) => x.offsets.findIndex((o) => o !== null));
    assert.deepEqual(firstCtx, [5, 5, 5, 5, 5]);
    const firstWord = f.map((x) => CONTEXT.slice(...(x.offsets[5] as [number, number])));
    assert.deepEqual(firstWord, ['w0', 'w6', 'w12', 'w18', 'w24']);
    // The last window holds w24..w29 (6 tokens) + [SEP] = 12 real tokens, then 4 pads.
    assert.deepEqual(f[4]?.attentionMask, [...new Array(12).fill(1), ...new Array(4).fill(0)]);
    assert.equal(f[4]?.inputIds[15], tok.padId);
    // w13, w14 sit in windows 2 (6..15: positions 5 + 7, 5 + 8) and 3 (12..21: positions 5 + 1, 5 + 2);
    // the others do not contain the whole answer and point at [CLS].
    assert.deepEqual(
      f.map((x) => [x.startPosition, x.endPosition]),
      [
        [0, 0],
        [12, 13],
        [6, 7],
        [0, 0],
        [0, 0],
      ],
    );
    assert.equal(
      CONTEXT.slice((f[1]!.offsets[12] as [number, number])[0], (f[1]!.offsets[13] as [number, number])[1]),
      'w13 w14',
    );
  });

  test('an answer cut by a window boundary points at [CLS]; unanswerable questions too', () => {
    // "w9 w10" spans windows 0 (0..9) and 1 (6..15): only window 1 holds both tokens.
    const cut: QaExample = { ...EX, id: 'e2', answers: [{ text: 'w9 w10', start: CONTEXT.indexOf('w9 ') }] };
    const f = prepareSquadFeatures(tok, [cut], { maxLength: 16, stride: 4 });
    assert.deepEqual(
      f.map((x) => [x.startPosition, x.endPosition]),
      [
        [0, 0],
        [8, 9],
        [0, 0],
        [0, 0],
        [0, 0],
      ],
    );
    const none = prepareSquadFeatures(tok, [{ ...EX, id: 'e3', answers: [] }], { maxLength: 16, stride: 4 });
    assert.ok(none.every((x) => x.startPosition === 0 && x.endPosition === 0));
  });

  test('a window too small for the stride is an error that says what to change', () => {
    assert.throws(
      () => prepareSquadFeatures(tok, [EX], { maxLength: 10, stride: 4 }),
      /leaves 4 context tokens .* not more than the stride 4; raise maxLength/,
    );
  });
});

describe('SQuAD v2 post-processing', () => {
  const tok = new TestTokenizer();

  test('n-best search picks the best valid span over windows; the null score wins beyond the threshold', () => {
    const f = prepareSquadFeatures(tok, [EX], { maxLength: 16, stride: 4 });
    const { start, end } = goldLogits(f);
    assert.equal(postprocessSquad([EX], f, start, end).predictions.get('e1'), 'w13 w14');
    // Raise [CLS] in every window so that null (min over windows of s0 + e0 = 2 * 9.9 = 19.8) is 0.2 below the span
    // (20):
    // threshold 0 -> span; then make null 1 above the span: answer "" unless the threshold is >= 1.
    const s2 = start.map((r) => [9.9, ...r.slice(1)]);
    const e2 = end.map((r) => [9.9, ...r.slice(1)]);
    assert.equal(postprocessSquad([EX], f, s2, e2).predictions.get('e1'), 'w13 w14');
    const s3 = start.map((r) => [10.5, ...r.slice(1)]);
    const e3 = end.map((r) => [10.5, ...r.slice(1)]);
    const r3 = postprocessSquad([EX], f, s3, e3);
    assert.equal(r3.predictions.get('e1'), '');
    assert.equal(r3.details.get('e1')?.nullScore, 21);
    assert.equal(postprocessSquad([EX], f, s3, e3, { nullScoreDiffThreshold: 1.5 }).predictions.get('e1'), 'w13 w14');
  });

  test('spans longer than maxAnswerLength, ending before they start, or on question tokens are skipped', () => {
    const f = prepareSquadFeatures(tok, [EX], { maxLength: 16, stride: 4 });
    const one = f[1] as SquadFeature; // w6..w15 at positions 5..14
    const s = new Array<number>(16).fill(0);
    const e = new Array<number>(16).fill(0);
    s[1] = 50; // a question token: no offsets, never an answer start
    s[5] = 10; // w6
    e[14] = 10; // w15: w6..w15 is 10 tokens long
    e[3] = 40; // ends before any context start
    s[0] = -100;
    e[0] = -100;
    const pick = (opts: { maxAnswerLength?: number }) =>
      postprocessSquad([EX], [{ ...one, exampleIndex: 0 }], [s], [e], opts).predictions.get('e1');
    assert.equal(pick({}), 'w6 w7 w8 w9 w10 w11 w12 w13 w14 w15');
    // at most 3 tokens: w6..w15 is out; the best left is start w6 (10) + an end logit 0 at w6..w8 = 10,
    // and the first of those ties in n-best order (end = w6 itself) is kept
    assert.equal(pick({ maxAnswerLength: 3 }), 'w6');
  });

  function roundTrip(tk: Tokenizer, examples: QaExample[], opts: { maxLength: number; stride: number }) {
    const feats = prepareSquadFeatures(tk, examples, opts);
    const { start, end } = goldLogits(feats);
    const { predictions } = postprocessSquad(examples, feats, start, end);
    return { feats, predictions, scores: squadV2Metrics(examples, predictions) };
  }

  test('round trip with the test tokenizer: gold spans prepared and decoded back give EM 100', () => {
    const normans =
      'The Normans (Norman: Nourmands; French: Normands; Latin: Normanni) were the people who in the 10th and 11th ' +
      'centuries gave their name to Normandy, a region in France.';
    const examples: QaExample[] = [
      EX,
      {
        id: 'n1',
        context: normans,
        question: 'In what country is Normandy located?',
        answers: [{ text: 'France', start: normans.indexOf('France') }],
      },
      {
        id: 'n2',
        context: normans,
        question: 'When were the Normans in Normandy?',
        answers: [{ text: '10th and 11th centuries', start: normans.indexOf('10th') }],
      },
      { id: 'n3', context: normans, question: 'Who gave their name to Normandy in the 1000s and 1100s', answers: [] },
    ];
    const r = roundTrip(tok, examples, { maxLength: 24, stride: 6 });
    assert.ok(r.feats.length > examples.length, 'several windows per example');
    assert.equal(r.predictions.get('n2'), '10th and 11th centuries');
    assert.equal(r.scores.exact, 100);
    assert.equal(r.scores.f1, 100);
  });

  test('round trip with the real bert-base-uncased WordPiece and GPT-2 BPE (accents, dashes, digits)', () => {
    const tk = WordPieceTokenizer.fromFile(path.join(SHARED_DATA, 'tokenizers', 'bert-base-uncased', 'tokenizer.json'));
    const ctx =
      'Frédéric Chopin (1 March 1810 – 17 October 1849) was a Polish composer; his "Nocturnes" date from 1827–1846. ' +
      'Chopin left Warsaw in 1830.';
    const examples: QaExample[] = [
      {
        id: 'c1',
        context: ctx,
        question: 'Who was a Polish composer?',
        answers: [{ text: 'Frédéric Chopin', start: 0 }],
      },
      {
        id: 'c2',
        context: ctx,
        question: 'When did Chopin leave?',
        answers: [{ text: '1830', start: ctx.lastIndexOf('1830') }],
      },
      {
        id: 'c3',
        context: ctx,
        question: 'What date range?',
        answers: [{ text: '1827–1846', start: ctx.indexOf('1827') }],
      },
      { id: 'c4', context: ctx, question: 'Where was he buried?', answers: [] },
    ];
    const r = roundTrip(tk, examples, { maxLength: 32, stride: 8 });
    assert.ok(r.feats.length > examples.length);
    assert.deepEqual([...r.predictions.values()], ['Frédéric Chopin', '1830', '1827–1846', '']);
    assert.equal(r.scores.exact, 100);
    // the same with byte-level BPE: the real GPT-2 merges with OPT's "BOS q c" template, and the hf-tiny
    // RoBERTa tokenizer with its <s> q </s></s> c </s> template
    const gpt2 = loadGpt2Bpe(path.join(SHARED_DATA, 'tokenizers', 'gpt2'), { template: 'opt' });
    const roberta = loadTokenizer(path.join(SHARED_DIR, 'fixtures', 'hf-tiny', 'tokenizers', 'roberta-bpe'));
    // (the hf-tiny RoBERTa vocabulary is nearly character-level: it needs longer windows to hold an answer)
    const texts = (
      [
        [gpt2, 40],
        [roberta, 96],
      ] as const
    ).map(([bpe, maxLength]) => {
      const rb = roundTrip(bpe, examples, { maxLength, stride: 16 });
      assert.ok(rb.feats.length > examples.length);
      assert.equal(rb.scores.exact, 100);
      return [...rb.predictions.values()];
    });
    // GPT-2/OPT offsets keep the space before a word (HF's ByteLevel trim_offsets false), RoBERTa's are
    // trimmed; the official normalisation makes both exact matches.
    assert.deepEqual(texts, [
      ['Frédéric Chopin', ' 1830', ' 1827–1846', ''],
      ['Frédéric Chopin', '1830', '1827–1846', ''],
    ]);
  });
});
