/**
 * `npm run bench -- install [--runs 5]`: what a user installs and waits for (issue 15). Packs cosrank as
 * npm publishes it, installs the tarball into a fresh project without network (the package acceptance
 * test's procedure, test/package/packInstall.ts), then prints the install size in total and per direct
 * dependency (with everything it pulls in; shared packages count under each), the largest packages, and
 * the load time of each entry point in fresh processes beside a bare `node` start.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { folderSize, installOffline, pack, stagePackage } from '../test/package/packInstall';
import { loadLine, timeNode } from './startup';

interface Manifest {
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
}

const MB = 1024 * 1024;

/** Where `name` resolves from a package folder (Node's lookup: nested node_modules, then upwards). */
function locate(name: string, from: string, root: string): string | null {
  for (let dir = from; dir.startsWith(root); dir = path.dirname(dir)) {
    const candidate = path.join(dir, 'node_modules', name);
    if (fs.existsSync(path.join(candidate, 'package.json'))) return candidate;
    if (dir === root) break;
  }
  return null;
}

/** The folders of a package and of everything it depends on, transitively. */
function closure(dir: string, root: string, seen = new Set<string>()): Set<string> {
  if (seen.has(dir)) return seen;
  seen.add(dir);
  const manifest = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')) as Manifest;
  for (const dep of Object.keys({ ...manifest.dependencies, ...manifest.optionalDependencies })) {
    const found = locate(dep, dir, root);
    if (found) closure(found, root, seen);
  }
  return seen;
}

/** Size of a package folder without its nested node_modules (those count as packages of their own). */
function ownSize(dir: string): number {
  let total = 0;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    if (entry.name === 'node_modules') continue;
    const file = path.join(dir, entry.name);
    total += entry.isDirectory() ? folderSize(file) : entry.isFile() ? fs.statSync(file).size : 0;
  }
  return total;
}

export async function run(args: string[]): Promise<void> {
  const runsAt = args.indexOf('--runs');
  const runs = runsAt >= 0 ? Number(args[runsAt + 1]) : 5;
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'cosrank-install-'));
  try {
    const stage = path.join(work, 'stage');
    const pkg = stagePackage(stage);
    const { tarball } = pack(stage, work);
    const consumer = path.join(work, 'consumer');
    const t0 = Date.now();
    installOffline(consumer, pkg, tarball);
    const installSeconds = (Date.now() - t0) / 1000;
    const modules = path.join(consumer, 'node_modules');
    const cosrank = path.join(modules, 'cosrank');
    console.log(`tarball ${(fs.statSync(tarball).size / MB).toFixed(2)} MB; offline install ${installSeconds.toFixed(1)} s; node_modules ${(folderSize(modules) / MB).toFixed(1)} MB`);
    console.log('per direct dependency (with its own dependencies):');
    const deps = Object.keys(pkg.dependencies ?? {});
    const sizes = deps.map((dep) => {
      const dir = locate(dep, cosrank, consumer);
      const size = dir ? [...closure(dir, consumer)].reduce((sum, d) => sum + ownSize(d), 0) : 0;
      return { dep, size };
    });
    for (const { dep, size } of sizes.sort((a, b) => b.size - a.size)) console.log(`  ${dep.padEnd(28)} ${(size / MB).toFixed(1).padStart(7)} MB`);
    console.log(`  (cosrank itself ${(ownSize(cosrank) / MB).toFixed(1)} MB)`);

    console.log(loadLine());
    const bare = timeNode(['-e', ''], runs, consumer);
    console.log(`load time of each entry point, median of ${runs} fresh processes, wall / CPU (node alone ${bare.wall.toFixed(3)} / ${bare.cpu.toFixed(3)} s):`);
    for (const entry of ['cosrank', 'cosrank/serve', 'cosrank/data', 'cosrank/eval']) {
      const cjs = timeNode(['-e', `require('${entry}')`], runs, consumer);
      const esm = timeNode(['--input-type=module', '-e', `import '${entry}'`], runs, consumer);
      const t = (x: { wall: number; cpu: number }): string => `${x.wall.toFixed(3)} / ${x.cpu.toFixed(3)} s`;
      console.log(`  ${entry.padEnd(16)} require ${t(cjs)}   import ${t(esm)}`);
    }
    console.log(loadLine());
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}
