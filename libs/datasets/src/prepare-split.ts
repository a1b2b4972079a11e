// One call from a loaded split to model-ready arrays for any task kind, through the on-disk cache:
// classification/regression rows, SQuAD windows (with offsets and the window -> question map needed
// by post-processing), or RACE choice rows. Cached per (task, split, tokenizer fingerprint, length,
// options, example ids).
import { encodeExamples } from './encode-examples.ts';
import type { LoadedSplit } from './load-task.ts';
import { encodeMultipleChoice } from './race-prepare.ts';
import { forEachSquadFeature, SQUAD_DEFAULTS, type SquadFeature } from './squad-prepare.ts';
import { cachedEncoding, idsDigest, tokenizerFingerprint, type CacheEntry, type CacheKey, type CachedArray } from './token-cache.ts';
import type { Tokenizer } from './tokenizer-types.ts';

/** Bump when a preparation changes its output, so old cache entries stop matching. */
const PREPARATION_VERSION = 1;

export interface PrepareSplitOptions {
  maxLength: number;
  /** SQuAD: window overlap (default 128) and question cap (default 64). */
  stride?: number;
  maxQueryLength?: number;
  /** Cache folder; without it nothing is cached. */
  cacheDir?: string;
  /** Extra identity for the tokenizer fingerprint (e.g. its name or file hash). */
  tokenizerName?: string;
}

export interface PreparedSplit {
  kind: LoadedSplit['kind'];
  /** Row-major arrays: [rows, maxLength] (classification, SQuAD windows) or [n, choices, maxLength] (RACE). */
  arrays: Record<string, CachedArray>;
  /** Rows (examples, windows or questions). */
  n: number;
  maxLength: number;
  cacheHit: boolean;
  cacheFile?: string;
}

function build(tok: Tokenizer, split: LoadedSplit, opts: PrepareSplitOptions): CacheEntry {
  const L = opts.maxLength;
  if (split.kind === 'classification' || split.kind === 'regression') {
    const enc = encodeExamples(tok, split.examples, L, { regression: split.kind === 'regression' });
    const arrays: Record<string, CachedArray> = { inputIds: enc.inputIds, attentionMask: enc.attentionMask, tokenTypeIds: enc.tokenTypeIds, labels: enc.labels };
    if (enc.scores) arrays['scores'] = enc.scores;
    return { arrays, meta: { n: enc.n } };
  }
  if (split.kind === 'multiple-choice') {
    const enc = encodeMultipleChoice(tok, split.examples, L);
    return { arrays: { inputIds: enc.inputIds, attentionMask: enc.attentionMask, tokenTypeIds: enc.tokenTypeIds, labels: enc.labels }, meta: { n: enc.n, numChoices: enc.numChoices } };
  }
  if (split.kind !== 'extractive-qa') throw new Error(`cannot prepare task kind ${split.kind}`);
  // Windows are packed as they come: SQuAD train has ~130k of them, too many to keep as JS objects.
  const rows = new GrowingRows(L);
  forEachSquadFeature(tok, split.examples, {
    maxLength: L,
    ...(opts.stride !== undefined ? { stride: opts.stride } : {}),
    ...(opts.maxQueryLength !== undefined ? { maxQueryLength: opts.maxQueryLength } : {}),
  }, (f) => rows.push(f));
  return { arrays: rows.arrays(), meta: { n: rows.n } };
}

/** Typed arrays of SQuAD windows that double their capacity as windows arrive. */
class GrowingRows {
  n = 0;
  private cap = 16;
  private ids: Int32Array;
  private mask: Int32Array;
  private types: Int32Array;
  private offs: Int32Array;
  private sp: Int32Array;
  private ep: Int32Array;
  private ex: Int32Array;
  constructor(private readonly L: number) {
    this.ids = new Int32Array(this.cap * L);
    this.mask = new Int32Array(this.cap * L);
    this.types = new Int32Array(this.cap * L);
    this.offs = new Int32Array(this.cap * L * 2);
    this.sp = new Int32Array(this.cap);
    this.ep = new Int32Array(this.cap);
    this.ex = new Int32Array(this.cap);
  }

  private grow(): void {
    const bigger = (a: Int32Array) => {
      const b = new Int32Array(a.length * 2);
      b.set(a);
      return b;
    };
    this.cap *= 2;
    [this.ids, this.mask, this.types, this.offs, this.sp, this.ep, this.ex] = [this.ids, this.mask, this.types, this.offs, this.sp, this.ep, this.ex].map(bigger) as [Int32Array, Int32Array, Int32Array, Int32Array, Int32Array, Int32Array, Int32Array];
  }

