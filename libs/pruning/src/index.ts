export { subsetName, parseSubsetName, selectByH, winningTicketRemoved, PAPER_SUBSETS_R6, automaticSubsets } from './hscore-subsets.ts';
export { seededPermutation, randomSubset } from './random-subset.ts';
export { topK, ambiguousSubset } from './ambiguous-subset.ts';
export { writeSubset, readSubset, SUBSET_FORMAT, type SubsetSpec, type SubsetFile } from './subset-file.ts';
