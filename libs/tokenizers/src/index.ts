// @prunelab/tokenizers: Hugging Face tokenizer.json readers (WordPiece, byte-level BPE, Unigram) that reproduce
// the `tokenizers` library's ids, offsets, truncation and special-token templates. No TensorFlow.js.
export {
  bertNormalize,
  bertPreTokenize,
  isChineseChar,
  isPunctuation,
  type BertNormalizerConfig,
} from './bert-pretokenizer.ts';
export { WordPieceTokenizer, type Encoding } from './wordpiece.ts';
export type { EncodeOptions, Encoded, Pieces, Tokenizer, Truncation } from './tokenizer-types.ts';
export { ByteLevelBpeTokenizer, type BpeOptions, type BpeTemplateName, type ByteLevelBpeConfig } from './bpe.ts';
export { UnigramTokenizer, unigramTokenizerJson } from './unigram.ts';
export { loadTokenizer, type LoadTokenizerOptions } from './load-tokenizer.ts';
export { findGpt2Files, loadGpt2Bpe } from './gpt2-files.ts';
export type { SpecialTemplate } from './special-template.ts';
export { OPT_SPECIALS, truncatedBpeJson, writeTruncatedBpe } from './pretrain-tokenizer.ts';
