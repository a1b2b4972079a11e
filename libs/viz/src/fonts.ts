import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';

// The four DejaVu Sans faces charts use (regular, bold titles, italic/bold-italic for completeness).
const FACES = ['DejaVuSans.ttf', 'DejaVuSans-Bold.ttf', 'DejaVuSans-Oblique.ttf', 'DejaVuSans-BoldOblique.ttf'];

let cached: string[] | undefined;

/** Absolute paths of the DejaVu Sans TTFs shipped by the dejavu-fonts-ttf package, found via Node resolution. */
export function fontFiles(): string[] {
  if (cached) return cached;
  const require = createRequire(import.meta.url);
  let pkgJson: string;
  try {
    pkgJson = require.resolve('dejavu-fonts-ttf/package.json');
  } catch {
    throw new Error(
      `${import.meta.filename}: cannot resolve package dejavu-fonts-ttf; fix: add it to libs/viz/package.json ` +
        `dependencies and run npm install at the repo root`,
    );
  }
  const dir = path.join(path.dirname(pkgJson), 'ttf');
  const files = FACES.map((f) => path.join(dir, f));
  const missing = files.filter((f) => !fs.existsSync(f));
  if (missing.length > 0) {
    throw new Error(
      `${pkgJson}: font files missing (${missing.join(', ')}); fix: reinstall dejavu-fonts-ttf (npm ci at the repo ` +
        `root)`,
    );
  }
  cached = files;
  return files;
}
