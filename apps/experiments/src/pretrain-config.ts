// The pretrain YAML: read with the grid's machinery (extends, --set, file:line in errors), checked here against
// its own small schema. Paths are relative to the repo root.
import { isAbsolute, resolve } from 'node:path';
import { findRepoRoot, type CorpusSource } from '@prunelab/datasets';
import { ConfigError, didYouMean, loadRaw } from './config.ts';

export interface PretrainConfig {
  name: string;
  /** the model folder is <out_dir>/<name> */
  out_dir: string;
  /** checkpoints, MLflow runs and the log live in <run_dir>/<name> */
  run_dir: string;
  seed: number;
  model: {
    hidden_size: number;
    num_hidden_layers: number;
    num_attention_heads: number;
    ffn_dim: number;
    max_position_embeddings: number;
    dropout: number;
  };
  vocab: { tokenizer: string; merges: number };
  data: { held_out_fraction: number; eval_blocks: number; sources: CorpusSource[] };
  train: {
    block_size: number;
    batch_size: number;
    steps: number;
    lr: number;
    warmup: number;
    min_lr_ratio: number;
    weight_decay: number;
    max_grad_norm: number;
    dropout: number;
    checkpoint_every: number;
    log_every: number;
  };
}

type Kind = 'string' | 'int' | 'number';
const SPEC: Record<string, Record<string, [Kind, unknown]> | [Kind, unknown]> = {
  name: ['string', undefined],
  out_dir: ['string', '.cache/models/pretrained'],
  run_dir: ['string', 'results/pretrain'],
  seed: ['int', 0],
  model: {
    hidden_size: ['int', 256],
    num_hidden_layers: ['int', 2],
    num_attention_heads: ['int', 4],
    ffn_dim: ['int', 1024],
    max_position_embeddings: ['int', 128],
    dropout: ['number', 0.1],
  },
  vocab: { tokenizer: ['string', '../shared/data/tokenizers/gpt2'], merges: ['int', 8000] },
  data: { held_out_fraction: ['number', 0.02], eval_blocks: ['int', 500] },
  train: {
    block_size: ['int', 64],
    batch_size: ['int', 32],
    steps: ['int', 1000],
    lr: ['number', 2e-3],
    warmup: ['int', 100],
    min_lr_ratio: ['number', 0.1],
    weight_decay: ['number', 0.01],
    max_grad_norm: ['number', 1],
    dropout: ['number', 0],
    checkpoint_every: ['int', 200],
    log_every: ['int', 20],
  },
};

function value(kind: Kind, v: unknown, def: unknown, at: string, key: string): unknown {
  if (v === undefined) {
    if (def === undefined) throw new ConfigError(`${at}: '${key}' is required`);
    return def;
  }
  const ok =
    kind === 'string'
      ? typeof v === 'string' && v !== ''
      : kind === 'int'
        ? Number.isInteger(v) && (v as number) >= 0
        : typeof v === 'number' && Number.isFinite(v) && v >= 0;
  if (!ok)
    throw new ConfigError(
      `${at}: '${key}' must be ` +
        `${kind === 'string' ? 'a non-empty string' : kind === 'int' ? 'an integer >= 0' : 'a number >= 0'}, got ` +
        `${JSON.stringify(v)}`,
    );
  return v;
}

const repoPath = (p: string) => (isAbsolute(p) ? p : resolve(findRepoRoot(), p));

export function loadPretrainConfig(file: string, overrides: string[] = []): PretrainConfig {
  const { raw, where } = loadRaw(file, overrides);
  delete raw.extends;
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(raw)) {
    if (!(key in SPEC) && key !== 'data')
      throw new ConfigError(
        `${where([key])}: unknown key '${key}'${didYouMean(key, [...Object.keys(SPEC)])}; allowed: ` +
          `${Object.keys(SPEC).join(', ')}`,
      );
  }
  for (const [key, spec] of Object.entries(SPEC)) {
    if (Array.isArray(spec)) {
      out[key] = value(spec[0], raw[key], spec[1], where([key]), key);
      continue;
    }
    const given = (raw[key] ?? {}) as Record<string, unknown>;
    if (typeof given !== 'object' || Array.isArray(given))
      throw new ConfigError(`${where([key])}: '${key}' must be a mapping of ${Object.keys(spec).join(', ')}`);
    const allowed = [...Object.keys(spec), ...(key === 'data' ? ['sources'] : [])];
    for (const k of Object.keys(given)) {
      if (!allowed.includes(k))
        throw new ConfigError(
          `${where([key, k])}: unknown key '${key}.${k}'${didYouMean(k, allowed)}; allowed: ${allowed.join(', ')}`,
        );
    }
    const sec: Record<string, unknown> = {};
    for (const [k, [kind, def]] of Object.entries(spec))
      sec[k] = value(kind, given[k], def, where([key, k]), `${key}.${k}`);
    out[key] = sec;
  }
  const cfg = out as unknown as PretrainConfig;
  const sources = (raw.data as Record<string, unknown> | undefined)?.sources;
  if (!Array.isArray(sources) || sources.length === 0)
    throw new ConfigError(
      `${where(['data', 'sources'])}: 'data.sources' must list the training files ({file, format: jsonl|tsv|trec, ` +
        `field?, columns?, header?})`,
    );
  cfg.data.sources = sources.map((s, i) => {
    const at = where(['data', 'sources', String(i)]);
    const o = s as Record<string, unknown>;
    if (typeof o?.file !== 'string' || !['jsonl', 'tsv', 'trec'].includes(o.format as string))
      throw new ConfigError(`${at}: data.sources[${i}] needs 'file' and 'format' (jsonl, tsv or trec)`);
    return { ...(o as unknown as CorpusSource), file: repoPath(o.file) };
  });
  cfg.vocab.tokenizer = repoPath(cfg.vocab.tokenizer);
  cfg.out_dir = repoPath(cfg.out_dir);
  cfg.run_dir = repoPath(cfg.run_dir);
  if (cfg.data.held_out_fraction >= 1)
    throw new ConfigError(`${where(['data', 'held_out_fraction'])}: held_out_fraction must be below 1`);
  if (cfg.train.block_size > cfg.model.max_position_embeddings)
    throw new ConfigError(
      `${where(['train', 'block_size'])}: block_size ${cfg.train.block_size} exceeds model.max_position_embeddings ` +
        `${cfg.model.max_position_embeddings}`,
    );
  if (cfg.model.hidden_size % cfg.model.num_attention_heads)
    throw new ConfigError(
      `${where(['model', 'num_attention_heads'])}: hidden_size must be a multiple of num_attention_heads`,
    );
  return cfg;
}
