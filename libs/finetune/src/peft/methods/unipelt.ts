// AdapterHub adapters 0.1.1 UniPELTConfig: ConfigUnion(PrefixTuningConfig(prefix_length=10), SeqBnConfig(
// reduction_factor=16), LoRAConfig(r=8)), each with use_gating=True. Every gate is the mean over ALL T positions
// (padding included) of sigmoid(Linear(x)), one value per example, where x is what its part reads: the layer input
// for the prefix (scales the prefix keys and values), the adapter input for the bottleneck (scales the
// up-projection), the linear's input for LoRA (scales the delta). The existing hooks already hand each part its
// tensor (prefix(layer, x), sublayer(h, res, norm), linear(x)): the parts are the three methods' hooks, composed.
// Options: `prefix_tuning`, `adapter`, `lora` objects with each part's config names (UniPELTConfig's arguments);
// a part's defaults are UniPELT's above, and use_gating must stay true (the library forces it).
import type { ModelConfig } from '../../model-config.ts';
import type { Params } from '../../params.ts';
import { composeHooks } from '../compose.ts';
import type { PeftMethod, PeftOptions } from '../method.ts';
import { adapterName, ahTransposed, noOthers, reader, type Reader } from './adapters-shared.ts';
import {
  AH_LORA_DEFAULTS,
  ahLoraConfig,
  ahLoraHooks,
  createAhLora,
  parseAhLora,
  type AhLoraOptions,
} from './adapters_lora.ts';
import {
  AH_PREFIX_DEFAULTS,
  ahPrefixConfig,
  ahPrefixFileNames,
  ahPrefixHooks,
  createAhPrefix,
  parseAhPrefix,
  type AhPrefixOptions,
} from './prefix_tuning.ts';
import { bnConfig, bnHooks, createBn, parseBn, SEQ_BN_DEFAULTS, type BnOptions } from './seq_bn.ts';

export type UniPeltOptions = {
  name: string;
  prefix_tuning: AhPrefixOptions;
  adapter: BnOptions;
  lora: AhLoraOptions;
};

const PLACEMENT = { mh_adapter: false, output_adapter: true };
const TITLE = 'UniPELT (adapters 0.1.1)';

function part(r: Reader, k: string, name: string): PeftOptions {
  r.seen.add(k);
  const v = r.raw[k] ?? {};
  if (typeof v !== 'object' || Array.isArray(v) || v === null) {
    throw new Error(`${r.key}.${k}: ${JSON.stringify(v)} is not valid; allowed: an object of ${k} options`);
  }
  const o = v as PeftOptions;
  if (o.name !== undefined && o.name !== name) {
    throw new Error(`${r.key}.${k}.name: the parts share ${r.key}.name ('${name}'); allowed: no name here`);
  }
  if (o.use_gating === false) throw new Error(`${r.key}.${k}.use_gating: UniPELT gates every part; allowed: true`);
  return o;
}

function parseUniPelt(raw: PeftOptions, c: ModelConfig, key: string): UniPeltOptions {
  const r = reader(raw, key);
  const name = adapterName(r);
  const pre = part(r, 'prefix_tuning', name);
  const bn = part(r, 'adapter', name);
  const lo = part(r, 'lora', name);
  noOthers(r);
  const gated = { use_gating: true };
  return {
    name,
    prefix_tuning: parseAhPrefix({ ...pre, name }, c, `${key}.prefix_tuning`, {
      ...AH_PREFIX_DEFAULTS,
      prefix_length: 10,
      ...gated,
    }),
    adapter: parseBn({ ...bn, name }, c, `${key}.adapter`, PLACEMENT, { ...SEQ_BN_DEFAULTS, ...gated }, TITLE),
    lora: parseAhLora({ ...lo, name }, c, `${key}.lora`, { ...AH_LORA_DEFAULTS, ...gated }),
  };
}

/** The union's parts from a saved {architecture: 'union', configs: [...]}. */
function partsOf(j: Record<string, unknown>): Record<string, Record<string, unknown>> | undefined {
  if (j.architecture !== 'union' || !Array.isArray(j.configs) || j.configs.length !== 3) return undefined;
  const configs = j.configs as Record<string, unknown>[];
  const find = (f: (x: Record<string, unknown>) => boolean) => configs.find(f);
  const prefix = find((x) => x.architecture === 'prefix_tuning');
  const lora = find((x) => x.architecture === 'lora');
  const adapter = find((x) => (x.architecture ?? 'bottleneck') === 'bottleneck');
  if (!prefix || !lora || !adapter) return undefined;
  const strip = ({ architecture: _a, ...rest }: Record<string, unknown>) => rest;
  return { prefix_tuning: strip(prefix), adapter: strip(adapter), lora: strip(lora) };
}

export const uniPelt: PeftMethod<UniPeltOptions> = {
  name: 'unipelt',
  title: TITLE,
  library: 'adapters',
  families: ['bert', 'roberta', 'opt'],
  parseOptions: parseUniPelt,
  // state_dict order per layer: LoRA (query, value), prefix gates (+ the pool under layer 0), the adapter
  create: (c, o, seed) => {
    const params: Params = new Map([
      ...createAhLora(c, o.lora, seed),
      ...createAhPrefix(c, o.prefix_tuning, seed + 1_000),
      ...createBn(c, o.adapter, PLACEMENT, seed + 2_000),
    ]);
    return params;
  },
  hooks: (params, c, o) =>
    composeHooks([
      ahLoraHooks(params, c, o.lora),
      bnHooks(params, c, o.adapter, PLACEMENT),
      ahPrefixHooks(params, c, o.prefix_tuning),
    ]),
  checkpoint: {
    identifies: (j) => partsOf(j) !== undefined,
    fromConfig: (j, c, file) => {
      const parts = partsOf(j);
      if (!parts) throw new Error(`${file}: config is not a UniPELT union (prefix_tuning, bottleneck and lora)`);
      return parseUniPelt(j.name === undefined ? parts : { ...parts, name: j.name }, c, `${file}: config`);
    },
    toConfig: (o) => ({
      architecture: 'union',
      configs: [ahPrefixConfig(o.prefix_tuning), bnConfig(o.adapter, PLACEMENT), ahLoraConfig(o.lora)],
    }),
    fileNames: (n, c) => ahPrefixFileNames(n, c),
    transposed: ahTransposed,
  },
};
