/**
 * The import graph of a source tree and the layer rules of DEVELOPERS.md, checked by
 * test/architecture.test.ts against `src/` and against a fixture tree that breaks every rule.
 *
 *     util ← data ← {model, eval} ← engine ← {train, serve} ← pipeline ← cli
 *
 * Imports are read with the TypeScript parser (static imports, `export … from`, `import type`,
 * `import('…')` types and calls, `require('…')`), so a type-only import counts like any other: the
 * layers are about what a module knows, not only what it loads.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as ts from 'typescript';

/** Rank of each layer folder; a module may import its own folder or a lower rank, never a sibling of equal rank. */
export const LAYERS: Record<string, number> = { util: 0, data: 1, model: 2, eval: 2, engine: 3, train: 4, serve: 4, pipeline: 5, cli: 6 };
/** Files at the top of `src` and the entry folder `src/entries` (the public API): above every layer but the CLI. */
const ENTRY_LAYER = 'entries';
const ENTRY_RANK = 5.5;
/** What `src/serve` may import from `src/engine`: the interface and the selector (DESIGN.md §5). */
export const SERVE_ENGINE_DOORS = ['engine/engine.ts', 'engine/select.ts'];
/** Packages only the engines may load (above the engine, code sees only the engine interface). */
export const ENGINE_PACKAGES = [/^onnxruntime-(node|common|web)(\/|$)/, /^@tensorflow\//];

export interface ImportEdge {
  /** Importing file, relative to the root (`data/letor.ts`). */
  from: string;
  /** Imported file, relative to the root, or the bare package name. */
  to: string;
  /** 1-based line of the import. */
  line: number;
  /** Bare package (not a file under the root). */
  external: boolean;
}

export interface Violation {
  rule: 'layer' | 'cycle' | 'cli' | 'serve-engine' | 'engine-package' | 'unresolved';
  /** `from -> to` (a cycle: `a -> b -> … -> a`). */
  edge: string;
  detail: string;
}

function sourceFiles(dir: string): string[] {
  return fs
    .readdirSync(dir, { withFileTypes: true })
    .flatMap((e) => (e.isDirectory() ? sourceFiles(path.join(dir, e.name)) : /\.tsx?$/.test(e.name) && !e.name.endsWith('.d.ts') ? [path.join(dir, e.name)] : []));
}

/** Module specifiers a file imports, with their lines. */
function specifiers(file: string): { spec: string; line: number }[] {
  const text = fs.readFileSync(file, 'utf8');
  const sf = ts.createSourceFile(file, text, ts.ScriptTarget.ES2022, true);
  const out: { spec: string; line: number }[] = [];
  const add = (node: ts.Node, lit: ts.Node | undefined) => {
    if (lit && ts.isStringLiteralLike(lit)) out.push({ spec: lit.text, line: sf.getLineAndCharacterOfPosition(node.getStart(sf)).line + 1 });
  };
  const visit = (node: ts.Node): void => {
    if (ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) add(node, node.moduleSpecifier);
    else if (ts.isImportEqualsDeclaration(node) && ts.isExternalModuleReference(node.moduleReference)) add(node, node.moduleReference.expression);
    else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument)) add(node, node.argument.literal);
    else if (ts.isCallExpression(node) && node.arguments.length >= 1) {
      const callee = node.expression;
      const isRequire = ts.isIdentifier(callee) && callee.text === 'require';
      const isResolve = ts.isPropertyAccessExpression(callee) && ts.isIdentifier(callee.expression) && callee.expression.text === 'require';
      if (isRequire || isResolve || callee.kind === ts.SyntaxKind.ImportKeyword) add(node, node.arguments[0]);
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return out;
}

function resolveLocal(root: string, fromFile: string, spec: string): string | null {
  const base = path.resolve(path.dirname(fromFile), spec);
  for (const candidate of [base, `${base}.ts`, `${base}.tsx`, path.join(base, 'index.ts')]) {
    if (fs.existsSync(candidate) && fs.statSync(candidate).isFile()) return path.relative(root, candidate).split(path.sep).join('/');
  }
  // a JSON file or other asset outside the source tree (e.g. ../../package.json) is not a module of the graph
  return null;
}

/** Every import edge of the `.ts` files under `root`. */
export function importGraph(root: string): ImportEdge[] {
  const edges: ImportEdge[] = [];
  for (const file of sourceFiles(root)) {
    const from = path.relative(root, file).split(path.sep).join('/');
    for (const { spec, line } of specifiers(file)) {
      if (spec.startsWith('.')) {
        const to = resolveLocal(root, file, spec);
        if (to !== null) edges.push({ from, to, line, external: false });
        else if (path.resolve(path.dirname(file), spec).startsWith(path.resolve(root) + path.sep)) edges.push({ from, to: spec, line, external: false });
      } else if (!spec.startsWith('node:')) {
        edges.push({ from, to: spec, line, external: true });
      }
    }
  }
  return edges;
}

/** The layer folder of a file (`engine/onnx/x.ts` → engine); files at the top (`index.ts`) belong to the entry layer. */
export function layerOf(file: string): string {
  return file.includes('/') ? file.split('/')[0] : ENTRY_LAYER;
}

function rankOf(file: string): number {
  const layer = layerOf(file);
  if (layer === ENTRY_LAYER) return ENTRY_RANK;
  return LAYERS[layer] ?? NaN;
}

/** Strongly connected components with more than one file (Tarjan), each as a closed path `a -> b -> … -> a`. */
export function cycles(edges: ImportEdge[]): string[][] {
  const next = new Map<string, string[]>();
  for (const e of edges) if (!e.external) next.set(e.from, [...(next.get(e.from) ?? []), e.to]);
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  let counter = 0;
  const strong = (v: string): void => {
    index.set(v, counter);
    low.set(v, counter++);
    stack.push(v);
    onStack.add(v);
    for (const w of next.get(v) ?? []) {
      if (!index.has(w)) {
        strong(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) === index.get(v)) {
      const component: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        component.push(w);
      } while (w !== v);
      if (component.length > 1 || (next.get(v) ?? []).includes(v)) found.push(closedPath(component, next));
    }
  };
  for (const v of [...next.keys()].sort()) if (!index.has(v)) strong(v);
  return found;
}

/** One cycle through a component, starting at its first file in sorted order (breadth-first back to the start). */
function closedPath(component: string[], next: Map<string, string[]>): string[] {
  const members = new Set(component);
  const start = [...component].sort()[0];
  const previous = new Map<string, string>();
  const queue = [start];
  while (queue.length) {
    const v = queue.shift()!;
    for (const w of next.get(v) ?? []) {
      if (!members.has(w)) continue;
      if (w === start) {
        const pathBack = [v];
        while (pathBack[0] !== start) pathBack.unshift(previous.get(pathBack[0])!);
        return [...pathBack, start];
      }
      if (!previous.has(w)) {
        previous.set(w, v);
        queue.push(w);
      }
    }
  }
  return [...component, component[0]];
}

/** Every rule broken by a graph (see the module comment). */
export function violations(edges: ImportEdge[]): Violation[] {
  const out: Violation[] = [];
  for (const e of edges) {
    const fromLayer = layerOf(e.from);
    const at = `${e.from}:${e.line}`;
    if (e.external) {
      if (fromLayer !== 'engine' && ENGINE_PACKAGES.some((p) => p.test(e.to))) {
        out.push({ rule: 'engine-package', edge: `${e.from} -> ${e.to}`, detail: `${at} loads an engine package outside src/engine` });
      }
      continue;
    }
    const toLayer = layerOf(e.to);
    if (!e.to.endsWith('.ts') && !e.to.endsWith('.tsx')) {
      out.push({ rule: 'unresolved', edge: `${e.from} -> ${e.to}`, detail: `${at} imports a file that does not exist` });
      continue;
    }
    if (toLayer === 'cli' && fromLayer !== 'cli') {
      out.push({ rule: 'cli', edge: `${e.from} -> ${e.to}`, detail: `${at}: only src/cli imports CLI code` });
      continue;
    }
    if (fromLayer === 'serve' && toLayer === 'engine' && !SERVE_ENGINE_DOORS.includes(e.to)) {
      out.push({ rule: 'serve-engine', edge: `${e.from} -> ${e.to}`, detail: `${at}: serve reaches engines only through ${SERVE_ENGINE_DOORS.join(' and ')}` });
    }
    if (fromLayer === toLayer) continue;
    const a = rankOf(e.from);
    const b = rankOf(e.to);
    if (Number.isNaN(a) || Number.isNaN(b) || b >= a) {
      const why = Number.isNaN(a) || Number.isNaN(b) ? 'a folder outside the layer table' : b === a ? 'a sibling layer' : 'a higher layer';
      out.push({ rule: 'layer', edge: `${e.from} -> ${e.to}`, detail: `${at}: ${fromLayer} imports ${why} (${toLayer})` });
    }
  }
  for (const c of cycles(edges)) out.push({ rule: 'cycle', edge: c.join(' -> '), detail: `import cycle of ${c.length - 1} files` });
  return out;
}
