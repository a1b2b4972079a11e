// `npm run bench`: training and inference throughput of the engine beside the PyTorch peer
// (../shared/tools/torch-bert-bench.py), alternating the two cell by cell so both see the same machine load.
// Each measurement runs in its own process, so peak memory (wasm heap, RSS) is that cell's own.
//   --sizes bert-tiny,bert-mini  --seqs 64,128  --modes train,infer  --batch 32  --warmup 1  --steps 4
//   --backend wasm|cpu|...  --threads N (engine's BLAS threads, default: all cores)  --no-peer  --peer-threads 2
//   --repeat N (run each engine/peer pair N times, alternating, and keep each side's best: steadier under load)
//   --json (one JSON line per measurement)
// Then USE-Lite training on real SST-2 batches (use-lite-cell.ts), before and after packing in one run: the padded
// engine (PRUNELAB_PACK=0) and the packed one alternate, each in its own process; there is no PyTorch peer of it.
//   --use-lite-n 800 (sentences)  --use-lite-batch 16  --no-use-lite  --only-use-lite
// Then PEFT on the same cell, side by side in one run: full fine-tuning, LoRA and a bottleneck adapter train the
// same USE-Lite batches (each in its own process: examples/s, peak RSS, peak tensor bytes, trainable parameters).
//   --peft-n 400 (sentences)  --peft full,lora,seq_bn (rows; each a PEFT_METHODS name with the options below)
//   --no-peft  --only-peft
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import type { CellResult, CellSpec } from './engine-cell.ts';
import { useLiteMissing, type UseLiteResult, type UseLiteSpec } from './use-lite-cell.ts';

const PEER = resolve(import.meta.dirname, '../../../shared/tools/torch-bert-bench.py');
const PYTHON = '/usr/bin/python3';

interface PeerResult {
  ex_per_s: number;
  gflops: number;
  maxrss_mb: number;
  blas: string;
  threads: number;
  openblas_coretype: string | null;
}

function peerAvailable(): string | null {
  if (!existsSync(PEER)) return `no ${PEER}`;
  if (!existsSync(PYTHON)) return `no ${PYTHON}`;
  try {
    execFileSync(PYTHON, ['-c', 'import torch'], { stdio: 'pipe', timeout: 60_000 });
    return null;
  } catch {
    return 'python3 cannot import torch (apt-get install -y python3-torch libopenblas0-pthread)';
  }
}

/** OpenBLAS 0.3.21 misdetects some Intel CPUs; its AVX-512 kernels are forced only where the CPU has AVX-512. */
function peerEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  delete env.OPENBLAS_CORETYPE;
  if (existsSync('/proc/cpuinfo') && /\bavx512f\b/.test(readFileSync('/proc/cpuinfo', 'utf8')))
    env.OPENBLAS_CORETYPE = 'SkylakeX';
  return env;
}

function runPeer(s: CellSpec, threads: number): PeerResult | string {
  const r = spawnSync(
    PYTHON,
    [
      PEER,
      '--size',
      s.size,
      '--seq',
      String(s.seq),
      '--mode',
      s.mode,
      '--batch',
      String(s.batch),
      '--threads',
      String(threads),
      '--warmup',
      String(s.warmup),
      '--steps',
      String(s.steps),
    ],
    { env: peerEnv(), encoding: 'utf8', timeout: 600_000 },
  );
  const line = r.stdout?.trim().split('\n').pop();
  if (r.status !== 0 || !line)
    return `peer failed (${r.signal ?? r.status}): ${r.stderr?.trim().split('\n').pop() ?? ''}`;
  return JSON.parse(line) as PeerResult;
}

function runOurs(s: CellSpec, backend: string | undefined, threads: string | undefined): CellResult | string {
  const args = ['--import', 'tsx', join(import.meta.dirname, 'engine.ts'), '--cell', JSON.stringify(s)];
  if (backend) args.push('--backend', backend);
  const env = threads ? { ...process.env, PRUNELAB_THREADS: threads } : process.env;
  const r = spawnSync(process.execPath, args, { encoding: 'utf8', timeout: 900_000, env });
  const line = r.stdout?.trim().split('\n').pop();
  if (r.status !== 0 || !line?.startsWith('{'))
    return `engine failed (${r.signal ?? r.status}): ${r.stderr?.trim().split('\n').slice(-3).join(' | ') ?? ''}`;
  return JSON.parse(line) as CellResult;
}

