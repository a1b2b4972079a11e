// Easy-to-learn: the highest confidence. variability <= sqrt(confidence (1 - confidence)), so the confidence
// extremes are the low-variability corners of the data map by construction.
import { CONFIDENCE } from './data-map.ts';
import { byScore, type SelectionMethod } from './method.ts';

export const easy: SelectionMethod<'easy'> = {
  name: 'easy',
  title: 'easy-to-learn',
  doc: 'the k of highest confidence (cartography easy-to-learn)',
  citation: 'Swayamdipta et al. 2020',
  columns: [CONFIDENCE],
  keys: byScore(CONFIDENCE, 'desc'),
};
