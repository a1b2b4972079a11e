// The optional native kernel addon (../native: module.cc registers one kernel per file in kernels/): built on
// first use with the system C++ compiler into a cache folder, linked to OpenBLAS when it is installed (Debian:
// libopenblas-dev) and to a plain loop sgemm otherwise. Anything missing (compiler, Node headers) or
// PRUNELAB_NATIVE=0 leaves it off and the engine on pure tfjs kernels. Every kernel checks its offsets and sizes
// against the memory it is given and throws a RangeError naming the kernel and the argument before touching it.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import { availableParallelism, cpus, homedir } from 'node:os';
import { dirname, join, relative } from 'node:path';

/** The memory a kernel works in: the wasm heap's ArrayBuffer, or a typed-array view (offsets then count from the
 * view's start and stop at its end; a view of a SharedArrayBuffer works too, the buffer itself does not). */
export type NativeMemory = ArrayBufferLike | ArrayBufferView;

/** The addon's functions. Offsets and sizes count float32 elements of `mem`; each call checks them all against it
 * first (RangeError "prunelab native <kernel>: <argument> ..." for a negative, fractional or too large value or a
 * span past the end, TypeError for a wrong type or argument count), so a throw leaves memory untouched. */
export interface NativeKernels {
  /** C_b = op(A_b) op(B_b) (+ the N-float bias row; biasOff -1: none) for b < batch; A_b at aOff + b aStride
   * (stride 0 broadcasts), C_b at cOff + b M N. */
  sgemm(
    mem: NativeMemory,
    batch: number,
    M: number,
    N: number,
    K: number,
    transA: boolean,
    transB: boolean,
    aOff: number,
    aStride: number,
    bOff: number,
    bStride: number,
    cOff: number,
    biasOff: number,
  ): void;
  layerNorm(
    mem: NativeMemory,
    rows: number,
    cols: number,
    xOff: number,
    gOff: number,
    bOff: number,
    yOff: number,
    eps: number,
  ): void;
  layerNormGrad(
    mem: NativeMemory,
    rows: number,
    cols: number,
    xOff: number,
    gOff: number,
    dyOff: number,
    dxOff: number,
    dgOff: number,
    dbOff: number,
    eps: number,
  ): void;
  gelu(mem: NativeMemory, n: number, xOff: number, yOff: number): void;
  geluGrad(mem: NativeMemory, n: number, xOff: number, dyOff: number, dxOff: number): void;
  /** op: BINARY_OP; out[i] = a[i % aSize] op b[i % bSize]. */
  binary(
    mem: NativeMemory,
    op: number,
    n: number,
    aOff: number,
    aSize: number,
    bOff: number,
    bSize: number,
    outOff: number,
  ): void;
  /** out[i] = a[i] op b[(i / repeat) % bSize] (b op a[i] when bFirst). */
  binaryRepeat(
    mem: NativeMemory,
    op: number,
    n: number,
    aOff: number,
    bOff: number,
    bSize: number,
    repeat: number,
    outOff: number,
    bFirst: boolean,
  ): void;
  /** op: UNARY_OP. */
  unary(mem: NativeMemory, op: number, n: number, xOff: number, outOff: number): void;
  sumRows(mem: NativeMemory, rows: number, cols: number, xOff: number, outOff: number): void;
  adamw(
    mem: NativeMemory,
    n: number,
    pOff: number,
    mOff: number,
    vOff: number,
    gOff: number,
    pOut: number,
    mOut: number,
    vOut: number,
    scale: number,
    b1: number,
    c1: number,
    b2: number,
    c2: number,
    decay: number,
    sqrtBc2: number,
    eps: number,
    step: number,
  ): void;
  dropoutMask(mem: NativeMemory, n: number, rate: number, seed: number, outOff: number): void;
  sumSquares(mem: NativeMemory, n: number, xOff: number): number;
  /** "openblas:<core>" or "loop": the sgemm this build runs. */
  info(): string;
  /** BLAS threads (1 for the loop build). */
  threads(): number;
  setThreads(n: number): void;
}

/** The op codes of binary/binaryRepeat and unary (native/ops.h); other codes throw a RangeError. */
export const BINARY_OP = { add: 0, sub: 1, mul: 2, div: 3 } as const;
export const UNARY_OP = { sqrt: 0, square: 1 } as const;

export type NativeVariant = 'openblas' | 'loop';

const NATIVE_DIR = join(import.meta.dirname, '../native');
/** The compiler flags; part of the cache key. -ffp-contract=off: no FMAs, so results equal tfjs' float ops. */
const FLAGS = ['-O3', '-march=native', '-fno-math-errno', '-fno-trapping-math', '-ffp-contract=off', '-fPIC'];
const LINK = ['-shared', '-fPIC'];
const VARIANT_FLAGS: Record<NativeVariant, { compile: string[]; link: string[] }> = {
  openblas: { compile: [], link: ['-lopenblas'] },
  loop: { compile: ['-DPRUNELAB_NO_BLAS'], link: [] },
};

