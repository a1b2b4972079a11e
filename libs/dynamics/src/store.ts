// A run record on disk: one folder per run holding header.json plus one flat binary file per quantity.
// Each binary file is the concatenation of epochs (epoch-major, n = ids.length values per epoch, little-endian;
// probs: n * numClasses), so appending an epoch is a plain append and a crashed run can be resumed or inspected
// with any tool. The one exception is embedding.f32: [n, embeddingDim] of the last appended epoch only, replaced
// at every epoch (the embeddings of every epoch would be E times the size, and the methods that read it use the last).
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
import { OPTIONAL_FIELDS, type EpochArrays, type OptionalField, type RunRecordHeader } from './record.ts';

type Field = keyof EpochArrays;
/** file name and bytes per value of each quantity; an optional one's file exists only when header.optional lists
 * it. probs holds numClasses values per example, embedding embeddingDim (last epoch only). */
export const RECORD_FILES: Record<Field, { file: string; bytes: 1 | 4 }> = {
  correct: { file: 'correct.u8', bytes: 1 },
  goldProb: { file: 'gold_prob.f32', bytes: 4 },
  loss: { file: 'loss.f32', bytes: 4 },
  margin: { file: 'margin.f32', bytes: 4 },
  el2n: { file: 'el2n.f32', bytes: 4 },
  probs: { file: 'probs.f32', bytes: 4 },
  grand: { file: 'grand.f32', bytes: 4 },
  embedding: { file: 'embedding.f32', bytes: 4 },
};
const ALWAYS: Field[] = ['correct', 'goldProb', 'loss', 'margin'];
const OPTIONAL: readonly OptionalField[] = OPTIONAL_FIELDS;
/** the quantities appended epoch after epoch (embedding is replaced instead) */
const PER_EPOCH: Field[] = [...ALWAYS, 'el2n', 'probs', 'grand'];

export interface RunRecord<H extends RunRecordHeader = RunRecordHeader> {
  header: H;
  /** one array per epoch, each in header.ids order */
  correct: Uint8Array[];
  goldProb: Float32Array[];
  loss: Float32Array[];
  margin: Float32Array[];
  /** present when the run recorded EL2N (header.optional includes 'el2n') */
  el2n?: Float32Array[];
  /** per epoch, softmax class probabilities [n, header.numClasses] row-major (header.optional includes 'probs') */
  probs?: Float32Array[];
  /** per epoch, the norm of the loss gradient w.r.t. the classifier's last linear layer (optional 'grand') */
  grand?: Float32Array[];
  /** the input of the classifier's last linear layer at epoch `epoch` (0-based, the last recorded one), [n, dim]
   * row-major (optional 'embedding'; absent while a run cut back by truncateRecord has not redone that epoch) */
  embedding?: { dim: number; epoch: number; data: Float32Array };
}

