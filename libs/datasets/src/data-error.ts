// Bad input handling shared by every reader: a problem names the file and line; strict mode throws,
// lenient mode (--lenient) records the row as skipped and the loader reports how many.

export class RowProblems {
  /** `file:line: problem` of every row skipped in lenient mode. */
  readonly skipped: string[] = [];
  constructor(readonly lenient: boolean) {}

  /** Throws in strict mode; in lenient mode records the row as skipped. */
  report(file: string, line: number | undefined, problem: string): void {
    const msg = `${line === undefined ? file : `${file}:${line}`}: ${problem}`;
    if (!this.lenient) throw new Error(`${msg}; fix the row or pass --lenient to skip bad rows`);
    this.skipped.push(msg);
  }
}

export const fmtCount = (n: number): string => n.toLocaleString('en-US');

/** A task split that no data root provides (distinguished so loadTask can list partial copies). */
export class DataNotFoundError extends Error {
  override name = 'DataNotFoundError';
}
