// Bring your own scores: a file made by any other tool, ranked like every other method.
//   CSV   header `id,score` then one row per example, or header `id` then the ids in keep order (an id list)
//   JSONL one object per line: {"id": ..., "score": ...}, or {"id": ...} (an id list, in keep order)
// Every id must be in the pool and appear once; a score file must score every pool id with a finite number; an id
// list may be shorter than the pool, and then k may not exceed its length. `order`: desc keeps the highest scores.
// The path is made absolute by the config reader (relative to the config file's folder); the file's content digest
// is in the scores job's key (and in the keys of the phase-2 jobs that train on its subsets).
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { IdPool } from '../id-pool.ts';
import { rankTop } from '../rank.ts';
import { sortKeys } from '../radix.ts';
import { memo, optionsOf, type ScoreColumn, type SelectionContext, type SelectionMethod } from './method.ts';

export interface ExternalScores {
  file: string;
  /** 'scores': one finite score per pool id; 'list': ids in keep order */
  kind: 'scores' | 'list';
  /** per pool index: its score, or its 1-based position in the list (NaN: not listed) */
  values: Float64Array;
  /** list: the pool indices in file order */
  list?: Uint32Array;
}

/** sha256 of the file's bytes (hex), for job keys. */
export function externalDigest(file: string): string {
  let buf: Buffer;
  try {
    buf = readFileSync(file);
  } catch (e) {
    throw new Error(
      `selection method external: cannot read ${file} (${(e as NodeJS.ErrnoException).code}); fix ` +
        'pruning.method_options.external.file (relative to the config file, or absolute)',
    );
  }
  return createHash('sha256').update(buf).digest('hex');
}

/**
 * The file read and checked against the pool's ids. One pass over the text that makes no string per row: each id
 * is looked up by its characters in a hash table of the pool's ids (built once per pool), so a million rows take a
 * few hundred milliseconds (a Map of a million id strings alone took about a second to build and query).
 */
export function readExternal(file: string, pool: IdPool, table: IdTable = idTable(pool.ids)): ExternalScores {
  const ids = pool.ids;
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new Error(
      `selection method external: cannot read ${file} (${(e as NodeJS.ErrnoException).code}); fix ` +
        'pruning.method_options.external.file (relative to the config file, or absolute)',
    );
  }
  const jsonl = /\.jsonl?$/i.test(file);
  if (!jsonl && !/\.csv$/i.test(file))
    throw new Error(`${file}: external scores must be a .csv or .jsonl file (id,score or an id list)`);
  const values = new Float64Array(ids.length).fill(Number.NaN);
  const list = new Uint32Array(ids.length);
  let m = 0; // rows so far
  let kind: 'scores' | 'list' | undefined;
  // one row, its id src[a, b): checks, then its value (no closure per row: tsx wraps each in a naming helper)
  function add(line: number, src: string, a: number, b: number, score: number, shown: unknown): void {
    const i = lookup(table, ids, src, a, b);
    if (i < 0)
      throw new Error(
        `${file}:${line}: id "${src.slice(a, b)}" is not in the training set of this task and config; score the ` +
          'same examples (ids as in scores.csv)',
      );
    if (!Number.isNaN(values[i]!))
      throw new Error(`${file}:${line}: id "${src.slice(a, b)}" appears a second time; keep one`);
    if (kind === 'scores') {
      if (!Number.isFinite(score))
        throw new Error(
          `${file}:${line}: the score of id "${src.slice(a, b)}" is ${JSON.stringify(typeof shown === 'string' ? shown.trim() : shown)}; give a finite number`,
        );
      values[i] = score;
    } else values[i] = m + 1;
    list[m++] = i;
  }
  let pos = 0;
  let line = 0;
  while (pos < text.length) {
    let end = text.indexOf('\n', pos);
    if (end < 0) end = text.length;
    const next = end + 1;
    line++;
    if (end > pos && text.charCodeAt(end - 1) === 13) end--; // \r\n
    const a = pos;
    pos = next;
    if (jsonl) {
      const raw = text.slice(a, end).trim();
      if (!raw) continue;
      let o: unknown;
      try {
        o = JSON.parse(raw);
      } catch {
        throw new Error(`${file}:${line}: not a JSON object; write one {"id": ..., "score": ...} per line`);
      }
      if (!o || typeof o !== 'object' || Array.isArray(o) || !('id' in o))
        throw new Error(`${file}:${line}: expected {"id": ..., "score": ...} or {"id": ...}`);
      const r = o as { id: unknown; score?: unknown };
      if (typeof r.id !== 'string' && typeof r.id !== 'number')
        throw new Error(`${file}:${line}: "id" is ${JSON.stringify(r.id)}; give the example id as a string`);
      const here = 'score' in r ? 'scores' : 'list';
      if (kind && kind !== here)
        throw new Error(
          `${file}:${line}: ${here === 'scores' ? 'has' : 'lacks'} a "score" unlike the lines before; give every ` +
            'line a score or none',
        );
      kind = here;
      const id = String(r.id);
      add(line, id, 0, id.length, typeof r.score === 'number' ? r.score : Number.NaN, r.score);
      continue;
    }
    if (line === 1) {
      const header = text.slice(a, end).trim();
      if (header === 'id,score') kind = 'scores';
      else if (header === 'id') kind = 'list';
      else
        throw new Error(
          `${file}:1: the header is ${JSON.stringify(header)}; write \`id,score\` (then id,score rows) or \`id\` ` +
            '(then one id per line, in keep order)',
        );
      continue;
    }
    const comma = commaIn(text, a, end);
    const fields = comma < 0 ? 1 : commaIn(text, comma + 1, end) < 0 ? 2 : 3;
    let ia = a; // the id without surrounding white space
    let ib = comma < 0 ? end : comma;
    while (ia < ib && text.charCodeAt(ia) <= 32) ia++;
    while (ib > ia && text.charCodeAt(ib - 1) <= 32) ib--;
    if (fields === 1 && ia === ib) continue; // a blank line
    if (fields !== (kind === 'scores' ? 2 : 1))
      throw new Error(
        `${file}:${line}: ${text.slice(a, end).split(',').length} fields; expected ` +
          `${kind === 'scores' ? 'id,score' : 'one id'} (ids may not contain commas)`,
      );
    if (kind === 'scores') {
      const t = text.slice(comma + 1, end);
      let v = Number(t);
      if (v === 0 && t.trim() === '') v = Number.NaN; // Number('') is 0
      add(line, text, ia, ib, v, t);
    } else add(line, text, ia, ib, Number.NaN, undefined);
  }
  if (!kind || m === 0) throw new Error(`${file}: no ids; write id,score rows or an id list`);
  if (kind === 'scores' && m < ids.length) {
    const first = ids.findIndex((_, i) => Number.isNaN(values[i]!));
    throw new Error(
      `${file}: ${ids.length - m} of ${ids.length} training examples have no score (e.g. id "${ids[first]}"); ` +
        'score every example, or give an id list (header `id`) to keep the listed ones',
    );
  }
  return { file, kind, values, ...(kind === 'list' && { list: list.slice(0, m) }) };
}

