// Shape checks shared by the scores: every score reads arrays indexed [run][epoch][example], all over the
// same ids, and may be asked to use only the first runsUsed runs and epochsUsed epochs (ablation knobs).

export interface UseOptions {
  /** use only the first runsUsed runs (1..R); default all runs */
  runsUsed?: number;
  /** use only the first epochsUsed epochs of each run (1..E); default all epochs (all runs must then have as many) */
  epochsUsed?: number;
}

export interface Used<T> {
  /** the used arrays, [run][epoch] */
  runs: T[][];
  R: number;
  E: number;
  n: number;
}

export function useRecords<T extends ArrayLike<number>>(what: string, a: T[][], opts: UseOptions = {}): Used<T> {
  const total = a.length;
  if (total === 0) throw new Error(`${what}: no runs given; pass arrays [run][epoch] from readRunRecord of each run`);
  const R = opts.runsUsed ?? total;
  if (!Number.isInteger(R) || R < 1 || R > total)
    throw new Error(`${what}: runsUsed = ${R} but ${total} runs were given; choose an integer in 1..${total}`);
  const counts = a.slice(0, R).map((run) => run.length);
  const minE = Math.min(...counts);
  if (opts.epochsUsed === undefined && counts.some((e) => e !== minE)) {
    throw new Error(
      `${what}: runs have different epoch counts (${counts.join(', ')}); finish the short runs or pass epochsUsed <= ` +
        `${minE}`,
    );
  }
  const E = opts.epochsUsed ?? minE;
  if (!Number.isInteger(E) || E < 1 || E > minE)
    throw new Error(
      `${what}: epochsUsed = ${E} but the shortest used run has ${minE} epochs; choose an integer in 1..${minE}`,
    );
  const runs = a.slice(0, R).map((run) => run.slice(0, E));
  const n = runs[0]![0]!.length;
  runs.forEach((run, r) =>
    run.forEach((x, e) => {
      if (x.length !== n)
        throw new Error(
          `${what}: run ${r} epoch ${e} has ${x.length} examples but run 0 epoch 0 has ${n}; all records must cover ` +
            `the same ids`,
        );
    }),
  );
  return { runs, R, E, n };
}
