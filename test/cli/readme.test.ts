/**
 * Every shell command of the README's quick start and tour, run in order by bash in a temporary folder
 * laid out like a checkout beside `shared/data` (the real LETOR data when /work/shared/data or
 * ../shared/data exists, else generated MQ2008-shaped files), so the README cannot drift. `npx cosrank`,
 * `npm` and `curl` are small shims (test/cli/readme/) that run this checkout's CLI with short training
 * (`--set`/`--steps`), start `serve` on a free port and send curl there. The TypeScript snippets run too,
 * with `from 'cosrank'` pointing at src/index.ts.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { generateSynthetic } from '../../src/data/generate';
import { writeDataset } from '../../src/data/read';

const ROOT = path.join(__dirname, '..', '..');
const README = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
const SHIMS = path.join(__dirname, 'readme');
const TSX = path.join(ROOT, 'node_modules', '.bin', 'tsx');

/** Lines that are a synopsis, not a command (optional parts in brackets, elided parts): listed, not run. */
const SYNOPSIS = /\s\[--|…/;
/**
 * Commands the README shows but this test does not run, each with why; a new synopsis line fails the
 * test until it is runnable or listed here.
 */
const NOT_RUN: Record<string, string> = {
  'npx cosrank pick runs/mq2008/model --data ../shared/data/MQ2008/S4.txt --maximize pagerank --constraint "relevance >= 0.97 * base.relevance" --name fresh [--test held-out.txt] [--json]':
    'a synopsis (optional parts in brackets)',
  'curl -s localhost:8080/rerank -H \'content-type: application/json\' -d \'{"documents":[…],"operatingPoint":"fresh"}\'': 'elided documents',
  'npx cosrank pick runs/mq2008/model --routes routes.json': 'routes.json is shown as text, not written by a command',
  'npx cosrank serve runs/mq2008/model --routes routes.json': 'needs the routes file above',
  'curl … -d \'{"documents":[…],"context":{"vertical":"news"}}\'': 'elided',
};

function section(title: string): string {
  const start = README.indexOf(`\n## ${title}`);
  if (start < 0) throw new Error(`README has no section '${title}'`);
  const end = README.indexOf('\n## ', start + 4);
  return README.slice(start, end < 0 ? undefined : end);
}

/** Indented code blocks (outside ``` fences) as commands: continuation lines joined, trailing `# comments` dropped. */
export function shellCommands(text: string): string[] {
  const out: string[] = [];
  let fenced = false;
  let pending = '';
  for (const line of text.split('\n')) {
    if (line.startsWith('```')) fenced = !fenced;
    if (fenced || !(pending ? /^ {4,}\S/ : /^ {4}\S/).test(line)) continue;
    const body = line.trimStart();
    if (!/^(npx |npm |echo |curl |[A-Z]+=|\[|\{)/.test(body) && !pending) continue; // not a shell line (formulas, JSON)
    if (/^[[{]/.test(body)) continue;
    const joined = pending + body.replace(/\s+#\s.*$/, '');
    if (joined.endsWith('\\')) pending = joined.slice(0, -1).trimEnd() + ' ';
    else {
      out.push(joined.trim());
      pending = '';
    }
  }
  return out;
}

/** ```ts blocks. */
function tsBlocks(text: string): string[] {
  return [...text.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]);
}

/** The shared data: the real LETOR data when present, else generated MQ2008-shaped folds (46 features, grades 0–2). */
async function sharedData(tmp: string): Promise<string> {
  // COSRANK_README_DATA=generated forces the generated folds (what a checkout without the data sees)
  const candidates = process.env.COSRANK_README_DATA === 'generated' ? [] : ['/work/shared/data', path.join(ROOT, '..', 'shared', 'data')];
  const real = candidates.find((p) => fs.existsSync(path.join(p, 'MQ2008', 'S1.txt')));
  const shared = path.join(tmp, 'shared');
  fs.mkdirSync(shared, { recursive: true });
  if (real) {
    fs.symlinkSync(real, path.join(shared, 'data'));
    return 'real';
  }
  fs.mkdirSync(path.join(shared, 'data', 'MQ2008'), { recursive: true });
  for (let fold = 1; fold <= 5; fold++) {
    const ds = generateSynthetic({ queries: 60, seed: fold, nFeatures: 46, meanListLength: 15, maxListLength: 40, relevanceShares: [0.7, 0.2, 0.1] });
    // query ids distinct across folds, as in MQ2008 (folds concatenated into one split keep their queries apart)
    await writeDataset({ ...ds, queryIds: ds.queryIds.map((_, q) => String(fold * 1000 + q + 1)) }, path.join(shared, 'data', 'MQ2008', `S${fold}.txt`));
  }
  return 'generated';
}

describe('README commands', () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'cosrank-readme-'));
  const checkout = path.join(tmp, 'checkout');
  afterAll(() => {
    const pid = path.join(tmp, 'serve.pid');
    if (fs.existsSync(pid)) {
      try {
        process.kill(Number(fs.readFileSync(pid, 'utf8')), 'SIGTERM');
      } catch {
        // already gone
      }
    }
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  const commands = [...shellCommands(section('Quick start')), ...shellCommands(section('A 5-minute tour'))];

  it('finds the commands; every one not run is listed with its reason, and still in the README', () => {
    expect(commands.length).toBeGreaterThan(15);
    expect(commands.filter((c) => SYNOPSIS.test(c)).filter((c) => !(c in NOT_RUN))).toEqual([]);
    expect(Object.keys(NOT_RUN).filter((c) => !commands.includes(c))).toEqual([]);
  });

  it('runs every command of the quick start and the tour, in order', async () => {
    fs.mkdirSync(checkout, { recursive: true });
    fs.cpSync(path.join(ROOT, 'examples'), path.join(checkout, 'examples'), { recursive: true });
    const data = await sharedData(tmp);
    const script = ['set -euo pipefail', ...commands.filter((c) => !(c in NOT_RUN)).flatMap((c) => [`echo "+ ${c.replace(/["$`\\]/g, '\\$&')}" >&2`, c])].join('\n');
    const r = spawnSync('bash', ['-c', script], {
      cwd: checkout,
      encoding: 'utf8',
      env: {
        ...process.env,
        PATH: `${SHIMS}:${process.env.PATH}`,
        COSRANK_BIN: path.join(ROOT, 'bin', 'cosrank.js'),
        README_TMP: tmp,
        // short training: the README's steps, not its run lengths
        README_SETS: '--set base.maxSteps=20 --set cos.maxSteps=20 --set base.validateEvery=10 --set cos.validateEvery=10',
        README_STEPS: '10',
      },
      timeout: 600_000,
    });
    if (r.status !== 0) throw new Error(`README command failed (exit ${r.status}, data ${data}):\n${r.stderr.slice(-4000)}\n${r.stdout.slice(-2000)}`);
    expect(fs.readFileSync(path.join(tmp, 'skipped'), 'utf8').trim().split('\n')).toEqual(['npm ci', 'npm test', 'npm run typecheck']);
    for (const f of ['runs/demo/model/model.json', 's1.arrow', 'synthetic.arrow', 'runs/mq2008/report.md', 'base/model.json', 'cos/model.json', 'per-query.csv', 'report/report.md']) {
      expect(fs.existsSync(path.join(checkout, f))).toBe(true);
    }
    // the curl answer: the ranked document
    expect(r.stdout).toContain('"id":"a"');
  });

  it('runs the TypeScript snippets of the tour', () => {
    const blocks = tsBlocks(section('A 5-minute tour'));
    expect(blocks.length).toBeGreaterThanOrEqual(2);
    blocks.forEach((block, i) => {
      // `import { X } from 'cosrank'` → the checkout's sources; top-level await → an async main
      const body = block.replace(/import \{([^}]*)\} from 'cosrank';/g, (_, names: string) => `const {${names}} = require(${JSON.stringify(path.join(ROOT, 'src', 'index.ts'))});`);
      const file = path.join(checkout, `snippet${i}.ts`);
      fs.writeFileSync(file, `(async () => {\n${body}\n})().catch((err) => { console.error(err); process.exit(1); });\n`);
      execFileSync(TSX, [file], { cwd: checkout, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 300_000 });
    });
  });
});
