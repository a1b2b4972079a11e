// What the newer methods read from the phase-1 records beyond the four always-recorded quantities (the opt-in
// fields of libs/dynamics: probs, grand, embedding), and the errors that say how to get them.
import type { RunRecord } from '@prunelab/dynamics';
import { normalizeRows } from '../vectors.ts';
import { memo, type PhaseOneRecords, type SelectionContext } from './method.ts';

type Field = 'probs' | 'grand' | 'embedding';
const WHAT: Record<Field, string> = {
  probs: 'class probabilities',
  grand: 'GraNd gradient norms',
  embedding: 'embeddings',
};

/** The error of a method whose records lack a field: what is missing and the config line that records it. */
export function missingField(method: string, field: Field): Error {
  return new Error(
    `selection method ${method}: the phase-1 records hold no ${WHAT[field]}; add \`record: [${field}]\` under ` +
      'phase1 in the config and rerun phase 1',
  );
}

/** The used runs when every one holds the field (each with at least epochsUsed epochs of it), else undefined. */
export function runsWith(
  rec: PhaseOneRecords,
  field: 'probs' | 'grand',
  epochs = rec.epochsUsed,
): RunRecord[] | undefined {
  const used = rec.runs.slice(0, rec.runsUsed);
  return used.length > 0 && used.every((r) => (r[field]?.length ?? 0) >= epochs) ? used : undefined;
}

/** A NaN column refused by the method that ranks by it, with the fix. */
export function refuseNaN(values: ArrayLike<number>, error: () => Error): void {
  for (let i = 0; i < values.length; i++) if (Number.isNaN(values[i]!)) throw error();
}

export interface Embedding {
  n: number;
  dim: number;
  /** row-major [n, dim] as recorded */
  data: Float32Array;
  /** the rows scaled to unit length (cosine similarity = dot product) */
  unit: Float32Array;
}

/**
 * The embedding of the first used run (the pooled representation of its last recorded epoch). Runs fine-tune
 * separately, so their embedding spaces differ and are not averaged. Undefined when the records hold none.
 */
export function embeddingOf(ctx: SelectionContext): Embedding | undefined {
  return memo(ctx, 'embedding', () => {
    const e = ctx.embedding ?? ctx.records?.runs[0]?.embedding;
    if (!e) return undefined;
    const n = ctx.pool.ids.length;
    if (e.data.length !== n * e.dim)
      throw new Error(
        `the phase-1 embedding holds ${e.data.length} values, not ${n} examples x dim ${e.dim}; rerun phase 1`,
      );
    return { n, dim: e.dim, data: e.data, unit: normalizeRows(e.data, n, e.dim) };
  });
}

/** embeddingOf, or the error naming the method and the fix. */
export function needEmbedding(ctx: SelectionContext, method: string): Embedding {
  const e = embeddingOf(ctx);
  if (!e) throw missingField(method, 'embedding');
  return e;
}
