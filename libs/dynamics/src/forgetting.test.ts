import { test } from 'node:test';
import assert from 'node:assert/strict';
import { forgetting } from './forgetting.ts';

const u8 = (...v: number[]) => Uint8Array.from(v);
// correct[run][epoch][example]: 2 runs x 3 epochs x 5 examples
const correct = [
  [u8(1, 1, 0, 0, 1), u8(0, 1, 0, 1, 1), u8(1, 0, 0, 0, 1)],
  [u8(1, 0, 0, 1, 1), u8(1, 1, 0, 0, 1), u8(0, 1, 1, 0, 1)],
];

test('forgetting events counted by hand; never-learned runs outrank any number of events', () => {
  // run 0 per example: 1,0,1 -> 1 event | 1,1,0 -> 1 | 0,0,0 never learned | 0,1,0 -> 1 | 1,1,1 -> 0
  // run 1 per example: 1,1,0 -> 1       | 0,1,1 -> 0 | 0,0,1 -> 0 (learned) | 1,0,0 -> 1 | 1,1,1 -> 0
  const f = forgetting(correct);
  assert.deepEqual(Array.from(f.events), [2, 1, 0, 2, 0]);
  assert.deepEqual(Array.from(f.neverLearned), [0, 0, 1, 0, 0]);
  // weight = R * floor(E / 2) + 1 = 2 * 1 + 1 = 3, above the largest possible events sum (2)
  assert.deepEqual(Array.from(f.score), [2, 1, 3, 2, 0]);
});

test('forgetting with runsUsed / epochsUsed', () => {
  // run 0, epochs 0..1: 1,0 -> 1 | 1,1 -> 0 | 0,0 never | 0,1 -> 0 | 1,1 -> 0; weight 1 * 1 + 1 = 2
  const f = forgetting(correct, { runsUsed: 1, epochsUsed: 2 });
  assert.deepEqual(Array.from(f.events), [1, 0, 0, 0, 0]);
  assert.deepEqual(Array.from(f.score), [1, 0, 2, 0, 0]);
  // one epoch: no transitions at all, only never-learned counts (weight 2 * 0 + 1 = 1)
  assert.deepEqual(Array.from(forgetting(correct, { epochsUsed: 1 }).score), [0, 1, 2, 1, 0]);
  assert.throws(() => forgetting([]), /no runs given/);
  assert.throws(() => forgetting([correct[0]!, correct[1]!.slice(0, 2)]), /different epoch counts \(3, 2\)/);
});
