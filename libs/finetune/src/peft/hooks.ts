// The points where a parameter-efficient method reaches into a model's forward pass. A family's body calls
// them through ForwardContext.peft; each is optional and absent means the plain computation, so a model without
// PEFT runs exactly the code it ran before. One method file builds one PeftHooks (methods/*.ts); UniPELT
// combines several (compose.ts).
import type * as tf from '@tensorflow/tfjs';
import type { ForwardContext } from '../layers.ts';

export interface PeftHooks {
  /**
   * x W + b of the linear layer `module` (its Hugging Face module name without `.weight`, for example
   * `bert.encoder.layer.0.attention.self.query`, `model.decoder.layers.1.fc2`). w is [in, out] as kept in memory.
   * Absent, or returning undefined: the plain linear.
   */
  linear?(
    module: string,
    x: tf.Tensor,
    w: tf.Tensor,
    b: tf.Tensor | undefined,
    ctx: ForwardContext,
  ): tf.Tensor | undefined;
  /**
   * The end of residual sublayer `part` of layer `layer`: h is the sublayer's output after its dropout, res the
   * sublayer's input (the residual), norm the LayerNorm the layer applies after the sum (post-LN: BERT, RoBERTa;
   * undefined for pre-LN: OPT, USE-Lite). Returns what the layer passes on; the plain computation is
   * norm(h + res) (pre-LN: h + res). Absent, or returning undefined: the plain computation.
   */
  sublayer?(
    layer: number,
    part: 'attention' | 'ffn',
    h: tf.Tensor,
    res: tf.Tensor,
    norm: ((y: tf.Tensor) => tf.Tensor) | undefined,
    ctx: ForwardContext,
  ): tf.Tensor | undefined;
  /**
   * Keys and values put before the layer's own in self-attention, each [B, heads, P, headDim], computed from the
   * layer's input x [B, T, H] (UniPELT's prefix gate reads it). Every query attends to them (mask 0), causal
   * models included.
   */
  prefix?(layer: number, x: tf.Tensor, ctx: ForwardContext): { key: tf.Tensor; value: tf.Tensor } | undefined;
  /**
   * Virtual tokens that count as past (peft prefix tuning's past_key_values_length): the body numbers the real
   * tokens' positions after them and the position table must hold T + pastLength rows.
   */
  pastLength?: number;
  /**
   * peft prompt tuning: rows [B, P, H] put before the word embeddings of every sequence. The body then runs on
   * P + T positions: attention mask with P leading ones, token types with P leading zeros, positions as the
   * library numbers an inputs_embeds input; the heads read the longer hidden states.
   */
  prompt?(batch: number, ctx: ForwardContext): tf.Tensor;
}
