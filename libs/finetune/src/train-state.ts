// A resumable training snapshot in ONE safetensors file (written to a temporary name, then renamed, so a reader
// sees the previous snapshot or the whole new one): the parameters, the AdamW moments and step, the loop's own
// state (JSON in the header's metadata) and whatever the caller adds (tensors and JSON) to restore its side.
import * as tf from '@tensorflow/tfjs';
import {
  closeSync,
  existsSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readSync,
  renameSync,
  rmSync,
  writeSync,
} from 'node:fs';
import { dirname } from 'node:path';
import type { AdamW } from './adamw.ts';
import type { Params } from './params.ts';
import type { RawTensor } from './safetensors.ts';

/** What a caller keeps in a snapshot beside the model: JSON plus float/int arrays (e.g. a half-recorded epoch). */
export interface CallerState {
  json?: unknown;
  arrays?: Map<string, RawTensor>;
}

export interface TrainSnapshot<L = unknown> {
  loop: L;
  caller: CallerState;
}

const FORMAT = 'prunelab-train-state-1';

/** One tensor to write: its bytes are fetched only when it is written. */
interface Entry {
  shape: number[];
  dtype: 'F32' | 'I32';
  bytes: number;
  data: () => Promise<Float32Array | Int32Array>;
}

type Header = Record<string, { dtype: string; shape: number[]; data_offsets: [number, number] }> & {
  __metadata__?: Record<string, string>;
};

/** Save params, optimizer and states to `file` atomically. */
export async function saveTrainState<L>(
  file: string,
  params: Params,
  optimizer: AdamW,
  loop: L,
  caller: CallerState = {},
): Promise<void> {
  mkdirSync(dirname(file), { recursive: true });
  const t = new Map<string, Entry>();
  // tensors are read one at a time while writing: a snapshot never holds the whole model in JS memory (and read
  // asynchronously, the only read a GPU backend has in Node)
  const put = (k: string, v: tf.Tensor) =>
    t.set(k, { shape: v.shape, dtype: 'F32', bytes: v.size * 4, data: async () => (await v.data()) as Float32Array });
  for (const [k, v] of params) put(`param/${k}`, v);
  const { m, v } = optimizer.state();
  for (const [k, x] of m) put(`adam.m/${k}`, x);
  for (const [k, x] of v) put(`adam.v/${k}`, x);
  for (const [k, x] of caller.arrays ?? []) {
    const dtype = x.data instanceof Float32Array ? 'F32' : 'I32';
    t.set(`caller/${k}`, { shape: x.shape, dtype, bytes: x.data.byteLength, data: async () => x.data });
  }
  const callerJson = JSON.stringify(caller.json ?? null);
  const meta = { step: String(optimizer.step), loop: JSON.stringify(loop), caller: callerJson };
  await writeStreamed(file, t, { format: FORMAT, ...meta });
}

/**
 * The safetensors layout (readSafetensors reads it), written tensor by tensor and read back the same way: a
 * large model's snapshot (params + two moments: 12 bytes a parameter) may pass the 2 GB of one Node buffer.
 * Bytes are in host order (little-endian on every machine this runs on); a snapshot is read where it was written.
 */
async function writeStreamed(
  file: string,
  tensors: Map<string, Entry>,
  metadata: Record<string, string>,
): Promise<void> {
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
      for (let o = 0; o < b.byteLength; ) o += writeSync(fd, b, o, b.byteLength - o);
    };
    put(len);
    put(Buffer.from(json, 'utf8'));
    for (const t of tensors.values()) {
      const d = await t.data();
      if (d.byteLength !== t.bytes) throw new Error(`${file}: a tensor changed size while being saved`);
      put(new Uint8Array(d.buffer, d.byteOffset, d.byteLength));
    }
    fsyncSync(fd);
  } catch (e) {
    // a full disk must not leave a half snapshot behind: the previous one stays, the error names the file
    closeSync(fd);
    rmSync(tmp, { force: true });
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOSPC')
      throw Object.assign(new Error(`cannot write ${file}: disk full (ENOSPC)`), { code, path: file });
    throw e;
  }
  closeSync(fd);
  renameSync(tmp, file); // atomic: the previous snapshot or this whole one
}

