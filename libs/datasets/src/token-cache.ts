// Tokenised datasets cached on disk per (task, split, tokenizer fingerprint, length, options) and
// reused. One binary file per entry: magic, JSON header (key, metadata, array table), raw arrays.
// Written to a temp file in the same folder and renamed, so a crash never leaves a truncated entry.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { Tokenizer } from './tokenizer-types.ts';

const MAGIC = Buffer.from('PLTOKC01');

export type CachedArray = Int32Array | Float32Array;

export interface CacheKey {
  task: string;
  split: string;
  /** From tokenizerFingerprint(). */
  tokenizer: string;
  maxLength: number;
  /** Anything else that changes the encoding (stride, truncation, preparation version). */
  options?: Record<string, string | number | boolean>;
  /** Hash of the example ids, so an edited data file invalidates the entry (see idsDigest). */
  data: string;
}

export interface CacheEntry {
  arrays: Record<string, CachedArray>;
  /** Small JSON-able extras (ids, feature -> example maps, offsets...). */
  meta: unknown;
}

// Text that exercises case, accents, punctuation, digits, CJK, emoji and spacing: two tokenizers that
// split it the same way and number it the same way are treated as the same tokenizer.
const PROBE = "Héllo, WORLD! It's 3.14 — naïve café 東京 🙂 don't  re-use [MASK] <s> x_y";

/** A short hash identifying a tokenizer's behaviour (and `name`, e.g. its vocabulary file's hash). */
export function tokenizerFingerprint(tok: Tokenizer, name = ''): string {
  const p = tok.pieces(PROBE);
  const pair = tok.withSpecialTokens([5, 6], [7]);
  const probe = JSON.stringify([name, tok.kind, tok.vocabSize, tok.padId, tok.numSpecialTokens(false), tok.numSpecialTokens(true), p.ids, p.offsets, pair]);
  return createHash('sha1').update(probe).digest('hex').slice(0, 16);
}

/** Hash of a split's example ids (content-derived), for CacheKey.data. */
export function idsDigest(ids: readonly string[]): string {
  return createHash('sha1').update(ids.join('\n')).digest('hex').slice(0, 16);
}

export function cacheFile(dir: string, key: CacheKey): string {
  const h = createHash('sha1').update(JSON.stringify([key.task, key.split, key.tokenizer, key.maxLength, key.options ?? {}, key.data])).digest('hex').slice(0, 16);
  const safe = (s: string) => s.replace(/[^A-Za-z0-9_.-]/g, '_');
  return path.join(dir, `${safe(key.task)}-${safe(key.split)}-L${key.maxLength}-${h}.bin`);
}

export function writeCacheEntry(file: string, key: CacheKey, entry: CacheEntry): void {
  const table: { name: string; dtype: 'int32' | 'float32'; length: number }[] = [];
  const bodies: Buffer[] = [];
  for (const [name, arr] of Object.entries(entry.arrays)) {
    table.push({ name, dtype: arr instanceof Int32Array ? 'int32' : 'float32', length: arr.length });
    bodies.push(Buffer.from(arr.buffer, arr.byteOffset, arr.byteLength));
  }
  const header = Buffer.from(JSON.stringify({ key, meta: entry.meta, arrays: table }), 'utf8');
  const len = Buffer.alloc(4);
  len.writeUInt32LE(header.length);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.tmp-${process.pid}-${Date.now()}`;
  try {
    fs.writeFileSync(tmp, Buffer.concat([MAGIC, len, header, ...bodies]));
    fs.renameSync(tmp, file);
  } catch (err) {
    fs.rmSync(tmp, { force: true });
    throw err;
  }
}

/** The entry, or undefined when the file is absent, corrupt or written for another key. */
export function readCacheEntry(file: string, key: CacheKey): CacheEntry | undefined {
  let buf: Buffer;
  try {
    buf = fs.readFileSync(file);
  } catch {
    return undefined;
  }
  if (buf.length < 12 || !buf.subarray(0, 8).equals(MAGIC)) return undefined;
  const hlen = buf.readUInt32LE(8);
  let header: { key: CacheKey; meta: unknown; arrays: { name: string; dtype: 'int32' | 'float32'; length: number }[] };
  try {
    header = JSON.parse(buf.toString('utf8', 12, 12 + hlen));
  } catch {
    return undefined;
  }
  if (JSON.stringify(header.key) !== JSON.stringify(key)) return undefined;
  let p = 12 + hlen;
  const arrays: Record<string, CachedArray> = {};
  for (const a of header.arrays) {
    const bytes = a.length * 4;
    if (p + bytes > buf.length) return undefined;
    // Copy into a fresh, aligned buffer: the file body is not 4-byte aligned.
    const copy = new Uint8Array(bytes);
    copy.set(buf.subarray(p, p + bytes));
    arrays[a.name] = a.dtype === 'int32' ? new Int32Array(copy.buffer) : new Float32Array(copy.buffer);
    p += bytes;
  }
  if (p !== buf.length) return undefined;
  return { arrays, meta: header.meta };
}

/** Returns the cached entry for `key`, or builds, stores and returns it. `hit` says which. */
export function cachedEncoding(dir: string, key: CacheKey, build: () => CacheEntry): CacheEntry & { hit: boolean; file: string } {
  const file = cacheFile(dir, key);
  const cached = readCacheEntry(file, key);
  if (cached) return { ...cached, hit: true, file };
  const entry = build();
  writeCacheEntry(file, key, entry);
  return { ...entry, hit: false, file };
}
