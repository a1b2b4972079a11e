// The dependency rules of the workspace, checked on the sources and on Nx's own project graph:
// the app uses the libs, libs use no other lib and never the app, and data/dynamics/pruning need no TensorFlow.js.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';

const root = join(import.meta.dirname, '..');
const LIBS = ['data', 'finetune', 'dynamics', 'pruning', 'tracking', 'viz'];
const NO_TF = ['data', 'dynamics', 'pruning'];

function importsOf(dir: string): string[] {
  return readdirSync(dir).filter((f) => f.endsWith('.ts')).flatMap((f) =>
    [...readFileSync(join(dir, f), 'utf8').matchAll(/^\s*(?:import|export)[^'"]*from\s+['"]([^'"]+)['"]/gm)].map((m) => `${f}: ${m[1]}`));
}

test('libs import no other lib and not the app; data, dynamics and pruning import no TensorFlow.js', () => {
  for (const lib of LIBS) {
    for (const line of importsOf(join(root, 'libs', lib, 'src'))) {
      assert.doesNotMatch(line, /@prunelab\/|\.\.\/\.\.\/apps\//, `libs/${lib}/src/${line}`);
      if (NO_TF.includes(lib)) assert.doesNotMatch(line, /@tensorflow\//, `libs/${lib}/src/${line}`);
    }
    const pkg = JSON.parse(readFileSync(join(root, 'libs', lib, 'package.json'), 'utf8'));
    const deps = Object.keys({ ...pkg.dependencies, ...pkg.optionalDependencies });
    assert.ok(!deps.some((d) => d.startsWith('@prunelab/')), `libs/${lib}/package.json depends on another lib`);
    if (NO_TF.includes(lib)) assert.ok(!deps.some((d) => d.startsWith('@tensorflow/')), `libs/${lib} depends on TensorFlow.js`);
  }
});

test('nx graph has exactly the edges app -> each lib', () => {
  const file = join(mkdtempSync(join(tmpdir(), 'prunelab-graph-')), 'graph.json');
  execFileSync(join(root, 'node_modules/.bin/nx'), ['graph', `--file=${file}`], {
    cwd: root, env: { ...process.env, NX_DAEMON: 'false', NX_NO_CLOUD: 'true', NX_SKIP_NX_CACHE: 'true' }, stdio: 'pipe',
  });
  const graph = JSON.parse(readFileSync(file, 'utf8')).graph as { nodes: Record<string, unknown>; dependencies: Record<string, { target: string }[]> };
  const projects = Object.keys(graph.nodes).sort();
  assert.deepEqual(projects, ['@prunelab/experiments', ...LIBS.map((l) => `@prunelab/${l}`)].sort());
  const edges = Object.entries(graph.dependencies).flatMap(([src, ds]) => ds.filter((d) => projects.includes(d.target)).map((d) => `${src} -> ${d.target}`)).sort();
  assert.deepEqual(edges, LIBS.map((l) => `@prunelab/experiments -> @prunelab/${l}`).sort());
});
