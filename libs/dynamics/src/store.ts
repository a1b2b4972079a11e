// A run record on disk: one folder per run holding header.json plus one flat binary file per quantity.
// Each binary file is the concatenation of epochs (epoch-major, n = ids.length values per epoch, little-endian),
// so appending an epoch is a plain append and a crashed run can be resumed or inspected with any tool.
import {
  closeSync,
  existsSync,
  fsyncSync,
  ftruncateSync,
  fstatSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  truncateSync,
  writeSync,
} from 'node:fs';
import { endianness } from 'node:os';
import { join } from 'node:path';
import type { EpochArrays, OptionalField, RunRecordHeader } from './record.ts';

type Field = keyof EpochArrays;
/** file name and bytes per value of each quantity; el2n.f32 exists only when header.optional lists 'el2n' */
export const RECORD_FILES: Record<Field, { file: string; bytes: 1 | 4 }> = {
  correct: { file: 'correct.u8', bytes: 1 },
  goldProb: { file: 'gold_prob.f32', bytes: 4 },
  loss: { file: 'loss.f32', bytes: 4 },
  margin: { file: 'margin.f32', bytes: 4 },
  el2n: { file: 'el2n.f32', bytes: 4 },
};
const ALWAYS: Field[] = ['correct', 'goldProb', 'loss', 'margin'];
const OPTIONAL: OptionalField[] = ['el2n'];

export interface RunRecord<H extends RunRecordHeader = RunRecordHeader> {
  header: H;
  /** one array per epoch, each in header.ids order */
  correct: Uint8Array[];
  goldProb: Float32Array[];
  loss: Float32Array[];
  margin: Float32Array[];
  /** present when the run recorded EL2N (header.optional includes 'el2n') */
  el2n?: Float32Array[];
  /** per epoch, the softmax class probabilities of the training forward pass, row-major [n, C] (opt-in) */
  probs?: Float32Array[];
  /** per epoch, per example, the norm of the loss gradient w.r.t. the classifier's final linear layer (opt-in) */
  grand?: Float32Array[];
  /** the pooled representation of every example in the last recorded epoch, row-major [n, dim] (opt-in) */
  embedding?: { dim: number; epoch: number; data: Float32Array };
}

const LE = endianness() === 'LE';

function encode(a: Uint8Array | Float32Array): Buffer {
  if (a instanceof Uint8Array || LE) return Buffer.from(a.buffer, a.byteOffset, a.byteLength);
  const buf = Buffer.allocUnsafe(a.length * 4);
  for (let i = 0; i < a.length; i++) buf.writeFloatLE(a[i]!, i * 4); // files are little-endian on every host
  return buf;
}

function decodeF32(buf: Buffer, offset: number, n: number): Float32Array {
  if (LE) return new Float32Array(buf.buffer.slice(buf.byteOffset + offset, buf.byteOffset + offset + n * 4)); // copy: aligned
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = buf.readFloatLE(offset + i * 4);
  return out;
}

function writeAll(fd: number, buf: Buffer): void {
  let off = 0;
  while (off < buf.length) off += writeSync(fd, buf, off, buf.length - off);
}

function writeJsonAtomic(path: string, value: unknown): void {
  const tmp = `${path}.tmp-${process.pid}`;
  const fd = openSync(tmp, 'w');
  try {
    writeAll(fd, Buffer.from(JSON.stringify(value, null, 2) + '\n'));
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, path); // rename is atomic: readers see the old or the new header, never half of one
}

function optionalOf(h: { optional?: unknown }, where: string): OptionalField[] {
  const o = h.optional ?? [];
  if (!Array.isArray(o) || o.some((f) => !OPTIONAL.includes(f as OptionalField))) {
    throw new Error(`${where}: header "optional" is ${JSON.stringify(o)}; allowed entries are ${OPTIONAL.join(', ')}`);
  }
  return o as OptionalField[];
}

