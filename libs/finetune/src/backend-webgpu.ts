// The WebGPU backend in Node: Dawn's prebuilt `dawn.node` from the `webgpu` npm package (no download at install)
// under @tensorflow/tfjs-backend-webgpu. Dawn runs on a Vulkan driver: the GPU vendor's, or Mesa's lavapipe on a
// machine without a GPU (a CPU emulation: right numbers, no speed). Both packages are optional dependencies.
import * as tf from '@tensorflow/tfjs';
import { registerWebgpuAddN } from './kernels-webgpu-addn.ts';
import { registerWebgpuMatMul } from './kernels-webgpu-matmul.ts';
import { registerWebgpuSegmentSum } from './kernels-webgpu-segment-sum.ts';
import { registerWebgpuSoftmax } from './kernels-webgpu-softmax.ts';

/** What Dawn reports of the adapter the backend runs on. */
export interface WebgpuAdapter {
  vendor: string;
  architecture: string;
  device: string;
  description: string;
  /** lavapipe, SwiftShader or another software rasteriser: a CPU emulation, no GPU speed */
  software: boolean;
}

/** Why no adapter: Dawn needs a Vulkan driver, and Debian 12's own Mesa (22.3) is too old for it. */
export const NO_VULKAN_HELP =
  'Dawn (the webgpu package) found no Vulkan device. On a GPU machine install the vendor Vulkan driver ' +
  "(NVIDIA: the driver's Vulkan ICD, /usr/share/vulkan/icd.d/nvidia_icd.json, plus libvulkan1); on a machine " +
  "without a GPU, Mesa's lavapipe from Mesa 23 or later (Debian 12: add bookworm-backports, then " +
  "'apt-get install -t bookworm-backports mesa-vulkan-drivers libvulkan1'; Debian's own Mesa 22.3 is refused by Dawn). " +
  "Or choose another backend (run.backend / PRUNELAB_BACKEND: 'wasm')";

interface GpuAdapterLike {
  info?: { vendor?: string; architecture?: string; device?: string; description?: string };
}
interface GpuLike {
  requestAdapter(opts?: object): Promise<GpuAdapterLike | null>;
}

interface BackendClass {
  prototype: {
    readSync(dataId: object): unknown;
    tensorMap: { get(dataId: object): { values?: unknown } | undefined };
  };
}

/**
 * tfjs-backend-webgpu reads GPU data synchronously through an OffscreenCanvas, which Node does not have (a bare
 * "OffscreenCanvas is not defined"); Dawn has no blocking read either. Data already on the host (inputs, values
 * read before) still reads; anything else is an error that says what to use.
 */
function guardSyncReads(cls: BackendClass): void {
  const proto = cls.prototype as BackendClass['prototype'] & { prunelabGuard?: boolean };
  if (proto.prunelabGuard) return;
  const readSync = proto.readSync;
  proto.readSync = function (this: BackendClass['prototype'], dataId: object) {
    if (
      this.tensorMap.get(dataId)?.values == null &&
      typeof (globalThis as { OffscreenCanvas?: unknown }).OffscreenCanvas === 'undefined'
    )
      throw new Error(
        'a synchronous read (dataSync, arraySync) of a tensor on the GPU: the webgpu backend in Node reads ' +
          'asynchronously only (await t.data()). This code path does not run on webgpu yet; use run.backend: wasm',
      );
    return readSync.call(this, dataId);
  };
  proto.prunelabGuard = true;
}

let adapter: WebgpuAdapter | null = null;
let fault: string | null = null;

/** The adapter the webgpu backend was set up on (null before setUpWebgpu ran). */
export const webgpuAdapter = (): WebgpuAdapter | null => adapter;

export function describeAdapter(a: WebgpuAdapter): string {
  const name = a.description || [a.vendor, a.architecture, a.device].filter(Boolean).join(' ') || 'unnamed adapter';
  return a.software ? `${name} (software Vulkan: a CPU emulation, no GPU speed)` : name;
}

const isSoftware = (i: NonNullable<GpuAdapterLike['info']>) =>
  /software|cpu/i.test(i.architecture ?? '') || /llvmpipe|lavapipe|swiftshader/i.test(i.description ?? '');

/**
 * Make `navigator.gpu` from Dawn, check it has an adapter, then load tfjs' webgpu backend (which registers itself
 * only when navigator.gpu exists at import time, so the order matters). Throws with what to install when it cannot.
 */
