// A selection method: how a baseline of matched size k ranks the training examples (method.md section 3). Each
// method is one file of this folder exporting a SelectionMethod, and one row of the table in index.ts; the app's
// method list, the docs tables and the scores.csv columns are read from that table.
import type { RunRecord } from '@prunelab/dynamics';
import type { IdPool } from '../id-pool.ts';
import { type SortKeys, sortKeys } from '../radix.ts';
import { balancedTake, checkK, type Order, rankTop } from '../rank.ts';

/** The phase-1 records a scores job ranks by: every score uses the first runsUsed runs and epochsUsed epochs. */
export interface PhaseOneRecords {
  /** the records of the scoring runs (readRunRecord), each holding every recorded epoch */
  runs: RunRecord[];
  runsUsed: number;
  epochsUsed: number;
  /** classes of the task: EL2N follows from the gold probability alone only for 2 */
  numClasses: number;
}

/** What a method ranks: the example pool and where its per-example scores come from. */
export interface SelectionInput {
  pool: IdPool;
  /** class index per example in pool order: needed by class-balanced methods */
  classes?: ArrayLike<number>;
  /** pruning.random_seed: needed by seeded methods */
  seed?: number;
  /** score columns are computed from these on first use */
  records?: PhaseOneRecords;
  /** score columns given outright, by column name (e.g. from allScores, or a test's values): win over records */
  scores?: Record<string, ArrayLike<number>>;
  /** pruning.method_options: per method name its options (checked and filled with defaults by optionsOf) */
  options?: Record<string, Record<string, unknown> | undefined>;
  /** embeddings given outright ([n, dim] in pool order), instead of the records': an active-learning pool's */
  embedding?: { dim: number; data: Float32Array };
}

/** A SelectionInput plus the score columns computed so far (each is computed once, whoever asks first). */
export interface SelectionContext extends SelectionInput {
  readonly cache: Map<string, unknown>;
}

/** A per-example score: one column of scores.csv, and what rankings read. */
export interface ScoreColumn {
  /** the scores.csv column, and the key in SelectionInput.scores */
  name: string;
  /** one line for the docs */
  doc: string;
  /** decimals in scores.csv; omitted: the value as it is (counts) */
  digits?: number;
  /** which end is hard (CCS drops the hardest, D2 passes difficulty): 'high' = high values are hard */
  hard?: 'high' | 'low';
  /** costly to compute (a k-NN graph, k-means): scores.csv gives NaN unless a method of the grid ranks by it */
  costly?: boolean;
  /** one value per example in pool order; NaN where the records cannot give it (a method ranking by it then refuses) */
  compute(records: PhaseOneRecords, ctx: SelectionContext): ArrayLike<number>;
}

export interface SelectionMethod<Name extends string = string> {
  /** the name in phase2.methods, in subset file names and in reports */
  name: Name;
  /** its display name in report tables, plot legends and the console */
  title: string;
  /** one line for the docs tables and the report: what the k kept examples are */
  doc: string;
  /** who proposed it ('' for the plain random baseline) */
  citation: string;
  /** the score columns it ranks by: listed in scores.csv (each column once, in table order) */
  columns: readonly ScoreColumn[];
  /**
   * ranking keys in pool order: the smallest key is kept first; equal keys keep the smaller id first. Every method
   * has either keys (the kept set at size k is the first k of one ranking: one ranking serves every k) or select.
   */
  keys?(ctx: SelectionContext): SortKeys;
  /** exactly k pool indices, for a method whose kept set at size k is not a prefix of one ranking (e.g. ccs) */
  select?(ctx: SelectionContext, k: number): Uint32Array;
  /** its options (pruning.method_options.<name>): type, default and doc of each */
  options?: Readonly<Record<string, MethodOption>>;
  /** k is split over the classes in proportion to their sizes (classQuotas); needs SelectionInput.classes */
  balanced?: boolean;
  /** the ranking depends on SelectionInput.seed (pruning.random_seed) */
  seeded?: boolean;
  /** the ranking reads no label (nor anything made from one): active learning may query with it (libs/active) */
  labelFree?: true;
}

