/**
 * Start-up (issue 12 item 4), checked by what gets loaded, never by timings (`npm run bench -- startup`
 * prints those): `cosrank --help` loads no command module and no heavy library, `cosrank inspect` of an
 * Arrow file loads Arrow and nothing heavier, and importing an entry point loads none of them (they load
 * on first use). Each check runs in a fresh Node process on the compiled build (what the bin and a
 * consumer run; built once into a temporary folder).
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { COMMANDS } from '../../src/cli/main';
import { generateSynthetic } from '../../src/data/generate';
import { writeArrow } from '../../src/data/arrow';

const ROOT = path.resolve(__dirname, '..', '..');
const HEAVY = ['@tensorflow/tfjs', 'onnxruntime-node', 'fastify', 'mathjs', 'vega', 'vega-lite', 'parquet-wasm', '@resvg/resvg-js', 'apache-arrow', 'protobufjs'];

const DIST = fs.mkdtempSync(path.join(os.tmpdir(), 'cosrank-dist-'));

beforeAll(() => {
  const tsc = path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
  execFileSync(process.execPath, [tsc, '-p', path.join(ROOT, 'tsconfig.build.json'), '--outDir', DIST], { cwd: ROOT, stdio: 'pipe' });
}, 600_000);
afterAll(() => fs.rmSync(DIST, { recursive: true, force: true }));

/** Runs `body` (CommonJS, `DIST` in scope) in a fresh process; returns the packages it loaded from node_modules. */
function loadedPackages(body: string): string[] {
  const script = `const DIST = ${JSON.stringify(DIST)};
Promise.resolve().then(async () => { ${body} }).then(() => {
  const names = new Set();
  for (const f of Object.keys(require.cache)) { const m = /node_modules\\/((@[^/]+\\/)?[^/]+)\\//.exec(f); if (m) names.add(m[1]); }
  process.stdout.write('\\nLOADED ' + JSON.stringify([...names]) + '\\n');
});`;
  // the build lives outside the checkout: its packages resolve through NODE_PATH
  const env = { ...process.env, NODE_PATH: path.join(ROOT, 'node_modules') };
  const out = execFileSync(process.execPath, ['-e', script], { cwd: ROOT, encoding: 'utf8', env });
  const line = out.split('\n').find((l) => l.startsWith('LOADED '));
  if (!line) throw new Error(`no LOADED line in:\n${out}`);
  return JSON.parse(line.slice(7)) as string[];
}

const quietIO = `{ stdout: () => {}, stderr: (s) => process.stderr.write(s) }`;

describe('the CLI loads only what a command uses', () => {
  it("--help prints each command's own summary without loading it", () => {
    for (const [name, { summary, load }] of Object.entries(COMMANDS)) {
      const command = load();
      expect({ name, summary: command.summary }).toEqual({ name, summary });
    }
  });

  it('--help loads no library', () => {
    const loaded = loadedPackages(`const code = await require(DIST + '/cli/main.js').main(['--help'], ${quietIO}); if (code !== 0) throw new Error('exit ' + code);`);
    expect(loaded.filter((n) => HEAVY.includes(n))).toEqual([]);
  }, 60_000);

  it('inspect of an Arrow file loads Arrow but no engine, server, plotting or expression library', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cosrank-startup-'));
    try {
      const file = path.join(dir, 'small.arrow');
      await writeArrow(generateSynthetic({ queries: 4, seed: 2, nFeatures: 12, meanListLength: 5, maxListLength: 10 }), file);
      const loaded = loadedPackages(
        `const code = await require(DIST + '/cli/main.js').main(['inspect', ${JSON.stringify(file)}], ${quietIO}); if (code !== 0) throw new Error('exit ' + code);`,
      );
      expect(loaded).toContain('apache-arrow');
      expect(loaded.filter((n) => HEAVY.includes(n) && n !== 'apache-arrow')).toEqual([]);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});

describe('importing an entry point loads no heavy library (they load on first use)', () => {
  for (const entry of ['index', 'entries/serve', 'entries/data', 'entries/eval']) {
    it(entry, () => {
      const loaded = loadedPackages(`require(DIST + '/${entry}.js');`);
      expect(loaded.filter((n) => HEAVY.includes(n))).toEqual([]);
    }, 60_000);
  }

  it('a lazy function loads its library on the first call', () => {
    const loaded = loadedPackages(`const { hypervolume, readArrow } = require(DIST + '/index.js'); hypervolume([[1, 1]]); await readArrow('/nonexistent.arrow').catch(() => {});`);
    expect(loaded).toContain('apache-arrow');
    expect(loaded).not.toContain('onnxruntime-node');
  }, 60_000);
});
