/**
 * Packs cosrank as npm would publish it and installs the tarball into a fresh project without network,
 * for the package acceptance test (issue 15). Nothing here touches the checkout: the build goes to a
 * staging folder, the tarball and the consumer project live in a temporary folder.
 *
 * Offline install: the consumer gets a lockfile made from the checkout's (the same versions of
 * cosrank's runtime dependencies, dev-only entries dropped) and runs `npm ci --offline`, which takes every
 * tarball from npm's cache by its integrity hash — the cache `npm ci` of the checkout filled. The
 * environment carries the documented CUDA-skip setting (`ONNXRUNTIME_NODE_INSTALL=skip`, README
 * "Installing"), in case the npm in use runs dependency install scripts.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';

export const REPO = path.resolve(__dirname, '..', '..');
const TSC = path.join(REPO, 'node_modules', 'typescript', 'bin', 'tsc');

interface PackageJson {
  name: string;
  version: string;
  license?: string;
  files: string[];
  bin?: Record<string, string>;
  engines?: Record<string, string>;
  dependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  peerDependenciesMeta?: Record<string, { optional?: boolean }>;
  [key: string]: unknown;
}

function readJson<T>(file: string): T {
  return JSON.parse(fs.readFileSync(file, 'utf8')) as T;
}

/** Runs a command; on failure the error carries its output. */
export function run(cmd: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = {}): string {
  try {
    return execFileSync(cmd, args, { cwd, env: { ...process.env, ...env }, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 64 << 20 });
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string; message: string };
    throw new Error(`${cmd} ${args.join(' ')} failed in ${cwd}: ${e.message}\n${e.stdout ?? ''}\n${e.stderr ?? ''}`);
  }
}

/** Copies the package's shipped files (package.json `files`, minus dist) and builds dist into `stage`. */
export function stagePackage(stage: string): PackageJson {
  const pkg = readJson<PackageJson>(path.join(REPO, 'package.json'));
  fs.mkdirSync(stage, { recursive: true });
  fs.copyFileSync(path.join(REPO, 'package.json'), path.join(stage, 'package.json'));
  for (const entry of pkg.files) {
    if (entry === 'dist') continue;
    fs.cpSync(path.join(REPO, entry), path.join(stage, entry), { recursive: true });
  }
  run(process.execPath, [TSC, '-p', path.join(REPO, 'tsconfig.build.json'), '--outDir', path.join(stage, 'dist')], REPO);
  return pkg;
}

/** `npm pack` of the staged folder (its prepack build already done); returns the tarball and its file list. */
export function pack(stage: string, destination: string): { tarball: string; files: string[] } {
  const out = run('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', destination], stage);
  const [info] = JSON.parse(out.slice(out.indexOf('['))) as { filename: string; files: { path: string }[] }[];
  return { tarball: path.join(destination, info.filename), files: info.files.map((f) => f.path) };
}

/** The registry URL of a package version's tarball (npm's layout: `name/-/basename-version.tgz`). */
function registryTarball(name: string, version: string): string {
  return `https://registry.npmjs.org/${name}/-/${name.split('/').pop()}-${version}.tgz`;
}

/** A lockfile for a project depending only on the tarball, with the checkout's versions of its dependencies. */
export function consumerLock(pkg: PackageJson, tarballName: string, integrity: string): object {
  const repoLock = readJson<{ packages: Record<string, { dev?: boolean; resolved?: string; version?: string }> }>(path.join(REPO, 'package-lock.json'));
  const spec = `file:${tarballName}`;
  const packages: Record<string, unknown> = {
    '': { name: 'cosrank-consumer', version: '1.0.0', dependencies: { [pkg.name]: spec } },
    [`node_modules/${pkg.name}`]: {
      version: pkg.version,
      resolved: spec,
      integrity,
      license: pkg.license,
      dependencies: pkg.dependencies,
      peerDependencies: pkg.peerDependencies,
      peerDependenciesMeta: pkg.peerDependenciesMeta,
      bin: pkg.bin,
      engines: pkg.engines,
    },
  };
  for (const [key, entry] of Object.entries(repoLock.packages)) {
    if (key === '' || entry.dev) continue;
    // the checkout's lock may omit `resolved` (npm's omit-lockfile-registry-resolved); without it npm would
    // need the registry's metadata to find the tarball, with it the cached tarball (by integrity) is enough
    packages[key] = entry.resolved || !entry.version ? entry : { ...entry, resolved: registryTarball(key.slice(key.lastIndexOf('node_modules/') + 13), entry.version) };
  }
  return { name: 'cosrank-consumer', version: '1.0.0', lockfileVersion: 3, requires: true, packages };
}

/** Creates `dir` as a project depending on the tarball and installs it with `npm ci --offline`. */
export function installOffline(dir: string, pkg: PackageJson, tarball: string): void {
  fs.mkdirSync(dir, { recursive: true });
  const name = path.basename(tarball);
  fs.copyFileSync(tarball, path.join(dir, name));
  const integrity = 'sha512-' + createHash('sha512').update(fs.readFileSync(tarball)).digest('base64');
  const manifest = { name: 'cosrank-consumer', version: '1.0.0', private: true, dependencies: { [pkg.name]: `file:${name}` } };
  fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify(manifest, null, 2) + '\n');
  fs.writeFileSync(path.join(dir, 'package-lock.json'), JSON.stringify(consumerLock(pkg, name, integrity), null, 2) + '\n');
  run('npm', ['ci', '--offline', '--no-audit', '--no-fund'], dir, { ONNXRUNTIME_NODE_INSTALL: 'skip' });
}

/** Type-checks files in `dir` as a strict consumer would, library declarations included. */
export function typecheck(dir: string, files: string[]): void {
  const tsconfig = {
    compilerOptions: {
      strict: true,
      skipLibCheck: false,
      noEmit: true,
      module: 'nodenext',
      moduleResolution: 'nodenext',
      target: 'es2022',
      types: ['node'],
      // the consumer's own @types/node: the checkout's copy stands in (no install without network)
      typeRoots: [path.join(REPO, 'node_modules', '@types')],
    },
    files,
  };
  fs.writeFileSync(path.join(dir, 'tsconfig.json'), JSON.stringify(tsconfig, null, 2) + '\n');
  run(process.execPath, [TSC, '-p', path.join(dir, 'tsconfig.json')], dir);
}

/** Bytes under a folder (files only, symlinks not followed). */
export function folderSize(dir: string): number {
  let total = 0;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const file = path.join(dir, entry.name);
    if (entry.isDirectory()) total += folderSize(file);
    else if (entry.isFile()) total += fs.statSync(file).size;
  }
  return total;
}
