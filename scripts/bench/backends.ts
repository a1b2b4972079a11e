// `npm run bench:backends`: the same engine cells on each TensorFlow.js backend, side by side in one run, each
// measurement in its own process: examples/s, the first step's time (webgpu compiles its shaders there), peak RSS,
// and how far each backend's outputs (every step's training loss; the first batch's logits) are from the first
// backend's. On a machine without a GPU webgpu runs on lavapipe (Vulkan on the CPU): a correctness-and-overhead
// figure, not a GPU speed; on a GPU machine the same command gives the GPU rows.
//   --backends wasm,webgpu (first: the reference)  --sizes bert-tiny,bert-mini  --seqs 64  --modes train,infer
//   --batch 32  --warmup 1  --steps 4  --repeat N (keep each backend's best)  --json
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { CellResult, CellSpec } from './engine-cell.ts';

function runCellChild(s: CellSpec, backend: string): CellResult | string {
  const args = ['--import', 'tsx', join(import.meta.dirname, 'engine.ts'), '--cell', JSON.stringify(s)];
  args.push('--backend', backend);
  const r = spawnSync(process.execPath, args, { encoding: 'utf8', timeout: 1_800_000 });
  const line = r.stdout?.trim().split('\n').pop();
  if (r.status !== 0 || !line?.startsWith('{')) {
    const err = r.stderr?.split('\n').find((l) => /Error: /.test(l));
    return `failed (${r.signal ?? r.status}): ${err?.trim() ?? r.stderr?.trim().split('\n').pop() ?? ''}`;
  }
  return JSON.parse(line) as CellResult;
}

const maxDiff = (a: number[], b: number[]) =>
  a.length !== b.length ? Number.NaN : a.reduce((m, x, i) => Math.max(m, Math.abs(x - b[i]!)), 0);

const { values } = parseArgs({
  options: {
    backends: { type: 'string', default: 'wasm,webgpu' },
    sizes: { type: 'string', default: 'bert-tiny,bert-mini' },
    seqs: { type: 'string', default: '64' },
    modes: { type: 'string', default: 'train,infer' },
    batch: { type: 'string', default: '32' },
    warmup: { type: 'string', default: '1' },
    steps: { type: 'string', default: '4' },
    repeat: { type: 'string', default: '1' },
    json: { type: 'boolean', default: false },
  },
});
const list = (s: string) => s.split(',').map((x) => x.trim());
const backends = list(values.backends!);
const start = performance.now();
const devices = new Map<string, string>();
if (!values.json) {
  console.log(
    `${'cell'.padEnd(24)}${'backend'.padEnd(10)}${'ex/s'.padStart(8)}${'ratio'.padStart(8)}${'1st step s'.padStart(12)}` +
      `${'RSS MB'.padStart(8)}${'max |Δ| vs ref'.padStart(16)}`,
  );
}
for (const size of list(values.sizes!))
  for (const seq of list(values.seqs!).map(Number))
    for (const mode of list(values.modes!) as CellSpec['mode'][]) {
      const spec: CellSpec = {
        size,
        seq,
        batch: Number(values.batch),
        mode,
        warmup: Number(values.warmup),
        steps: Number(values.steps),
      };
      const best = new Map<string, CellResult | string>();
      for (let r = 0; r < Math.max(1, Number(values.repeat)); r++)
        for (const b of backends) {
          const o = runCellChild(spec, b);
          const was = best.get(b);
          if (!was || typeof was === 'string' || (typeof o !== 'string' && o.exPerS > was.exPerS)) best.set(b, o);
        }
      if (values.json) {
        console.log(JSON.stringify({ spec, results: Object.fromEntries(best) }));
        continue;
      }
      const ref = best.get(backends[0]!);
      const cell = `${size} ${mode} L${seq} B${spec.batch}`;
      for (const b of backends) {
        const o = best.get(b)!;
        if (typeof o === 'string') {
          console.log(`${cell.padEnd(24)}${b.padEnd(10)} ${o}`);
          continue;
        }
        if (o.device) devices.set(b, o.device);
        const ok = typeof ref !== 'string' && ref;
        const ratio = ok ? `${(o.exPerS / ref.exPerS).toFixed(2)}x` : '-';
        const diff = ok ? maxDiff(o.outputs, ref.outputs).toExponential(1) : '-';
        console.log(
          `${cell.padEnd(24)}${b.padEnd(10)}${o.exPerS.toFixed(1).padStart(8)}${ratio.padStart(8)}` +
            `${o.firstS.toFixed(2).padStart(12)}${o.peakRssMb.toFixed(0).padStart(8)}${diff.padStart(16)}`,
        );
      }
    }
if (!values.json) {
  for (const [b, d] of devices) console.log(`${b}: ${d}`);
  console.log(
    `(max |Δ|: every training step's loss, or the first batch's logits, against ${backends[0]}; ` +
      `${((performance.now() - start) / 1000).toFixed(0)} s)`,
  );
}
