// SQuAD v2.0 exact match and F1, as the official evaluate-v2.0.py defines them: answers are normalised
// (lowercase, punctuation removed, articles a/an/the removed, whitespace collapsed), each prediction
// takes the max over its gold answers, an unanswerable question's only gold answer is "", and the
// totals are percentages over all questions.

// Python's string.punctuation.
const PUNCT = new Set('!"#$%&\'()*+,-./:;<=>?@[\\]^_`{|}~');
// Python's re.UNICODE \b: a boundary between a word character (letter, digit, underscore) and a non-word one.
const ARTICLES = /(?<![\p{L}\p{N}_])(a|an|the)(?![\p{L}\p{N}_])/gu;
// Python's str.split() whitespace (str.isspace()), not JavaScript's \s: it includes U+001C-U+001F and U+0085 and
// leaves out U+FEFF, so answers with those characters tokenise as the official script tokenises them.
// biome-ignore lint/suspicious/noControlCharactersInRegex: U+001C-U+001F are Python whitespace
export const PY_WHITESPACE = /[\t-\r\x1c-\x20\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+/u;

export function normalizeAnswer(s: string): string {
  const lower = s.toLowerCase();
  let noPunc = '';
  for (const ch of lower) if (!PUNCT.has(ch)) noPunc += ch;
  const noArticles = noPunc.replace(ARTICLES, ' ');
  return noArticles
    .split(PY_WHITESPACE)
    .filter((t) => t !== '')
    .join(' ');
}

function tokens(s: string): string[] {
  return s
    ? normalizeAnswer(s)
        .split(' ')
        .filter((t) => t !== '')
    : [];
}

export function exactMatch(gold: string, pred: string): number {
  return normalizeAnswer(gold) === normalizeAnswer(pred) ? 1 : 0;
}

export function tokenF1(gold: string, pred: string): number {
  const g = tokens(gold);
  const p = tokens(pred);
  if (g.length === 0 || p.length === 0) return g.length === p.length ? 1 : 0; // both empty: 1
  const counts = new Map<string, number>();
  for (const t of g) counts.set(t, (counts.get(t) ?? 0) + 1);
  let same = 0;
  for (const t of p) {
    const c = counts.get(t) ?? 0;
    if (c > 0) {
      same++;
      counts.set(t, c - 1);
    }
  }
  if (same === 0) return 0;
  const precision = same / p.length;
  const recall = same / g.length;
  return (2 * precision * recall) / (precision + recall);
}

/** Gold answers as the official script uses them: those that normalise to nothing are dropped; none left -> [""]. */
export function goldAnswers(answers: { text: string }[]): string[] {
  const g = answers.map((a) => a.text).filter((t) => normalizeAnswer(t) !== '');
  return g.length > 0 ? g : [''];
}

export interface SquadScores {
  exact: number;
  f1: number;
  total: number;
  hasAnsExact?: number;
  hasAnsF1?: number;
  hasAnsTotal: number;
  noAnsExact?: number;
  noAnsF1?: number;
  noAnsTotal: number;
}

/** Scores predictions (question id -> answer text, "" = no answer) against `examples`; a missing prediction is an error
 * (the
 * official script would skip it and shrink the total). */
export function squadV2Metrics(
  examples: { id: string; answers: { text: string }[] }[],
  predictions: ReadonlyMap<string, string>,
): SquadScores {
  if (examples.length === 0) throw new Error('squadV2Metrics: no examples to score');
  let em = 0;
  let f1 = 0;
  const has = { em: 0, f1: 0, n: 0 };
  const no = { em: 0, f1: 0, n: 0 };
  for (const ex of examples) {
    const pred = predictions.get(ex.id);
    if (pred === undefined) throw new Error(`squadV2Metrics: no prediction for question ${ex.id}`);
    const golds = goldAnswers(ex.answers);
    const e = Math.max(...golds.map((g) => exactMatch(g, pred)));
    const f = Math.max(...golds.map((g) => tokenF1(g, pred)));
    em += e;
    f1 += f;
    const bucket = ex.answers.length > 0 ? has : no; // the official HasAns split looks at the raw answers
    bucket.em += e;
    bucket.f1 += f;
    bucket.n++;
  }
  const pct = (x: number, n: number) => (100 * x) / n;
  const out: SquadScores = {
    exact: pct(em, examples.length),
    f1: pct(f1, examples.length),
    total: examples.length,
    hasAnsTotal: has.n,
    noAnsTotal: no.n,
  };
  if (has.n > 0) {
    out.hasAnsExact = pct(has.em, has.n);
    out.hasAnsF1 = pct(has.f1, has.n);
  }
  if (no.n > 0) {
    out.noAnsExact = pct(no.em, no.n);
    out.noAnsF1 = pct(no.f1, no.n);
  }
  return out;
}
