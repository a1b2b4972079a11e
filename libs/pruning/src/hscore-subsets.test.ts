import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  automaticSubsets,
  hSubsetSize,
  PAPER_SUBSETS_R6,
  parseSubsetName,
  selectByH,
  selectByHIndices,
  subsetName,
  winningTicketRemoved,
} from './hscore-subsets.ts';
import { mulberry32 as rng } from '@prunelab/core';

test("automaticSubsets(6) gives the paper's seven subsets in the paper's order", () => {
  assert.deepEqual(
    automaticSubsets(6).map((r) => subsetName(r)),
    PAPER_SUBSETS_R6,
  );
  assert.deepEqual(PAPER_SUBSETS_R6, ['06', '016', '0126', '01236', '0156', '012346', '012356']);
  assert.deepEqual(winningTicketRemoved(6), [0, 6]);
  assert.deepEqual(winningTicketRemoved(3), [0, 3]);
});

test('automaticSubsets for other R follows the documented rule', () => {
  // R = 7: prefixes k = 1..4, low + high k = 1, then the single-level ones: [0..5, 7] and [0..4, 6, 7]
  assert.deepEqual(
    automaticSubsets(7).map((r) => subsetName(r)),
    ['07', '017', '0127', '01237', '012347', '0167', '0123457', '0123467'],
  );
  // R = 5: prefixes k = 1..2, 0145, then [0..3, 5] keeps H = 4 and [0..2, 4, 5] keeps H = 3
  assert.deepEqual(
    automaticSubsets(5).map((r) => subsetName(r)),
    ['05', '015', '0125', '0145', '01235', '01245'],
  );
  // R = 4: k = 1 = R-3, so [0, 1, 3, 4] appears once
  assert.deepEqual(
    automaticSubsets(4).map((r) => subsetName(r)),
    ['04', '014', '0134', '0124'],
  );
  assert.deepEqual(
    automaticSubsets(3).map((r) => subsetName(r)),
    ['03', '013'],
  );
  assert.deepEqual(
    automaticSubsets(2).map((r) => subsetName(r)),
    ['02'],
  );
  // R = 12: 1 + 9 prefixes (k = 1..9) + 3 = 13 subsets, named with '-'
  const r12 = automaticSubsets(12).map((r) => subsetName(r, 12));
  assert.equal(r12.length, 13);
  assert.deepEqual(r12.slice(0, 3), ['0-12', '0-1-12', '0-1-2-12']);
  assert.deepEqual(r12.slice(9), [
    '0-1-2-3-4-5-6-7-8-9-12',
    '0-1-11-12',
    '0-1-2-3-4-5-6-7-8-9-10-12',
    '0-1-2-3-4-5-6-7-8-9-11-12',
  ]);
  // the brief's families, whatever the order: [0, R], [0..k, R] for k = 1..R-2, [0..k, R-1, R] for k = 1, R-3
  for (const R of [5, 6, 7, 8, 11]) {
    const want = [[0, R]];
    for (let k = 1; k <= R - 2; k++) want.push([...Array(k + 1).keys(), R]);
    for (const k of [1, R - 3]) want.push([...Array(k + 1).keys(), R - 1, R]);
    const key = (rs: number[][]) => rs.map((r) => r.join(',')).sort();
    assert.deepEqual(key(automaticSubsets(R)), key(want));
  }
  assert.throws(() => automaticSubsets(1), /R = 1/);
});

test('subset names: digits, dashes for R >= 10, and parsing back', () => {
  assert.equal(subsetName([6, 0]), '06');
  assert.equal(subsetName([3, 0, 3]), '03');
  assert.equal(subsetName([0, 1], 12), '0-1');
  assert.equal(subsetName([0, 12]), '0-12');
  assert.deepEqual(parseSubsetName('0126', 6), [0, 1, 2, 6]);
  assert.deepEqual(parseSubsetName('0-1-12', 12), [0, 1, 12]);
  assert.deepEqual(parseSubsetName('12', 12), [12]);
  for (const R of [2, 6, 9, 10, 15])
    for (const r of automaticSubsets(R)) assert.deepEqual(parseSubsetName(subsetName(r, R), R), r);
  assert.throws(() => parseSubsetName('07', 6), /removes H = 7 but H is in 0\.\.6/);
  assert.throws(() => parseSubsetName('60', 6), /write it as "06"/);
  assert.throws(() => parseSubsetName('0a', 6), /"0a" is not a subset name/);
  assert.throws(
    () => parseSubsetName('01', 12),
    /"01" is not a subset name; with R = 12 >= 10 write the removed H values joined by '-'/,
  );
  assert.throws(() => subsetName([]), /no H values removed/);
  assert.throws(() => subsetName([0, 7], 6), /above R = 6/);
});

test('nesting: every automatic subset removes 0 and R and sits inside the winning ticket', () => {
  const next = rng(1);
  for (const R of [2, 3, 4, 5, 6, 7, 8]) {
    const ids = Array.from({ length: 200 }, (_, i) => `ex${i}`);
    const h = ids.map(() => Math.floor(next() * (R + 1)));
    const ticket = new Set(selectByH(ids, h, winningTicketRemoved(R)));
    for (const removed of automaticSubsets(R)) {
      assert.ok(removed.includes(0) && removed.includes(R), `${subsetName(removed)} removes 0 and ${R}`);
      for (const id of selectByH(ids, h, removed))
        assert.ok(ticket.has(id), `${id} of ${subsetName(removed)} is in the winning ticket`);
    }
  }
});

