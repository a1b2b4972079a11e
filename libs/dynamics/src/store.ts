// A run record on disk: one folder per run holding header.json plus one flat binary file per quantity.
// Each binary file is the concatenation of epochs (epoch-major, n = ids.length values per epoch, little-endian),
// so appending an epoch is a plain append and a crashed run can be resumed or inspected with any tool.
import { closeSync, existsSync, ftruncateSync, fstatSync, mkdirSync, openSync, readFileSync, renameSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import type { EpochArrays, RunRecordHeader } from './record.ts';

type Field = keyof EpochArrays;
/** file name and bytes per value of each quantity */
export const RECORD_FILES: Record<Field, { file: string; bytes: 1 | 4 }> = {
  correct: { file: 'correct.u8', bytes: 1 },
  goldProb: { file: 'gold_prob.f32', bytes: 4 },
  loss: { file: 'loss.f32', bytes: 4 },
  margin: { file: 'margin.f32', bytes: 4 },
};
const FIELDS = Object.keys(RECORD_FILES) as Field[];

export interface RunRecord<H extends RunRecordHeader = RunRecordHeader> {
  header: H;
  /** one array per epoch, each in header.ids order */
  correct: Uint8Array[];
  goldProb: Float32Array[];
  loss: Float32Array[];
  margin: Float32Array[];
}

function encode(a: Uint8Array | Float32Array): Buffer {
  if (a instanceof Uint8Array) return Buffer.from(a.buffer, a.byteOffset, a.byteLength);
  const buf = Buffer.allocUnsafe(a.length * 4);
  for (let i = 0; i < a.length; i++) buf.writeFloatLE(a[i]!, i * 4); // explicit LE: portable across hosts
  return buf;
}

function decodeF32(buf: Buffer, offset: number, n: number): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = buf.readFloatLE(offset + i * 4);
  return out;
}

function writeJsonAtomic(path: string, value: unknown): void {
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, JSON.stringify(value, null, 2) + '\n');
  renameSync(tmp, path); // rename is atomic: readers see the old or the new header, never half of one
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
  if (!Number.isInteger(done) || done < 0) throw new Error(`appendEpoch ${dir}: header.epochsDone = ${done}; it must be the integer number of epochs already recorded`);
  if (done >= header.epochsPlanned) {
    throw new Error(`appendEpoch ${dir}: the run already has ${done} of ${header.epochsPlanned} planned epochs; raise epochsPlanned or start a new run folder`);
  }
  for (const f of FIELDS) {
    if (epoch[f].length !== n) throw new Error(`appendEpoch ${dir}: ${f} has ${epoch[f].length} values but the header has ${n} ids; pass EpochRecorder.finish() of this run`);
  }
  const headerPath = join(dir, 'header.json');
  if (done === 0) mkdirSync(dir, { recursive: true });
  else if (!existsSync(headerPath)) throw new Error(`appendEpoch ${headerPath}: missing, but header.epochsDone = ${done}; resume from the header read by readRunRecord, or start at epochsDone = 0`);
  if (existsSync(headerPath)) {
    const onDisk = JSON.parse(readFileSync(headerPath, 'utf8')) as RunRecordHeader;
    if (onDisk.epochsDone > done) {
      throw new Error(`appendEpoch ${headerPath}: ${onDisk.epochsDone} epochs are on disk but header.epochsDone = ${done}; appending would overwrite recorded epochs (delete the folder to restart the run)`);
    }
  }
  for (const f of FIELDS) {
    const { file, bytes } = RECORD_FILES[f];
    const path = join(dir, file);
    const expected = done * n * bytes;
    const fd = openSync(path, 'a+');
    try {
      const size = fstatSync(fd).size;
      if (size < expected) {
        throw new Error(`appendEpoch ${path}: ${size} bytes but ${done} recorded epochs of ${n} values need ${expected}; the record is damaged, delete ${dir} and rerun`);
      }
      if (size > expected) ftruncateSync(fd, expected); // leftovers of a crash before the header update
      writeSync(fd, encode(epoch[f]));
    } finally {
      closeSync(fd);
    }
  }
  const written = { ...header, epochsDone: done + 1 };
  writeJsonAtomic(headerPath, written);
  return written;
}

/** Reads the epochsDone complete epochs of a run folder (bytes of an unfinished epoch are ignored). */
export function readRunRecord<H extends RunRecordHeader = RunRecordHeader>(dir: string): RunRecord<H> {
  const headerPath = join(dir, 'header.json');
  if (!existsSync(headerPath)) throw new Error(`readRunRecord: ${headerPath} not found; is ${dir} a run folder written by appendEpoch?`);
  let header: H;
  try {
    header = JSON.parse(readFileSync(headerPath, 'utf8')) as H;
  } catch (e) {
    throw new Error(`readRunRecord: ${headerPath} is not valid JSON (${(e as Error).message}); delete ${dir} and rerun the run`);
  }
  if (header.version !== 1) throw new Error(`readRunRecord: ${headerPath} has version ${String(header.version)}; this reader understands version 1`);
  if (!Array.isArray(header.ids) || !Number.isInteger(header.epochsDone) || header.epochsDone < 0) {
    throw new Error(`readRunRecord: ${headerPath} lacks an ids array or an integer epochsDone; delete ${dir} and rerun the run`);
  }
  const n = header.ids.length;
  const E = header.epochsDone;
  const rec = { header, correct: [], goldProb: [], loss: [], margin: [] } as RunRecord<H>;
  for (const f of FIELDS) {
    const { file, bytes } = RECORD_FILES[f];
    const path = join(dir, file);
    const need = E * n * bytes;
    const buf = existsSync(path) ? readFileSync(path) : Buffer.alloc(0);
    if (buf.length < need) {
      throw new Error(`readRunRecord: ${path} has ${buf.length} bytes but header.json claims ${E} epochs of ${n} values (${need} bytes); the record is damaged, delete ${dir} and rerun`);
    }
    for (let e = 0; e < E; e++) {
      const off = e * n * bytes;
      if (f === 'correct') rec.correct.push(Uint8Array.from(buf.subarray(off, off + n)));
      else rec[f].push(decodeF32(buf, off, n));
    }
  }
  return rec;
}
