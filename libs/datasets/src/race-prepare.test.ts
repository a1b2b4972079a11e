// RACE preparation: one (article, question + option) row per option, cloze blanks filled.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { encodeMultipleChoice, raceQuestionOption } from './race-prepare.ts';
import { TestTokenizer } from './testing/test-tokenizer.ts';
import type { ChoiceExample } from './types.ts';

test('cloze questions get the option in the blank, others get it appended', () => {
  assert.equal(raceQuestionOption('Tom has _ .', 'a dog'), 'Tom has a dog .');
  assert.equal(
    raceQuestionOption('Where does Tom walk his dog?', 'by the river'),
    'Where does Tom walk his dog? by the river',
  );
});

test('4 rows per question, [CLS] article [SEP] question+option [SEP], article truncated first', () => {
  const tok = new TestTokenizer();
  const ex: ChoiceExample = {
    id: 'r1',
    context: 'Tom has a dog . He walks it by the river every day .',
    question: 'Tom has _ .',
    options: ['a cat', 'a dog', 'a bird', 'a fish'],
    label: 1,
  };
  const enc = encodeMultipleChoice(tok, [ex], 14);
  assert.equal(enc.inputIds.length, 1 * 4 * 14);
  assert.deepEqual([enc.n, enc.numChoices, enc.maxLength, [...enc.labels], enc.ids], [1, 4, 14, [1], ['r1']]);
  const row = (c: number) => Array.from(enc.inputIds.slice(c * 14, (c + 1) * 14));
  // second segment "Tom has a dog ." = 5 tokens; 14 - 3 specials - 5 = 6 of the 13 article tokens kept
  // (longest_first removes tokens from the longer segment, here only the article)
  assert.equal(tok.decode(row(1), false), '[CLS] tom has a dog . he [SEP] tom has a dog . [SEP]');
  assert.equal(tok.decode(row(3)), 'tom has a dog . he tom has a fish .');
  assert.deepEqual(Array.from(enc.tokenTypeIds.slice(14, 28)), [0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1]);
});
