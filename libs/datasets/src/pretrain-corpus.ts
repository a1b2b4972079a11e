// Unlabelled text for causal-LM pretraining: documents from training splits only (IMDB train reviews, the
// grid tasks' train sentences), deduplicated, split train/held-out by a stable hash of their content, tokenised
// and concatenated with EOS between documents. The token streams are cached under .cache so reruns are instant.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { Tokenizer } from '@prunelab/tokenizers';

/** jsonl: one JSON object per line, `field` holds the text. tsv: tab-separated, `columns` (by header name, or
 * by 0-based index when the file has no header) are separate documents. trec: "LABEL:fine question". */
export interface CorpusSource {
  file: string;
  format: 'jsonl' | 'tsv' | 'trec';
  field?: string;
  columns?: (string | number)[];
  header?: boolean;
}

export interface CorpusDoc {
  id: string;
  text: string;
}

function need(file: string): string {
  if (!fs.existsSync(file))
    throw new Error(
      `${file}: pretraining source is missing; fix its path in the config's data.sources (shared data lives in ` +
        `../shared/data beside the checkout)`,
    );
  return fs.readFileSync(file, 'utf8');
}

/** The documents of one source; training files only (the caller's config names them). */
export function readSource(src: CorpusSource): string[] {
  if (/(^|[/\\])(dev|test)[^/\\]*$/i.test(src.file))
    throw new Error(`${src.file}: pretraining must not read dev or test text; use the train file`);
  const lines = need(src.file)
    .split('\n')
    .map((l) => l.replace(/\r$/, ''))
    .filter((l) => l.trim() !== '');
  const out: string[] = [];
  if (src.format === 'jsonl') {
    const field = src.field ?? 'text';
    lines.forEach((l, i) => {
      let o: Record<string, unknown>;
      try {
        o = JSON.parse(l);
      } catch {
        throw new Error(`${src.file}:${i + 1}: not valid JSON; expected one object per line`);
      }
      if (typeof o[field] !== 'string')
        throw new Error(`${src.file}:${i + 1}: no string field '${field}'; set the source's field`);
      out.push(o[field] as string);
    });
  } else if (src.format === 'trec') {
    for (const l of lines) out.push(l.slice(l.indexOf(' ') + 1));
  } else {
    const header = src.header ?? true;
    const head = header ? lines[0]!.split('\t') : [];
    const cols = (src.columns ?? []).map((c) => {
      const i = typeof c === 'number' ? c : head.indexOf(c);
      if (i < 0)
        throw new Error(`${src.file}:1: no column '${c}' in the header (${head.join(', ')}); fix the source's columns`);
      return i;
    });
    if (cols.length === 0) throw new Error(`${src.file}: a tsv source needs columns (header names or 0-based indexes)`);
    for (const l of lines.slice(header ? 1 : 0)) {
      const f = l.split('\t');
      for (const c of cols) if (f[c] && f[c]!.trim()) out.push(f[c]!.trim());
    }
  }
  return out;
}

/** A stable id of a text: sha1 of its content (so the held-out split never changes between runs). */
export const docId = (text: string): string => createHash('sha1').update(text).digest('hex').slice(0, 16);

/** Held out when the id's first 32 bits, as a fraction of 2^32, fall below `fraction`. */
export const isHeldOut = (id: string, fraction: number): boolean =>
  parseInt(id.slice(0, 8), 16) / 4294967296 < fraction;

/** Every document of the sources, deduplicated by content (first occurrence kept), split by id hash. */
export function buildCorpus(
  sources: CorpusSource[],
  heldOutFraction: number,
): { train: CorpusDoc[]; heldOut: CorpusDoc[]; duplicates: number } {
  const seen = new Set<string>();
  const train: CorpusDoc[] = [];
  const heldOut: CorpusDoc[] = [];
  let duplicates = 0;
  for (const src of sources) {
    for (const text of readSource(src)) {
      const id = docId(text);
      if (seen.has(id)) {
        duplicates++;
        continue;
      }
      seen.add(id);
      (isHeldOut(id, heldOutFraction) ? heldOut : train).push({ id, text });
    }
  }
  return { train, heldOut, duplicates };
}

/** Documents' tokens joined into one stream, `eosId` after each document. */
export function tokenStream(docs: CorpusDoc[], tok: Tokenizer, eosId: number): Int32Array {
  const parts: number[][] = docs.map((d) => tok.pieces(d.text).ids);
  const out = new Int32Array(parts.reduce((n, p) => n + p.length + 1, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
    out[o++] = eosId;
  }
  return out;
}

export interface PretrainStreams {
  train: Int32Array;
  heldOut: Int32Array;
  trainDocs: number;
  heldOutDocs: number;
  duplicates: number;
  cached: boolean;
}

/** The train and held-out streams, from `cacheDir` when the same sources, split and tokenizer made them before. */
export function pretrainStreams(
  sources: CorpusSource[],
  heldOutFraction: number,
  tok: Tokenizer,
  tokenizerKey: string,
  eosId: number,
  cacheDir: string,
): PretrainStreams {
  const stats = sources.map((s) => {
    const st = fs.statSync(s.file, { throwIfNoEntry: false });
    return [s, st?.size, st?.mtimeMs];
  });
  const key = createHash('sha1')
    .update(JSON.stringify({ stats, heldOutFraction, tokenizerKey, eosId, v: 1 }))
    .digest('hex')
    .slice(0, 16);
  const base = path.join(cacheDir, `pretrain-${key}`);
  if (fs.existsSync(`${base}.json`)) {
    const meta = JSON.parse(fs.readFileSync(`${base}.json`, 'utf8'));
    const read = (f: string) => {
      const b = fs.readFileSync(f);
      return new Int32Array(b.buffer, b.byteOffset, b.byteLength / 4).slice();
    };
    return { ...meta, train: read(`${base}.train.i32`), heldOut: read(`${base}.heldout.i32`), cached: true };
  }
  const c = buildCorpus(sources, heldOutFraction);
  const train = tokenStream(c.train, tok, eosId);
  const heldOut = tokenStream(c.heldOut, tok, eosId);
  fs.mkdirSync(cacheDir, { recursive: true });
  fs.writeFileSync(`${base}.train.i32`, Buffer.from(train.buffer, train.byteOffset, train.byteLength));
  fs.writeFileSync(`${base}.heldout.i32`, Buffer.from(heldOut.buffer, heldOut.byteOffset, heldOut.byteLength));
  const meta = { trainDocs: c.train.length, heldOutDocs: c.heldOut.length, duplicates: c.duplicates };
  fs.writeFileSync(`${base}.json`, JSON.stringify(meta));
  return { ...meta, train, heldOut, cached: false };
}

/** Block i (of `blockSize` + 1 tokens: inputs and the next-token targets overlap by one) of a stream. */
export function numBlocks(stream: Int32Array, blockSize: number): number {
  return Math.max(0, Math.floor((stream.length - 1) / blockSize));
}
