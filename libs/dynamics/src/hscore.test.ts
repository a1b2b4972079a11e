import { test } from 'node:test';
import assert from 'node:assert/strict';
import { hHistogram, hScore } from './hscore.ts';

const u8 = (...v: number[]) => Uint8Array.from(v);
// correct[run][epoch][example], 3 runs x 2 epochs x 6 examples; "all" = correct at both epochs
const correct = [
  [u8(1, 1, 0, 1, 0, 1), u8(1, 0, 0, 1, 1, 1)], // run 0: all = 1 0 0 1 0 1
  [u8(1, 1, 1, 0, 0, 1), u8(1, 1, 1, 0, 0, 1)], // run 1: all = 1 1 1 0 0 1
  [u8(1, 0, 1, 1, 0, 0), u8(1, 1, 1, 1, 0, 0)], // run 2: all = 1 0 1 1 0 0
];

test('hScore counts runs correct at every epoch', () => {
  // sum of the three "all" rows
  assert.deepEqual(Array.from(hScore(correct)), [3, 1, 2, 2, 0, 2]);
  // H in 0..3: one 0, one 1, three 2s, one 3
  assert.deepEqual(hHistogram(hScore(correct), 3), [1, 1, 3, 1]);
});

test('hScore ablation knobs runsUsed and epochsUsed', () => {
  // runs 0 and 1 only: 101101 + 111001
  assert.deepEqual(Array.from(hScore(correct, { runsUsed: 2 })), [2, 1, 1, 1, 0, 2]);
  // epoch 0 only: 110101 + 111001 + 101100
  assert.deepEqual(Array.from(hScore(correct, { epochsUsed: 1 })), [3, 2, 2, 2, 0, 2]);
  // run 0 epoch 0 only
  assert.deepEqual(Array.from(hScore(correct, { runsUsed: 1, epochsUsed: 1 })), [1, 1, 0, 1, 0, 1]);
});

test('hScore and hHistogram validate shapes', () => {
  assert.throws(() => hScore([]), /no runs given/);
  assert.throws(() => hScore(correct, { runsUsed: 4 }), /runsUsed = 4 but 3 runs/);
  assert.throws(() => hScore(correct, { epochsUsed: 3 }), /epochsUsed = 3 but the shortest used run has 2 epochs/);
  assert.throws(() => hScore([correct[0]!, [correct[1]![0]!]]), /different epoch counts \(2, 1\)/);
  assert.deepEqual(Array.from(hScore([correct[0]!, [correct[1]![0]!]], { epochsUsed: 1 })), [2, 2, 1, 1, 0, 2]);
  assert.throws(
    () => hScore([correct[0]!, [u8(1, 1), u8(1, 1)]]),
    /run 1 epoch 0 has 2 examples but run 0 epoch 0 has 6/,
  );
  assert.throws(() => hHistogram(u8(0, 4), 3), /H\[1\] = 4 is outside 0\.\.3/);
});

test('hScore with the paper-sized 3 epochs (the unrolled path) counts like the general one', () => {
  const c3 = [
    [u8(1, 1, 0, 1), u8(1, 1, 1, 1), u8(1, 0, 1, 2)], // all three epochs: 1 0 0 1 (2 counts as correct)
    [u8(1, 1, 1, 0), u8(1, 1, 1, 0), u8(1, 1, 1, 0)], // 1 1 1 0
  ];
  assert.deepEqual(Array.from(hScore(c3)), [2, 1, 1, 1]);
  // a fourth epoch of all-correct changes nothing, and goes through the general loop
  const c4 = c3.map((run) => [...run, u8(1, 1, 1, 1)]);
  assert.deepEqual(Array.from(hScore(c4)), [2, 1, 1, 1]);
  assert.deepEqual(Array.from(hScore(c4, { epochsUsed: 3 })), [2, 1, 1, 1]);
});
