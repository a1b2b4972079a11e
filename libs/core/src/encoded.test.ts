import assert from 'node:assert/strict';
import { test } from 'node:test';
import { rowsPerExample, selectRows, type EncodedSet } from './encoded.ts';

test('selectRows copies whole examples (every row of a multiple-choice example) in the order given', () => {
  const L = 2;
  const C = 3;
  const n = 4;
  const ids = Int32Array.from({ length: n * C * L }, (_, i) => i);
  const data: EncodedSet = {
    inputIds: ids,
    attentionMask: ids.map((x) => x % 2),
    tokenTypeIds: ids.map(() => 0),
    labels: Int32Array.from([0, 1, 2, 0]),
    n,
    maxLength: L,
    numChoices: C,
  };
  const s = selectRows(data, [2, 0]);
  assert.equal(rowsPerExample(s), C);
  assert.equal(s.n, 2);
  assert.deepEqual([...s.inputIds], [...ids.subarray(2 * C * L, 3 * C * L), ...ids.subarray(0, C * L)]);
  assert.deepEqual([...s.labels], [2, 0]);
});

test('selectRows carries QA positions and regression targets along', () => {
  const data: EncodedSet = {
    inputIds: Int32Array.from([1, 2, 3]),
    attentionMask: Int32Array.from([1, 1, 1]),
    tokenTypeIds: new Int32Array(3),
    labels: new Int32Array(3),
    n: 3,
    maxLength: 1,
    startPositions: Int32Array.from([5, 6, 7]),
    endPositions: Int32Array.from([8, 9, 10]),
    targets: Float32Array.from([0.5, 1.5, 2.5]),
  };
  const s = selectRows(data, [1]);
  assert.deepEqual([...s.startPositions!, ...s.endPositions!, ...s.targets!], [6, 9, 1.5]);
  assert.equal(s.numChoices, undefined);
});