/** Open addressing over the pool's ids by a hash of their characters: slots hold pool indices, -1 = empty. */
export interface IdTable {
  slots: Int32Array;
  mask: number;
}

/** FNV-1a of the UTF-16 code units of s[a, b). */
function hashOf(s: string, a: number, b: number): number {
  let h = 0x811c9dc5;
  for (let j = a; j < b; j++) h = Math.imul(h ^ s.charCodeAt(j), 16777619);
  return h >>> 0;
}

export function idTable(ids: readonly string[]): IdTable {
  let size = 1;
  while (size < 2 * ids.length) size *= 2;
  const slots = new Int32Array(size).fill(-1);
  const mask = size - 1;
  for (let i = 0; i < ids.length; i++) {
    let h = hashOf(ids[i]!, 0, ids[i]!.length) & mask;
    while (slots[h] !== -1) h = (h + 1) & mask;
    slots[h] = i;
  }
  return { slots, mask };
}

/** The pool index of the id written in src[a, b), or -1. */
function lookup(t: IdTable, ids: readonly string[], src: string, a: number, b: number): number {
  let h = hashOf(src, a, b) & t.mask;
  for (;;) {
    const i = t.slots[h]!;
    if (i < 0) return -1;
    const id = ids[i]!;
    if (id.length === b - a) {
      let j = 0;
      while (j < id.length && id.charCodeAt(j) === src.charCodeAt(a + j)) j++;
      if (j === id.length) return i;
    }
    h = (h + 1) & t.mask;
  }
}

/** The first ',' in text[a, b), or -1 (a bounded scan: indexOf would search past the line end). */
function commaIn(text: string, a: number, b: number): number {
  for (let j = a; j < b; j++) if (text.charCodeAt(j) === 44) return j;
  return -1;
}

function externalOf(ctx: SelectionContext): ExternalScores {
  const file = String(optionsOf(ctx, external).file);
  return memo(ctx, `external:${file}`, () =>
    readExternal(
      file,
      ctx.pool,
      memo(ctx, 'id-table', () => idTable(ctx.pool.ids)),
    ),
  );
}

const EXTERNAL: ScoreColumn = {
  name: 'external',
  doc: 'the external file score, or the 1-based position in an external id list (NaN: not listed, or no file)',
  compute: (_rec, ctx) => {
    if (!ctx.options?.external?.file) return new Float64Array(ctx.pool.ids.length).fill(NaN);
    return externalOf(ctx).values;
  },
};

export const external: SelectionMethod<'external'> = {
  name: 'external',
  title: 'external scores',
  doc: 'the k of highest (order: asc, lowest) score from a CSV/JSONL file, or the first k of an id list',
  citation: '',
  columns: [EXTERNAL],
  options: {
    file: {
      kind: 'string',
      default: undefined,
      path: true,
      doc: 'CSV (id,score or id) or JSONL file, relative to the config file',
    },
    order: { kind: 'enum', default: 'desc', values: () => ['desc', 'asc'], doc: 'desc keeps the highest scores' },
  },
  select: (ctx, k) => {
    const x = externalOf(ctx);
    if (x.kind === 'list') {
      if (k > x.list!.length)
        throw new Error(
          `selection method external: ${x.file} lists ${x.list!.length} ids but k = ${k}; list at least k ids or ` +
            'give a score per example',
        );
      return x.list!.slice(0, k);
    }
    const order = optionsOf(ctx, external).order === 'asc' ? 'asc' : 'desc';
    const keys = memo(ctx, `external:keys:${order}`, () => sortKeys(x.values, order, (i) => `id "${ctx.pool.ids[i]}"`));
    return rankTop(ctx.pool, keys, k).slice(0, k);
  },
};