/**
 * Appends one epoch to the run folder `dir`. `header.epochsDone` is the number of epochs already on disk; the
 * caller increments it after this returns. Bytes beyond epochsDone epochs (a crash between the binary writes
 * and the header update) are truncated first. header.json is written last, so it never claims an epoch that is
 * not fully on disk. Extra header fields (e.g. a config hash) are kept. Returns the header as written.
 */
export function appendEpoch<H extends RunRecordHeader>(dir: string, header: H, epoch: EpochArrays): H {
  const n = header.ids.length;
  const done = header.epochsDone;
  if (!Number.isInteger(done) || done < 0)
    throw new Error(
      `appendEpoch ${dir}: header.epochsDone = ${done}; it must be the integer number of epochs already recorded`,
    );
  if (done >= header.epochsPlanned) {
    throw new Error(
      `appendEpoch ${dir}: the run already has ${done} of ${header.epochsPlanned} planned epochs; raise ` +
        `epochsPlanned or start a new run folder`,
    );
  }
  for (const f of [...ALWAYS, ...OPTIONAL]) {
    const a = epoch[f];
    if (a === undefined && ALWAYS.includes(f))
      throw new Error(`appendEpoch ${dir}: the epoch has no ${f}; pass EpochRecorder.finish() of this run`);
    if (a !== undefined && a.length !== n)
      throw new Error(
        `appendEpoch ${dir}: ${f} has ${a.length} values but the header has ${n} ids; pass EpochRecorder.finish() of ` +
          `this run`,
      );
  }
  const headerPath = join(dir, 'header.json');
  if (done === 0) mkdirSync(dir, { recursive: true });
  else if (!existsSync(headerPath))
    throw new Error(
      `appendEpoch ${headerPath}: missing, but header.epochsDone = ${done}; resume from the header read by ` +
        `readRunRecord, or start at epochsDone = 0`,
    );
  // which optional quantities the run keeps is fixed by its first epoch
  let optional: OptionalField[] = OPTIONAL.filter((f) => epoch[f] !== undefined);
  const onDisk = existsSync(headerPath) ? (JSON.parse(readFileSync(headerPath, 'utf8')) as RunRecordHeader) : undefined;
  if (onDisk && onDisk.epochsDone > done) {
    throw new Error(
      `appendEpoch ${headerPath}: ${onDisk.epochsDone} epochs are on disk but header.epochsDone = ${done}; appending ` +
        `would overwrite recorded epochs (delete the folder to restart the run)`,
    );
  }
  if (onDisk && done > 0) {
    const kept = optionalOf(onDisk, `appendEpoch ${headerPath}`);
    if (kept.join() !== optional.join()) {
      throw new Error(
        `appendEpoch ${dir}: the run records optional quantities [${kept.join(', ')}] but this epoch has ` +
          `[${optional.join(', ')}]; record the same quantities at every epoch`,
      );
    }
    optional = kept;
  }
  const fields = [...ALWAYS, ...optional];
  for (const f of fields) {
    const { file, bytes } = RECORD_FILES[f];
    const path = join(dir, file);
    const expected = done * n * bytes;
    const fd = openSync(path, 'a+');
    try {
      const size = fstatSync(fd).size;
      if (size < expected) {
        throw new Error(
          `appendEpoch ${path}: ${size} bytes but ${done} recorded epochs of ${n} values need ${expected}; the ` +
            `record is damaged, delete ${dir} and rerun`,
        );
      }
      if (size > expected) ftruncateSync(fd, expected); // leftovers of a crash before the header update
      writeAll(fd, encode(epoch[f]!));
      fsyncSync(fd); // the bytes are durable before header.json vouches for them
    } finally {
      closeSync(fd);
    }
  }
  const { optional: _ignored, ...rest } = header;
  const written = { ...rest, ...(optional.length ? { optional } : {}), epochsDone: done + 1 } as H;
  writeJsonAtomic(headerPath, written);
  return written;
}