/** Values per example of a per-epoch quantity. */
const widthOf = (f: Field, numClasses: number | undefined): number => (f === 'probs' ? numClasses! : 1);

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
  const headerPath = join(dir, 'header.json');
  if (done > 0 && !existsSync(headerPath))
    throw new Error(
      `appendEpoch ${headerPath}: missing, but header.epochsDone = ${done}; resume from the header read by ` +
        `readRunRecord, or start at epochsDone = 0`,
    );
  const onDisk = existsSync(headerPath) ? (JSON.parse(readFileSync(headerPath, 'utf8')) as RunRecordHeader) : undefined;
  // widths of the wide quantities: fixed by the header (the caller's, else the one on disk), else by this epoch
  const numClasses = epoch.probs
    ? (header.numClasses ?? (done > 0 ? onDisk?.numClasses : undefined) ?? epoch.probs.length / n)
    : header.numClasses;
  if (epoch.probs && (!Number.isInteger(numClasses) || numClasses! < 2))
    throw new Error(
      `appendEpoch ${dir}: probs has ${epoch.probs.length} values for ${n} ids; pass numClasses (>= 2) values per id`,
    );
  const embeddingDim = epoch.embedding
    ? ((done > 0 ? onDisk?.embeddingDim : undefined) ?? epoch.embedding.length / n)
    : undefined;
  if (epoch.embedding && (!Number.isInteger(embeddingDim) || embeddingDim! < 1))
    throw new Error(
      `appendEpoch ${dir}: embedding has ${epoch.embedding.length} values for ${n} ids; pass dim values per id`,
    );
  for (const f of [...ALWAYS, ...OPTIONAL]) {
    const a = epoch[f];
    if (a === undefined && ALWAYS.includes(f))
      throw new Error(`appendEpoch ${dir}: the epoch has no ${f}; pass EpochRecorder.finish() of this run`);
    const width = f === 'embedding' ? embeddingDim! : widthOf(f, numClasses);
    if (a !== undefined && a.length !== n * width)
      throw new Error(
        `appendEpoch ${dir}: ${f} has ${a.length} values but the header has ${n} ids` +
          `${width > 1 ? ` of ${width} values (${f === 'probs' ? 'numClasses' : 'embeddingDim'})` : ''}; pass ` +
          `EpochRecorder.finish() of this run`,
      );
  }
  // which optional quantities the run keeps is fixed by its first epoch
  let optional: OptionalField[] = OPTIONAL.filter((f) => epoch[f] !== undefined);
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
  if (done === 0) mkdirSync(dir, { recursive: true });
  for (const f of PER_EPOCH.filter((x) => ALWAYS.includes(x) || optional.includes(x as OptionalField))) {
    const { file, bytes } = RECORD_FILES[f];
    const path = join(dir, file);
    const perEpoch = n * widthOf(f, numClasses) * bytes;
    const expected = done * perEpoch;
    const fd = openSync(path, 'a+');
    try {
      const size = fstatSync(fd).size;
      if (size < expected) {
        throw new Error(
          `appendEpoch ${path}: ${size} bytes but ${done} recorded epochs of ${perEpoch} bytes need ${expected}; the ` +
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
  if (optional.includes('embedding')) {
    // replaced whole (temp file + fsync + rename) before the header names its epoch. A crash between the rename and
    // the header leaves the next epoch's embedding under the old header; resuming redoes and rewrites that epoch.
    const path = join(dir, RECORD_FILES.embedding.file);
    const tmp = `${path}.tmp`;
    const fd = openSync(tmp, 'w');
    try {
      writeAll(fd, encode(epoch.embedding!));
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, path);
  }
  const { optional: _ignored, embeddingEpoch: _e, ...rest } = header;
  const written = {
    ...rest,
    ...(optional.length ? { optional } : {}),
    ...(optional.includes('probs') ? { numClasses } : {}),
    ...(optional.includes('embedding') ? { embeddingDim, embeddingEpoch: done } : {}),
    epochsDone: done + 1,
  } as H;
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
  if (optional.includes('probs') && (!Number.isInteger(header.numClasses) || header.numClasses! < 2))
    throw new Error(
      `readRunRecord: ${headerPath} lists probs but has numClasses ${String(header.numClasses)}; delete ${dir} and ` +
        `rerun the run`,
    );
  const rec = {
    header,
    correct: [],
    goldProb: [],
    loss: [],
    margin: [],
    ...Object.fromEntries(optional.filter((f) => f !== 'embedding').map((f) => [f, []])),
  } as RunRecord<H>;
  for (const f of PER_EPOCH.filter((x) => ALWAYS.includes(x) || optional.includes(x as OptionalField))) {
    const { file, bytes } = RECORD_FILES[f];
    const path = join(dir, file);
    const w = widthOf(f, header.numClasses);
    const need = E * n * w * bytes;
    const buf = existsSync(path) ? readFileSync(path) : Buffer.alloc(0);
    if (buf.length < need) {
      throw new Error(
        `readRunRecord: ${path} has ${buf.length} bytes but header.json claims ${E} epochs of ${n} values (${need} ` +
          `bytes); the record is damaged, delete ${dir} and rerun`,
      );
    }
    for (let e = 0; e < E; e++) {
      const off = e * n * w * bytes;
      if (f === 'correct') rec.correct.push(Uint8Array.from(buf.subarray(off, off + n)));
      else (rec[f] as Float32Array[]).push(decodeF32(buf, off, n * w));
    }
  }
  const at = header.embeddingEpoch;
  if (optional.includes('embedding') && at !== undefined) {
    const dim = header.embeddingDim;
    const path = join(dir, RECORD_FILES.embedding.file);
    if (!Number.isInteger(dim) || dim! < 1 || !Number.isInteger(at) || at < 0 || at >= E)
      throw new Error(
        `readRunRecord: ${headerPath} has embeddingDim ${String(dim)} and embeddingEpoch ${String(at)} for ` +
          `${E} epochs; delete ${dir} and rerun the run`,
      );
    const buf = existsSync(path) ? readFileSync(path) : Buffer.alloc(0);
    if (buf.length !== n * dim! * 4)
      throw new Error(
        `readRunRecord: ${path} has ${buf.length} bytes but ${n} ids of dim ${dim} need ${n * dim! * 4}; the ` +
          `record is damaged, delete ${dir} and rerun`,
      );
    rec.embedding = { dim: dim!, epoch: at, data: decodeF32(buf, 0, n * dim!) };
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
  for (const f of PER_EPOCH) {
    const { file, bytes } = RECORD_FILES[f];
    const path = join(dir, file);
    if (!existsSync(path)) continue;
    if (epochs === 0) rmSync(path);
    else truncateSync(path, Math.min(statSync(path).size, epochs * n * widthOf(f, header.numClasses) * bytes));
  }
  // the embedding of a cut epoch goes: no earlier one is kept, so the record has none until the next epoch ends
  const embedding = join(dir, RECORD_FILES.embedding.file);
  rmSync(`${embedding}.tmp`, { force: true });
  const cutEmbedding = header.embeddingEpoch !== undefined && header.embeddingEpoch >= epochs;
  if (epochs === 0 || cutEmbedding) rmSync(embedding, { force: true });
  else if (header.embeddingDim && existsSync(embedding))
    truncateSync(embedding, Math.min(statSync(embedding).size, n * header.embeddingDim * 4)); // stray bytes
  if (epochs === 0) rmSync(headerPath);
  else if (epochs < header.epochsDone || cutEmbedding) {
    const { embeddingEpoch: _cut, ...kept } = header;
    writeJsonAtomic(headerPath, { ...(cutEmbedding ? kept : header), epochsDone: epochs });
  }
}