/** Every file of the addon's source (.cc and .h), sorted; the .cc files are what gets compiled. */
function sourceFiles(dir = NATIVE_DIR): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .flatMap((e) => {
      const path = join(dir, e.name);
      if (e.isDirectory()) return sourceFiles(path);
      return /\.(cc|h)$/.test(e.name) ? [path] : [];
    })
    .sort();
}

function nodeIncludeDir(): string | undefined {
  const candidates = [
    join(dirname(process.execPath), '../include/node'),
    '/usr/include/node',
    '/usr/local/include/node',
  ];
  return candidates.find((d) => existsSync(join(d, 'node_api.h')));
}

function cacheDir(): string {
  return (
    process.env.PRUNELAB_NATIVE_CACHE ??
    join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'prunelab', 'native')
  );
}

function compiler(): string {
  return process.env.CXX ?? 'c++';
}

// Runs the compile commands it reads from stdin, `width` at a time (a child process, as loading is synchronous);
// exits 1 after the first failure, the compilers' errors on its stderr.
const PARALLEL = `const { spawn } = require('node:child_process');
let input = '';
process.stdin.on('data', (d) => (input += d)).on('end', () => {
  const { jobs, width } = JSON.parse(input);
  let next = 0, failed = false;
  const run = () => new Promise((done) => {
    if (failed || next >= jobs.length) return done();
    const [cmd, ...args] = jobs[next++];
    const child = spawn(cmd, args, { stdio: ['ignore', 'inherit', 'inherit'] });
    child.on('error', (e) => { console.error(e.message); failed = true; done(); });
    child.on('close', (code) => { if (code !== 0) failed = true; done(); });
  }).then(() => (failed || next >= jobs.length ? undefined : run()));
  Promise.all(Array.from({ length: width }, run)).then(() => process.exit(failed ? 1 : 0));
});`;

/** Compile every .cc file to an object (in parallel), link them into a temporary name and rename it, so
 * processes building at once never load a half-written file. */
function build(sources: string[], include: string, out: string, variant: NativeVariant): void {
  const tmp = `${out}.${process.pid}.tmp`;
  const units = sources.filter((f) => f.endsWith('.cc'));
  const objects = units.map((_, i) => `${tmp}.${i}.o`);
  const flags = [...FLAGS, ...VARIANT_FLAGS[variant].compile, `-I${include}`];
  const jobs = units.map((f, i) => [compiler(), ...flags, '-c', f, '-o', objects[i]!]);
  try {
    execFileSync(process.execPath, ['-e', PARALLEL], {
      input: JSON.stringify({ jobs, width: availableParallelism() }),
      stdio: 'pipe',
      timeout: 300_000,
    });
    const link = [...LINK, ...objects, '-o', tmp, ...VARIANT_FLAGS[variant].link];
    execFileSync(compiler(), link, { stdio: 'pipe', timeout: 120_000 });
    renameSync(tmp, out);
  } finally {
    for (const f of [tmp, ...objects]) rmSync(f, { force: true });
  }
}

/** Run `build` unless `file` exists, one process at a time per cache folder (test files run in parallel
 * processes, and all would compile at once on a fresh machine); a lock older than five minutes is stale. */
