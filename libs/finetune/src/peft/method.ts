// What a PEFT method (one file in methods/, one row in index.ts) gives the engine.
import type * as tf from '@tensorflow/tfjs';
import type { HeadKind } from '@prunelab/core';
import type { ModelConfig } from '../model-config.ts';
import type { Params } from '../params.ts';
import type { PeftHooks } from './hooks.ts';

export type PeftOptions = Record<string, unknown>;

/** Options types of a method are `type` aliases (not interfaces), so every method fits the table's PeftMethod. */
export interface PeftMethod<O extends PeftOptions = PeftOptions> {
  /** The registry key and the `peft.method` value in YAML: 'lora', 'ia3', 'prefix', 'prompt', 'seq_bn', ... */
  name: string;
  /** For messages and reports: 'LoRA (peft 0.5.0)'. */
  title: string;
  /** Whose semantics and checkpoint layout it follows. */
  library: 'peft' | 'adapters';
  /** The model_types it applies to. */
  families: readonly string[];
  /** The heads it supports; absent: every head of the family. */
  heads?: readonly HeadKind[];
  /**
   * The options with the library's defaults filled in, checked against the model. Raw keys are the library's
   * config names (peft: r, lora_alpha, target_modules, ...; adapters: reduction_factor, non_linearity, ...).
   * `key` is where the options come from (`phase1.peft`, an adapter_config.json path): every error names it, the
   * bad option, and what is allowed. Unknown options are errors.
   */
  parseOptions(raw: PeftOptions, c: ModelConfig, key: string): O;
  /**
   * The added parameters (named as in memory, see README), initialised as the library does from `seed`
   * (LoRA: A Kaiming-uniform, B zeros; IA3: ones; ...). Linear weights are [in, out] in memory.
   */
  create(c: ModelConfig, opts: O, seed: number): Params;
  /** The forward-pass hooks over the model's parameters (base + added). */
  hooks(params: Params, c: ModelConfig, opts: O): PeftHooks;
  /** Fold the added parameters into the base weights as the library's merge does (LoRA, IA3); afterwards the
   * model runs without hooks. */
  merge?(params: Params, c: ModelConfig, opts: O): void;
  /** Undo merge (LoRA). */
  unmerge?(params: Params, c: ModelConfig, opts: O): void;
  /** How the library saves it (peft-folder.ts, adapters-folder.ts read and write folders through this). */
  checkpoint: PeftCheckpoint<O>;
}

export interface PeftCheckpoint<O extends PeftOptions> {
  /** Whether a saved library config is this method's (peft: its peft_type; adapters: the `config` object). */
  identifies(json: Record<string, unknown>): boolean;
  /**
   * The saved config (peft: adapter_config.json; adapters: its `config` object) -> options. A key the engine does
   * not model must hold the library's default, else an error naming `file`, the key and the value it supports.
   */
  fromConfig(json: Record<string, unknown>, c: ModelConfig, file: string): O;
  /** Options -> the saved config with every key the library writes (peft-folder.ts adds base_model_name_or_path). */
  toConfig(opts: O, c: ModelConfig): Record<string, unknown>;
  /** The names an in-memory parameter (added, or a trained head parameter) has in the library's weight file, first
   * the one read on load (AdapterHub saves its shared prefix pool under several names). */
  fileNames(name: string, c: ModelConfig, opts: O): string[];
  /** Whether an added parameter is kept in memory as the transpose of its file tensor (linear weights are [in, out]
   * in memory, [out, in] in the file); head parameters follow their ParamSpec kind and are not asked. */
  transposed(name: string, c: ModelConfig, opts: O): boolean;
  /** The tensor saved under fileNames(name) when it is not the parameter itself, in memory layout (peft prefix
   * tuning with prefix_projection saves the MLP's output as `prompt_embeddings`, and its MLP weights not at all:
   * fileNames []). Absent or undefined: the parameter. */
  savedValue?(name: string, params: Params, c: ModelConfig, opts: O): tf.Tensor | undefined;
}
