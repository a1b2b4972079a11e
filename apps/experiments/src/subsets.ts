// From phase-1 records to subsets: the H-score of every example, the H-score subset (by default the winning
// ticket, which removes H = 0 and H = R) and a random subset of exactly the same size.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cartography, hHistogram, hScore, readRunRecord } from '@prunelab/dynamics';
import { randomSubset, selectByH, subsetName, winningTicketRemoved, writeSubset } from '@prunelab/pruning';
import type { RunContext } from './context.ts';

export interface Subsets {
  R: number;
  h: Uint8Array;
  histogram: number[];
  removed: number[];
  name: string;
  variability: Float32Array;
  /** method -> ids, for every method of phase 2 */
  ids: Record<'full' | 'hscore' | 'random', string[]>;
}

export function buildSubsets(ctx: RunContext, recordDirs: string[]): Subsets {
  const records = recordDirs.map((d) => readRunRecord(d));
  for (const [i, r] of records.entries()) {
    if (r.header.ids.length !== ctx.trainIds.length || r.header.ids.some((id, j) => id !== ctx.trainIds[j])) {
      throw new Error(`${recordDirs[i]}: its example ids differ from the current training set; delete ${ctx.outDir}/phase1 to redo phase 1`);
    }
  }
  const R = records.length;
  const h = hScore(records.map((r) => r.correct));
  const histogram = hHistogram(h, R);
  const { variability } = cartography(records.map((r) => r.goldProb), records.map((r) => r.correct));
  const removed = ctx.cfg.pruning.remove ?? winningTicketRemoved(R);
  const bad = removed.filter((v) => v > R);
  if (bad.length) throw new Error(`pruning.remove has H values ${bad.join(', ')} above R = ${R} (the number of phase1.seeds)`);
  const hscore = selectByH(ctx.trainIds, h, removed);
  if (hscore.length === 0) {
    throw new Error(`the H-score subset removing H in {${removed.join(',')}} is empty (H histogram ${histogram.join('/')}); ` +
      'train phase 1 longer or remove fewer H values');
  }
  const random = randomSubset(ctx.trainIds, hscore.length, ctx.cfg.pruning.random_seed);
  const name = subsetName(removed, R);

  const dir = join(ctx.outDir, 'subsets');
  mkdirSync(dir, { recursive: true });
  const labels = Object.fromEntries(ctx.trainIds.map((id, i) => [id, ctx.data.task.labels[ctx.train.labels[i]!]!]));
  const source = recordDirs.join(',');
  writeSubset(join(dir, `hscore-${name}.json`), { ids: hscore, method: 'hscore', params: { removed, R, epochs: ctx.cfg.phase1.epochs }, source, total: ctx.trainIds.length, labels });
  writeSubset(join(dir, `random-${name}.json`), { ids: random, method: 'random', params: { k: hscore.length, seed: ctx.cfg.pruning.random_seed, matches: `hscore-${name}` }, source, total: ctx.trainIds.length, labels });
  writeFileSync(join(dir, 'hscore.csv'), 'id,h,variability\n' + ctx.trainIds.map((id, i) => `${id},${h[i]},${variability[i]!.toFixed(6)}`).join('\n') + '\n');
  return { R, h, histogram, removed, name, variability, ids: { full: ctx.trainIds, hscore, random } };
}
