// Files of a Hugging Face Hub model repository, downloaded once into a local cache. Users with internet get
// real checkpoints this way; nothing in the tests needs the network (they inject `fetchImpl`).
import { existsSync, mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

export const HUB_URL = 'https://huggingface.co';

/** `<cacheDir>/<repo>/<file>`, fetched from `<HUB_URL>/<repo>/resolve/<revision>/<file>` when not cached. */
export async function hubFile(repo: string, file: string, cacheDir: string,
  opts: { revision?: string; fetchImpl?: typeof fetch } = {}): Promise<string> {
  const dest = join(cacheDir, repo, file);
  if (existsSync(dest)) return dest;
  const url = `${HUB_URL}/${repo}/resolve/${opts.revision ?? 'main'}/${file}`;
  let res: Response;
  try {
    res = await (opts.fetchImpl ?? fetch)(url);
  } catch (e) {
    throw new Error(`cannot download ${url} (${(e as Error).message}); without network, put the file at ${dest} yourself`);
  }
  if (!res.ok) throw new Error(`cannot download ${url}: HTTP ${res.status}; check the repository and file name`);
  mkdirSync(dirname(dest), { recursive: true });
  writeFileSync(dest + '.part', Buffer.from(await res.arrayBuffer()));
  renameSync(dest + '.part', dest); // a partial download never looks finished
  return dest;
}
