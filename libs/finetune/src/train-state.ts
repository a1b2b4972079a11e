// A resumable training snapshot in ONE safetensors file (written to a temporary name, then renamed, so a reader
// sees the previous snapshot or the whole new one): the parameters, the AdamW moments and step, the loop's own
// state (JSON in the header's metadata) and whatever the caller adds (tensors and JSON) to restore its side.
import * as tf from '@tensorflow/tfjs';
import { existsSync, mkdirSync, openSync, readSync, closeSync, rmSync } from 'node:fs';
import { dirname } from 'node:path';
import type { AdamW } from './adamw.ts';
import type { Params } from './params.ts';
import { readSafetensors, writeSafetensors, type RawTensor } from './safetensors.ts';

/** What a caller keeps in a snapshot beside the model: JSON plus float/int arrays (e.g. a half-recorded epoch). */
export interface CallerState { json?: unknown; arrays?: Map<string, RawTensor> }

export interface TrainSnapshot<L = unknown> { loop: L; caller: CallerState }

const FORMAT = 'prunelab-train-state-1';

/** Save params, optimizer and states to `file` atomically. */
export function saveTrainState<L>(file: string, params: Params, optimizer: AdamW, loop: L, caller: CallerState = {}): void {
  mkdirSync(dirname(file), { recursive: true });
  const t = new Map<string, RawTensor>();
  const put = (k: string, v: tf.Tensor) => t.set(k, { shape: v.shape, data: v.dataSync() as Float32Array });
  for (const [k, v] of params) put(`param/${k}`, v);
  const { m, v } = optimizer.state();
  for (const [k, x] of m) put(`adam.m/${k}`, x);
  for (const [k, x] of v) put(`adam.v/${k}`, x);
  for (const [k, x] of caller.arrays ?? []) t.set(`caller/${k}`, x);
  writeSafetensors(file, t, {
    format: FORMAT, step: String(optimizer.step), loop: JSON.stringify(loop), caller: JSON.stringify(caller.json ?? null),
  });
}

/** The metadata of a snapshot (header only, no tensors): cheap enough to poll. Undefined when there is none. */
export function readTrainStateInfo<L = unknown>(file: string): { step: number; loop: L } | undefined {
  if (!existsSync(file)) return undefined;
  const meta = readMeta(file);
  return { step: Number(meta.step), loop: JSON.parse(meta.loop ?? 'null') as L };
}

/**
 * Load a snapshot into `params` (assigned in place) and `optimizer` (moments and step restored); returns the loop
 * and caller states, or undefined when `file` does not exist. A snapshot of another model is refused by name.
 */
export function loadTrainState<L = unknown>(file: string, params: Params, optimizer: AdamW): TrainSnapshot<L> | undefined {
  if (!existsSync(file)) return undefined;
  const raw = readSafetensors(file);
  const meta = readMeta(file);
  if (meta.format !== FORMAT) throw new Error(`${file}: not a training snapshot (format ${meta.format}); delete it to start over`);
  const m = new Map<string, tf.Tensor>();
  const v = new Map<string, tf.Tensor>();
  const arrays = new Map<string, RawTensor>();
  for (const name of params.keys()) {
    if (!raw.has(`param/${name}`)) throw new Error(`${file}: has no parameter '${name}'; it belongs to another model: delete it to start over`);
  }
  for (const [k, x] of raw) {
    const slash = k.indexOf('/');
    const kind = k.slice(0, slash);
    const name = k.slice(slash + 1);
    if (kind === 'caller') {
      arrays.set(name, x);
      continue;
    }
    const t = tf.tensor(x.data, x.shape, 'float32');
    if (kind === 'param') {
      const p = params.get(name);
      if (!p) throw new Error(`${file}: parameter '${name}' is not in this model; it belongs to another model: delete it to start over`);
      if (p.shape.join() !== x.shape.join()) throw new Error(`${file}: parameter '${name}' has shape [${x.shape}], the model's is [${p.shape}]; delete it to start over`);
      p.assign(t);
      t.dispose();
    } else if (kind === 'adam.m') m.set(name, t);
    else if (kind === 'adam.v') v.set(name, t);
    else t.dispose();
  }
  optimizer.restore(Number(meta.step), m, v);
  for (const x of [...m.values(), ...v.values()]) x.dispose();
  const json = JSON.parse(meta.caller ?? 'null') as unknown;
  return { loop: JSON.parse(meta.loop!) as L, caller: { ...(json !== null && { json }), arrays } };
}

function readMeta(file: string): Record<string, string> {
  const fd = openSync(file, 'r');
  try {
    const len = Buffer.alloc(8);
    readSync(fd, len, 0, 8, 0);
    const head = Buffer.alloc(Number(len.readBigUInt64LE(0)));
    readSync(fd, head, 0, head.length, 8);
    return (JSON.parse(head.toString('utf8')).__metadata__ ?? {}) as Record<string, string>;
  } finally {
    closeSync(fd);
  }
}

export function removeTrainState(file: string): void {
  rmSync(file, { force: true });
}
