// A generated two-class "sentiment" task for machines without SST-2. Sentences come from templates
// filled with positive / negative / neutral words; negation flips the polarity and ~5% of labels are
// flipped at random, so the task is learnable but not trivially separable (some examples stay hard,
// which is what H-scores need to show).
import { assignIds } from './example-id.ts';
import { mulberry32 } from '@prunelab/core';
import type { Example, TaskInfo } from './types.ts';

export const SYNTHETIC_TASK: TaskInfo = {
  name: 'synthetic-sentiment',
  labels: ['negative', 'positive'],
  textFields: ['sentence'],
};

const POSITIVE = ['good', 'great', 'wonderful', 'charming', 'moving', 'funny', 'clever', 'beautiful', 'delightful', 'brilliant', 'warm', 'engaging', 'fresh', 'touching', 'smart'];
const NEGATIVE = ['bad', 'dull', 'boring', 'awful', 'tedious', 'clumsy', 'predictable', 'lifeless', 'messy', 'painful', 'flat', 'silly', 'stale', 'weak', 'tiresome'];
const NEUTRAL = ['long', 'french', 'animated', 'quiet', 'recent', 'familiar', 'historical', 'small', 'loud', 'odd', 'modern', 'serious'];
const SUBJECTS = ['the film', 'this movie', 'the story', 'the acting', 'the script', 'the director', 'the cast', 'the ending', 'the soundtrack', 'the dialogue'];
const NOUNS = ['film', 'movie', 'comedy', 'drama', 'thriller', 'story', 'picture', 'performance'];
const INTENSIFIERS = ['', '', 'very ', 'really ', 'rather ', 'truly '];

type Rand = () => number;
const pick = <T>(xs: readonly T[], r: Rand): T => xs[Math.floor(r() * xs.length)] as T;

/** One sentence and its true polarity (1 positive, 0 negative) before label noise. */
function sentence(r: Rand): { text: string; polarity: number } {
  let polarity = r() < 0.5 ? 1 : 0;
  const word = () => pick(polarity === 1 ? POSITIVE : NEGATIVE, r);
  const opposite = () => pick(polarity === 1 ? NEGATIVE : POSITIVE, r);
  const subj = pick(SUBJECTS, r);
  // 60% plain templates (a bag of words solves them), 30% need word order (negation, "but"),
  // 10% carry no signal at all.
  const t = Math.floor(r() * 20);
  switch (t < 12 ? [0, 1, 4][t % 3] : t < 15 ? 2 : t < 18 ? 3 : 5) {
    case 0:
      return { text: `${subj} is ${pick(INTENSIFIERS, r)}${word()} .`, polarity };
    case 1:
      return { text: `a ${pick(NEUTRAL, r)} , ${word()} ${pick(NOUNS, r)}`, polarity };
    case 2: // negation: the sentence carries the opposite word but the intended polarity
      return { text: `${subj} is not ${opposite()} at all`, polarity };
    case 3: // mixed: the clause after "but" decides
      return { text: `${subj} is ${opposite()} , but ${pick(SUBJECTS, r)} is ${word()}`, polarity };
    case 4:
      return { text: `${pick(NEUTRAL, r)} and ${word()} , ${subj} feels ${pick(NEUTRAL, r)}`, polarity };
    default: {
      // purely neutral wording: no signal, the label is a coin flip (irreducibly hard examples)
      polarity = r() < 0.5 ? 1 : 0;
      return { text: `${subj} is ${pick(NEUTRAL, r)} and ${pick(NEUTRAL, r)}`, polarity };
    }
  }
}

function makeSplit(split: string, n: number, r: Rand, noise: number): Example[] {
  const rows: { text: string; label: number }[] = [];
  for (let i = 0; i < n; i++) {
    const s = sentence(r);
    rows.push({ text: s.text, label: r() < noise ? 1 - s.polarity : s.polarity });
  }
  const { ids } = assignIds(SYNTHETIC_TASK.name, split, rows.map((x) => ({ fields: [x.text] })));
  return rows.map((x, i) => ({ id: ids[i] as string, text: x.text, label: x.label }));
}

export function syntheticSentiment(opts: { train: number; dev: number; seed: number; labelNoise?: number }): { train: Example[]; dev: Example[] } {
  for (const k of ['train', 'dev'] as const) {
    if (!Number.isInteger(opts[k]) || opts[k] < 0) throw new Error(`syntheticSentiment: ${k} must be a non-negative integer, got ${opts[k]}`);
  }
  const r = mulberry32(opts.seed);
  const noise = opts.labelNoise ?? 0.05;
  const train = makeSplit('train', opts.train, r, noise);
  const dev = makeSplit('dev', opts.dev, r, noise);
  return { train, dev };
}