function readHeader(fd: number, file: string): { header: Header; base: number } {
  const len = Buffer.alloc(8);
  const broken = (why: string) => new Error(`${file}: ${why}; delete it to start over`);
  if (readSync(fd, len, 0, 8, 0) < 8) throw broken('not a training snapshot (shorter than 8 bytes)');
  const n = Number(len.readBigUInt64LE(0));
  const head = Buffer.alloc(n);
  if (readSync(fd, head, 0, n, 8) < n) throw broken('its header is cut short');
  return { header: JSON.parse(head.toString('utf8')) as Header, base: 8 + n };
}

/** The snapshot's metadata; each tensor is handed to `each` as it is read (one in JS memory at a time). */
function readStreamed(file: string, each?: (name: string, t: RawTensor) => void): Record<string, string> {
  const fd = openSync(file, 'r');
  try {
    const { header, base } = readHeader(fd, file);
    for (const [name, t] of Object.entries(header)) {
      if (name === '__metadata__' || !each) continue;
      const {
        dtype,
        shape,
        data_offsets: [start, end],
      } = t as Header[string];
      const bytes = new Uint8Array(end - start);
      for (let o = 0; o < bytes.byteLength; ) {
        const got = readSync(fd, bytes, o, bytes.byteLength - o, base + start + o);
        if (got === 0) throw new Error(`${file}: tensor '${name}' is cut short; delete it to start over`);
        o += got;
      }
      each(name, { shape, data: dtype === 'I32' ? new Int32Array(bytes.buffer) : new Float32Array(bytes.buffer) });
    }
    return header.__metadata__ ?? {};
  } finally {
    closeSync(fd);
  }
}

/** The metadata of a snapshot (header only, no tensors): cheap enough to poll. Undefined when there is none. */
export function readTrainStateInfo<L = unknown>(file: string): { step: number; loop: L } | undefined {
  if (!existsSync(file)) return undefined;
  const meta = readStreamed(file);
  return { step: Number(meta.step), loop: JSON.parse(meta.loop ?? 'null') as L };
}

/**
 * Load a snapshot into `params` (assigned in place) and `optimizer` (moments and step restored); returns the loop
 * and caller states, or undefined when `file` does not exist. A snapshot of another model is refused by name.
 */
export function loadTrainState<L = unknown>(
  file: string,
  params: Params,
  optimizer: AdamW,
): TrainSnapshot<L> | undefined {
  if (!existsSync(file)) return undefined;
  const other = (why: string) => new Error(`${file}: ${why}; it is another model's: delete it to start over`);
  const format = readStreamed(file).format;
  if (format !== FORMAT) throw other(`not a training snapshot (format ${format})`);
  const m = new Map<string, tf.Tensor>();
  const v = new Map<string, tf.Tensor>();
  const arrays = new Map<string, RawTensor>();
  const seen = new Set<string>();
  const meta = readStreamed(file, (k, x) => {
    const slash = k.indexOf('/');
    const kind = k.slice(0, slash);
    const name = k.slice(slash + 1);
    if (kind === 'caller') arrays.set(name, x);
    else if (kind === 'param') {
      const p = params.get(name);
      if (!p) throw other(`parameter '${name}' is not in this model`);
      const shape = `[${x.shape}], the model's [${p.shape}]`;
      if (p.shape.join() !== x.shape.join()) throw other(`parameter '${name}' is ${shape}`);
      tf.tidy(() => p.assign(tf.tensor(x.data, x.shape, 'float32')));
      seen.add(name);
    } else if (kind === 'adam.m') m.set(name, tf.tensor(x.data, x.shape, 'float32'));
    else if (kind === 'adam.v') v.set(name, tf.tensor(x.data, x.shape, 'float32'));
  });
  const missing = [...params.keys()].find((name) => !seen.has(name));
  if (missing) throw other(`it has no parameter '${missing}'`);
  optimizer.restore(Number(meta.step), m, v);
  for (const x of [...m.values(), ...v.values()]) x.dispose();
  const json = JSON.parse(meta.caller ?? 'null') as unknown;
  return { loop: JSON.parse(meta.loop!) as L, caller: { ...(json !== null && { json }), arrays } };
}