/** One option of a method: checked by checkOptions (the config) and optionsOf (the method). */
export interface MethodOption {
  kind: 'number' | 'int' | 'string' | 'enum';
  /** the value when the option is not given; undefined: required once the method is used */
  default: string | number | undefined;
  doc: string;
  /** bounds for number / int, inclusive */
  min?: number;
  max?: number;
  /** bounds that exclude the value itself (number) */
  above?: number;
  /** the allowed values of an enum (a function: some lists are only known once the table is built) */
  values?: () => readonly string[];
  /** a file path: the config reader makes it absolute (relative to the config file); job keys take its content digest */
  path?: boolean;
}

function describeOption(o: MethodOption): string {
  if (o.kind === 'enum') return `one of ${o.values!().join(', ')}`;
  const what = { number: 'a number', int: 'an integer', string: 'a non-empty string' }[o.kind];
  const bounds = [
    o.above !== undefined ? `> ${o.above}` : '',
    o.min !== undefined ? `>= ${o.min}` : '',
    o.max !== undefined ? `<= ${o.max}` : '',
  ].filter(Boolean);
  return [what, ...bounds].join(' ');
}

function optionFits(o: MethodOption, v: unknown): boolean {
  if (o.kind === 'enum') return typeof v === 'string' && o.values!().includes(v);
  if (o.kind === 'string') return typeof v === 'string' && v.length > 0;
  if (typeof v !== 'number' || !Number.isFinite(v)) return false;
  if (o.kind === 'int' && !Number.isInteger(v)) return false;
  return !(
    (o.min !== undefined && v < o.min) ||
    (o.max !== undefined && v > o.max) ||
    (o.above !== undefined && v <= o.above)
  );
}

/**
 * The method's options checked and filled with defaults. `given` is pruning.method_options.<name>; `key` names it in
 * errors (the config's key). An unknown option, a wrong type or a missing required one is an error naming the key.
 */
export function checkOptions(
  method: SelectionMethod,
  given: unknown,
  key = `pruning.method_options.${method.name}`,
): Record<string, string | number> {
  const specs = method.options ?? {};
  const names = Object.keys(specs);
  if (given !== undefined && (given === null || typeof given !== 'object' || Array.isArray(given))) {
    throw new Error(
      `${key} is ${JSON.stringify(given)}; expected a mapping of ${names.length ? names.join(', ') : 'nothing'}: ` +
        `method ${method.name} ${names.length ? 'takes these options' : 'takes no options'}`,
    );
  }
  const g = (given ?? {}) as Record<string, unknown>;
  for (const name of Object.keys(g)) {
    if (!(name in specs)) {
      throw new Error(
        `${key}.${name}: unknown option of method ${method.name}; ` +
          (names.length ? `its options are ${names.join(', ')}` : 'it takes no options: remove the key'),
      );
    }
  }
  const out: Record<string, string | number> = {};
  for (const [name, spec] of Object.entries(specs)) {
    const v = g[name] ?? spec.default;
    if (v === undefined)
      throw new Error(`${key}.${name} is required by method ${method.name} (${spec.doc}); add it to the config`);
    if (!optionFits(spec, v))
      throw new Error(`${key}.${name} is ${JSON.stringify(v)}; expected ${describeOption(spec)} (${spec.doc})`);
    out[name] = v as string | number;
  }
  return out;
}

/** The method's options from ctx.options, checked, with defaults (once per context). */
export function optionsOf(ctx: SelectionContext, method: SelectionMethod): Record<string, string | number> {
  return memo(ctx, `options:${method.name}`, () => checkOptions(method, ctx.options?.[method.name]));
}

export function selectionContext(input: SelectionInput): SelectionContext {
  return { ...input, cache: new Map() };
}

/** A value computed once per context (a column, or what several columns share, e.g. the cartography). */
export function memo<T>(ctx: SelectionContext, key: string, make: () => T): T {
  if (!ctx.cache.has(key)) ctx.cache.set(key, make());
  return ctx.cache.get(key) as T;
}

