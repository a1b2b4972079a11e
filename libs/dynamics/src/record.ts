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
  /** 'train-forward': logits of the training step itself (dropout on, weights before the update) */
  pass: 'train-forward' | 'eval';
  /** example ids in record order: value j of every epoch array belongs to ids[j] */
  ids: string[];
  epochsPlanned: number;
  epochsDone: number;
}

export interface EpochArrays {
  correct: Uint8Array;
  goldProb: Float32Array;
  loss: Float32Array;
  margin: Float32Array;
}

/** Collects one epoch of per-example stats from shuffled batches and returns them in header id order. */
export class EpochRecorder {
  readonly ids: string[];
  private readonly index = new Map<string, number>();
  private readonly seen: Uint8Array;
  private readonly out: EpochArrays;
  private count = 0;
  private finished = false;

  constructor(ids: string[]) {
    ids.forEach((id, i) => {
      if (this.index.has(id)) throw new Error(`EpochRecorder: id "${id}" appears twice in the id list (positions ${this.index.get(id)} and ${i}); example ids must be unique`);
      this.index.set(id, i);
    });
    this.ids = ids;
    const n = ids.length;
    this.seen = new Uint8Array(n);
    this.out = { correct: new Uint8Array(n), goldProb: new Float32Array(n), loss: new Float32Array(n), margin: new Float32Array(n) };
  }

  add(
    ids: string[],
    correct: ArrayLike<number | boolean>,
    goldProb: ArrayLike<number>,
    loss: ArrayLike<number>,
    margin: ArrayLike<number>,
  ): void {
    if (this.finished) throw new Error('EpochRecorder.add: this epoch is already finished; start a new EpochRecorder for the next epoch');
    const B = ids.length;
    for (const [name, a] of [['correct', correct], ['goldProb', goldProb], ['loss', loss], ['margin', margin]] as const) {
      if (a.length !== B) throw new Error(`EpochRecorder.add: ${name} has ${a.length} values for ${B} ids; pass one value per id`);
    }
    for (let b = 0; b < B; b++) {
      const id = ids[b]!;
      const j = this.index.get(id);
      if (j === undefined) throw new Error(`EpochRecorder.add: unknown id "${id}"; it is not in the record's id list (wrong split or dataset?)`);
      if (this.seen[j]) throw new Error(`EpochRecorder.add: id "${id}" seen twice in one epoch; call finish() and start a new EpochRecorder at each epoch`);
      this.seen[j] = 1;
      this.count++;
      this.out.correct[j] = correct[b] ? 1 : 0;
      this.out.goldProb[j] = goldProb[b]!;
      this.out.loss[j] = loss[b]!;
      this.out.margin[j] = margin[b]!;
    }
  }

  /** The epoch's arrays in id order; throws if some ids were never seen (the epoch was cut short). */
  finish(): EpochArrays {
    const n = this.ids.length;
    if (this.count !== n) {
      const missing: string[] = [];
      for (let j = 0; j < n && missing.length < 5; j++) if (!this.seen[j]) missing.push(this.ids[j]!);
      throw new Error(`EpochRecorder.finish: ${n - this.count} of ${n} ids were never seen this epoch (e.g. ${missing.map((m) => `"${m}"`).join(', ')}); every training example must pass through one batch per epoch (check drop-last / batch sampling)`);
    }
    this.finished = true; // the returned arrays are handed over: later adds must not change them
    return this.out;
  }
}
