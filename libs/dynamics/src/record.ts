// One run's record of training dynamics: what every example looked like at every epoch, keyed by stable id
// because training batches arrive shuffled (method.md section 1).

export interface RunRecordHeader {
  version: 1;
  task: string;
  split: string;
  model: string;
  seed: number;
  /** index of this run among the R phase-1 runs */
  run: number;
  /**
   * 'train-forward': logits of the training step itself (dropout on, weights before that step's update), the
   * paper's choice. 'eval': an extra evaluation pass (dropout off) over the training set after each epoch.
   * Records of the two passes live in separate run folders and are never mixed in one score.
   */
  pass: 'train-forward' | 'eval';
  /** example ids in record order: value j of every epoch array belongs to ids[j] */
  ids: string[];
  epochsPlanned: number;
  epochsDone: number;
  /** optional quantities on disk beside the four always kept (written by appendEpoch: e.g. ['el2n']) */
  optional?: OptionalField[];
  /** number of classes (choices; token positions for QA) of the logits, when the caller knows it; set by
   * appendEpoch from the width of `probs` when the run records them */
  numClasses?: number;
  /** width of embedding.f32's rows (when optional lists 'embedding') */
  embeddingDim?: number;
  /** the 0-based epoch embedding.f32 belongs to: the last one appended (absent after truncateRecord cut it off) */
  embeddingEpoch?: number;
  /**
   * The numeric build that computed the record (libs/finetune numericBuild(): backend, native addon, sgemm,
   * threads; `key` is its short form). Two builds can record different values; absent in older records.
   */
  build?: RecordBuild;
}

/** What the records header keeps of a numeric build (more fields may be there). */
export interface RecordBuild {
  key: string;
  backend?: string;
  native?: boolean;
  sgemm?: string | null;
  threads?: number | null;
}

/**
 * Optional per-example quantities (header.optional lists those on disk). el2n and grand: one value per example;
 * probs: numClasses values per example (the softmax); embedding: embeddingDim values per example, kept for the
 * last recorded epoch only (store.ts).
 */
export type OptionalField = 'el2n' | 'probs' | 'grand' | 'embedding';
export const OPTIONAL_FIELDS: readonly OptionalField[] = ['el2n', 'probs', 'grand', 'embedding'];

export interface EpochArrays {
  correct: Uint8Array;
  goldProb: Float32Array;
  loss: Float32Array;
  margin: Float32Array;
  /** EL2N per example (optional: present when the batches handed it to the recorder) */
  el2n?: Float32Array;
  /** softmax class probabilities, row-major [n, numClasses] */
  probs?: Float32Array;
  /** GraNd: norm of the loss gradient w.r.t. the classifier's last linear layer (stats.ts grandOf) */
  grand?: Float32Array;
  /** the input of the classifier's last linear layer, row-major [n, dim] */
  embedding?: Float32Array;
}

/** What batchStats / qaBatchStats / mcBatchStats return; the optional fields are optional so hand-made stats fit.
 * probs and embedding are row-major [batch, width]; their width is read from the first batch. */
export interface BatchValues {
  correct: ArrayLike<number | boolean>;
  goldProb: ArrayLike<number>;
  loss: ArrayLike<number>;
  margin: ArrayLike<number>;
  el2n?: ArrayLike<number>;
  probs?: ArrayLike<number>;
  grand?: ArrayLike<number>;
  embedding?: ArrayLike<number>;
}

/** Collects one epoch of per-example stats from shuffled batches and returns them in header id order. */
export class EpochRecorder {
  readonly ids: string[];
  private readonly index = new Map<string, number>();
  private readonly seen: Uint8Array;
  private readonly out: Omit<EpochArrays, OptionalField>;
  /** undefined until the first batch; then the optional quantities every batch must carry, with their widths */
  private optional: { field: OptionalField; width: number; data: Float32Array }[] | undefined;
  private count = 0;
  private finished = false;

  constructor(ids: string[]) {
    ids.forEach((id, i) => {
      if (this.index.has(id))
        throw new Error(
          `EpochRecorder: id "${id}" appears twice in the id list (positions ${this.index.get(id)} and ${i}); ` +
            `example ids must be unique`,
        );
      this.index.set(id, i);
    });
    this.ids = ids;
    const n = ids.length;
    this.seen = new Uint8Array(n);
    this.out = {
      correct: new Uint8Array(n),
      goldProb: new Float32Array(n),
      loss: new Float32Array(n),
      margin: new Float32Array(n),
    };
  }

  /** One batch by example id (any order). `el2n` is optional but must be given for all batches or none. */
  add(
    ids: string[],
    correct: ArrayLike<number | boolean>,
    goldProb: ArrayLike<number>,
    loss: ArrayLike<number>,
    margin: ArrayLike<number>,
    el2n?: ArrayLike<number>,
  ): void {
    this.put('add', this.positions(ids), { correct, goldProb, loss, margin, ...(el2n ? { el2n } : {}) });
  }

  /** One batch by example id, with the stats object of batchStats (the optional fields included when present). */
  addBatch(ids: string[], s: BatchValues): void {
    this.put('addBatch', this.positions(ids), s);
  }