  push(f: SquadFeature): void {
    if (this.n === this.cap) this.grow();
    const i = this.n++;
    const L = this.L;
    this.ids.set(f.inputIds, i * L);
    this.mask.set(f.attentionMask, i * L);
    this.types.set(f.tokenTypeIds, i * L);
    // Offsets as [rows, maxLength, 2] with -1 for positions outside the context.
    this.offs.fill(-1, i * L * 2, (i + 1) * L * 2);
    f.offsets.forEach((o, p) => {
      if (o) this.offs.set(o, (i * L + p) * 2);
    });
    this.sp[i] = f.startPosition;
    this.ep[i] = f.endPosition;
    this.ex[i] = f.exampleIndex;
  }

  arrays(): Record<string, CachedArray> {
    const L = this.L;
    const n = this.n;
    return {
      inputIds: this.ids.slice(0, n * L),
      attentionMask: this.mask.slice(0, n * L),
      tokenTypeIds: this.types.slice(0, n * L),
      startPositions: this.sp.slice(0, n),
      endPositions: this.ep.slice(0, n),
      exampleIndex: this.ex.slice(0, n),
      offsets: this.offs.slice(0, n * L * 2),
    };
  }
}

export function prepareSplit(tok: Tokenizer, split: LoadedSplit, opts: PrepareSplitOptions): PreparedSplit {
  const options: Record<string, number> = { version: PREPARATION_VERSION };
  if (split.kind === 'extractive-qa') {
    options['stride'] = opts.stride ?? SQUAD_DEFAULTS.stride;
    options['maxQueryLength'] = opts.maxQueryLength ?? SQUAD_DEFAULTS.maxQueryLength;
  }
  const make = () => build(tok, split, opts);
  let entry: CacheEntry & { hit?: boolean; file?: string };
  if (opts.cacheDir) {
    const key: CacheKey = {
      task: split.task.name,
      split: split.split,
      tokenizer: tokenizerFingerprint(tok, opts.tokenizerName),
      maxLength: opts.maxLength,
      options,
      data: idsDigest(split.examples.map((e) => e.id)),
    };
    entry = cachedEncoding(opts.cacheDir, key, make);
  } else entry = make();
  const n = (entry.meta as { n: number }).n;
  const out: PreparedSplit = { kind: split.kind, arrays: entry.arrays, n, maxLength: opts.maxLength, cacheHit: entry.hit ?? false };
  if (entry.file) out.cacheFile = entry.file;
  return out;
}

/** SQuAD windows back from prepared (possibly cached) arrays, for postprocessSquad. */
export function squadFeaturesFromArrays(prepared: PreparedSplit, exampleIds: readonly string[]): SquadFeature[] {
  const a = prepared.arrays;
  const L = prepared.maxLength;
  const get = (name: string) => {
    const v = a[name];
    if (!(v instanceof Int32Array)) throw new Error(`prepared split has no ${name} array: not a SQuAD preparation`);
    return v;
  };
  const [ids, mask, types, sp, ep, ex, off] = ['inputIds', 'attentionMask', 'tokenTypeIds', 'startPositions', 'endPositions', 'exampleIndex', 'offsets'].map(get) as Int32Array[];
  return Array.from({ length: prepared.n }, (_, i) => {
    const exampleIndex = (ex as Int32Array)[i] as number;
    const offsets: Array<[number, number] | null> = [];
    for (let p = 0; p < L; p++) {
      const s = (off as Int32Array)[(i * L + p) * 2] as number;
      offsets.push(s < 0 ? null : [s, (off as Int32Array)[(i * L + p) * 2 + 1] as number]);
    }
    return {
      exampleIndex,
      exampleId: exampleIds[exampleIndex] as string,
      inputIds: Array.from((ids as Int32Array).subarray(i * L, (i + 1) * L)),
      attentionMask: Array.from((mask as Int32Array).subarray(i * L, (i + 1) * L)),
      tokenTypeIds: Array.from((types as Int32Array).subarray(i * L, (i + 1) * L)),
      offsets,
      startPosition: (sp as Int32Array)[i] as number,
      endPosition: (ep as Int32Array)[i] as number,
    };
  });
}
