// The data-map columns (dataset cartography, Swayamdipta et al. 2020) of the used runs and epochs: always in
// scores.csv, first after id, label and h (the report's data map reads them), and ranked by ambiguous, easy, hard.
import { type Cartography, cartography } from '@prunelab/dynamics';
import { memo, type PhaseOneRecords, type ScoreColumn, type SelectionContext } from './method.ts';

function dataMap(records: PhaseOneRecords, ctx: SelectionContext): Cartography {
  return memo(ctx, 'cartography', () => {
    const used = records.runs.slice(0, records.runsUsed);
    const E = records.epochsUsed;
    return cartography(
      used.map((r) => r.goldProb.slice(0, E)),
      used.map((r) => r.correct.slice(0, E)),
    );
  });
}

export const CONFIDENCE: ScoreColumn = {
  name: 'confidence',
  hard: 'low',
  doc: 'mean gold-label probability over the used runs and epochs',
  digits: 5,
  compute: (records, ctx) => dataMap(records, ctx).confidence,
};

export const VARIABILITY: ScoreColumn = {
  name: 'variability',
  hard: 'high',
  doc: 'population std of the gold-label probability over the used runs and epochs',
  digits: 5,
  compute: (records, ctx) => dataMap(records, ctx).variability,
};

export const CORRECTNESS: ScoreColumn = {
  name: 'correctness',
  hard: 'low',
  doc: 'fraction of the used (run, epoch) pairs that got the example right',
  digits: 4,
  compute: (records, ctx) => dataMap(records, ctx).correctness,
};

export const DATA_MAP_COLUMNS: readonly ScoreColumn[] = [CONFIDENCE, VARIABILITY, CORRECTNESS];