  private positions(ids: string[]): Int32Array {
    const pos = new Int32Array(ids.length);
    for (let b = 0; b < ids.length; b++) {
      const j = this.index.get(ids[b]!);
      if (j === undefined)
        throw new Error(
          `EpochRecorder.add: unknown id "${ids[b]}"; it is not in the record's id list (wrong split or dataset?)`,
        );
      pos[b] = j;
    }
    return pos;
  }

  /**
   * One batch by position in the record's id list (e.g. the `rows` the trainer hands to onBatch, when the
   * record's ids are the training set's ids in row order): no id lookups, the cheapest way to record.
   */
  addRows(rows: ArrayLike<number>, s: BatchValues): void {
    const n = this.ids.length;
    for (let b = 0; b < rows.length; b++) {
      const j = rows[b]!;
      if (!Number.isInteger(j) || j < 0 || j >= n)
        throw new Error(`EpochRecorder.addRows: row ${j} is outside 0..${n - 1}; rows must index the record's id list`);
    }
    this.put('addRows', rows, s);
  }

  /** The optional quantities of a batch with their per-example widths; fixed by the first batch. */
  private optionalOf(where: string, s: BatchValues, B: number): NonNullable<EpochRecorder['optional']> {
    const given = OPTIONAL_FIELDS.filter((f) => s[f] !== undefined);
    if (this.optional === undefined) {
      const n = this.ids.length;
      this.optional = given.map((field) => {
        const len = s[field]!.length;
        const width = B === 0 ? 0 : len / B;
        if (!Number.isInteger(width) || width < 1 || ((field === 'el2n' || field === 'grand') && width !== 1))
          throw new Error(
            `EpochRecorder.${where}: ${field} has ${len} values for ${B} ids; pass ` +
              `${field === 'el2n' || field === 'grand' ? 'one value' : 'the same number of values'} per id`,
          );
        return { field, width, data: new Float32Array(n * width) };
      });
    }
    const kept = this.optional.map((o) => o.field);
    if (kept.join() !== given.join()) {
      const said = (l: string[]) => (l.length ? l.join(', ') : 'none');
      throw new Error(
        `EpochRecorder.${where}: earlier batches gave the optional quantities [${said(kept)}] but this one gives ` +
          `[${said(given)}]; pass each of el2n, probs, grand, embedding for every batch or none (e.g. el2n was ` +
          `${kept.includes('el2n') ? 'given' : 'not given'} for earlier batches but ` +
          `${given.includes('el2n') ? 'is' : 'is not'} for this one)`,
      );
    }
    for (const o of this.optional) {
      if (s[o.field]!.length !== B * o.width)
        throw new Error(
          `EpochRecorder.${where}: ${o.field} has ${s[o.field]!.length} values for ${B} ids; pass ${o.width} per id ` +
            `(the width of the first batch)`,
        );
    }
    return this.optional;
  }

  private put(where: string, pos: ArrayLike<number>, s: BatchValues): void {
    if (this.finished)
      throw new Error(
        `EpochRecorder.${where}: this epoch is already finished; start a new EpochRecorder for the next epoch`,
      );
    const B = pos.length;
    for (const [name, a] of [
      ['correct', s.correct],
      ['goldProb', s.goldProb],
      ['loss', s.loss],
      ['margin', s.margin],
    ] as const) {
      if (a.length !== B)
        throw new Error(`EpochRecorder.${where}: ${name} has ${a.length} values for ${B} ids; pass one value per id`);
    }
    const optional = this.optionalOf(where, s, B);
    const o = this.out;
    for (let b = 0; b < B; b++) {
      const j = pos[b]!;
      if (this.seen[j])
        throw new Error(
          `EpochRecorder.${where}: id "${this.ids[j]}" seen twice in one epoch; call finish() and start a new ` +
            `EpochRecorder at each epoch`,
        );
      this.seen[j] = 1;
      this.count++;
      o.correct[j] = s.correct[b] ? 1 : 0;
      o.goldProb[j] = s.goldProb[b]!;
      o.loss[j] = s.loss[b]!;
      o.margin[j] = s.margin[b]!;
      for (const { field, width, data } of optional) {
        const src = s[field]!;
        for (let k = 0; k < width; k++) data[j * width + k] = src[b * width + k]!;
      }
    }
  }

  /** The epoch's arrays in id order; throws if some ids were never seen (the epoch was cut short). */
  finish(): EpochArrays {
    const n = this.ids.length;
    if (this.count !== n) {
      const missing: string[] = [];
      for (let j = 0; j < n && missing.length < 5; j++) if (!this.seen[j]) missing.push(this.ids[j]!);
      throw new Error(
        `EpochRecorder.finish: ${n - this.count} of ${n} ids were never seen this epoch (e.g. ${missing.map((m) => `"${m}"`).join(', ')}); every training example must pass through one batch per epoch (check drop-last / batch sampling)`,
      );
    }
    this.finished = true; // the returned arrays are handed over: later adds must not change them
    const out: EpochArrays = { ...this.out };
    for (const { field, data } of this.optional ?? []) out[field] = data;
    return out;
  }
}
