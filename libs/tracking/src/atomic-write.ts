import { randomUUID } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';

/**
 * Write via a temp file + rename so readers (and a crash) never see a half-written file.
 * `tmpDir` must be on the same filesystem; pass a folder MLflow does not list as keys
 * (the run folder, not params/) so a leftover temp file can never read as a param or tag.
 */
export async function writeFileAtomic(file: string, data: string, tmpDir: string = path.dirname(file)): Promise<void> {
  const tmp = path.join(tmpDir, `.tmp-${randomUUID()}`); // not named after the target: keys may be 250 chars long
  try {
    await fs.writeFile(tmp, data);
    await fs.rename(tmp, file);
  } catch (err) {
    await fs.rm(tmp, { force: true });
    throw err;
  }
}