function buildOnce(dir: string, file: string, build: () => void): void {
  const lock = join(dir, 'build.lock');
  const deadline = Date.now() + 400_000;
  for (;;) {
    if (existsSync(file)) return;
    try {
      closeSync(openSync(lock, 'wx'));
      break;
    } catch {
      try {
        if (Date.now() - statSync(lock).mtimeMs > 300_000) rmSync(lock, { force: true });
      } catch {
        /* released meanwhile */
      }
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
  } catch {
    /* not Linux */
  }
  return `${process.arch} ${cpus()[0]?.model ?? ''} ${flags}`;
}

/** The cache folder's name: a hash of every source file under `dir` (path and content), the flags, compiler and
 * machine. */
export function nativeBuildKey(dir = NATIVE_DIR, sources = sourceFiles(dir)): string {
  const h = createHash('sha256');
  for (const f of sources) h.update(relative(dir, f)).update('\0').update(readFileSync(f)).update('\0');
  h.update(JSON.stringify([FLAGS, LINK, VARIANT_FLAGS, compiler()])).update(machineKey());
  return h.digest('hex').slice(0, 16);
}

/** Whether the linker finds OpenBLAS: asked first (milliseconds) so that machines without it do not compile every
 * kernel at each start only to fail at the link. */
function openblasFound(): boolean {
  const where = (lib: string) =>
    execFileSync(compiler(), [`-print-file-name=${lib}`], { encoding: 'utf8', stdio: 'pipe', timeout: 30_000 }).trim();
  return ['libopenblas.so', 'libopenblas.a'].some((lib) => where(lib) !== lib); // the bare name: not found
}

/** One build of the addon (compiled first if not cached); throws with the compiler's first error line. */
export function loadNativeVariant(variant: NativeVariant): { kernels: NativeKernels; file: string; key: string } {
  const include = nodeIncludeDir();
  if (!include) throw new Error('no Node headers: node_api.h not found');
  const sources = sourceFiles();
  const key = nativeBuildKey(NATIVE_DIR, sources);
  const dir = join(cacheDir(), key);
  const file = join(dir, `prunelab-${variant}.node`);
  try {
    if (!existsSync(file) && variant === 'openblas' && !openblasFound()) {
      throw new Error(`libopenblas not found by ${compiler()} (Debian: apt-get install libopenblas-dev)`);
    }
    if (!existsSync(file)) {
      mkdirSync(dir, { recursive: true });
      buildOnce(dir, file, () => build(sources, include, file, variant));
    }
    return { kernels: createRequire(import.meta.url)(file) as NativeKernels, file, key };
  } catch (e) {
    const err = e as { stderr?: Buffer; message: string };
    throw new Error(`${variant}: ${(err.stderr?.toString() || err.message).split('\n')[0]}`);
  }
}

interface State {
  kernels: NativeKernels | null;
  summary: string;
  sgemm: NativeVariant | null;
  core: string | null;
  key: string | null;
  fallback: string | null;
}

let state: State | undefined;

/** PRUNELAB_THREADS, the BLAS threads to use; undefined when unset (OpenBLAS' default: one per core). */
function threadsFromEnv(): number | undefined {
  const v = process.env.PRUNELAB_THREADS;
  if (v === undefined || v === '') return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1 || n > 1024) {
    throw new Error(`PRUNELAB_THREADS=${v}: expected a whole number of BLAS threads from 1 to 1024, or unset`);
  }
  return n;
}

/** The addon, building it if needed; null (with the reason in nativeStatus()) when it cannot be had. */
export function loadNative(): NativeKernels | null {
  if (state) return state.kernels;
  if (process.env.PRUNELAB_NATIVE === '0') {
    state = { kernels: null, summary: 'off (PRUNELAB_NATIVE=0)', sgemm: null, core: null, key: null, fallback: null };
    return null;
  }
  const threads = threadsFromEnv();
  state = { kernels: null, summary: 'off', sgemm: null, core: null, key: null, fallback: null };
  if (!nodeIncludeDir()) {
    state.summary = 'off (no Node headers: node_api.h not found)';
    return null;
  }
  const errors: string[] = [];
  // PRUNELAB_NATIVE_BLAS=0 builds the BLAS-free variant even where OpenBLAS is installed (to test that fallback).
  const variants: NativeVariant[] = process.env.PRUNELAB_NATIVE_BLAS === '0' ? ['loop'] : ['openblas', 'loop'];
  for (const variant of variants) {
    try {
      const { kernels, key } = loadNativeVariant(variant);
      if (threads !== undefined) kernels.setThreads(threads);
      const info = kernels.info();
      const fallback = errors.length ? errors.join('; ') : null;
      state = { kernels, summary: `native ${info}`, sgemm: variant, core: info.split(':')[1] ?? null, key, fallback };
      return kernels;
    } catch (e) {
      errors.push((e as Error).message);
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

/** The addon's state, for start-up lines and run records. Nothing is loaded by asking: before loadNative() (the
 * wasm backend calls it when it registers its kernels) every field but summary ('not loaded') is null/false. */
export interface NativeStatus {
  /** Loaded and not switched off: the wasm backend runs the native kernels. */
  active: boolean;
  /** Loaded (even while switched off by setNativeEnabled(false)). */
  loaded: boolean;
  /** Which sgemm the loaded build runs; null when not loaded. */
  sgemm: NativeVariant | null;
  /** OpenBLAS' name for the CPU core it tuned for (e.g. "Haswell"); null for the loop build or not loaded. */
  core: string | null;
  /** BLAS threads now (1 for the loop build); null when not loaded. */
  threads: number | null;
  /** The build's cache key (hash of every source file, the flags, compiler and CPU); null when not loaded. */
  build: string | null;
  /** Why the loop build runs although OpenBLAS was wanted (e.g. "openblas: libopenblas not found ..."); null
   * otherwise. */
  fallback: string | null;
  /** One line: "native openblas:Haswell", "native loop", "off (<reason>)", "not loaded"; ", switched off" appended
   * while switched off. */
  summary: string;
}

export function nativeStatus(): NativeStatus {
  const s = state;
  const summary = s?.summary ?? 'not loaded';
  return {
    active: nativeEnabled(),
    loaded: !!s?.kernels,
    sgemm: s?.sgemm ?? null,
    core: s?.core ?? null,
    threads: s?.kernels ? s.kernels.threads() : null,
    build: s?.key ?? null,
    fallback: s?.fallback ?? null,
    summary: s?.kernels && !enabled ? `${summary}, switched off` : summary,
  };
}
