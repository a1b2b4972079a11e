import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { test } from 'node:test';
import { assignIds, exampleId } from './example-id.ts';

test('exampleId is the first 16 hex chars of sha1(task \\0 split \\0 fields...)', () => {
  const want = createHash('sha1').update('sst2\u0000train\u0000a fine film').digest('hex').slice(0, 16);
  assert.equal(exampleId('sst2', 'train', ['a fine film']), want);
  assert.match(want, /^[0-9a-f]{16}$/);
  // task, split and field boundaries all matter
  assert.notEqual(exampleId('sst2', 'dev', ['a fine film']), want);
  assert.notEqual(exampleId('x', 'train', ['a', 'b']), exampleId('x', 'train', ['a b']));
});

test('ids follow the content when rows are reordered', () => {
  const rows = ['one', 'two', 'three', 'four'].map((t) => ({ fields: [t] }));
  const a = assignIds('t', 'train', rows);
  const b = assignIds('t', 'train', [...rows].reverse());
  assert.deepEqual([...b.ids].reverse(), a.ids);
  assert.equal(a.duplicates, 0);
});

test('repeated content gets -2, -3 suffixes and is counted', () => {
  const { ids, duplicates } = assignIds(
    't',
    'train',
    ['x', 'y', 'x', 'x'].map((t) => ({ fields: [t] })),
  );
  const x = exampleId('t', 'train', ['x']);
  assert.deepEqual(ids, [x, exampleId('t', 'train', ['y']), `${x}-2`, `${x}-3`]);
  assert.equal(duplicates, 2);
  assert.equal(new Set(ids).size, ids.length);
});
