// peft 0.5.0 prefix tuning (PrefixTuningConfig, PrefixEncoder): num_virtual_tokens key/value rows put before every
// self-attention layer's own, the real tokens' positions counted after them.
//
// The table [P, num_layers * 2 * token_dim] is read as peft views it: [P, 2 * layers, heads, head_dim], layer i
// taking row 2i as keys and 2i + 1 as values. Without prefix_projection it is the parameter
// `prompt_encoder.embedding.weight`. With prefix_projection a fresh adapter computes it as peft trains it:
// embedding [P, token_dim] -> transform.0 Linear(token_dim, encoder_hidden_size) -> tanh -> transform.2
// Linear(encoder_hidden_size, layers * 2 * token_dim); the MLP trains, and saving writes its output as
// `prompt_embeddings` (peft's get_prompt_embedding_to_save), not its weights. A saved adapter (inference_mode true,
// as peft always writes) is that projected table, used directly as peft's PrefixEncoder does in inference mode:
// in memory `prompt_encoder.embedding.weight` [P, layers * 2 * token_dim], no MLP. The engine trains such a table
// if asked (peft cannot resume training a projected adapter: its trainable encoder has no place for the table).
import * as tf from '@tensorflow/tfjs';
import { linear, type ForwardContext } from '../../layers.ts';
import type { ModelConfig } from '../../model-config.ts';
import { param, type Params } from '../../params.ts';
import type { PeftHooks } from '../hooks.ts';
import type { PeftMethod } from '../method.ts';
import {
  bool,
  commonConfig,
  configOptions,
  derivedDims,
  type ModelDims,
  PROMPT_LEARNING_FAMILIES,
  positiveInt,
  promptFileNames,
  seededDraws,
  variable,
} from './prompt-learning.ts';
import { checkKeys, parseSaved } from './peft-common.ts';

export type PrefixOptions = ModelDims & {
  num_virtual_tokens: number;
  prefix_projection: boolean;
  /** width of the projection MLP's hidden layer (peft default: token_dim; saved even without projection) */
  encoder_hidden_size: number;
  /** peft's flag: with prefix_projection, true means the adapter is the projected table itself (a loaded one) */
  inference_mode: boolean;
};

const OWN = ['num_virtual_tokens', 'prefix_projection', 'encoder_hidden_size'] as const;
const DERIVED = ['token_dim', 'num_layers', 'num_attention_heads', 'num_transformer_submodules'] as const;
const OPTIONS = [...OWN, ...DERIVED, 'inference_mode'];

const EMBEDDING = 'prompt_encoder.embedding.weight';
const T = 'prompt_encoder.transform';

/** Whether the adapter computes its table with the MLP (else the table is the embedding itself). */
const projects = (o: PrefixOptions) => o.prefix_projection && !o.inference_mode;

function parseOptions(raw: Record<string, unknown>, c: ModelConfig, key: string): PrefixOptions {
  checkKeys(raw, OPTIONS, key, 'prefix');
  const dims = derivedDims(raw, c, key);
  return {
    num_virtual_tokens: positiveInt(raw, 'num_virtual_tokens', key),
    prefix_projection: bool(raw, 'prefix_projection', key, false),
    encoder_hidden_size: positiveInt(raw, 'encoder_hidden_size', key, dims.token_dim),
    ...dims,
    inference_mode: bool(raw, 'inference_mode', key, false),
  };
}

function create(_c: ModelConfig, o: PrefixOptions, seed: number): Params {
  const P = o.num_virtual_tokens;
  const width = o.num_layers * 2 * o.token_dim;
  const draw = seededDraws(seed);
  const params: Params = new Map();
  if (!projects(o)) {
    params.set(EMBEDDING, variable(draw.normal(P * width), [P, width]));
    return params;
  }
  const H = o.token_dim;
  const E = o.encoder_hidden_size;
  params.set(EMBEDDING, variable(draw.normal(P * H), [P, H]));
  // nn.Linear's default init, drawn in HF's [out, in] order and kept as [in, out]
  const lin = (name: string, inDim: number, outDim: number) => {
    const b = 1 / Math.sqrt(inDim);
    const w = tf.tidy(() => tf.tensor(draw.uniform(outDim * inDim, b), [outDim, inDim]).transpose());
    params.set(`${name}.weight`, tf.variable(w, true));
    w.dispose();
    params.set(`${name}.bias`, variable(draw.uniform(outDim, b), [outDim]));
  };
  lin(`${T}.0`, H, E);
  lin(`${T}.2`, E, width);
  return params;
}

/** The table [P, layers * 2 * token_dim] the prefixes are read from. */
function prefixTable(params: Params, o: PrefixOptions): tf.Tensor {
  const e = param(params, EMBEDDING);
  if (!projects(o)) return e;
  const h = tf.tanh(linear(e, param(params, `${T}.0.weight`), param(params, `${T}.0.bias`)));
  return linear(h, param(params, `${T}.2.weight`), param(params, `${T}.2.bias`));
}

function hooks(params: Params, _c: ModelConfig, o: PrefixOptions): PeftHooks {
  const P = o.num_virtual_tokens;
  const nh = o.num_attention_heads;
  const d = o.token_dim / nh;
  return {
    pastLength: P,
    prefix(layer: number, x: tf.Tensor, _ctx: ForwardContext) {
      const B = x.shape[0]!;
      // [P, 2 * layers, heads, d]; peft permutes its batch copies to [2 * layers, B, heads, P, d]
      const rows = prefixTable(params, o).reshape([P, 2 * o.num_layers, nh, d]);
      const part = (r: number) => {
        const kv = tf.slice(rows, [0, r, 0, 0], [P, 1, nh, d]).reshape([1, P, nh, d]).transpose([0, 2, 1, 3]);
        return tf.broadcastTo(kv, [B, nh, P, d]);
      };
      return { key: part(2 * layer), value: part(2 * layer + 1) };
    },
  };
}

export const prefix: PeftMethod<PrefixOptions> = {
  name: 'prefix',
  title: 'prefix tuning (peft 0.5.0)',
  library: 'peft',
  families: PROMPT_LEARNING_FAMILIES,
  // peft 0.5.0 puts prefixes in only in its task models; the engine's is PeftModelForSequenceClassification
  heads: ['seqcls'],
  parseOptions,
  create,
  hooks,
  checkpoint: {
    identifies: (json) => json.peft_type === 'PREFIX_TUNING',
    fromConfig(json, c, file) {
      const raw = configOptions(json, 'PREFIX_TUNING', [...OWN, ...DERIVED], file);
      // peft saves inference_mode true: a projected adapter comes back as its projected table
      return parseSaved(file, (key) => parseOptions({ ...raw, inference_mode: json.inference_mode ?? false }, c, key));
    },
    toConfig: (o) => ({
      ...commonConfig('PREFIX_TUNING'),
      encoder_hidden_size: o.encoder_hidden_size,
      num_attention_heads: o.num_attention_heads,
      num_layers: o.num_layers,
      num_transformer_submodules: o.num_transformer_submodules,
      num_virtual_tokens: o.num_virtual_tokens,
      prefix_projection: o.prefix_projection,
      token_dim: o.token_dim,
    }),
    fileNames: (name) => promptFileNames(name),
    // the MLP's linear weights ([in, out] in memory) are never in the file; the table is stored as it is
    transposed: (name) => /^prompt_encoder\.transform\.\d+\.weight$/.test(name),
    savedValue: (name, params, _c, o) =>
      name === EMBEDDING && projects(o) ? tf.tidy(() => prefixTable(params, o)) : undefined,
  },
};
