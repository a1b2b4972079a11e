// A query strategy: which k unlabelled examples to label next, from what the current model says about them (and
// about the labelled set). Each strategy is one file of strategies/ and one row of strategies/index.ts; the app's
// al.strategies list and docs/active-learning.md's table come from that table. Every selection is deterministic:
// seeded draws use the seed given, and equal scores keep the smaller id first, so no input order leaks in.
import { checkOptions, type MethodOption, type SelectionMethod } from '@prunelab/pruning';

/** What the current model says about a set of examples (rows in the order of `ids`). */
export interface Outputs {
  n: number;
  numClasses: number;
  /** softmax, dropout off: [n, C] row-major */
  probs: Float32Array;
  /** the input of the classifier's last linear layer, dropout off: [n, dim]; bias: that layer has one */
  embedding?: { dim: number; data: Float32Array; bias: boolean };
  /** MC dropout: T arrays of [n, C] softmax with dropout on, each pass seeded */
  mc?: Float32Array[];
}

export interface StrategyInput {
  /** the unlabelled candidates */
  pool: { ids: string[]; out: Outputs };
  /** the labelled set the model was trained on (core-set, DAL, CAL read it) */
  labelled: { ids: string[]; out: Outputs; labels: Int32Array };
  /** how many to select: 1 <= k <= pool size */
  k: number;
  /** the curve's seed combined with the step */
  seed: number;
  /** checked, defaults filled (checkStrategyOptions) */
  options: Record<string, string | number>;
}

export interface Strategy {
  /** the name in al.strategies */
  name: string;
  /** its name in report tables and plot legends */
  title: string;
  /** one line for the docs: what it queries */
  doc: string;
  citation: string;
  /** what it reads beyond the pool's probabilities: the step computes only what some strategy needs */
  needs: { embedding?: boolean; mc?: boolean; labelled?: boolean };
  options?: Readonly<Record<string, MethodOption>>;
  /** exactly k distinct pool indices, in the order chosen */
  select(input: StrategyInput): Uint32Array;
}

/** The options of a strategy checked and filled with defaults; `key` names them in errors (al.strategy_options.x). */
export function checkStrategyOptions(s: Strategy, given: unknown, key = `al.strategy_options.${s.name}`) {
  return checkOptions({ name: s.name, options: s.options } as SelectionMethod, given, key);
}

/** Pool indices in ascending id order: the order ties are broken in. */
export function idOrder(ids: readonly string[]): Uint32Array {
  return Uint32Array.from(ids.keys()).sort((a, b) => (ids[a]! < ids[b]! ? -1 : ids[a]! > ids[b]! ? 1 : 0));
}

/** The k indices of the highest scores, equal scores by ascending id. NaN scores are refused. */
export function topByScore(scores: ArrayLike<number>, ids: readonly string[], k: number, who: string): Uint32Array {
  checkK(who, k, ids.length);
  for (let i = 0; i < scores.length; i++)
    if (Number.isNaN(scores[i]!)) throw new Error(`strategy ${who}: the score of id ${ids[i]} is NaN`);
  const order = Array.from(idOrder(ids));
  const rank = new Uint32Array(ids.length);
  order.forEach((i, r) => (rank[i] = r));
  order.sort((a, b) => scores[b]! - scores[a]! || rank[a]! - rank[b]!);
  return Uint32Array.from(order.slice(0, k));
}

export function checkK(who: string, k: number, n: number): void {
  if (!Number.isInteger(k) || k < 1 || k > n)
    throw new Error(`strategy ${who}: k = ${k}, but the pool holds ${n} examples; query 1..${n}`);
}

/** What a strategy needs that the input lacks, as an error naming the strategy. */
export function need<T>(v: T | undefined, who: string, what: string): T {
  if (v === undefined) throw new Error(`strategy ${who}: needs ${what}; the AL step computes it when asked (needs)`);
  return v;
}

/** -sum p log p of row i of [n, C] probabilities (0 log 0 = 0). */
export function rowEntropy(p: Float32Array | Float64Array, i: number, C: number): number {
  let h = 0;
  for (let c = 0; c < C; c++) {
    const v = p[i * C + c]!;
    if (v > 0) h -= v * Math.log(v);
  }
  return h;
}

/** Squared Euclidean distance between row i of a and row j of b (both [*, dim]). */
export function dist2(a: Float32Array, i: number, b: Float32Array, j: number, dim: number): number {
  let s = 0;
  for (let d = 0; d < dim; d++) {
    const x = a[i * dim + d]! - b[j * dim + d]!;
    s += x * x;
  }
  return s;
}
