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

test('forgetting: the unrolled 3-epoch path agrees with the general loop on random records', () => {
  let a = 99;
  const next = () => {
    a = (Math.imul(a, 1103515245) + 12345) >>> 0;
    return a / 4294967296;
  };
  const rec = Array.from({ length: 4 }, () =>
    Array.from({ length: 4 }, () => Uint8Array.from({ length: 300 }, () => (next() < 0.5 ? 0 : next() < 0.9 ? 1 : 2))),
  );
  const three = forgetting(rec, { epochsUsed: 3 }); // unrolled
  // the general loop on the same data: 3 epochs given as 4 with the last copied (no new flip, same learned set)
  const general = forgetting(rec.map((run) => [run[0]!, run[1]!, run[2]!, run[2]!]));
  assert.deepEqual(Array.from(three.events), Array.from(general.events));
  assert.deepEqual(Array.from(three.neverLearned), Array.from(general.neverLearned));
});
