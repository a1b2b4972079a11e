// @prunelab/core: the few types and rules every lib must agree on. No TensorFlow.js, no I/O.
export { mulberry32, permutation, shuffleInPlace, splitmix32 } from './rng.ts';
export { rowsPerExample, selectRows, type EncodedSet } from './encoded.ts';
export {
  HEAD_OF_KIND,
  HEADS,
  KIND_RULES,
  TASK_KINDS,
  kindOfSet,
  rowCorrect,
  type HeadKind,
  type KindRule,
  type RowRule,
  type TaskKind,
} from './task-kind.ts';
export { REGRESSION_TOLERANCE, argmax, classCorrect, regressionCorrect, spanCorrect } from './correct.ts';