/** The PEFT rows' methods: LoRA as the shipped cpu-lora config runs it, the adapter with AdapterHub's defaults. */
const PEFT_ROWS: Record<string, UseLiteSpec['peft']> = {
  full: undefined,
  lora: { method: 'lora', r: 8, lora_alpha: 16 },
  ia3: { method: 'ia3' },
  seq_bn: { method: 'seq_bn' },
  double_seq_bn: { method: 'double_seq_bn' },
};

function runUseLiteChild(
  s: UseLiteSpec,
  packed: boolean,
  backend: string | undefined,
  threads: string | undefined,
): UseLiteResult | string {
  const args = ['--import', 'tsx', join(import.meta.dirname, 'engine.ts'), '--use-lite-cell', JSON.stringify(s)];
  if (backend) args.push('--backend', backend);
  const env = { ...process.env, PRUNELAB_PACK: packed ? '1' : '0', ...(threads ? { PRUNELAB_THREADS: threads } : {}) };
  const r = spawnSync(process.execPath, args, { encoding: 'utf8', timeout: 900_000, env });
  const line = r.stdout?.trim().split('\n').pop();
  if (r.status !== 0 || !line?.startsWith('{')) {
    // the error's own line (an unknown PEFT method names the known ones), else the end of stderr
    const err = r.stderr?.split('\n').find((l) => /^\w*Error: /.test(l));
    return `engine failed (${r.signal ?? r.status}): ${err ?? r.stderr?.trim().split('\n').slice(-3).join(' | ') ?? ''}`;
  }
  return JSON.parse(line) as UseLiteResult;
}

const pad = (s: string, n: number) => s.padStart(n);
/** The wasm heap at the end, with its size after the first measured step when it grew in between. */
const heap = (r: CellResult) =>
  r.heapMb === null
    ? '-'
    : r.heapFirstMb !== null && r.heapFirstMb !== r.heapMb
      ? `${r.heapFirstMb.toFixed(0)}->${r.heapMb.toFixed(0)}`
      : r.heapMb.toFixed(0);
