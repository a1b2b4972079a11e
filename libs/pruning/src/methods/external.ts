// Bring your own scores: a file made by any other tool, ranked like every other method.
//   CSV   header `id,score` then one row per example, or header `id` then the ids in keep order (an id list)
//   JSONL one object per line: {"id": ..., "score": ...}, or {"id": ...} (an id list, in keep order)
// Every id must be in the pool and appear once; a score file must score every pool id with a finite number; an id
// list may be shorter than the pool, and then k may not exceed its length. `order`: desc keeps the highest scores.
// The path is made absolute by the config reader (relative to the config file's folder); the file's content digest
// is in the scores job's key (and in the keys of the phase-2 jobs that train on its subsets).
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
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

/** The file read and checked against the pool's ids. */
export function readExternal(file: string, ids: readonly string[]): ExternalScores {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new Error(
      `selection method external: cannot read ${file} (${(e as NodeJS.ErrnoException).code}); fix ` +
        'pruning.method_options.external.file (relative to the config file, or absolute)',
    );
  }
  const index = new Map<string, number>();
  for (let i = 0; i < ids.length; i++) index.set(ids[i]!, i);
  const values = new Float64Array(ids.length).fill(NaN);
  const lines = text.split('\n');
  const rows: { line: number; id: string; score?: string | number }[] = [];
  let kind: 'scores' | 'list' | undefined;
  const jsonl = /\.jsonl?$/i.test(file);
  if (!jsonl && !/\.csv$/i.test(file))
    throw new Error(`${file}: external scores must be a .csv or .jsonl file (id,score or an id list)`);
  if (jsonl) {
    for (let l = 0; l < lines.length; l++) {
      const s = lines[l]!.trim();
      if (!s) continue;
      let o: unknown;
      try {
        o = JSON.parse(s);
      } catch {
        throw new Error(`${file}:${l + 1}: not a JSON object; write one {"id": ..., "score": ...} per line`);
      }
      if (!o || typeof o !== 'object' || Array.isArray(o) || !('id' in o))
        throw new Error(`${file}:${l + 1}: expected {"id": ..., "score": ...} or {"id": ...}`);
      const r = o as { id: unknown; score?: unknown };
      if (typeof r.id !== 'string' && typeof r.id !== 'number')
        throw new Error(`${file}:${l + 1}: "id" is ${JSON.stringify(r.id)}; give the example id as a string`);
      const here = 'score' in r ? 'scores' : 'list';
      if (kind && kind !== here)
        throw new Error(
          `${file}:${l + 1}: ${here === 'scores' ? 'has' : 'lacks'} a "score" unlike the lines before; give every line a score or none`,
        );
      kind = here;
      rows.push({ line: l + 1, id: String(r.id), ...(here === 'scores' && { score: r.score as number }) });
    }
  } else {
    const header = (lines[0] ?? '').replace(/\r$/, '').trim();
    if (header === 'id,score') kind = 'scores';
    else if (header === 'id') kind = 'list';
    else
      throw new Error(
        `${file}:1: the header is ${JSON.stringify(header)}; write \`id,score\` (then id,score rows) or \`id\` (then ` +
          'one id per line, in keep order)',
      );
    for (let l = 1; l < lines.length; l++) {
      const s = lines[l]!.replace(/\r$/, '');
      if (!s.trim()) continue;
      const parts = s.split(',');
      if (parts.length !== (kind === 'scores' ? 2 : 1))
        throw new Error(
          `${file}:${l + 1}: ${parts.length} fields; expected ${kind === 'scores' ? 'id,score' : 'one id'} (ids ` +
            'may not contain commas)',
        );
      rows.push({ line: l + 1, id: parts[0]!.trim(), ...(kind === 'scores' && { score: parts[1]!.trim() }) });
    }
  }
  if (!kind || rows.length === 0) throw new Error(`${file}: no ids; write id,score rows or an id list`);
  const list = new Uint32Array(rows.length);
  for (const [j, r] of rows.entries()) {
    const i = index.get(r.id);
    if (i === undefined)
      throw new Error(
        `${file}:${r.line}: id "${r.id}" is not in the training set of this task and config; score the same ` +
          'examples (ids as in scores.csv)',
      );
    if (!Number.isNaN(values[i]!)) throw new Error(`${file}:${r.line}: id "${r.id}" appears a second time; keep one`);
    if (kind === 'scores') {
      const v = typeof r.score === 'number' ? r.score : r.score === '' || r.score === undefined ? NaN : Number(r.score);
      if (!Number.isFinite(v) || (typeof r.score !== 'number' && typeof r.score !== 'string'))
        throw new Error(
          `${file}:${r.line}: the score of id "${r.id}" is ${JSON.stringify(r.score)}; give a finite number`,
        );
      values[i] = v;
    } else values[i] = j + 1;
    list[j] = i;
  }
  if (kind === 'scores' && rows.length < ids.length) {
    const first = ids.findIndex((_, i) => Number.isNaN(values[i]!));
    throw new Error(
      `${file}: ${ids.length - rows.length} of ${ids.length} training examples have no score (e.g. id ` +
        `"${ids[first]}"); score every example, or give an id list (header \`id\`) to keep the listed ones`,
    );
  }
  return { file, kind, values, ...(kind === 'list' && { list }) };
}

function externalOf(ctx: SelectionContext): ExternalScores {
  const file = String(optionsOf(ctx, external).file);
  return memo(ctx, `external:${file}`, () => readExternal(file, ctx.pool.ids));
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
