// Hugging Face peft's adapter folder (PeftModel.save_pretrained, peft 0.5.0): adapter_config.json (the method's
// config, json.dumps indent 2 sort_keys), adapter_model.safetensors (or adapter_model.bin from
// safe_serialization=False) with the added tensors and the trained head, and the README.md model card. Names in the
// file come from the method's checkpoint.fileNames; the head is always read and written (peft's config says
// "modules_to_save": null for a sequence classifier although the head is in the file).
import * as tf from '@tensorflow/tfjs';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { headSpecs } from '../heads.ts';
import type { ModelConfig } from '../model-config.ts';
import { readSafetensors, writeSafetensors, type RawTensor } from '../safetensors.ts';
import { readTorchBin, writeTorchBin } from '../torch-bin.ts';
import { attachParsed, type PeftState } from './attach.ts';
import { PEFT_METHODS } from './index.ts';
import type { PeftMethod, PeftOptions } from './method.ts';
import { pythonJson } from './py-json.ts';
import type { HeadKind } from '@prunelab/core';
import type { Params } from '../params.ts';

interface PeftModel {
  config: ModelConfig;
  params: Params;
  head?: HeadKind;
  peft?: PeftState;
}

/** The model card peft 0.5.0 writes beside the adapter. */
export const PEFT_MODEL_CARD =
  '---\nlibrary_name: peft\n---\n## Training procedure\n\n### Framework versions\n\n\n- PEFT 0.5.0\n';

/** Read a JSON file, naming it in the error. */
export function readJsonFile(file: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new Error(`${file}: cannot read it (${(e as Error).message})`);
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new Error(`${file}: not valid JSON (${(e as Error).message})`);
  }
}

/** The method of a library's saved config; an unknown one is an error naming the file and the known ones. */
export function methodOfConfig(
  json: Record<string, unknown>,
  library: PeftMethod['library'],
  file: string,
  what: string,
): PeftMethod {
  const candidates = Object.values(PEFT_METHODS).filter((m) => m.library === library);
  const found = candidates.find((m) => m.checkpoint.identifies(json));
  if (!found) {
    throw new Error(
      `${file}: ${what} is not a method this engine runs; it reads ${library} ` +
        `${candidates.map((m) => m.name).join(', ') || '(none registered)'}`,
    );
  }
  return found;
}

/** Whether the in-memory tensor of a trained parameter is the transpose of its file tensor. */
function transposedOf(model: PeftModel, name: string): boolean {
  const s = model.peft!;
  if (s.added.includes(name)) return s.method.checkpoint.transposed(name, model.config, s.options);
  const spec = headSpecs(model.config, model.head ?? 'seqcls').find((h) => h.name === name);
  return spec?.kind === 'linear';
}

/**
 * Put the tensors of a library weight file into the model's trained parameters (the model already carries the
 * method). Every trained parameter must be in the file under one of its file names, with the right shape; a file
 * tensor no parameter reads is an error (another model or method). `file` names the source in errors.
 */
export function assignTrained(model: PeftModel, tensors: Map<string, RawTensor>, file: string): void {
  const s = model.peft!;
  const used = new Set<string>();
  const missing: string[] = [];
  for (const name of s.trainable) {
    const names = s.method.checkpoint.fileNames(name, model.config, s.options);
    const hit = names.find((n) => tensors.has(n));
    if (!hit) {
      missing.push(names[0]!);
      continue;
    }
    for (const n of names) if (tensors.has(n)) used.add(n);
    const raw = tensors.get(hit)!;
    const v = model.params.get(name)!;
    const t = transposedOf(model, name);
    const want = t ? [...v.shape].reverse() : v.shape;
    if (raw.shape.join() !== want.join()) {
      throw new Error(`${file}: tensor '${hit}' has shape [${raw.shape}], the model expects [${want}]`);
    }
    if (!(raw.data instanceof Float32Array)) throw new Error(`${file}: tensor '${hit}' is not a float tensor`);
    tf.tidy(() => {
      const x = tf.tensor(raw.data, raw.shape, 'float32');
      v.assign(t ? x.transpose() : x);
    });
  }
  const extra = [...tensors.keys()].filter((n) => !used.has(n));
  if (missing.length || extra.length) {
    throw new Error(
      `${file}: the tensors do not match ${s.method.name} on this ${model.config.model_type} model` +
        (missing.length ? `; missing: ${missing.slice(0, 6).join(', ')}${missing.length > 6 ? ' ...' : ''}` : '') +
        (extra.length ? `; unexpected: ${extra.slice(0, 6).join(', ')}${extra.length > 6 ? ' ...' : ''}` : ''),
    );
  }
}

