// Backend choice: the fastest one that loads here, overridable by config or PRUNELAB_BACKEND.
// tfjs-node(-gpu) are optional dependencies: their install downloads libtensorflow, which fails offline,
// so on such a machine we fall back to the pure-npm wasm (SIMD) and cpu backends. webgpu (Dawn from npm, on a Vulkan
// driver) is chosen by name only: on a machine without a GPU it runs on lavapipe, slower than wasm.
import * as tf from '@tensorflow/tfjs';
import { describeAdapter, setUpWebgpu, configureWebgpuBackend } from './backend-webgpu.ts';
import { registerWasmKernels } from './wasm-kernels.ts';

export type BackendName = 'tensorflow-gpu' | 'tensorflow' | 'webgpu' | 'wasm' | 'cpu';
/** What 'auto' tries, in order. */
export const BACKEND_ORDER: BackendName[] = ['tensorflow-gpu', 'tensorflow', 'wasm', 'cpu'];
/** Every backend a config or PRUNELAB_BACKEND may name. */
export const BACKEND_NAMES: BackendName[] = ['tensorflow-gpu', 'tensorflow', 'webgpu', 'wasm', 'cpu'];

/**
 * tfjs-backend-cpu prints "Hi, looks like you are running TensorFlow.js in Node.js ... install our node backend" on
 * the first tensor of every cpu backend it makes in Node (its constructor sets `this.firstUse = true`). Here that is
 * expected, not a fault: the engine uses tfjs-node where it installed, else wasm, and says which. The flags that
 * would silence it (IS_TEST, PROD) also change what tfjs checks, and the engine makes new cpu backends on its own
 * (a first op with no backend chosen), so the class's `firstUse` is made a constant false instead.
 */
function quietCpuBanner(): void {
  try {
    const cpu = tf.findBackend('cpu');
    const proto = cpu && Object.getPrototypeOf(cpu);
    if (!proto || Object.getOwnPropertyDescriptor(proto, 'firstUse')) return;
    Object.defineProperty(proto, 'firstUse', { get: () => false, set: () => {}, configurable: true });
    delete (cpu as { firstUse?: boolean }).firstUse; // this instance's own flag, set before the accessor existed
  } catch {
    // no cpu backend registered: nothing prints the banner
  }
}
quietCpuBanner();

/** Load and select `name`: '' when it runs, else why not (the error's first line). */
async function tryRegister(name: BackendName): Promise<{ ok: boolean; why?: string; device?: string }> {
  try {
    let device: string | undefined;
    // Importing the node bindings registers the 'tensorflow' backend (the gpu package uses the same name).
    if (name === 'tensorflow-gpu') await import('@tensorflow/tfjs-node-gpu' as string);
    else if (name === 'tensorflow') await import('@tensorflow/tfjs-node' as string);
    else if (name === 'webgpu') device = describeAdapter(await setUpWebgpu());
    else if (name === 'wasm') {
      await import('@tensorflow/tfjs-backend-wasm');
      registerWasmKernels();
    }
    const tfName = name === 'tensorflow-gpu' ? 'tensorflow' : name;
    if (!(await tf.setBackend(tfName))) return { ok: false, why: `TF.js could not initialise '${tfName}'` };
    if (name === 'webgpu') configureWebgpuBackend();
    return { ok: true, ...(device && { device }) };
  } catch (e) {
    return { ok: false, why: e instanceof Error ? e.message.split('\n')[0] : String(e) };
  }
}

export interface BackendChoice {
  name: BackendName;
  tried: { name: BackendName; ok: boolean; why?: string }[];
  /** the device it runs on, where the backend names one (webgpu: the adapter) */
  device?: string;
}

/** Pick a backend: `preferred` (or $PRUNELAB_BACKEND) if set and loadable, else the first that loads in BACKEND_ORDER. */
export async function chooseBackend(preferred?: string): Promise<BackendChoice> {
  const want = (preferred && preferred !== 'auto' ? preferred : undefined) ?? process.env.PRUNELAB_BACKEND;
  if (want && !BACKEND_NAMES.includes(want as BackendName)) {
    throw new Error(`unknown backend '${want}': use one of ${BACKEND_NAMES.join(', ')} or 'auto'`);
  }
  const order = want ? [want as BackendName] : BACKEND_ORDER;
  const tried: BackendChoice['tried'] = [];
  for (const name of order) {
    const { ok, why, device } = await tryRegister(name);
    tried.push({ name, ok, ...(why && { why }) });
    if (ok) {
      await tf.ready();
      return { name, tried, ...(device && { device }) };
    }
  }
  // A backend asked for by name says why it did not load (webgpu: which driver is missing).
  if (want) throw new Error(`backend '${want}' could not be loaded: ${tried[0]?.why ?? 'unknown reason'}`);
  throw new Error(
    `no TensorFlow.js backend could be loaded (tried ${order.join(', ')}); ` +
      `install @tensorflow/tfjs-backend-wasm or unset PRUNELAB_BACKEND`,
  );
}
