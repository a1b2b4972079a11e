// RACE as multiple choice: one (article, question + option) sequence per option, 4 per question.
// Cloze questions ("... _ ...") get the option written into the blank, others get " option" appended:
// the preparation of Hugging Face's RACE processor (utils_multiple_choice.py), with its default
// longest_first truncation (which in practice shortens the article).
import type { EncodedSet } from '@prunelab/core';
import type { EncodeOptions, Tokenizer } from '@prunelab/tokenizers';
import type { ChoiceExample } from './types.ts';

/** The second segment for one option. */
export function raceQuestionOption(question: string, option: string): string {
  return question.includes('_') ? question.replaceAll('_', option) : `${question} ${option}`;
}

/** Row-major n x numChoices x maxLength, with the example ids. */
export interface EncodedChoices extends EncodedSet {
  ids: string[];
  numChoices: number;
}

export function encodeMultipleChoice(
  tok: Tokenizer,
  examples: ChoiceExample[],
  maxLength: number,
  truncation: EncodeOptions['truncation'] = 'longest_first',
): EncodedChoices {
  const numChoices = examples[0]?.options.length ?? 4;
  const n = examples.length;
  const size = n * numChoices * maxLength;
  const out: EncodedChoices = {
    inputIds: new Int32Array(size),
    attentionMask: new Int32Array(size),
    tokenTypeIds: new Int32Array(size),
    labels: new Int32Array(n),
    ids: examples.map((e) => e.id),
    n,
    numChoices,
    maxLength,
  };
  examples.forEach((ex, i) => {
    if (ex.options.length !== numChoices)
      throw new Error(
        `example ${ex.id} has ${ex.options.length} options, expected ${numChoices} like the first example`,
      );
    ex.options.forEach((opt, c) => {
      const enc = tok.encode(ex.context, raceQuestionOption(ex.question, opt), {
        maxLength,
        truncation,
        padding: 'max_length',
      });
      const at = (i * numChoices + c) * maxLength;
      out.inputIds.set(enc.inputIds.slice(0, maxLength), at);
      out.attentionMask.set(enc.attentionMask.slice(0, maxLength), at);
      out.tokenTypeIds.set(enc.tokenTypeIds.slice(0, maxLength), at);
    });
    out.labels[i] = ex.label;
  });
  return out;
}