const f = (x: number, d = 1) => x.toFixed(d);

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      cell: { type: 'string' },
      backend: { type: 'string' },
      threads: { type: 'string' },
      sizes: { type: 'string', default: 'bert-tiny,bert-mini' },
      seqs: { type: 'string', default: '64,128' },
      modes: { type: 'string', default: 'train,infer' },
      batch: { type: 'string', default: '32' },
      warmup: { type: 'string', default: '1' },
      steps: { type: 'string', default: '4' },
      'no-peer': { type: 'boolean', default: false },
      'peer-threads': { type: 'string', default: '2' },
      json: { type: 'boolean', default: false },
      repeat: { type: 'string', default: '1' },
      'use-lite-cell': { type: 'string' },
      'use-lite-n': { type: 'string', default: '800' },
      'use-lite-batch': { type: 'string', default: '16' },
      'no-use-lite': { type: 'boolean', default: false },
      'only-use-lite': { type: 'boolean', default: false },
      'peft-n': { type: 'string', default: '400' },
      peft: { type: 'string', default: 'full,lora,seq_bn' },
      'no-peft': { type: 'boolean', default: false },
      'only-peft': { type: 'boolean', default: false },
    },
  });
  if (values['use-lite-cell']) {
    const { chooseBackend } = await import('@prunelab/finetune');
    const { runUseLite } = await import('./use-lite-cell.ts');
    await chooseBackend(values.backend);
    console.log(JSON.stringify(await runUseLite(JSON.parse(values['use-lite-cell']) as UseLiteSpec)));
    return;
  }
  if (values.cell) {
    // child: one measurement, one JSON line
    const { runCell } = await import('./engine-cell.ts');
    console.log(JSON.stringify(await runCell(JSON.parse(values.cell) as CellSpec, values.backend)));
    return;
  }
  const noPeer = values['no-peer'] ? 'peer off (--no-peer)' : peerAvailable();
  const cells: CellSpec[] = [];
  const start = performance.now();
  if (!values['only-use-lite'] && !values['only-peft']) await bertRows();
  if (!values['no-use-lite'] && !values['only-peft']) useLiteRows();
  if (!values['no-peft'] && !values['only-use-lite']) peftRows();
  console.log(`(${f((performance.now() - start) / 1000, 0)} s)`);

  function useLiteRows(): void {
    const spec: UseLiteSpec = { n: Number(values['use-lite-n']), batch: Number(values['use-lite-batch']), warmup: 5 };
    const missing = useLiteMissing();
    console.log(
      `\nUSE-Lite training on real SST-2 batches (the first ${spec.n} training sentences, batch ${spec.batch}, ` +
        `each cut to its longest row; ${spec.warmup} warm-up batches)`,
    );
    if (missing) {
      console.log(`  not run: ${missing}`);
      return;
    }
    const best: Record<'padded' | 'packed', UseLiteResult | string> = { padded: 'not run', packed: 'not run' };
    for (let r = 0; r < Math.max(1, Number(values.repeat)); r++) {
      for (const packed of [false, true]) {
        const k = packed ? 'packed' : 'padded';
        const o = runUseLiteChild(spec, packed, values.backend, values.threads);
        const b = best[k];
        if (typeof b === 'string' || (typeof o !== 'string' && o.exPerS > b.exPerS)) best[k] = o;
      }
    }
    if (values.json) {
      console.log(JSON.stringify(best));
      return;
    }
    const first = [best.padded, best.packed].find((x) => typeof x !== 'string') as UseLiteResult | undefined;
    if (first)
      console.log(
        `${first.native}; ${((100 * first.realShare) as number).toFixed(0)}% of the padded positions are real tokens`,
      );
    console.log(
      `${'engine'.padEnd(30)}${pad('ex/s', 8)}${pad('tokens/s', 10)}${pad('GFLOP/s', 9)}${pad('RSS MB', 8)}${pad('ratio', 7)}`,
    );
    const base = best.padded;
    for (const [k, label] of [
      ['padded', 'padded (PRUNELAB_PACK=0)'],
      ['packed', 'packed (the default)'],
    ] as const) {
      const o = best[k];
      if (typeof o === 'string') {
        console.log(`${label.padEnd(30)} ${o}`);
        continue;
      }
      const ratio = typeof base === 'string' ? '-' : `${f(o.exPerS / base.exPerS, 2)}x`;
      console.log(
        `${label.padEnd(30)}${pad(f(o.exPerS), 8)}${pad(f(o.tokensPerS, 0), 10)}${pad(f(o.gflops), 9)}` +
          `${pad(f(o.peakRssMb, 0), 8)}${pad(ratio, 7)}`,
      );
    }
    console.log(
      '(GFLOP/s counts every padded position, as the BERT rows and the peer do: the work of the padded engine)',
    );
  }

  function peftRows(): void {
    const spec: UseLiteSpec = { n: Number(values['peft-n']), batch: Number(values['use-lite-batch']), warmup: 5 };
    const names = values.peft!.split(',').map((x) => x.trim());
    console.log(
      `\nPEFT: full fine-tuning vs parameter-efficient methods on USE-Lite, the same real SST-2 batches (the first ` +
        `${spec.n} training sentences, batch ${spec.batch}, length <= 64, packed; ${spec.warmup} warm-up batches)`,
    );
    const missing = useLiteMissing();
    if (missing) {
      console.log(`  not run: ${missing}`);
      return;
    }
    const best: Record<string, UseLiteResult | string> = {};
    for (let r = 0; r < Math.max(1, Number(values.repeat)); r++) {
      for (const name of names) {
        if (!(name in PEFT_ROWS)) {
          best[name] = `no bench row '${name}'; rows: ${Object.keys(PEFT_ROWS).join(', ')}`;
          continue;
        }
        const peft = PEFT_ROWS[name];
        const o = runUseLiteChild({ ...spec, ...(peft && { peft }) }, true, values.backend, values.threads);
        const b = best[name];
        if (b === undefined || typeof b === 'string' || (typeof o !== 'string' && o.exPerS > b.exPerS)) best[name] = o;
      }
    }
    if (values.json) {
      console.log(JSON.stringify({ peft: best }));
      return;
    }
    console.log(
      `${'tuning'.padEnd(28)}${pad('trainable', 11)}${pad('ex/s', 8)}${pad('tokens/s', 10)}${pad('RSS MB', 8)}` +
        `${pad('tensor MB', 10)}${pad('speed', 7)}`,
    );
    const full = best.full;
    for (const name of names) {
      const o = best[name]!;
      const { method: _m, ...opts } = PEFT_ROWS[name] ?? { method: '' };
      const label =
        name === 'full'
          ? 'full fine-tuning'
          : `${name}${Object.entries(opts)
              .map(([k, v]) => ` ${k}=${v}`)
              .join('')}`;
      if (typeof o === 'string') {
        console.log(`${label.padEnd(28)} ${o}`);
        continue;
      }
      const ratio = full === undefined || typeof full === 'string' ? '-' : `${f(o.exPerS / full.exPerS, 2)}x`;
      console.log(
        `${label.padEnd(28)}${pad(o.trainable.toLocaleString('en-US'), 11)}${pad(f(o.exPerS), 8)}` +
          `${pad(f(o.tokensPerS, 0), 10)}${pad(f(o.peakRssMb, 0), 8)}${pad(f(o.peakTensorMb), 10)}${pad(ratio, 7)}`,
      );
    }
    console.log(
      "(RSS: peak of the row's own process; tensor MB: most tensor bytes alive after a forward/backward pass " +
        '(tf.memory()): weights, AdamW moments of what trains, gradients; speed: ex/s over full fine-tuning)',
    );
  }

  async function bertRows(): Promise<void> {
    for (const mode of values.modes!.split(',') as CellSpec['mode'][]) {
      for (const size of values.sizes!.split(',')) {
        for (const seq of values.seqs!.split(',').map(Number)) {
          cells.push({
            size,
            seq,
            mode,
            batch: Number(values.batch),
            warmup: Number(values.warmup),
            steps: Number(values.steps),
          });
        }
      }
    }
    const head =
      `${'mode'.padEnd(6)}${'size'.padEnd(10)}${pad('len', 4)}${pad('ex/s', 8)}${pad('GFLOP/s', 8)}${pad('heap MB', 10)}${pad('RSS MB', 7)}${pad('tensors', 9)}` +
      ` |${pad('torch ex/s', 11)}${pad('GFLOP/s', 8)}${pad('RSS MB', 7)} |${pad('ratio', 6)}`;
    let first = true;
    for (const s of cells) {
      let peer: PeerResult | string = noPeer ?? 'peer not run';
      let ours: CellResult | string = 'engine not run';
      for (let r = 0; r < Math.max(1, Number(values.repeat)); r++) {
        const p = noPeer ?? runPeer(s, Number(values['peer-threads']));
        if (typeof peer === 'string' || (typeof p !== 'string' && p.ex_per_s > peer.ex_per_s)) peer = p;
        const o = runOurs(s, values.backend, values.threads);
        if (typeof ours === 'string' || (typeof o !== 'string' && o.exPerS > ours.exPerS)) ours = o;
      }
      if (values.json) {
        console.log(JSON.stringify({ ours, peer }));
        continue;
      }
      if (first) {
        if (typeof ours !== 'string')
          console.log(
            `backend ${ours.backend}, ${ours.native}, BLAS threads ${values.threads ?? 'one per core'}; batch ${s.batch}, ${s.warmup} warm-up + ${s.steps} measured steps (median)${Number(values.repeat) > 1 ? `, best of ${values.repeat} runs` : ''}`,
          );
        if (typeof peer !== 'string')
          console.log(
            `peer: PyTorch, ${peer.threads} threads, BLAS ${peer.blas}${peer.openblas_coretype ? ` (OPENBLAS_CORETYPE=${peer.openblas_coretype})` : ''}`,
          );
        console.log(head);
        first = false;
      }
      const row = `${s.mode.padEnd(6)}${s.size.padEnd(10)}${pad(String(s.seq), 4)}`;
      const oursCols =
        typeof ours === 'string'
          ? ` ${ours}`
          : `${pad(f(ours.exPerS), 8)}${pad(f(ours.gflops), 8)}${pad(heap(ours), 10)}${pad(f(ours.peakRssMb, 0), 7)}` +
            `${pad(`${ours.tensorsFirst}->${ours.tensorsLast}`, 9)}`;
      const peerCols =
        typeof peer === 'string'
          ? ` ${peer}`
          : `${pad(f(peer.ex_per_s), 11)}${pad(f(peer.gflops), 8)}${pad(f(peer.maxrss_mb, 0), 7)}`;
      const ratio =
        typeof ours !== 'string' && typeof peer !== 'string' ? `${f(ours.exPerS / peer.ex_per_s, 2)}x` : '-';
      console.log(`${row}${oursCols} |${peerCols} |${pad(ratio, 6)}`);
    }
    console.log(
      `(heap MB: wasm heap (a->b: after the first and the last measured step, if it grew); RSS: peak; tensors: live ` +
        'tensors after the first -> last measured step)',
    );
  }
}

await main();
