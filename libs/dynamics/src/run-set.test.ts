import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RunRecordHeader } from './record.ts';
import { readRunRecords } from './run-set.ts';
import { appendEpoch } from './store.ts';
import { hScore } from './hscore.ts';

function header(run: number, over: Partial<RunRecordHeader> = {}): RunRecordHeader {
  return {
    version: 1,
    task: 'toy',
    split: 'train',
    model: 'm',
    seed: run,
    run,
    pass: 'train-forward',
    ids: ['a', 'b'],
    epochsPlanned: 2,
    epochsDone: 0,
    ...over,
  };
}
const ep = (c: number[]) => ({
  correct: Uint8Array.from(c),
  goldProb: new Float32Array(2),
  loss: new Float32Array(2),
  margin: new Float32Array(2),
});

test('readRunRecords stacks runs and refuses runs that do not belong together', () => {
  const root = mkdtempSync(join(tmpdir(), 'prunelab-runset-'));
  try {
    const d = (name: string) => join(root, name);
    for (const [r, cs] of [
      [
        0,
        [
          [1, 0],
          [1, 1],
        ],
      ],
      [
        1,
        [
          [1, 1],
          [0, 1],
        ],
      ],
    ] as const) {
      appendEpoch(d(`run-${r}`), header(r), ep([...cs[0]]));
      appendEpoch(d(`run-${r}`), header(r, { epochsDone: 1 }), ep([...cs[1]]));
    }
    const set = readRunRecords([d('run-0'), d('run-1')]);
    assert.deepEqual(set.ids, ['a', 'b']);
    assert.equal(set.el2n, undefined);
    // a: correct at both epochs of run 0 only; b: of run 1 only
    assert.deepEqual(Array.from(hScore(set.correct)), [1, 1]);
    appendEpoch(d('eval'), header(2, { pass: 'eval' }), ep([1, 1]));
    assert.throws(
      () => readRunRecords([d('run-0'), d('eval')]),
      /eval.header\.json has pass "eval" but .*run-0\/header\.json has "train-forward"/,
    );
    appendEpoch(d('other'), header(3, { ids: ['b', 'a'] }), ep([1, 1]));
    assert.throws(() => readRunRecords([d('run-0'), d('other')]), /has id "b" at position 0 where .* has "a"/);
    assert.throws(() => readRunRecords([]), /no run folders given/);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
