// The app's side of libs/pruning's selection methods: phase2.methods and the docs come from the table, the
// scores.csv a scores job writes keeps the format of the code before the table (id, label, h, then the columns in
// the same order and decimals), and grid.ts's job keys see the seed of every seeded method.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { mulberry32 as rng } from '@prunelab/core';
import { aum, cartography, el2nFromGoldProb, el2nScore, forgetting, hScore, type RunRecord } from '@prunelab/dynamics';
import { idPool, scoreColumns, SELECTION_METHODS, SELECTION_METHOD_NAMES, selectionContext } from '@prunelab/pruning';
import { type Method, METHODS } from './schema.ts';
import { scoresCsv } from './scores.ts';
import { validateConfig } from './config.ts';
import { expandGrid } from './grid.ts';

const README = join(import.meta.dirname, '../../../experiments/README.md');

test('phase2.methods accepts full, hscore and every registered selection method', () => {
  assert.deepEqual([...METHODS], ['full', 'hscore', ...SELECTION_METHOD_NAMES]);
  const typed: Method[] = ['aum', 'random_balanced'];
  // @ts-expect-error: Method is the union of the names (tsc checks this line), not any string
  typed.push('nope');
});

test('experiments/README.md has a row per method (name, doc, citation) and the scores.csv header', () => {
  const readme = readFileSync(README, 'utf8');
  for (const m of SELECTION_METHODS) {
    const row = `| \`${m.name}\` | ${m.doc} | ${m.citation} |`;
    assert.ok(readme.includes(row), `experiments/README.md lacks the row\n${row}`);
  }
  const header = ['id', 'label', 'h', ...scoreColumns().map((c) => c.name)].join(',');
  assert.ok(readme.includes(`\`${header}\``), `experiments/README.md lacks the scores.csv header \`${header}\``);
});

test('a seeded method puts pruning.random_seed into its phase-2 job keys, an unseeded one does not', () => {
  const file = join(mkdtempSync(join(tmpdir(), 'prunelab-seeded-')), 'scores.csv');
  writeFileSync(file, 'id\n');
  const keysWith = (method: string, seed: number) => {
    const cfg = validateConfig(
      {
        name: 't',
        tasks: ['sst2'],
        models: { m: { path: '/m', family: 'bert' } },
        phase2: { methods: ['full', 'hscore', method] },
        pruning: { random_seed: seed, method_options: { external: { file } } },
      },
      () => 'test',
    );
    return expandGrid(cfg)
      .jobs.filter((j) => j.kind === 'phase2' && j.method === method)
      .map((j) => j.hash);
  };
  for (const m of SELECTION_METHODS) {
    const same = keysWith(m.name, 1).join() === keysWith(m.name, 2).join();
    assert.equal(
      same,
      !m.seeded,
      `${m.name}: seeded = ${m.seeded}, but changing pruning.random_seed ${same ? 'kept' : 'changed'} its keys`,
    );
  }
});

test('scores.csv: the format of the code before the registry, on random records', () => {
  const next = rng(13);
  const cases = [
    [3, 3, 40, 2, false],
    [3, 2, 25, 3, false],
    [2, 3, 30, 4, true],
    [1, 1, 5, 2, true],
  ] as const;
  for (const [R, E, n, numClasses, withEl2n] of cases) {
    // one epoch more than used: the columns must use the first E only
    const runs: RunRecord[] = Array.from({ length: R }, () => {
      const goldProb = Array.from({ length: E + 1 }, () => Float32Array.from({ length: n }, () => next()));
      return {
        header: {} as RunRecord['header'],
        goldProb,
        correct: goldProb.map((p) => Uint8Array.from(p, (q) => (q > 0.5 ? 1 : 0))),
        loss: [],
        margin: goldProb.map((p) => Float32Array.from(p, (q) => 3 * (q - 0.5))),
        ...(withEl2n ? { el2n: goldProb.map((p) => Float32Array.from(p, (q) => 1.4 * (1 - q))) } : {}),
      };
    });
    const ids = Array.from({ length: n }, (_, i) => `e${i}`);
    const labels = Array.from({ length: n }, () => Math.floor(next() * numClasses));
    const correct = runs.map((r) => r.correct.slice(0, E));
    const h = hScore(correct);
    // the code before: scores.ts's columns, written out by hand
    const carto = cartography(
      runs.map((r) => r.goldProb.slice(0, E)),
      correct,
    );
    const use = { runsUsed: R, epochsUsed: E };
    const el2n = withEl2n
      ? el2nScore(
          runs.map((r) => r.el2n!),
          0,
          { runsUsed: R },
        )
      : numClasses === 2
        ? el2nFromGoldProb(
            runs.map((r) => r.goldProb),
            2,
            0,
            { runsUsed: R },
          )
        : new Float32Array(n).fill(NaN);
    const f = forgetting(
      runs.map((r) => r.correct),
      use,
    ).score;
    const a = aum(
      runs.map((r) => r.margin),
      use,
    );
    const want =
      'id,label,h,confidence,variability,correctness,forgetting,el2n,aum,tdds,d2,moderate,semdedup,grand,external\n' +
      ids
        .map((id, i) =>
          [
            id,
            labels[i],
            h[i],
            carto.confidence[i]!.toFixed(5),
            carto.variability[i]!.toFixed(5),
            carto.correctness[i]!.toFixed(4),
            f[i],
            el2n[i]!.toFixed(5),
            a[i]!.toFixed(5),
            ...['NaN', 'NaN', 'NaN', 'NaN', 'NaN', 'NaN'], // the newer columns: these records hold none of their fields
          ].join(','),
        )
        .join('\n') +
      '\n';
    const records = { runs, runsUsed: R, epochsUsed: E, numClasses };
    const ctx = selectionContext({ pool: idPool(ids), classes: Int32Array.from(labels), seed: 1, records });
    assert.equal(scoresCsv(ctx, labels, h), want);
    if (!withEl2n && numClasses > 2) assert.match(want, /,NaN,/); // el2n not computable: NaN, as before
  }
});
