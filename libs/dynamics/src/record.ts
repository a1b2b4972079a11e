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
  /** number of classes (choices; token positions for QA) of the logits, when the caller knows it */
  numClasses?: number;
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

export type OptionalField = 'el2n';

export interface EpochArrays {
  correct: Uint8Array;
  goldProb: Float32Array;
  loss: Float32Array;
  margin: Float32Array;
  /** EL2N per example (optional: present when the batches handed it to the recorder) */
  el2n?: Float32Array;
}

/** What batchStats / qaBatchStats / mcBatchStats return; el2n is optional so hand-made stats also fit. */
export interface BatchValues {
  correct: ArrayLike<number | boolean>;
  goldProb: ArrayLike<number>;
  loss: ArrayLike<number>;
  margin: ArrayLike<number>;
  el2n?: ArrayLike<number>;
}

/** Collects one epoch of per-example stats from shuffled batches and returns them in header id order. */
export class EpochRecorder {
  readonly ids: string[];
  private readonly index = new Map<string, number>();
  private readonly seen: Uint8Array;
  private readonly out: Required<EpochArrays>;
  private count = 0;
  private finished = false;
  /** undefined until the first batch; then whether every batch must carry el2n */
  private withEl2n: boolean | undefined;

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
      el2n: new Float32Array(n),
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
    const pos = new Int32Array(ids.length);
    for (let b = 0; b < ids.length; b++) {
      const j = this.index.get(ids[b]!);
      if (j === undefined)
        throw new Error(
          `EpochRecorder.add: unknown id "${ids[b]}"; it is not in the record's id list (wrong split or dataset?)`,
        );
      pos[b] = j;
    }
    this.put('add', pos, { correct, goldProb, loss, margin, ...(el2n ? { el2n } : {}) });
  }

  /** One batch by example id, with the stats object of batchStats (el2n included when present). */
  addBatch(ids: string[], s: BatchValues): void {
    this.add(ids, s.correct, s.goldProb, s.loss, s.margin, s.el2n);
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
      ['el2n', s.el2n],
    ] as const) {
      if (a !== undefined && a.length !== B)
        throw new Error(`EpochRecorder.${where}: ${name} has ${a.length} values for ${B} ids; pass one value per id`);
    }
    const hasEl2n = s.el2n !== undefined;
    if (this.withEl2n === undefined) this.withEl2n = hasEl2n;
    else if (this.withEl2n !== hasEl2n) {
      throw new Error(
        `EpochRecorder.${where}: el2n was ${this.withEl2n ? 'given' : 'not given'} for earlier batches but ` +
          `${hasEl2n ? 'is' : 'is not'} for this one; pass it for every batch or none`,
      );
    }
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
      if (hasEl2n) o.el2n[j] = s.el2n![b]!;
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
    const { el2n, ...rest } = this.out;
    return this.withEl2n ? { ...rest, el2n } : rest;
  }
}
