// The random permutation taken class by class: each class keeps its share of k (classQuotas).
import type { SelectionMethod } from './method.ts';
import { random } from './random.ts';

// the classes are labels: not label-free, whatever random is
const { labelFree: _labelFree, ...unlabelled } = random;

export const randomBalanced: SelectionMethod<'random_balanced'> = {
  ...unlabelled,
  name: 'random_balanced',
  title: 'class-balanced random',
  balanced: true,
  doc: 'seeded random, k split over the classes in proportion to their sizes',
};
