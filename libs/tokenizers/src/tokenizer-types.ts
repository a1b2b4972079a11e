// The one tokenizer interface every task preparation codes against (WordPiece for BERT, byte-level
// BPE for RoBERTa and OPT, SentencePiece unigram for Universal Sentence Encoder Lite). Offsets are
// [start, end) in UTF-16 code units of the ORIGINAL text, so SQuAD answers can be mapped from
// characters to tokens and back.

/** Word pieces of one text, without special tokens. */
export interface Pieces {
  ids: number[];
  tokens: string[];
  /** Per token, the span of the original text it came from. Pieces of one character (a byte-level
   * token holding part of a UTF-8 sequence, a ligature split in two) share that character's span.
   * Byte-level BPE follows the tokenizer's trim_offsets (on for GPT-2/RoBERTa): the leading space of
   * "Ġworld" is not part of its span. */
  offsets: Array<[number, number]>;
}

/** 'longest_first' cuts one token at a time from the longer segment (the slow Python tokenizer,
 * second segment on ties); truncationStyle 'rust' reproduces the fast tokenizer's split instead.
 * Special tokens are never cut. 'only_first'/'only_second' throw when that segment is too short. */
export type Truncation = 'longest_first' | 'only_first' | 'only_second' | 'none';

export interface EncodeOptions {
  maxLength?: number;
  /** Default: 'longest_first' when maxLength is given, else 'none'. */
  truncation?: Truncation;
  /** Default 'slow' (Python transformers' slow tokenizer, the fixture reference). */
  truncationStyle?: 'slow' | 'rust';
  /** 'max_length' pads to exactly maxLength; 'none' leaves the encoding at its own length.
   * Default: 'max_length' when maxLength is given, else 'none'. */
  padding?: 'max_length' | 'none';
  /** Default true. */
  addSpecialTokens?: boolean;
}

/** One model input row. sequenceIds: 0 or 1 for tokens of segment a or b, null for special/pad.
 * Special and pad tokens have offsets [0, 0]. */
export interface Encoded {
  inputIds: number[];
  attentionMask: number[];
  tokenTypeIds: number[];
  tokens: string[];
  offsets: Array<[number, number]>;
  sequenceIds: Array<0 | 1 | null>;
}

export interface Tokenizer {
  readonly kind: 'wordpiece' | 'bpe' | 'unigram';
  readonly vocabSize: number;
  readonly padId: number;
  /** Pieces of raw text (special tokens written in the text stay whole). */
  pieces(text: string): Pieces;
  /** Wraps already-tokenised ids with the model's special tokens ([CLS] a [SEP] b [SEP], <s> a </s></s> b </s>, OPT: </s> a b). */
  withSpecialTokens(
    a: number[],
    b?: number[],
  ): { inputIds: number[]; tokenTypeIds: number[]; sequenceIds: Array<0 | 1 | null> };
  /** How many special tokens withSpecialTokens adds for one or two segments. */
  numSpecialTokens(pair: boolean): number;
  encode(a: string, b?: string, opts?: EncodeOptions): Encoded;
  decode(ids: number[], skipSpecialTokens?: boolean): string;
}
