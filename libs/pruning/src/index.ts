export {
  subsetName,
  parseSubsetName,
  selectByH,
  selectByHIndices,
  hSubsetSize,
  winningTicketRemoved,
  PAPER_SUBSETS_R6,
  automaticSubsets,
} from './hscore-subsets.ts';
export { seededPermutation, randomSubset, permutationOrder, permutationKeys, hash53Parts } from './random-subset.ts';
export { topK, ambiguousSubset } from './ambiguous-subset.ts';
export { idPool, idRanks, type IdPool } from './id-pool.ts';
export { rankIndices, rankTop, topKIndices, classQuotas, classCounts, balancedTake, type Order } from './rank.ts';
export {
  selectionContext,
  scoreOf,
  byScore,
  memo,
  seedOf,
  methodTop,
  selectIndices,
  selectIds,
  takeK,
  idsAt,
  formatScore,
  checkOptions,
  optionsOf,
  rankingKeys,
  type MethodOption,
  type SelectionMethod,
  type ScoreColumn,
  type SelectionInput,
  type SelectionContext,
  type PhaseOneRecords,
} from './methods/method.ts';
export {
  SELECTION_METHODS,
  SELECTION_METHOD_NAMES,
  selectionMethod,
  scoreColumns,
  type SelectionMethodName,
} from './methods/index.ts';
export { DATA_MAP_COLUMNS } from './methods/data-map.ts';
export { externalDigest, readExternal } from './methods/external.ts';
export { knnGraph, type KnnGraph } from './knn.ts';
export { kMeans, normalizeRows } from './vectors.ts';
export { matchedK, type SizeSpec } from './matched-size.ts';
export { stableSortByKey, stableSortByKey64, sortKeys, sortByKeys, type SortKeys } from './radix.ts';
export {
  writeSubset,
  readSubset,
  missingIds,
  SUBSET_FORMAT,
  type SubsetSpec,
  type SubsetFile,
  type ReadSubsetOptions,
} from './subset-file.ts';
