// Shared by the engine's tests: where the read-only reference fixtures live, found from the repo root.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

export function repoRoot(from = import.meta.dirname): string {
  let dir = from;
  while (dirname(dir) !== dir) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg) && JSON.parse(readFileSync(pkg, 'utf8')).workspaces) return dir;
    dir = dirname(dir);
  }
  throw new Error(`no workspace root above ${from}`);
}

export const HF_TINY = resolve(repoRoot(), '../shared/fixtures/hf-tiny/models');
