// Parameters by Hugging Face state_dict name. Linear weights live transposed in memory ([in, out]); everything
// else is stored as in the checkpoint.
import type * as tf from '@tensorflow/tfjs';

/** linear: stored transposed in memory; embedding/norm/bias: stored as in the checkpoint. */
export type ParamKind = 'linear' | 'embedding' | 'norm' | 'bias';
export interface ParamSpec {
  name: string;
  shape: number[];
  kind: ParamKind;
  /** Embedding row HF zeroes at initialisation (nn.Embedding padding_idx). */
  zeroRow?: number;
}
export type Params = Map<string, tf.Variable>;

export function linearSpecs(prefix: string, inDim: number, outDim: number, bias = true): ParamSpec[] {
  const w: ParamSpec = { name: `${prefix}.weight`, shape: [outDim, inDim], kind: 'linear' };
  return bias ? [w, { name: `${prefix}.bias`, shape: [outDim], kind: 'bias' }] : [w];
}

export function normSpecs(prefix: string, dim: number, affine = true): ParamSpec[] {
  if (!affine) return [];
  return [
    { name: `${prefix}.weight`, shape: [dim], kind: 'norm' },
    { name: `${prefix}.bias`, shape: [dim], kind: 'bias' },
  ];
}

export function param(params: Params, name: string): tf.Variable {
  const p = params.get(name);
  if (!p) throw new Error(`model parameter '${name}' is missing`);
  return p;
}

/** A parameter that may be absent by configuration (biases with enable_bias false, non-affine norms). */
export function optionalParam(params: Params, name: string): tf.Variable | undefined {
  return params.get(name);
}

/**
 * A parameter's values as a file stores them: linear weights back in HF's [out, in] (transposed on the host). Read
 * asynchronously, the only read a GPU backend has in Node.
 */
export async function hfLayoutData(v: tf.Tensor, linear: boolean): Promise<Float32Array> {
  const data = (await v.data()) as Float32Array;
  if (!linear) return new Float32Array(data);
  const [rows, cols] = v.shape as [number, number];
  const out = new Float32Array(data.length);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = data[r * cols + c]!;
  return out;
}