/** The trained parameters under their file names (every alias), as the library's file holds them. */
export function trainedTensors(model: PeftModel): Map<string, RawTensor> {
  const s = model.peft!;
  const out = new Map<string, RawTensor>();
  for (const name of s.trainable) {
    const files = s.method.checkpoint.fileNames(name, model.config, s.options);
    if (!files.length) continue; // saved through another parameter's savedValue (peft's prefix projection MLP)
    const saved = s.method.checkpoint.savedValue?.(name, model.params, model.config, s.options);
    const v = saved ?? model.params.get(name)!;
    const t = transposedOf(model, name);
    const data = tf.tidy(() => (t ? v.transpose() : v).dataSync() as Float32Array);
    const shape = t ? [...v.shape].reverse() : [...v.shape];
    saved?.dispose();
    for (const n of files) out.set(n, { shape, data: new Float32Array(data) });
  }
  return out;
}

export interface LoadedAdapter {
  state: PeftState;
  /** the weight file read */
  weights: string;
  /** adapter_config.json's base_model_name_or_path */
  baseModel: string | null;
}

/** Load a peft folder onto `model` (loaded from the base checkpoint): attach its method with the saved options and
 * read the added tensors and the head. `seed` only matters for parameters the file then overwrites. */
export function loadPeftFolder(dir: string, model: PeftModel, seed = 0): LoadedAdapter {
  const cfgFile = join(dir, 'adapter_config.json');
  const json = readJsonFile(cfgFile);
  const method = methodOfConfig(json, 'peft', cfgFile, `peft_type '${String(json.peft_type)}'`);
  const options: PeftOptions = method.checkpoint.fromConfig(json, model.config, cfgFile);
  const st = join(dir, 'adapter_model.safetensors');
  const bin = join(dir, 'adapter_model.bin');
  if (!existsSync(st) && !existsSync(bin)) {
    throw new Error(`${dir}: no adapter_model.safetensors or adapter_model.bin beside adapter_config.json`);
  }
  // save_pretrained writes safetensors by default and adapter_model.bin with safe_serialization=False
  const weights = existsSync(st) ? st : bin;
  const tensors = weights === st ? readSafetensors(st) : readTorchBin(bin);
  const state = attachParsed(model, method, options, seed, cfgFile);
  assignTrained(model, tensors, weights);
  return { state, weights, baseModel: (json.base_model_name_or_path as string | null) ?? null };
}

/** Write the model's adapter as peft 0.5.0 does: adapter_config.json, adapter_model.safetensors (format 'bin':
 * adapter_model.bin, as safe_serialization=False), README.md. */
export function savePeftFolder(
  dir: string,
  model: PeftModel,
  baseModel: string | null,
  format: 'safetensors' | 'bin' = 'safetensors',
): void {
  const s = model.peft;
  if (!s) throw new Error('savePeftFolder: the model carries no PEFT method');
  if (s.method.library !== 'peft') {
    throw new Error(`savePeftFolder: '${s.method.name}' is an AdapterHub method; save it with saveAdapterFolder`);
  }
  mkdirSync(dir, { recursive: true });
  const config = { ...s.method.checkpoint.toConfig(s.options, model.config), base_model_name_or_path: baseModel };
  writeFileSync(join(dir, 'adapter_config.json'), pythonJson(config));
  if (format === 'bin') writeTorchBin(join(dir, 'adapter_model.bin'), trainedTensors(model));
  else writeSafetensors(join(dir, 'adapter_model.safetensors'), trainedTensors(model));
  writeFileSync(join(dir, 'README.md'), PEFT_MODEL_CARD);
}
