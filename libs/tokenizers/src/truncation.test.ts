import assert from 'node:assert/strict';
import { test } from 'node:test';
import { truncatedLengths } from './truncation.ts';

/** transformers' slow longest_first, literally: one token at a time, from the longer, second on ties. */
function slowLoop(a: number, b: number, budget: number): [number, number] {
  for (let excess = a + b - budget; excess > 0; excess--) {
    if (a > b) a--;
    else b--;
  }
  return [a, b];
}

test('slow longest_first equals the one-token-at-a-time loop for every small case', () => {
  for (let a = 0; a <= 20; a++)
    for (let b = 0; b <= 20; b++)
      for (let budget = 0; budget <= 25; budget++) {
        assert.deepEqual(
          truncatedLengths(a, b, budget, 'longest_first'),
          slowLoop(a, b, budget),
          `a=${a} b=${b} budget=${budget}`,
        );
      }
});

test('rust longest_first: the shorter keeps what it has if it fits, else floor/ceil halves', () => {
  assert.deepEqual(truncatedLengths(3, 20, 13, 'longest_first', 'rust'), [3, 10]); // only the longer is cut
  assert.deepEqual(truncatedLengths(20, 3, 13, 'longest_first', 'rust'), [10, 3]);
  assert.deepEqual(truncatedLengths(7, 9, 13, 'longest_first', 'rust'), [6, 7]); // both cut: 6 / 7
  assert.deepEqual(truncatedLengths(9, 7, 13, 'longest_first', 'rust'), [7, 6]); // the longer gets the ceil
  assert.deepEqual(truncatedLengths(8, 8, 13, 'longest_first', 'rust'), [6, 7]); // ties: the second gets the ceil
  assert.deepEqual(truncatedLengths(7, 9, 13, 'longest_first', 'slow'), [7, 6]); // where slow differs
  assert.deepEqual(truncatedLengths(30, 40, 10, 'longest_first', 'rust'), [5, 5]);
  assert.deepEqual(truncatedLengths(4, 5, 13, 'longest_first', 'rust'), [4, 5]); // fits: untouched
});

test('single text: cut to the budget; only_first / only_second; none', () => {
  assert.deepEqual(truncatedLengths(20, undefined, 14, 'longest_first'), [14, 0]);
  assert.deepEqual(truncatedLengths(20, undefined, 14, 'only_first'), [14, 0]);
  assert.deepEqual(truncatedLengths(10, 8, 12, 'only_first'), [4, 8]);
  assert.deepEqual(truncatedLengths(10, 8, 12, 'only_second'), [10, 2]);
  assert.deepEqual(truncatedLengths(10, 8, 12, 'none'), [10, 8]);
  assert.deepEqual(truncatedLengths(10, 3, 12, 'only_second'), [10, 2]);
  assert.throws(
    () => truncatedLengths(12, 3, 12, 'only_second'),
    /'only_second': the second text has 3 tokens but 3 must go/,
  );
  assert.throws(
    () => truncatedLengths(6, 8, 8, 'only_first'),
    /'only_first': the first text has 6 tokens but 6 must go/,
  );
  assert.throws(() => truncatedLengths(6, undefined, 3, 'only_second'), /needs a second text/);
});
