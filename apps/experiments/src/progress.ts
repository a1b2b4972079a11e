// One progress line per job: rewritten in place on a terminal; in a log (CI, a pipe) printed when the job
// starts, at every epoch summary and at most every `every` seconds between, each line with elapsed time and ETA.
const isTTY = Boolean(process.stdout.isTTY) && !process.env.CI;

export function clock(seconds: number): string {
  if (!Number.isFinite(seconds)) return '--:--';
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const mm = String(Math.floor((s % 3600) / 60)).padStart(h ? 2 : 1, '0');
  return `${h ? `${h}:` : ''}${mm}:${String(s % 60).padStart(2, '0')}`;
}

export interface Progress {
  tick(done: number, note?: string): void;
  end(note: string): void;
}

export function progress(
  label: string,
  total: number,
  out: (text: string) => void = (t) => process.stdout.write(t),
  opts: { tty?: boolean; every?: number } = {},
): Progress {
  const tty = opts.tty ?? isTTY;
  const every = (opts.every ?? 30) * 1000;
  const start = performance.now();
  let lastPrint = -Infinity;
  return {
    tick(done, note = '') {
      const now = performance.now();
      const elapsed = (now - start) / 1000;
      const eta = done > 0 ? (elapsed / done) * (total - done) : Infinity;
      const line =
        `${label} ${done}/${total} ${Math.floor((100 * done) / total)}% elapsed ${clock(elapsed)} eta ${clock(eta)} ` +
        `${note}`.trimEnd();
      if (tty) out(`\r${line}\x1b[K`);
      else if (note || now - lastPrint >= every) {
        // epoch summaries (notes) always reach the log
        lastPrint = now;
        out(line + '\n');
      }
    },
    end(note) {
      const line = `${label} done in ${clock((performance.now() - start) / 1000)} ${note}`.trimEnd();
      out(tty ? `\r${line}\x1b[K\n` : line + '\n');
    },
  };
}
