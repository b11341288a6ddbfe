/** `cosrank pick` on the command line: usage errors (exit 2), bad input and no feasible point (exit 1), text and JSON output, routes only. */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { main } from '../../src/cli/main';
import type { CliIO } from '../../src/cli/io';
import { createEngine } from '../../src/engine/select';
import { loadModel } from '../../src/model/modelFile';
import type { PickResult } from '../../src/pipeline/pick';
import { smallModel, type SmallModel } from './smallModel';

let root: string;
let small: SmallModel;

beforeAll(async () => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'cosrank-pick-cli-'));
  small = await smallModel(await createEngine('auto'), root);
}, 120_000);
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

async function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const io: CliIO = { stdout: (t) => void (stdout += t), stderr: (t) => void (stderr += t), isTTY: false };
  const code = await main(['pick', ...args], io);
  return { code, stdout, stderr };
}

const base = () => [small.dir, '--data', small.pickData, '--maximize', 'freshness', '--constraint', 'relevance >= 0.97 * base.relevance'];

it.each([
  ['no --name', [], '--name is required'],
  ['no value for --maximize', ['--name', 'x', '--maximize'], '--maximize needs a value'],
  ['two model directories', ['--name', 'x', 'other'], 'expected one model directory, got 2'],
  ['a bad --k', ['--name', 'x', '--k', '0'], "--k must be an integer ≥ 1 and ≤ 10000, got '0'"],
  ['an unknown option', ['--name', 'x', '--minimize', 'clicks'], "unknown option '--minimize' (did you mean --maximize?)"],
])('usage error: %s (exit 2, help shown)', async (_what, extra, message) => {
  const r = await cli([...base(), ...extra]);
  expect(r.code).toBe(2);
  expect(r.stderr).toContain(message);
  expect(r.stderr).toContain('Usage: cosrank pick MODEL');
});

it('prints the point, the figures beside s0 and the margins; --json gives the same result', async () => {
  const text = await cli([...base(), '--name', 'fresh', '--test', small.testData]);
  expect(text.code).toBe(0);
  expect(text.stdout).toMatch(/^operating point 'fresh': w=\(0\.\d+, 0\.\d+\) c=[\d.]+ {2}\(weights: freshness, clicks\)\n/);
  expect(text.stdout).toMatch(/constraint relevance >= 0\.97 \* base\.relevance: 0\.\d{4} vs 0\.\d{4}, margin \+0\.\d{4}\n/);
  expect(text.stdout).toContain('held out (not used for the choice)');
  const json = await cli([...base(), '--name', 'fresh', '--force', '--json']);
  const r = JSON.parse(json.stdout) as PickResult;
  expect(r.replaced).toBe(true);
  expect(r.data.constraints[0].satisfied).toBe(true);
  expect((await loadModel(small.dir)).operatingPoints!.map((p) => p.name)).toEqual(['fresh']);
  expect(fs.existsSync(r.files.plot) && fs.existsSync(r.files.summary)).toBe(true);
}, 120_000);

it('bad input and an unsatisfiable set exit 1 with the reason', async () => {
  const unknown = await cli([small.dir, '--data', small.pickData, '--maximize', 'freshness', '--constraint', 'ctr > 0', '--name', 'y']);
  expect(unknown.code).toBe(1);
  expect(unknown.stderr).toContain("constraints[0]: got \"ctr > 0\", expected objective names of this model (relevance, freshness, clicks) or base.<name>; 'ctr' is unknown");
  const taken = await cli([...base(), '--name', 'fresh']);
  expect(taken.code).toBe(1);
  expect(taken.stderr).toContain('replace it with --force');
  const none = await cli([small.dir, '--data', small.pickData, '--maximize', 'freshness', '--constraint', 'relevance >= 2', '--name', 'z']);
  expect(none.code).toBe(1);
  expect(none.stderr).toMatch(/no point satisfies all constraints \(\d+ points evaluated\); best reachable value of each:\n {2}relevance >= 2: left side 0\.\d{4}/);
}, 120_000);

it('--routes alone stores routes', async () => {
  const file = path.join(root, 'routes.json');
  fs.writeFileSync(file, JSON.stringify([{ when: { vertical: 'news' }, use: 'fresh' }, { use: 'default' }]));
  const r = await cli([small.dir, '--routes', file]);
  expect(r.code).toBe(0);
  expect(r.stdout).toContain('stored 2 routes');
  expect((await loadModel(small.dir)).routes).toHaveLength(2);
}, 60_000);
