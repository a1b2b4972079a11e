// Training a copy of the main model in place, and the voting members a method keeps. A copy trains the main run's
// own batches (env.rowsOf) with a fresh AdamW and its own dropout stream, so the main model's data order, optimizer
// state and dropout masks are untouched by it.
import * as tf from '@tensorflow/tfjs';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { ForwardContext } from '../layers.ts';
import { activeHooks } from '../peft/attach.ts';
import { readSafetensors, writeSafetensors } from '../safetensors.ts';
import { makeOptimizer, stepGradients, trainableVars } from '../train.ts';
import type { MitigationEnv } from './method.ts';
import { assignValues, copyValues, disposeValues, type Values } from './weights.ts';

/** Train the model's current weights over global steps [from, to) of the main run. Returns the steps taken. */
export async function trainSteps(env: MitigationEnv, from: number, to: number, dropoutSeed: number): Promise<number> {
  const { model, data, train } = env;
  const optimizer = makeOptimizer(model, train);
  let seed = dropoutSeed;
  const ctx: ForwardContext = { training: true, nextSeed: () => seed++, peft: activeHooks(model) };
  const vars = trainableVars(model);
  try {
    for (let s = from; s < to; s++) {
      const grads = await stepGradients(model, data, env.rowsOf(s), train.batchSize, ctx, vars);
      await optimizer.apply(grads, env.lrAt(s));
      tf.dispose(Object.values(grads));
    }
  } finally {
    optimizer.dispose();
  }
  return Math.max(0, to - from);
}

/**
 * The voting members besides the main model: weight sets of the trainable parameters, each written to
 * `<dir>/mitigation-member-<j>.safetensors` when it is made, so a resumed job reads them instead of retraining.
 */
export class Members {
  private sets: Values[] = [];
  constructor(
    private env: MitigationEnv,
    private tag: string,
  ) {}

  get count(): number {
    return this.sets.length;
  }

  private file(j: number): string | undefined {
    return this.env.dir && join(this.env.dir, `mitigation-${this.tag}-${j}.safetensors`);
  }

  /** member j (1-based) as saved by an earlier attempt of this job, if any */
  load(j: number): boolean {
    const f = this.file(j);
    if (!f || !existsSync(f)) return false;
    const raw = readSafetensors(f);
    this.sets.push(new Map([...raw].map(([n, t]) => [n, tf.keep(tf.tensor(t.data, t.shape))])));
    return true;
  }

  /** keep the model's current trainable weights as the next member */
  add(): void {
    const v = copyValues(this.env.model);
    this.sets.push(v);
    const f = this.file(this.sets.length);
    if (f) {
      mkdirSync(this.env.dir!, { recursive: true });
      writeSafetensors(f, new Map([...v].map(([n, t]) => [n, { shape: t.shape, data: t.dataSync() as Float32Array }])));
    }
  }

  async with<T>(j: number, fn: () => Promise<T>): Promise<T> {
    if (j === 0) return fn();
    const set = this.sets[j - 1];
    if (!set) throw new Error(`internal: no member ${j} (${this.sets.length} kept)`);
    const main = copyValues(this.env.model, [...set.keys()]);
    assignValues(this.env.model, set);
    try {
      return await fn();
    } finally {
      assignValues(this.env.model, main);
      disposeValues(main);
    }
  }

  dispose(): void {
    for (const s of this.sets) disposeValues(s);
    this.sets = [];
  }
}
