// Files of a Hugging Face Hub model repository, downloaded once into a local cache. Users with internet get
// real checkpoints this way; nothing in the tests needs the network (they inject `fetchImpl`).
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

export const HUB_URL = 'https://huggingface.co';

export interface HubOptions {
  revision?: string;
  fetchImpl?: typeof fetch;
}

/** An HTTP error from the Hub; `status` 404 means the repository has no such file. */
export class HubHttpError extends Error {
  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message);
  }
}

/** `<cacheDir>/<repo>/<file>`, fetched from `<HUB_URL>/<repo>/resolve/<revision>/<file>` when not cached. */
export async function hubFile(repo: string, file: string, cacheDir: string, opts: HubOptions = {}): Promise<string> {
  const dest = join(cacheDir, repo, file);
  if (existsSync(dest)) return dest;
  const url = `${HUB_URL}/${repo}/resolve/${opts.revision ?? 'main'}/${file}`;
  let res: Response;
  try {
    res = await (opts.fetchImpl ?? fetch)(url);
  } catch (e) {
    throw new Error(
      `cannot download ${url} (${(e as Error).message}); without network, put the file at ${dest} yourself`,
    );
  }
  if (!res.ok)
    throw new HubHttpError(
      `cannot download ${url}: HTTP ${res.status}; check the repository and file name`,
      res.status,
    );
  mkdirSync(dirname(dest), { recursive: true });
  writeFileSync(dest + '.part', Buffer.from(await res.arrayBuffer()));
  renameSync(dest + '.part', dest); // a partial download never looks finished
  return dest;
}

/** Like hubFile, but a file the repository does not have (HTTP 404) gives undefined. */
export async function hubFileIfPresent(
  repo: string,
  file: string,
  cacheDir: string,
  opts: HubOptions = {},
): Promise<string | undefined> {
  try {
    return await hubFile(repo, file, cacheDir, opts);
  } catch (e) {
    if (e instanceof HubHttpError && e.status === 404) return undefined;
    throw e;
  }
}

/** Tokenizer files, fetched when the repository has them (tokenizer.json is what @prunelab/tokenizers reads). */
export const TOKENIZER_FILES = [
  'tokenizer.json',
  'tokenizer_config.json',
  'special_tokens_map.json',
  'vocab.txt',
  'vocab.json',
  'merges.txt',
];

/**
 * A model folder `<cacheDir>/<repo>` loadable by loadModel: config.json, then model.safetensors or, when the
 * repository is sharded, model.safetensors.index.json and every shard it names, then the tokenizer files present.
 */
export async function hubModel(repo: string, cacheDir: string, opts: HubOptions = {}): Promise<string> {
  await hubFile(repo, 'config.json', cacheDir, opts);
  const single = await hubFileIfPresent(repo, 'model.safetensors', cacheDir, opts);
  if (!single) {
    const index = await hubFileIfPresent(repo, 'model.safetensors.index.json', cacheDir, opts);
    if (!index) {
      throw new Error(
        `${repo} has neither model.safetensors nor model.safetensors.index.json (perhaps only pytorch_model.bin, ` +
          `which this engine cannot read); pick a revision with safetensors weights (opts.revision) or convert them`,
      );
    }
    const map = JSON.parse(readFileSync(index, 'utf8')) as { weight_map?: Record<string, string> };
    if (!map.weight_map) throw new Error(`${index}: no 'weight_map'`);
    for (const shard of new Set(Object.values(map.weight_map))) await hubFile(repo, shard, cacheDir, opts);
  }
  for (const file of TOKENIZER_FILES) await hubFileIfPresent(repo, file, cacheDir, opts);
  return join(cacheDir, repo);
}