test('property: each subset is the union of its kept H-level sets, in input order (200 random H vectors)', () => {
  const next = rng(2024);
  for (let trial = 0; trial < 200; trial++) {
    const R = 2 + Math.floor(next() * 8); // 2..9
    const n = Math.floor(next() * 60);
    const ids = Array.from({ length: n }, (_, i) => `t${trial}-${Math.floor(next() * 1e9)}-${i}`);
    const h = Uint8Array.from(ids, () => Math.floor(next() * (R + 1)));
    const levels = Array.from({ length: R + 1 }, (_, v) => ids.filter((_, i) => h[i] === v));
    for (const removed of automaticSubsets(R)) {
      const kept = selectByH(ids, h, removed);
      const union = levels.flatMap((set, v) => (removed.includes(v) ? [] : set));
      assert.deepEqual([...kept].sort(), [...union].sort());
      // input order is preserved
      const pos = new Map(ids.map((id, i) => [id, i]));
      for (let i = 1; i < kept.length; i++) assert.ok(pos.get(kept[i - 1]!)! < pos.get(kept[i]!)!);
    }
  }
});

test('selectByH checks lengths', () => {
  assert.deepEqual(selectByH(['a', 'b', 'c', 'd'], [0, 3, 1, 2], [0, 3]), ['c', 'd']);
  assert.throws(() => selectByH(['a'], [0, 1], [0]), /1 ids but 2 H values/);
});

test("the paper's seven subsets nest as method.md says: all inside the winning ticket, removing more keeps less", () => {
  const next = rng(6);
  const ids = Array.from({ length: 700 }, (_, i) => `p${i}`);
  const h = Uint8Array.from(ids, () => Math.floor(next() * 7));
  const kept = new Map(PAPER_SUBSETS_R6.map((name) => [name, new Set(selectByH(ids, h, parseSubsetName(name, 6)))]));
  const ticket = kept.get('06')!;
  // the expected containments, spelled out: '06' holds all; 016 > 0126 > 01236 > 012346; 016 > 0156 > 012356; 01236 >
  // 012356
  const inside: [string, string][] = [
    ['016', '06'],
    ['0126', '016'],
    ['01236', '0126'],
    ['012346', '01236'],
    ['0156', '016'],
    ['012356', '0156'],
    ['012356', '01236'],
    ...PAPER_SUBSETS_R6.slice(1).map((name): [string, string] => [name, '06']),
  ];
  for (const [small, big] of inside)
    for (const id of kept.get(small)!) assert.ok(kept.get(big)!.has(id), `${id} of ${small} is in ${big}`);
  // and in general: whenever A removes a subset of what B removes, B's kept set is inside A's
  for (const a of PAPER_SUBSETS_R6)
    for (const b of PAPER_SUBSETS_R6) {
      const ra = parseSubsetName(a, 6);
      const rb = parseSubsetName(b, 6);
      if (ra.every((v) => rb.includes(v))) for (const id of kept.get(b)!) assert.ok(kept.get(a)!.has(id));
    }
  assert.equal(Math.max(...[...kept.values()].map((s) => s.size)), ticket.size); // the winning ticket is the largest
});

test(
  'property: from random records (hand-rolled H), subsets are unions of H-level sets and sit inside the winning ' +
    'ticket',
  () => {
    const next = rng(77);
    for (let trial = 0; trial < 150; trial++) {
      const R = 2 + Math.floor(next() * 7); // 2..8
      const E = 1 + Math.floor(next() * 3); // 1..3
      const n = Math.floor(next() * 120);
      const pCorrect = 0.3 + 0.65 * next();
      const correct = Array.from({ length: R }, () =>
        Array.from({ length: E }, () => Uint8Array.from({ length: n }, () => (next() < pCorrect ? 1 : 0))),
      );
      // H by the definition: runs correct at every epoch
      const h = Uint8Array.from(
        { length: n },
        (_, i) => correct.filter((run) => run.every((ep) => ep[i] === 1)).length,
      );
      const ids = Array.from({ length: n }, (_, i) => `r${trial}-${i}`);
      const histogram = Array.from({ length: R + 1 }, (_, v) => h.filter((x) => x === v).length);
      const ticket = new Set(selectByH(ids, h, winningTicketRemoved(R)));
      for (const removed of automaticSubsets(R)) {
        const idx = selectByHIndices(h, removed);
        const kept = Array.from(idx, (i) => ids[i]!);
        assert.deepEqual(kept, selectByH(ids, h, removed));
        const union = ids.filter((_, i) => !removed.includes(h[i]!));
        assert.deepEqual(kept, union);
        assert.equal(kept.length, hSubsetSize(histogram, removed));
        for (const id of kept) assert.ok(ticket.has(id));
      }
    }
  },
);
