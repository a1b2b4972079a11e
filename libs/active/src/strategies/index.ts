// The query strategies: one file each, one row here (then the label-free pruning methods). The app's
// al.strategies list and docs/active-learning.md's table come from this table.
import type { Strategy } from '../strategy.ts';
import { bald } from './bald.ts';
import { badge } from './badge.ts';
import { cal } from './cal.ts';
import { coreset } from './coreset.ts';
import { dal } from './dal.ts';
import { entropy } from './entropy.ts';
import { leastConfidence } from './least-confidence.ts';
import { margin } from './margin.ts';
import { mcEntropy } from './mc-entropy.ts';
import { pruningStrategies } from './pruning-bridge.ts';
import { random } from './random.ts';

const OWN: readonly Strategy[] = [random, leastConfidence, margin, entropy, mcEntropy, bald, coreset, badge, dal, cal];

export const STRATEGIES: readonly Strategy[] = [...OWN, ...pruningStrategies(OWN.map((s) => s.name))];
export const STRATEGY_NAMES: string[] = STRATEGIES.map((s) => s.name);

/** The strategy of that name; an unknown name is an error listing the known ones. */
export function strategy(name: string): Strategy {
  const s = STRATEGIES.find((x) => x.name === name);
  if (!s) throw new Error(`query strategy "${name}" is unknown; choose one of ${STRATEGY_NAMES.join(', ')}`);
  return s;
}