/** The column's values: given in ctx.scores, else computed from ctx.records (once). */
export function scoreOf(ctx: SelectionContext, column: ScoreColumn, who = `score ${column.name}`): ArrayLike<number> {
  const n = ctx.pool.ids.length;
  const given = ctx.scores?.[column.name];
  const values = given ?? (ctx.records && memo(ctx, `column:${column.name}`, () => column.compute(ctx.records!, ctx)));
  const key = `scores.${column.name}`;
  if (!values) throw new Error(`${who}: needs ${key}; compute it from the phase-1 records (pass records) or pass it`);
  if (values.length !== n) throw new Error(`${who}: ${n} ids but ${values.length} values in ${key}; pass one per id`);
  return values;
}

/** The keys of a method that ranks by one column: 'desc' keeps the highest values first. */
export function byScore(column: ScoreColumn, order: Order): (ctx: SelectionContext) => SortKeys {
  return (ctx) => sortKeys(scoreOf(ctx, column), order, (i) => `id "${ctx.pool.ids[i]}"`);
}

/** The seed a seeded method needs, checked. */
export function seedOf(ctx: SelectionContext, method: string): number {
  const who = `selection method ${method}`;
  if (ctx.seed === undefined) throw new Error(`${who}: no seed given; pass seed (e.g. pruning.random_seed)`);
  if (!Number.isSafeInteger(ctx.seed)) throw new Error(`${who}: seed = ${ctx.seed}; use an integer seed`);
  return ctx.seed;
}

/**
 * A prefix of the method's ranking long enough for takeK(prefix, k) and, when classes are given, for
 * takeK(prefix, k, classes) too (rankTop: only the keys up to the k-th are sorted).
 */
export function methodTop(
  ctx: SelectionContext,
  method: SelectionMethod,
  k: number,
  classes?: ArrayLike<number>,
): Uint32Array {
  checkK(`selection method ${method.name}`, k, ctx.pool.ids.length);
  return rankTop(ctx.pool, rankingKeys(ctx, method), k, classes);
}

/** The keys of a ranking method; a method that selects each k on its own (select) has none. */
export function rankingKeys(ctx: SelectionContext, method: SelectionMethod): SortKeys {
  if (!method.keys)
    throw new Error(
      `selection method ${method.name}: its subsets are not prefixes of one ranking; use selectIndices(ctx, method, k)`,
    );
  return method.keys(ctx);
}

/** Exactly k pool indices, best first; class-balanced for a balanced method. */
export function selectIndices(ctx: SelectionContext, method: SelectionMethod, k: number): Uint32Array {
  if (method.select) {
    checkK(`selection method ${method.name}`, k, ctx.pool.ids.length);
    const out = method.select(ctx, k);
    if (out.length !== k) throw new Error(`internal: selection method ${method.name} gave ${out.length} of k = ${k}`);
    return out;
  }
  let classes: ArrayLike<number> | undefined;
  if (method.balanced) {
    classes = ctx.classes;
    const fix = 'pass classes (one per example)';
    if (!classes) throw new Error(`selection method ${method.name}: class-balanced, but no classes given; ${fix}`);
  }
  return takeK(methodTop(ctx, method, k, classes), k, classes);
}

/** selectIndices as ids: the subset a method keeps. */
export function selectIds(ctx: SelectionContext, method: SelectionMethod, k: number): string[] {
  return idsAt(ctx.pool, selectIndices(ctx, method, k));
}

/** The k best of a ranking (or of a methodTop prefix), class-balanced when classes are given: one ranking, many k. */
export function takeK(ranking: Uint32Array, k: number, classes?: ArrayLike<number>): Uint32Array {
  if (!classes) checkK('takeK', k, ranking.length);
  return classes ? balancedTake(ranking, classes, k) : ranking.slice(0, k);
}

export function idsAt(pool: IdPool, indices: ArrayLike<number>): string[] {
  const out = new Array<string>(indices.length);
  for (let j = 0; j < indices.length; j++) out[j] = pool.ids[indices[j]!]!;
  return out;
}

/** A column in scores.csv: toFixed(digits), or the value as it is. */
export function formatScore(column: ScoreColumn, value: number): string {
  return column.digits === undefined ? String(value) : value.toFixed(column.digits);
}
