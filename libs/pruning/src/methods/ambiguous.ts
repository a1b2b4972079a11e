// The ambiguous region of the data map: the examples whose gold probability varies most over runs and epochs.
import { VARIABILITY } from './data-map.ts';
import { byScore, type SelectionMethod } from './method.ts';

export const ambiguous: SelectionMethod<'ambiguous'> = {
  name: 'ambiguous',
  title: 'ambiguous',
  doc: 'the k most variable (dataset cartography)',
  citation: 'Swayamdipta et al. 2020',
  columns: [VARIABILITY],
  keys: byScore(VARIABILITY, 'desc'),
};
