// Two runs of one grid on two numeric builds (webgpu-smoke.yaml and webgpu-smoke-wasm.yaml, say): how many
// training-pass records (example x epoch x score run) and H-scores differ, and for each flipped record how close to a
// tie it was in both builds (its margin: the gold logit minus the largest other; correct iff > 0). Then each phase-2
// run's final dev metric side by side.
//   npx tsx scripts/compare-builds.ts results/webgpu-smoke results/webgpu-smoke-wasm [--show 10]
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { parseArgs } from 'node:util';
import { readRunRecord } from '@prunelab/dynamics';

const { positionals, values } = parseArgs({
  allowPositionals: true,
  options: { show: { type: 'string', default: '10' } },
});
if (positionals.length !== 2) {
  console.error('usage: compare-builds.ts <results dir A> <results dir B> [--show N]');
  process.exit(2);
}
const [a, b] = positionals as [string, string];

/** Folders under `root` holding `file`, relative to it (task/model/phase1/seed-1, ...). */
function foldersWith(root: string, file: string, at = ''): string[] {
  const dir = join(root, at);
  if (!existsSync(dir)) return [];
  const out: string[] = existsSync(join(dir, file)) ? [at] : [];
  for (const e of readdirSync(dir, { withFileTypes: true }))
    if (e.isDirectory() && e.name !== 'mlruns' && e.name !== 'plots')
      out.push(...foldersWith(root, file, join(at, e.name)));
  return out;
}

const buildOf = (dir: string) => {
  const done = join(dir, 'done.json');
  return existsSync(done)
    ? (JSON.parse(readFileSync(done, 'utf8')) as { build?: { key?: string } }).build?.key
    : undefined;
};

const show = Number(values.show);
let records = 0;
let flipped = 0;
const flips: { run: string; epoch: number; example: string; ma: number; mb: number }[] = [];
for (const run of foldersWith(a, 'header.json').filter((r) => r.includes('phase1'))) {
  if (!existsSync(join(b, run, 'header.json'))) {
    console.log(`${run}: only in ${a}`);
    continue;
  }
  const ra = readRunRecord(join(a, run));
  const rb = readRunRecord(join(b, run));
  const ids = (ra.header as { ids: string[] }).ids;
  if (ids.join() !== (rb.header as { ids: string[] }).ids.join())
    throw new Error(`${run}: other examples in the two runs`);
  for (let e = 0; e < Math.min(ra.correct.length, rb.correct.length); e++) {
    for (let i = 0; i < ids.length; i++) {
      records++;
      if (ra.correct[e]![i] === rb.correct[e]![i]) continue;
      flipped++;
      flips.push({ run, epoch: e + 1, example: ids[i]!, ma: ra.margin[e]![i]!, mb: rb.margin[e]![i]! });
    }
  }
  console.log(`${run}: ${buildOf(join(a, run)) ?? '?'}  |  ${buildOf(join(b, run)) ?? '?'}`);
}
console.log(`\nrecords: ${records}, flipped: ${flipped} (${((100 * flipped) / Math.max(1, records)).toFixed(3)}%)`);
flips.sort((x, y) => Math.max(Math.abs(y.ma), Math.abs(y.mb)) - Math.max(Math.abs(x.ma), Math.abs(x.mb)));
if (flips.length) {
  const widest = Math.max(...flips.map((f) => Math.min(Math.abs(f.ma), Math.abs(f.mb))));
  console.log(`largest |margin| of a flipped record, in the build nearer the tie: ${widest.toExponential(2)}`);
  for (const f of flips.slice(0, show))
    console.log(
      `  ${f.run} epoch ${f.epoch} ${f.example}: margin ${f.ma.toExponential(3)} vs ${f.mb.toExponential(3)}`,
    );
}

// H-scores: scores.csv of each scoring job
for (const job of foldersWith(a, 'scores.csv')) {
  const read = (root: string) =>
    new Map(
      readFileSync(join(root, job, 'scores.csv'), 'utf8')
        .trim()
        .split('\n')
        .slice(1)
        .map((l) => l.split(','))
        .map((c) => [c[0]!, Number(c[2])] as const),
    );
  if (!existsSync(join(b, job, 'scores.csv'))) continue;
  const ha = read(a);
  const hb = read(b);
  const differ = [...ha].filter(([id, h]) => hb.get(id) !== h);
  console.log(`\n${job}: H-scores of ${ha.size} examples, ${differ.length} differ`);
  for (const [id, h] of differ.slice(0, show)) {
    const why = flips.filter((f) => f.example === id);
    console.log(
      `  ${id}: H ${h} vs ${hb.get(id)} (${why.map((f) => `${relative('', f.run).split('/').pop()} epoch ${f.epoch}: margin ${f.ma.toExponential(2)} vs ${f.mb.toExponential(2)}`).join('; ')})`,
    );
  }
}

// phase 2: the last epoch's dev metric of each run
const lastMetric = (dir: string) => {
  const file = join(dir, 'metrics.jsonl');
  if (!existsSync(file)) return undefined;
  const lines = readFileSync(file, 'utf8').trim().split('\n');
  return (JSON.parse(lines[lines.length - 1]!) as { devMetric?: number }).devMetric;
};
console.log('\nphase 2, last epoch dev metric:');
for (const run of foldersWith(a, 'metrics.jsonl').filter((r) => r.includes('phase2'))) {
  const ma = lastMetric(join(a, run));
  const mb = lastMetric(join(b, run));
  console.log(`  ${run}: ${ma?.toFixed(4) ?? '-'} vs ${mb?.toFixed(4) ?? '-'}`);
}
