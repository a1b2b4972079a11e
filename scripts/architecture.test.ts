// The declared dependency graph (docs/architecture.md, block `graph`), checked three ways: every import in a
// project's sources, every project's package.json dependencies, and Nx's own project graph.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { test } from 'node:test';

const root = join(import.meta.dirname, '..');

interface Declared {
  deps: Map<string, string[]>;
  noTf: Set<string>;
}

/** The ```graph block: `project: dep, dep   [no-tf]` per line. */
export function readDeclaredGraph(markdown: string): Declared {
  const block = /```graph\n([\s\S]*?)```/.exec(markdown);
  if (!block) throw new Error('docs/architecture.md: no ```graph block; it declares the allowed imports');
  const deps = new Map<string, string[]>();
  const noTf = new Set<string>();
  for (const line of block[1]!.split('\n').filter((l) => l.trim())) {
    const m = /^([\w-]+):(.*)$/.exec(line.trim());
    if (!m)
      throw new Error(`docs/architecture.md: cannot read graph line '${line}'; write 'project: dep, dep [no-tf]'`);
    let rest = m[2]!;
    if (/\bno-tf\s*$/.test(rest)) {
      noTf.add(m[1]!);
      rest = rest.replace(/\bno-tf\s*$/, '');
    }
    deps.set(
      m[1]!,
      rest
        .split(',')
        .map((d) => d.trim())
        .filter(Boolean),
    );
  }
  return { deps, noTf };
}

const declared = readDeclaredGraph(readFileSync(join(root, 'docs/architecture.md'), 'utf8'));
const dirOf = (p: string) => (p === 'experiments' ? join(root, 'apps', p) : join(root, 'libs', p));

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && e.name.endsWith('.ts'))
    .map((e) => join(e.parentPath, e.name));
}

function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  return [...text.matchAll(/^\s*(?:import|export)[^'"]*?from\s+['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]/gm)].map(
    (m) => m[1] ?? m[2]!,
  );
}

test('the declared graph names every project of the workspace, and only those', () => {
  const onDisk = [...readdirSync(join(root, 'libs')), 'experiments'].sort();
  assert.deepEqual([...declared.deps.keys()].sort(), onDisk);
  for (const [p, ds] of declared.deps)
    for (const d of ds) assert.ok(declared.deps.has(d), `${p} -> ${d}: no such project`);
});

test('each project imports only what the graph allows; no-tf projects import no TensorFlow.js', () => {
  for (const [project, allowed] of declared.deps) {
    const dir = dirOf(project);
    for (const file of sourceFiles(join(dir, 'src'))) {
      const where = relative(root, file);
      for (const spec of importsOf(file)) {
        assert.doesNotMatch(spec, /(\.\.\/)+apps\//, `${where} imports the app (${spec})`);
        assert.doesNotMatch(
          spec,
          /^(\.\.\/)+(libs\/)?(\.\.\/)*[a-z-]+\/src\//,
          `${where}: '${spec}' reaches into another project; import it by name`,
        );
        const m = /^@prunelab\/([\w-]+)/.exec(spec);
        if (m && m[1] !== project)
          assert.ok(
            allowed.includes(m[1]!),
            `${where} imports @prunelab/${m[1]}, which docs/architecture.md does not allow for ${project}`,
          );
        if (declared.noTf.has(project))
          assert.doesNotMatch(spec, /@tensorflow\//, `${where}: ${project} is no-tf but imports ${spec}`);
      }
    }
  }
});

test('package.json dependencies between projects are exactly the declared edges', () => {
  for (const [project, allowed] of declared.deps) {
    const pkg = JSON.parse(readFileSync(join(dirOf(project), 'package.json'), 'utf8'));
    const deps = Object.keys({ ...pkg.dependencies, ...pkg.optionalDependencies });
    assert.deepEqual(
      deps.filter((d) => d.startsWith('@prunelab/')).sort(),
      allowed.map((d) => `@prunelab/${d}`).sort(),
      `${project}/package.json`,
    );
    if (declared.noTf.has(project))
      assert.ok(!deps.some((d) => d.startsWith('@tensorflow/')), `${project} is no-tf but depends on TensorFlow.js`);
  }
});

test("nx's project graph has exactly the declared edges", () => {
  const file = join(mkdtempSync(join(tmpdir(), 'prunelab-graph-')), 'graph.json');
  execFileSync(join(root, 'node_modules/.bin/nx'), ['graph', `--file=${file}`], {
    cwd: root,
    env: { ...process.env, NX_DAEMON: 'false', NX_NO_CLOUD: 'true', NX_SKIP_NX_CACHE: 'true' },
    stdio: 'pipe',
  });
  const graph = JSON.parse(readFileSync(file, 'utf8')).graph as {
    nodes: Record<string, unknown>;
    dependencies: Record<string, { target: string }[]>;
  };
  const projects = Object.keys(graph.nodes).sort();
  assert.deepEqual(projects, [...declared.deps.keys()].map((p) => `@prunelab/${p}`).sort());
  const edges = Object.entries(graph.dependencies).flatMap(([src, ds]) =>
    ds.filter((d) => projects.includes(d.target)).map((d) => `${src} -> ${d.target}`),
  );
  const want = [...declared.deps].flatMap(([p, ds]) => ds.map((d) => `@prunelab/${p} -> @prunelab/${d}`));
  assert.deepEqual([...new Set(edges)].sort(), want.sort());
});
