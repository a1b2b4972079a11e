// The numeric build a process computes with: TF.js backend, prunelab's native addon on or off, its sgemm (OpenBLAS
// or the plain loop) and BLAS threads, and whether token-wise layers skip the padding (packing.ts). Two builds can give different records for the same job (summation order
// differs: up to a flipped H for some examples), so runs record it and the grid reports when it changes.
import * as tf from '@tensorflow/tfjs';
import { createRequire } from 'node:module';
import { webgpuAdapter } from './backend-webgpu.ts';
import { nativeStatus, type NativeStatus } from './kernels-native.ts';
import { packingEnabled } from './packing.ts';

export interface NumericBuild {
  /** the TF.js backend in use: 'wasm', 'tensorflow', 'webgpu', 'cpu' */
  backend: string;
  /** webgpu: the adapter it runs on (another GPU or driver runs other shaders); absent for the others */
  device?: string;
  /** prunelab's native kernels active (they serve the wasm backend only) */
  native: boolean;
  sgemm: 'openblas' | 'loop' | null;
  /** OpenBLAS' kernel core ('Zen', 'Haswell'): another core runs other kernels */
  blasCore: string | null;
  /** threads of the native sgemm (1 for the loop); null without the addon */
  threads: number | null;
  /** @tensorflow/tfjs-core version, and the backend package's where it is a separate one (wasm) */
  tfjs: string;
  backendVersion: string | null;
  /** token-wise layers run on the real tokens only (packing.ts; PRUNELAB_PACK=0 turns it off): other dropout draws
   * and gradient sums. Families that do not pack (all but USE-Lite today) compute as without it. */
  packed: boolean;
  /** the addon's own status line ('native openblas:Zen', 'off (PRUNELAB_NATIVE=0)'): why it is off; not compared */
  nativeStatus: string;
  /** the short form compared between runs: equal keys, same numbers */
  key: string;
}

export interface NativeBuild {
  native: boolean;
  sgemm: NumericBuild['sgemm'];
  blasCore: string | null;
  threads: number | null;
}

/** The addon's state as the build sees it (the addon reports its sgemm, OpenBLAS core and live thread count). */
export function readNativeBuild(s: Pick<NativeStatus, 'active' | 'sgemm' | 'core' | 'threads'>): NativeBuild {
  if (!s.active) return { native: false, sgemm: null, blasCore: null, threads: null };
  return { native: true, sgemm: s.sgemm, blasCore: s.core, threads: s.threads };
}

function packageVersion(name: string): string | null {
  try {
    return (createRequire(import.meta.url)(`${name}/package.json`) as { version: string }).version;
  } catch {
    return null;
  }
}

/** The key; builds recorded before packing existed have no `packed` and computed without it. */
export function buildKey(
  b: Omit<NumericBuild, 'key' | 'nativeStatus' | 'packed' | 'device'> & { packed?: boolean; device?: string },
): string {
  const native = b.native
    ? `+${b.sgemm ?? 'native'}${b.blasCore ? `:${b.blasCore}` : ''}${b.threads ? `/${b.threads}t` : ''}`
    : '';
  const versions = `tfjs-${b.tfjs}${b.backendVersion && b.backendVersion !== b.tfjs ? `/${b.backend}-${b.backendVersion}` : ''}`;
  const device = b.device ? ` on ${b.device}` : '';
  return `${b.backend}${native}${device} ${versions}${b.packed ? ' packed' : ''}`;
}

const PACKAGES: Record<string, string> = {
  wasm: '@tensorflow/tfjs-backend-wasm',
  tensorflow: '@tensorflow/tfjs-node',
  webgpu: '@tensorflow/tfjs-backend-webgpu',
};

/** The build of this process; call after chooseBackend (the backend decides whether the addon serves). */
export function numericBuild(): NumericBuild {
  const backend = (tf.engine() as unknown as { backendName?: string }).backendName;
  if (!backend) throw new Error('numericBuild: no TF.js backend chosen yet; call chooseBackend() first');
  const status = nativeStatus();
  const nat =
    backend === 'wasm'
      ? readNativeBuild(status)
      : readNativeBuild({ active: false, sgemm: null, core: null, threads: null });
  const pkg = PACKAGES[backend];
  const gpu = backend === 'webgpu' ? webgpuAdapter() : null;
  const b = {
    backend,
    ...(gpu && { device: gpu.description || `${gpu.vendor} ${gpu.architecture}`.trim() }),
    ...nat,
    tfjs: tf.version_core,
    backendVersion: pkg ? packageVersion(pkg) : null,
    packed: packingEnabled(),
  };
  return { ...b, nativeStatus: backend === 'wasm' ? status.summary : `unused by ${backend}`, key: buildKey(b) };
}

/** One line for logs: "wasm, native addon on (OpenBLAS sgemm, core Zen, 2 threads), tfjs 4.22.0". */
export function describeBuild(b: NumericBuild): string {
  const native =
    b.backend !== 'wasm'
      ? ''
      : b.native
        ? `, native addon on (${b.sgemm === 'loop' ? 'loop sgemm' : `OpenBLAS sgemm${b.blasCore ? `, core ${b.blasCore}` : ''}`}, ${b.threads} thread${b.threads === 1 ? '' : 's'})`
        : `, native addon ${/^off\b/.test(b.nativeStatus) ? b.nativeStatus : `off (${b.nativeStatus})`}`;
  const versions = `tfjs ${b.tfjs}${b.backendVersion && b.backendVersion !== b.tfjs ? ` (${b.backend} ${b.backendVersion})` : ''}`;
  const packing = b.packed ? ', padding skipped in token-wise layers (PRUNELAB_PACK=0: computed)' : '';
  const device = b.device ? ` on ${b.device}` : '';
  return `${b.backend}${device}${native}, ${versions}${packing}`;
}

/** MLflow tags of a build. */
export function buildTags(b: NumericBuild): Record<string, string> {
  return {
    numeric_build: b.key,
    backend: b.backend,
    native: b.native ? 'on' : 'off',
    sgemm: b.sgemm ?? 'none',
    blas_threads: b.threads === null ? 'none' : String(b.threads),
    tfjs_version: b.tfjs,
    packed: b.packed ? 'on' : 'off',
    ...(b.device && { device: b.device }),
  };
}
