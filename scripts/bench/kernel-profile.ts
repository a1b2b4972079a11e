// `npm run bench:profile`: where a training step's time goes, per TensorFlow.js kernel. Wraps every kernel the
// chosen backend registers with a wall-clock timer (synchronous backends: wasm, cpu; the native addon runs inside
// them) and trains the bench's BERT-shaped model (runCell: random weights, AdamW, dropout 0.1) for a few steps.
// --use-lite profiles the real USE-Lite on real SST-2 batches instead (use-lite-cell.ts; --n sentences).
//   --size use-lite  --seq 32  --batch 16  --steps 8  --backend wasm  --top 25  --use-lite --n 320
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs';
import { chooseBackend } from '@prunelab/finetune';
import { runCell } from './engine-cell.ts';
import { runUseLite } from './use-lite-cell.ts';

const { values: a } = parseArgs({
  options: {
    size: { type: 'string', default: 'use-lite' },
    seq: { type: 'string', default: '32' },
    batch: { type: 'string', default: '16' },
    steps: { type: 'string', default: '8' },
    backend: { type: 'string' },
    top: { type: 'string', default: '25' },
    'use-lite': { type: 'boolean', default: false },
    n: { type: 'string', default: '320' },
  },
});

const backend = await chooseBackend(a.backend);
const spent = new Map<string, { ms: number; calls: number }>();
let measuring = false;
const wrapped = new Set<string>();
/** Wraps every kernel registered for the backend so far (AdamW registers itself at the first update). */
function wrapKernels(): void {
  for (const k of tf.getKernelsForBackend(backend.name)) {
    if (wrapped.has(k.kernelName)) continue;
    wrapped.add(k.kernelName);
    const inner = k.kernelFunc;
    tf.unregisterKernel(k.kernelName, k.backendName); // tfjs keeps the first registration of a name
    tf.registerKernel({
      ...k,
      kernelFunc: ((args: Parameters<typeof inner>[0]) => {
        if (!measuring) return inner(args);
        const t0 = performance.now();
        const out = inner(args);
        const s = spent.get(k.kernelName) ?? { ms: 0, calls: 0 };
        s.ms += performance.now() - t0;
        s.calls++;
        spent.set(k.kernelName, s);
        return out;
      }) as typeof inner,
    });
  }
}
wrapKernels();
const steps = Number(a.steps);
const spec = { size: a.size!, seq: Number(a.seq), batch: Number(a.batch), mode: 'train' as const, warmup: 2, steps };
let t0 = performance.now();
let header: string[];
let perStep: number;
let wall: number;
if (a['use-lite']) {
  // measured after 3 batches (JIT, heap growth, lazily registered kernels), like the cell's own timing
  const warm = 3;
  const r = await runUseLite({
    n: Number(a.n),
    batch: spec.batch,
    warmup: warm,
    onBatch: (i) => {
      if (i === 1) wrapKernels();
      if (i === warm - 1) {
        measuring = true;
        t0 = performance.now();
      }
    },
  });
  wall = performance.now() - t0;
  perStep = Math.ceil(r.n / r.batch) - warm;
  header = [
    `USE-Lite on the first ${r.n} SST-2 sentences, batch ${r.batch}, ${perStep} measured steps on ${backend.name}, ` +
      `${r.packed ? 'packed' : 'padded (PRUNELAB_PACK=0)'}`,
    `${r.native}; ${r.exPerS.toFixed(1)} examples/s, ${r.gflops.toFixed(1)} GFLOP/s at padded lengths`,
  ];
} else {
  measuring = true;
  const r = await runCell(spec, backend.name);
  wall = performance.now() - t0;
  perStep = spec.warmup + steps;
  header = [
    `${spec.size} seq ${spec.seq} batch ${spec.batch}, ${perStep} steps on ${backend.name}`,
    `${r.native}; ${r.exPerS.toFixed(1)} examples/s, ${r.gflops.toFixed(1)} GFLOP/s (median step)`,
  ];
}
const rows = [...spent.entries()].sort((x, y) => y[1].ms - x[1].ms);
const total = rows.reduce((s, [, v]) => s + v.ms, 0);
for (const line of header) console.log(line);
console.log(
  `kernel time ${(total / 1000).toFixed(2)} s of ${(wall / 1000).toFixed(2)} s wall (the rest: JS, autograd)`,
);
console.log('kernel                        ms/step   share   calls/step');
for (const [name, v] of rows.slice(0, Number(a.top)))
  console.log(
    `${name.padEnd(28)} ${(v.ms / perStep).toFixed(2).padStart(8)} ` +
      `${((100 * v.ms) / total).toFixed(1).padStart(6)}%  ${(v.calls / perStep).toFixed(0).padStart(8)}`,
  );
