// Hard-to-learn: the lowest confidence (the other low-variability corner of the data map, see easy.ts).
import { CONFIDENCE } from './data-map.ts';
import { byScore, type SelectionMethod } from './method.ts';

export const hard: SelectionMethod<'hard'> = {
  name: 'hard',
  title: 'hard-to-learn',
  doc: 'the k of lowest confidence (cartography hard-to-learn)',
  citation: 'Swayamdipta et al. 2020',
  columns: [CONFIDENCE],
  keys: byScore(CONFIDENCE, 'asc'),
};
