// A resumable training snapshot in ONE safetensors file (written to a temporary name, then renamed, so a reader
// sees the previous snapshot or the whole new one): the parameters, the AdamW moments and step, the loop's own
// state (JSON in the header's metadata) and whatever the caller adds (tensors and JSON) to restore its side.
import * as tf from '@tensorflow/tfjs';
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readSync, renameSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import type { AdamW } from './adamw.ts';
import type { Params } from './params.ts';
import type { RawTensor } from './safetensors.ts';

/** What a caller keeps in a snapshot beside the model: JSON plus float/int arrays (e.g. a half-recorded epoch). */
export interface CallerState { json?: unknown; arrays?: Map<string, RawTensor> }

export interface TrainSnapshot<L = unknown> { loop: L; caller: CallerState }

const FORMAT = 'prunelab-train-state-1';

/** Save params, optimizer and states to `file` atomically. */
export function saveTrainState<L>(file: string, params: Params, optimizer: AdamW, loop: L, caller: CallerState = {}): void {
  mkdirSync(dirname(file), { recursive: true });
  const t = new Map<string, Entry>();
  // tensors are read one at a time while writing: a snapshot never holds the whole model in JS memory
  const put = (k: string, v: tf.Tensor) => t.set(k, { shape: v.shape, dtype: 'F32', bytes: v.size * 4, data: () => v.dataSync() as Float32Array });
  for (const [k, v] of params) put(`param/${k}`, v);
  const { m, v } = optimizer.state();
  for (const [k, x] of m) put(`adam.m/${k}`, x);
  for (const [k, x] of v) put(`adam.v/${k}`, x);
  for (const [k, x] of caller.arrays ?? []) {
    t.set(`caller/${k}`, { shape: x.shape, dtype: x.data instanceof Float32Array ? 'F32' : 'I32', bytes: x.data.byteLength, data: () => x.data });
  }
  writeStreamed(file, t, { format: FORMAT, step: String(optimizer.step), loop: JSON.stringify(loop), caller: JSON.stringify(caller.json ?? null) });
}

interface Entry { shape: number[]; dtype: 'F32' | 'I32'; bytes: number; data: () => Float32Array | Int32Array }

type Header = Record<string, { dtype: string; shape: number[]; data_offsets: [number, number] }> & { __metadata__?: Record<string, string> };

/**
 * The safetensors layout (readSafetensors reads it), written tensor by tensor and read back the same way: a
 * large model's snapshot (params + two moments: 12 bytes a parameter) may pass the 2 GB of one Node buffer.
 * Bytes are in host order (little-endian on every machine this runs on), as the snapshot is read where it was written.
 */
function writeStreamed(file: string, tensors: Map<string, Entry>, metadata: Record<string, string>): void {
  const header: Record<string, unknown> = { __metadata__: metadata };
  let offset = 0;
  for (const [name, t] of tensors) {
    header[name] = { dtype: t.dtype, shape: t.shape, data_offsets: [offset, offset + t.bytes] };
    offset += t.bytes;
  }
  let json = JSON.stringify(header);
  json += ' '.repeat((8 - (json.length % 8)) % 8);
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(Buffer.byteLength(json)));
  const tmp = `${file}.tmp-${process.pid}`;
  const fd = openSync(tmp, 'w');
  try {
    const put = (b: Uint8Array) => {
      for (let o = 0; o < b.byteLength;) o += writeSync(fd, b, o, b.byteLength - o);
    };
    put(len);
    put(Buffer.from(json, 'utf8'));
    for (const t of tensors.values()) {
      const d = t.data();
      if (d.byteLength !== t.bytes) throw new Error(`${file}: a tensor changed size while being saved`);
      put(new Uint8Array(d.buffer, d.byteOffset, d.byteLength));
    }
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, file); // atomic: the previous snapshot or this whole one
}

function readHeader(fd: number, file: string): { header: Header; base: number } {
  const len = Buffer.alloc(8);
  if (readSync(fd, len, 0, 8, 0) < 8) throw new Error(`${file}: not a training snapshot (shorter than 8 bytes); delete it to start over`);
  const n = Number(len.readBigUInt64LE(0));
  const head = Buffer.alloc(n);
  if (readSync(fd, head, 0, n, 8) < n) throw new Error(`${file}: truncated header; delete it to start over`);
  return { header: JSON.parse(head.toString('utf8')) as Header, base: 8 + n };
}

function readStreamed(file: string): { tensors: Map<string, RawTensor>; meta: Record<string, string> } {
  const fd = openSync(file, 'r');
  try {
    const { header, base } = readHeader(fd, file);
    const tensors = new Map<string, RawTensor>();
    for (const [name, t] of Object.entries(header)) {
      if (name === '__metadata__') continue;
      const [start, end] = (t as Header[string]).data_offsets;
      const bytes = new Uint8Array(end - start);
      for (let o = 0; o < bytes.byteLength;) {
        const got = readSync(fd, bytes, o, bytes.byteLength - o, base + start + o);
        if (got === 0) throw new Error(`${file}: tensor '${name}' is cut short; delete it to start over`);
        o += got;
      }
      const data = (t as Header[string]).dtype === 'I32' ? new Int32Array(bytes.buffer) : new Float32Array(bytes.buffer);
      tensors.set(name, { shape: (t as Header[string]).shape, data });
    }
    return { tensors, meta: header.__metadata__ ?? {} };
  } finally {
    closeSync(fd);
  }
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
  const { tensors: raw, meta } = readStreamed(file);
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
    return readHeader(fd, file).header.__metadata__ ?? {};
  } finally {
    closeSync(fd);
  }
}
