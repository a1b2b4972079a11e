// Download of the official GLUE SST-2 zip into a local cache, for machines that have internet but
// no copy of the data. The unzip goes to a temp dir that is renamed into place, so an interrupted
// download never leaves a half-written SST-2/ that would later be read as if it were complete.
import fs from 'node:fs';
import path from 'node:path';
import { readZip } from './zip.ts';

export const SST2_URL = 'https://dl.fbaipublicfiles.com/glue/data/SST-2.zip';

/** True when `<glueDir>/SST-2/` holds both labelled splits. */
export function hasSst2(glueDir: string): boolean {
  return ['train.tsv', 'dev.tsv'].every((f) => fs.existsSync(path.join(glueDir, 'SST-2', f)));
}

/** Ensures `<cacheDir>/glue/SST-2/` exists (downloading only if needed) and returns `<cacheDir>/glue`. */
export async function downloadSst2(cacheDir: string, fetchImpl: typeof fetch = fetch): Promise<string> {
  const glueDir = path.join(path.resolve(cacheDir), 'glue');
  const target = path.join(glueDir, 'SST-2');
  if (hasSst2(glueDir)) return glueDir;

  let res: Response;
  try {
    res = await fetchImpl(SST2_URL);
  } catch (err) {
    throw new Error(`cannot download ${SST2_URL}: ${(err as Error).message}; put GLUE SST-2 under a data root and set PRUNELAB_DATA`);
  }
  if (!res.ok) throw new Error(`cannot download ${SST2_URL}: HTTP ${res.status} ${res.statusText}`);
  const entries = readZip(Buffer.from(await res.arrayBuffer()), SST2_URL);

  fs.mkdirSync(glueDir, { recursive: true });
  const tmp = fs.mkdtempSync(path.join(glueDir, '.SST-2.tmp-'));
  try {
    for (const [name, data] of entries) {
      // The official zip puts everything under SST-2/; refuse names that would escape the folder.
      const rel = name.startsWith('SST-2/') ? name.slice('SST-2/'.length) : name;
      const dest = path.resolve(tmp, rel);
      if (!dest.startsWith(tmp + path.sep)) throw new Error(`${SST2_URL}: refusing zip entry with unsafe path ${name}`);
      fs.mkdirSync(path.dirname(dest), { recursive: true });
      fs.writeFileSync(dest, data);
    }
    if (!['train.tsv', 'dev.tsv'].every((f) => fs.existsSync(path.join(tmp, f)))) {
      throw new Error(`${SST2_URL} does not contain SST-2/train.tsv and SST-2/dev.tsv (entries: ${[...entries.keys()].slice(0, 10).join(', ')})`);
    }
    fs.rmSync(target, { recursive: true, force: true }); // a previous partial copy without dev.tsv
    fs.renameSync(tmp, target);
  } catch (err) {
    fs.rmSync(tmp, { recursive: true, force: true });
    if (hasSst2(glueDir)) return glueDir; // another process finished the same download first
    throw err;
  }
  return glueDir;
}