/** Reads the epochsDone complete epochs of a run folder (bytes of an unfinished epoch are ignored). */
export function readRunRecord<H extends RunRecordHeader = RunRecordHeader>(dir: string): RunRecord<H> {
  const headerPath = join(dir, 'header.json');
  if (!existsSync(headerPath))
    throw new Error(`readRunRecord: ${headerPath} not found; is ${dir} a run folder written by appendEpoch?`);
  let header: H;
  try {
    header = JSON.parse(readFileSync(headerPath, 'utf8')) as H;
  } catch (e) {
    throw new Error(
      `readRunRecord: ${headerPath} is not valid JSON (${(e as Error).message}); delete ${dir} and rerun the run`,
    );
  }
  if (header.version !== 1)
    throw new Error(
      `readRunRecord: ${headerPath} has version ${String(header.version)}; this reader understands version 1`,
    );
  if (!Array.isArray(header.ids) || !Number.isInteger(header.epochsDone) || header.epochsDone < 0) {
    throw new Error(
      `readRunRecord: ${headerPath} lacks an ids array or an integer epochsDone; delete ${dir} and rerun the run`,
    );
  }
  const b = header.build as unknown;
  if (b !== undefined && (typeof b !== 'object' || b === null || typeof (b as { key?: unknown }).key !== 'string')) {
    throw new Error(
      `readRunRecord: ${headerPath} has a "build" of ${JSON.stringify(b)}; it must be an object with a string key ` +
        `(numericBuild()) or absent`,
    );
  }
  const n = header.ids.length;
  const E = header.epochsDone;
  const optional = optionalOf(header, `readRunRecord ${headerPath}`);
  const rec = {
    header,
    correct: [],
    goldProb: [],
    loss: [],
    margin: [],
    ...(optional.includes('el2n') ? { el2n: [] } : {}),
  } as RunRecord<H>;
  for (const f of [...ALWAYS, ...optional]) {
    const { file, bytes } = RECORD_FILES[f];
    const path = join(dir, file);
    const need = E * n * bytes;
    const buf = existsSync(path) ? readFileSync(path) : Buffer.alloc(0);
    if (buf.length < need) {
      throw new Error(
        `readRunRecord: ${path} has ${buf.length} bytes but header.json claims ${E} epochs of ${n} values (${need} ` +
          `bytes); the record is damaged, delete ${dir} and rerun`,
      );
    }
    for (let e = 0; e < E; e++) {
      const off = e * n * bytes;
      if (f === 'correct') rec.correct.push(Uint8Array.from(buf.subarray(off, off + n)));
      else rec[f]!.push(decodeF32(buf, off, n));
    }
  }
  return rec;
}

/**
 * Cuts a run folder back to its first `epochs` epochs (a resumed run redoes what came after its snapshot): the
 * header says `epochs` done and the binary files hold exactly that many; at 0 the folder's record files go.
 * The header keeps its bytes otherwise, so a run cut and redone ends as one written straight through.
 */
export function truncateRecord(dir: string, epochs: number): void {
  const headerPath = join(dir, 'header.json');
  if (!existsSync(headerPath)) return;
  const header = JSON.parse(readFileSync(headerPath, 'utf8')) as RunRecordHeader;
  if (!Number.isInteger(epochs) || epochs < 0 || epochs > header.epochsDone) {
    throw new Error(`truncateRecord ${dir}: cannot keep ${epochs} epochs of the ${header.epochsDone} recorded`);
  }
  const n = header.ids.length;
  for (const { file, bytes } of Object.values(RECORD_FILES)) {
    const path = join(dir, file);
    if (!existsSync(path)) continue;
    if (epochs === 0) rmSync(path);
    else truncateSync(path, Math.min(statSync(path).size, epochs * n * bytes));
  }
  if (epochs === 0) rmSync(headerPath);
  else if (epochs < header.epochsDone) writeJsonAtomic(headerPath, { ...header, epochsDone: epochs });
}
