// Bad input handling shared by every reader: a problem names the file and line; strict mode throws,
// lenient mode (the config's data.lenient: `--set data.lenient=true`) records the row as skipped and the loader reports how many.

/** The hint every strict-mode row error ends with: the config key, as `--set` spells it. */
export const FIX_OR_LENIENT = 'fix the row or pass --set data.lenient=true to skip bad rows';

export class RowProblems {
  /** `file:line: problem` of every row skipped in lenient mode. */
  readonly skipped: string[] = [];
  constructor(readonly lenient: boolean) {}

  /** Throws in strict mode; in lenient mode records the row as skipped. */
  report(file: string, line: number | undefined, problem: string): void {
    const msg = `${line === undefined ? file : `${file}:${line}`}: ${problem}`;
    if (!this.lenient) throw new Error(`${msg}; ${FIX_OR_LENIENT}`);
    this.skipped.push(msg);
  }
}

export const fmtCount = (n: number): string => n.toLocaleString('en-US');

/** A task split that no data root provides (distinguished so loadTask can list partial copies). */
export class DataNotFoundError extends Error {
  override name = 'DataNotFoundError';
}
