// AdamW as torch.optim.AdamW computes it (decoupled weight decay, bias correction), with gradient clipping
// by global norm and a per-step learning rate from the schedule.
import * as tf from '@tensorflow/tfjs';
import { checkWebgpu } from './backend-webgpu.ts';
import { fusedAdamW, fusedGlobalNorm } from './kernels-adamw.ts';
import type { Params } from './params.ts';

export interface AdamWOptions {
  lr: number;
  betas?: [number, number];
  eps?: number;
  weightDecay?: number;
  /** Parameters that get no weight decay; HF's Trainer exempts biases and LayerNorm weights. */
  noDecay?: (name: string) => boolean;
  maxGradNorm?: number; // 0 or undefined: no clipping
}

/** HF Trainer's exemptions: every bias and every LayerNorm parameter (BERT/RoBERTa `LayerNorm.`, OPT `*layer_norm.`). */
export const hfNoDecay = (name: string): boolean =>
  name.endsWith('.bias') || name.includes('LayerNorm.') || name.includes('layer_norm.');

export class AdamW {
  step = 0;
  private m = new Map<string, tf.Variable>();
  private v = new Map<string, tf.Variable>();
  constructor(
    private params: Params,
    private opts: AdamWOptions,
  ) {}

  /** One update with learning rate `lr`; `grads` is keyed by variable name, as tf.variableGrads returns it.
   * Resolves to the global gradient norm before clipping (read asynchronously: a GPU backend has no synchronous read). */
  async apply(grads: Record<string, tf.Tensor>, lr = this.opts.lr): Promise<number> {
    const [b1, b2] = this.opts.betas ?? [0.9, 0.999];
    const eps = this.opts.eps ?? 1e-8;
    const wd = this.opts.weightDecay ?? 0;
    this.step += 1;
    const bc1 = 1 - b1 ** this.step;
    const bc2 = 1 - b2 ** this.step;
    // One native pass per gradient on wasm with the addon (kernels-adamw.ts), else the composition.
    const norm = fusedGlobalNorm(Object.values(grads)) ?? (await globalNorm(Object.values(grads)));
    checkWebgpu(); // every training step passes here: a device error stops the run before it saves wrong weights
    const max = this.opts.maxGradNorm ?? 0;
    const scale = max > 0 && norm > max ? max / (norm + 1e-6) : 1; // torch's clip_grad_norm_ adds 1e-6
    tf.tidy(() => {
      for (const [name, p] of this.params) {
        const g0 = grads[p.name];
        if (!g0) continue;
        const m = this.slot(this.m, name, p);
        const v = this.slot(this.v, name, p);
        const decay = wd > 0 && !this.opts.noDecay?.(name) ? 1 - lr * wd : 1;
        // The same update as one kernel when it can run here (equal to the composition below, tested there).
        const fused = fusedAdamW(p, m, v, g0, { scale, b1, b2, eps, decay, bc1, bc2, lr });
        if (fused) {
          p.assign(fused[0]);
          m.assign(fused[1]);
          v.assign(fused[2]);
          continue;
        }
        const g = scale === 1 ? g0 : tf.mul(g0, scale);
        m.assign(tf.add(tf.mul(m, b1), tf.mul(g, 1 - b1)));
        v.assign(tf.add(tf.mul(v, b2), tf.mul(tf.square(g), 1 - b2)));
        const decayed = decay !== 1 ? tf.mul(p, decay) : p;
        const denom = tf.add(tf.div(tf.sqrt(v), Math.sqrt(bc2)), eps);
        p.assign(tf.sub(decayed, tf.mul(tf.div(m, denom), lr / bc1)));
      }
    });
    return norm;
  }

  private slot(map: Map<string, tf.Variable>, name: string, p: tf.Variable): tf.Variable {
    let s = map.get(name);
    if (!s) {
      s = tf.variable(tf.zerosLike(p), false);
      map.set(name, s);
    }
    return s;
  }

  /** The moments by parameter name, for a resumable checkpoint. */
  state(): { m: Map<string, tf.Variable>; v: Map<string, tf.Variable> } {
    return { m: this.m, v: this.v };
  }

  /** Continue from a checkpoint: step count and the moments state() returned. */
  restore(step: number, m: Map<string, tf.Tensor>, v: Map<string, tf.Tensor>): void {
    this.dispose();
    this.step = step;
    for (const [k, t] of m) this.m.set(k, tf.variable(t, false));
    for (const [k, t] of v) this.v.set(k, tf.variable(t, false));
  }

  dispose(): void {
    for (const s of [...this.m.values(), ...this.v.values()]) s.dispose();
    this.m.clear();
    this.v.clear();
  }
}

async function globalNorm(grads: tf.Tensor[]): Promise<number> {
  const t = tf.tidy(() => tf.sqrt(tf.addN(grads.map((g) => tf.sum(tf.square(g))))));
  const [norm] = await t.data();
  t.dispose();
  return norm!;
}

/** HF's linear schedule: warm up from 0 to lr over `warmup` steps, then decay linearly to 0 at `total`. */
export function linearSchedule(lr: number, total: number, warmup = 0): (step: number) => number {
  return (step) => {
    if (step < warmup) return (lr * step) / Math.max(1, warmup);
    return lr * Math.max(0, (total - step) / Math.max(1, total - warmup));
  };
}
