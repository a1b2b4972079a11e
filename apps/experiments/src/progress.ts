// One progress line per job: rewritten in place on a terminal, printed every ~10% and at every epoch
// summary in a log (CI), with an ETA.
const isTTY = Boolean(process.stdout.isTTY) && !process.env.CI;

function clock(seconds: number): string {
  if (!Number.isFinite(seconds)) return '--:--';
  const s = Math.round(seconds);
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
}

export interface Progress { tick(done: number, note?: string): void; end(note: string): void }

export function progress(label: string, total: number, out: (line: string) => void = (l) => process.stdout.write(l)): Progress {
  const start = performance.now();
  let lastDecile = -1;
  return {
    tick(done, note = '') {
      const elapsed = (performance.now() - start) / 1000;
      const eta = done > 0 ? (elapsed / done) * (total - done) : Infinity;
      const line = `${label} ${done}/${total} ${Math.floor((100 * done) / total)}% elapsed ${clock(elapsed)} eta ${clock(eta)} ${note}`.trimEnd();
      if (isTTY) out(`\r${line}\x1b[K`);
      else {
        const decile = Math.floor((10 * done) / total);
        if (decile > lastDecile || note) { // epoch summaries (notes) always reach the log
          lastDecile = decile;
          out(line + '\n');
        }
      }
    },
    end(note) {
      const line = `${label} done in ${clock((performance.now() - start) / 1000)} ${note}`.trimEnd();
      out(isTTY ? `\r${line}\x1b[K\n` : line + '\n');
    },
  };
}
