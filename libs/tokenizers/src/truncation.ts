// Hugging Face truncation of one or two segments to a token budget (special tokens already
// subtracted, so they are never cut). Tokens are always removed from the right end.
import type { Truncation } from './tokenizer-types.ts';

/**
 * How many tokens of a and b to keep so that a + b <= budget.
 * style 'slow': transformers' Python tokenizer, one token at a time from the longer segment, the
 * second one on ties. style 'rust': the tokenizers library (fast tokenizer): when both must be cut
 * the shorter keeps floor(budget/2) and the longer ceil(budget/2) (a gets floor on ties).
 */
export function truncatedLengths(
  lenA: number,
  lenB: number | undefined,
  budget: number,
  truncation: Truncation,
  style: 'slow' | 'rust' = 'slow',
): [number, number] {
  const b0 = lenB ?? 0;
  const excess = lenA + b0 - budget;
  if (truncation === 'none' || excess <= 0) return [lenA, b0];
  if (budget < 0)
    throw new Error(`token budget ${budget} is negative: maxLength leaves no room for the special tokens`);
  if (truncation === 'only_first' || truncation === 'only_second') {
    const first = truncation === 'only_first';
    if (!first && lenB === undefined)
      throw new Error(
        `truncation 'only_second' needs a second text (got a single text of ${lenA} tokens over the budget of ` +
          `${budget})`,
      );
    const len = first ? lenA : b0;
    // Both HF implementations refuse to empty the segment (slow logs and does not truncate; Rust errors).
    if (len <= excess) {
      throw new Error(
        `truncation '${truncation}': the ${first ? 'first' : 'second'} text has ${len} tokens but ${excess} must go ` +
          `(the other text alone is too long); use 'longest_first' or a larger maxLength`,
      );
    }
    return first ? [lenA - excess, b0] : [lenA, b0 - excess];
  }
  if (lenB === undefined) return [budget, 0];
  if (style === 'rust') {
    const short = Math.min(lenA, lenB);
    const long = Math.max(lenA, lenB);
    let keepShort = short;
    let keepLong = short > budget ? short : Math.max(short, budget - short);
    if (keepShort + keepLong > budget) {
      keepShort = Math.floor(budget / 2);
      keepLong = keepShort + (budget % 2);
    }
    keepLong = Math.min(keepLong, long);
    return lenA > lenB ? [keepLong, keepShort] : [keepShort, keepLong];
  }
  // Slow: remove from the longer while a > b, otherwise from b; closed form of the one-at-a-time loop.
  let a = lenA;
  let b = lenB;
  let left = excess;
  const fromA = Math.min(left, Math.max(0, a - b)); // a strictly longer: cut a down to b (ties go to b)
  a -= fromA;
  left -= fromA;
  // Now a <= b. First b down to a (b takes ties), then alternate b, a, b, a...
  const fromB = Math.min(left, Math.max(0, b - a));
  b -= fromB;
  left -= fromB;
  a -= Math.floor(left / 2);
  b -= Math.ceil(left / 2);
  return [a, b];
}
