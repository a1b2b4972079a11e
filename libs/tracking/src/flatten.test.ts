import assert from 'node:assert/strict';
import { test } from 'node:test';
import { flattenParams } from './flatten.ts';

test('flattenParams: dotted keys, JSON arrays, strings', () => {
  const config = {
    task: 'sst2',
    seeds: [1, 2, 3],
    phase1: { lr: 2e-5, epochs: 3, shuffle: true, schedule: { warmup: 0.1 } },
    prune: { keep: ['H=1', 'H=2'], empty: {}, missing: undefined, none: null },
  };
  assert.deepEqual(flattenParams(config), {
    task: 'sst2',
    seeds: '[1,2,3]',
    'phase1.lr': '0.00002',
    'phase1.epochs': '3',
    'phase1.shuffle': 'true',
    'phase1.schedule.warmup': '0.1',
    'prune.keep': '["H=1","H=2"]',
    'prune.empty': '{}',
    'prune.none': 'null',
  });
  assert.deepEqual(flattenParams({ lr: 1, opt: { b1: 0.9 } }, 'phase2'), { 'phase2.lr': '1', 'phase2.opt.b1': '0.9' });
  assert.deepEqual(flattenParams({ when: new Date(Date.UTC(2024, 0, 2)) }), { when: '2024-01-02T00:00:00.000Z' });
  assert.deepEqual(flattenParams({ rows: [{ a: 1 }] }), { rows: '[{"a":1}]' }); // arrays stay whole
  assert.throws(
    () => flattenParams([1, 2] as unknown as Record<string, unknown>),
    /expected an object of config values, got an array/,
  );
});
