import fs from 'node:fs';
import path from 'node:path';

/** The monorepo root: the nearest folder at or above `from` whose package.json declares "workspaces". */
export function findRepoRoot(from: string = import.meta.dirname): string {
  let dir = path.resolve(from);
  for (;;) {
    const pkg = path.join(dir, 'package.json');
    if (fs.existsSync(pkg)) {
      try {
        if (JSON.parse(fs.readFileSync(pkg, 'utf8')).workspaces) return dir;
      } catch {
        // an unreadable package.json is not the root marker; keep walking up
      }
    }
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error(`no repository root above ${from}: expected a package.json with "workspaces"`);
    dir = parent;
  }
}