export async function setUpWebgpu(): Promise<WebgpuAdapter> {
  if (adapter) return adapter;
  let dawn: { create(flags: string[]): GpuLike; globals: Record<string, unknown> };
  try {
    dawn = (await import('webgpu' as string)) as typeof dawn;
  } catch (e) {
    throw new Error(
      `the webgpu package (Dawn for Node) did not load: ${e instanceof Error ? e.message.split('\n')[0] : String(e)}. ` +
        "It is an optional dependency of @prunelab/finetune; 'npm ci' installs it on linux-x64, linux-arm64, " +
        'macOS and Windows',
    );
  }
  const g = globalThis as unknown as { navigator?: { gpu?: GpuLike } };
  Object.assign(globalThis, dawn.globals);
  // Node 21+ has a read-only global navigator without gpu; Node 20 has none.
  if (!g.navigator) Object.defineProperty(globalThis, 'navigator', { value: {}, writable: true, configurable: true });
  if (!g.navigator!.gpu) Object.defineProperty(g.navigator!, 'gpu', { value: dawn.create([]), configurable: true });
  const found = await g.navigator!.gpu!.requestAdapter({ powerPreference: 'high-performance' });
  if (!found) throw new Error(`no WebGPU adapter: ${NO_VULKAN_HELP}`);
  const info = found.info ?? {};
  const mod = (await import('@tensorflow/tfjs-backend-webgpu' as string)) as { WebGPUBackend?: BackendClass };
  if (!tf.findBackendFactory('webgpu')) throw new Error('@tensorflow/tfjs-backend-webgpu did not register its backend');
  if (mod.WebGPUBackend) guardSyncReads(mod.WebGPUBackend);
  registerWebgpuSoftmax();
  registerWebgpuAddN();
  registerWebgpuMatMul();
  registerWebgpuSegmentSum();
  adapter = {
    vendor: info.vendor ?? '',
    architecture: info.architecture ?? '',
    device: info.device ?? '',
    description: info.description ?? '',
    software: isSoftware(info),
  };
  return adapter;
}

interface GpuBufferLike {
  size: number;
  usage: number;
  destroy(): void;
}
interface BufferManagerLike {
  freeBuffers: Map<string, GpuBufferLike[]>;
  numBytesAllocated: number;
  numBytesUsed: number;
  numFreeBuffers: number;
  releaseBuffer(buffer: GpuBufferLike, reuse?: boolean): void;
}

/** How many bytes of released GPU buffers the pool keeps for reuse ($PRUNELAB_WEBGPU_POOL_MB, default 1024). */
export function webgpuPoolBytes(): number {
  const v = process.env.PRUNELAB_WEBGPU_POOL_MB;
  if (v === undefined || v === '') return 1024 * 2 ** 20;
  const mb = Number(v);
  if (!Number.isFinite(mb) || mb < 0)
    throw new Error(`PRUNELAB_WEBGPU_POOL_MB=${v}: expected a size in MB (0: reuse no released buffer)`);
  return mb * 2 ** 20;
}

/**
 * tfjs-backend-webgpu 4.22 keeps every released buffer for reuse, pooled by exact byte size, and never frees one.
 * Batches cut to their longest row (and packed to their real tokens) have new sizes all the time, so the pool grew
 * without bound (USE-Lite on SST-2: 4 GB to 6 GB of RSS in 10 minutes on lavapipe; on a GPU it is device memory).
 * Here the pool keeps at most `cap` bytes; past that the oldest released buffers are destroyed.
 */
export function capBufferPool(bm: BufferManagerLike, cap: number): void {
  const release = bm.releaseBuffer.bind(bm);
  const order: GpuBufferLike[] = []; // released buffers, oldest first (some may have been reused since)
  let pooled = 0;
  bm.releaseBuffer = (buffer, reuse = true) => {
    const before = bm.numFreeBuffers;
    release(buffer, reuse);
    if (bm.numFreeBuffers === before) return; // destroyed, or the manager is disposed
    order.push(buffer);
    pooled = bm.numBytesAllocated - bm.numBytesUsed;
    while (pooled > cap && order.length) {
      const old = order.shift()!;
      const list = bm.freeBuffers.get(`${old.size}_${old.usage}`);
      const at = list ? list.indexOf(old) : -1;
      if (at < 0) continue; // reused since: in use again, or released again later in `order`
      list!.splice(at, 1);
      bm.numFreeBuffers--;
      bm.numBytesAllocated -= old.size;
      pooled -= old.size;
      old.destroy();
    }
    if (order.length > 4 * bm.numFreeBuffers + 1024) {
      // drop entries of buffers reused since, so the list stays the size of the pool
      const free = new Set([...bm.freeBuffers.values()].flat());
      const kept = order.filter((b) => free.has(b));
      order.length = 0;
      order.push(...kept);
    }
  };
}

/**
 * Set up the webgpu backend once it runs: the buffer pool's cap (capBufferPool), and Dawn's errors. Dawn reports a
 * failed validation (a shader it could not build, too many bindings) as an event, and tfjs goes on with whatever the
 * buffers held: wrong numbers, no exception. The first such error is kept, and checkWebgpu() turns it into an
 * exception; training checks it after every step.
 */
export function configureWebgpuBackend(): void {
  const be = tf.backend() as unknown as {
    device?: { addEventListener(type: string, f: (e: { error?: { message?: string } }) => void): void };
    bufferManager?: BufferManagerLike;
  };
  if (!be.device || (be.device as { prunelabWatched?: boolean }).prunelabWatched) return;
  (be.device as { prunelabWatched?: boolean }).prunelabWatched = true;
  be.device.addEventListener('uncapturederror', (e) => {
    fault ??= e.error?.message?.trim() || 'unknown WebGPU error';
  });
  if (be.bufferManager) capBufferPool(be.bufferManager, webgpuPoolBytes());
}

/** Throw when the WebGPU device has reported an error since the backend started (results after it are wrong). */
export function checkWebgpu(): void {
  if (fault)
    throw new Error(
      `the WebGPU device reported an error, so results computed since are wrong: ${fault.split('\n')[0]}. ` +
        "Report it with the adapter line; run on another backend (run.backend: 'wasm') meanwhile",
    );
}
