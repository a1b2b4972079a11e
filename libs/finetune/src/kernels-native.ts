// The optional native kernel addon (../native/prunelab.cc): built on first use with the system C++ compiler into
// a cache folder, linked to OpenBLAS when it is installed (Debian: libopenblas-dev) and to a plain loop otherwise.
// Anything missing (compiler, Node headers) or PRUNELAB_NATIVE=0 leaves it off and the engine on pure tfjs kernels.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { cpus, homedir } from 'node:os';
import { dirname, join } from 'node:path';

export interface NativeKernels {
  sgemm(mem: ArrayBufferLike, batch: number, M: number, N: number, K: number, transA: boolean, transB: boolean,
    aOff: number, aStride: number, bOff: number, bStride: number, cOff: number, biasOff: number): void;
  layerNorm(mem: ArrayBufferLike, rows: number, cols: number, xOff: number, gOff: number, bOff: number, yOff: number, eps: number): void;
  layerNormGrad(mem: ArrayBufferLike, rows: number, cols: number, xOff: number, gOff: number, dyOff: number,
    dxOff: number, dgOff: number, dbOff: number, eps: number): void;
  gelu(mem: ArrayBufferLike, n: number, xOff: number, yOff: number): void;
  geluGrad(mem: ArrayBufferLike, n: number, xOff: number, dyOff: number, dxOff: number): void;
  /** op: 0 add, 1 sub, 2 mul, 3 div; out[i] = a[i % aSize] op b[i % bSize]. */
  binary(mem: ArrayBufferLike, op: number, n: number, aOff: number, aSize: number, bOff: number, bSize: number, outOff: number): void;
  /** out[i] = a[i] op b[(i / repeat) % bSize] (b op a[i] when bFirst). */
  binaryRepeat(mem: ArrayBufferLike, op: number, n: number, aOff: number, bOff: number, bSize: number, repeat: number,
    outOff: number, bFirst: boolean): void;
  /** op: 0 sqrt, 1 square. */
  unary(mem: ArrayBufferLike, op: number, n: number, xOff: number, outOff: number): void;
  sumRows(mem: ArrayBufferLike, rows: number, cols: number, xOff: number, outOff: number): void;
  adamw(mem: ArrayBufferLike, n: number, pOff: number, mOff: number, vOff: number, gOff: number, pOut: number, mOut: number,
    vOut: number, scale: number, b1: number, c1: number, b2: number, c2: number, decay: number, sqrtBc2: number, eps: number,
    step: number): void;
  dropoutMask(mem: ArrayBufferLike, n: number, rate: number, seed: number, outOff: number): void;
  sumSquares(mem: ArrayBufferLike, n: number, xOff: number): number;
  info(): string;
  setThreads(n: number): void;
}

const SOURCE = join(import.meta.dirname, '../native/prunelab.cc');

function nodeIncludeDir(): string | undefined {
  const candidates = [join(dirname(process.execPath), '../include/node'), '/usr/include/node', '/usr/local/include/node'];
  return candidates.find((d) => existsSync(join(d, 'node_api.h')));
}

function cacheDir(): string {
  return process.env.PRUNELAB_NATIVE_CACHE ?? join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'prunelab', 'native');
}

/** Compile into a temporary name and rename, so processes building at once never load a half-written file. */
function build(src: string, include: string, out: string, blas: boolean): void {
  const tmp = `${out}.${process.pid}.tmp`;
  const args = ['-O3', '-march=native', '-fno-math-errno', '-fno-trapping-math', '-ffp-contract=off', '-shared', '-fPIC', `-I${include}`, src, '-o', tmp];
  if (blas) args.push('-lopenblas');
  else args.push('-DPRUNELAB_NO_BLAS');
  try {
    execFileSync(process.env.CXX ?? 'c++', args, { stdio: 'pipe', timeout: 120_000 });
    renameSync(tmp, out);
  } finally {
    rmSync(tmp, { force: true });
  }
}

/** Run `build` unless `file` exists, one process at a time per cache folder (test files run in parallel
 * processes, and all would compile at once on a fresh machine); a lock older than two minutes is stale. */
function buildOnce(dir: string, file: string, build: () => void): void {
  const lock = join(dir, 'build.lock');
  const deadline = Date.now() + 180_000;
  for (;;) {
    if (existsSync(file)) return;
    try {
      closeSync(openSync(lock, 'wx'));
      break;
    } catch {
      try {
        if (Date.now() - statSync(lock).mtimeMs > 120_000) rmSync(lock, { force: true });
      } catch { /* released meanwhile */ }
      if (Date.now() > deadline) break;
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 200); // sleep 200 ms
    }
  }
  try {
    if (!existsSync(file)) build();
  } finally {
    rmSync(lock, { force: true });
  }
}

/** What the binary depends on besides its source: -march=native code must not run on another CPU. */
function machineKey(): string {
  let flags = '';
  try {
    flags = /^flags\s*:(.*)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1] ?? '';
  } catch { /* not Linux */ }
  return `${process.arch} ${cpus()[0]?.model ?? ''} ${flags}`;
}

let state: { kernels: NativeKernels | null; summary: string } | undefined;

/** The addon, building it if needed; null (with the reason in nativeStatus()) when it cannot be had. */
export function loadNative(): NativeKernels | null {
  if (state) return state.kernels;
  state = { kernels: null, summary: 'off' };
  if (process.env.PRUNELAB_NATIVE === '0') {
    state.summary = 'off (PRUNELAB_NATIVE=0)';
    return null;
  }
  const include = nodeIncludeDir();
  if (!include || !existsSync(SOURCE)) {
    state.summary = 'off (no Node headers: node_api.h not found)';
    return null;
  }
  const src = readFileSync(SOURCE);
  const key = createHash('sha256').update(src).update(machineKey()).digest('hex').slice(0, 16);
  const dir = join(cacheDir(), key);
  const req = createRequire(import.meta.url);
  const errors: string[] = [];
  // PRUNELAB_NATIVE_BLAS=0 builds the BLAS-free variant even where OpenBLAS is installed (to test that fallback).
  for (const blas of process.env.PRUNELAB_NATIVE_BLAS === '0' ? [false] : [true, false]) {
    const file = join(dir, blas ? 'prunelab-openblas.node' : 'prunelab-loop.node');
    try {
      if (!existsSync(file)) {
        mkdirSync(dir, { recursive: true });
        buildOnce(dir, file, () => build(SOURCE, include, file, blas));
      }
      state.kernels = req(file) as NativeKernels;
      const threads = Number(process.env.PRUNELAB_THREADS); // BLAS threads; OpenBLAS' default is one per core
      if (threads > 0) state.kernels.setThreads(threads);
      state.summary = `native ${state.kernels.info()}`;
      return state.kernels;
    } catch (e) {
      const err = e as { stderr?: Buffer; message: string };
      errors.push(`${blas ? 'openblas' : 'loop'}: ${(err.stderr?.toString() || err.message).split('\n')[0]}`);
    }
  }
  state.summary = `off (build failed: ${errors.join('; ')})`;
  return null;
}

let enabled = true;

/** Switch the native kernels off and on at run time (tests compare both paths in one process). */
export function setNativeEnabled(on: boolean): void {
  enabled = on;
}

/** True while the addon is loaded and not switched off. */
export function nativeEnabled(): boolean {
  return enabled && !!state?.kernels;
}

export function nativeStatus(): { active: boolean; summary: string } {
  const summary = state?.summary ?? 'not loaded';
  return { active: nativeEnabled(), summary: state?.kernels && !enabled ? `${summary}, switched off` : summary };
}
