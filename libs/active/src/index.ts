export {
  type Outputs,
  type StrategyInput,
  type Strategy,
  checkStrategyOptions,
  topByScore,
  idOrder,
} from './strategy.ts';
export { STRATEGIES, STRATEGY_NAMES, strategy } from './strategies/index.ts';
export { badgeEmbedding, badgeFactors } from './strategies/badge.ts';
export { fitLogistic } from './strategies/dal.ts';
export { mcEntropies } from './strategies/mc.ts';
export { gram, centreGram, gramCka, linearCka } from './cka.ts';
export { curveAuc, ripl, type CurvePoint } from './curves.ts';
