/**
 * File and function sizes of a source tree (DEVELOPERS.md: a file holds one responsibility, split past
 * ~500 lines; a function fits on a screen, < 80 lines). Read with the TypeScript parser: every function
 * declaration, method, arrow function and function expression, with its name and line span.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as ts from 'typescript';

export interface FunctionSize {
  file: string;
  name: string;
  line: number;
  lines: number;
}

function sourceFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? sourceFiles(path.join(dir, e.name)) : e.name.endsWith('.ts') ? [path.join(dir, e.name)] : []));
}

/** Line count of every `.ts` file under `root` (relative paths). */
export function fileLines(root: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const f of sourceFiles(root)) out[path.relative(root, f).split(path.sep).join('/')] = fs.readFileSync(f, 'utf8').split('\n').length;
  return out;
}

function nameOf(node: ts.Node, sf: ts.SourceFile): string {
  const named = node as ts.Node & { name?: ts.Node };
  if (named.name) return named.name.getText(sf);
  const parent = node.parent;
  if (parent && (ts.isVariableDeclaration(parent) || ts.isPropertyAssignment(parent) || ts.isPropertyDeclaration(parent))) return parent.name.getText(sf);
  return '(anonymous)';
}

/** Every function of the `.ts` files under `root` with its length in lines (first to last line, inclusive). */
export function functionSizes(root: string): FunctionSize[] {
  const out: FunctionSize[] = [];
  for (const file of sourceFiles(root)) {
    const sf = ts.createSourceFile(file, fs.readFileSync(file, 'utf8'), ts.ScriptTarget.ES2022, true);
    const visit = (node: ts.Node): void => {
      if ((ts.isFunctionDeclaration(node) || ts.isMethodDeclaration(node) || ts.isArrowFunction(node) || ts.isFunctionExpression(node) || ts.isConstructorDeclaration(node)) && node.body) {
        const first = sf.getLineAndCharacterOfPosition(node.getStart(sf)).line;
        const last = sf.getLineAndCharacterOfPosition(node.getEnd()).line;
        out.push({ file: path.relative(root, file).split(path.sep).join('/'), name: nameOf(node, sf), line: first + 1, lines: last - first + 1 });
      }
      ts.forEachChild(node, visit);
    };
    visit(sf);
  }
  return out;
}
