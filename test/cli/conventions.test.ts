/**
 * CLI conventions (issue 15 item 4): --version, `cosrank help CMD`, usage errors exit 2 with the nearest
 * valid name suggested (unknown options too, not Node's raw message), `run --seed/--quiet`, the unit on
 * progress lines, an unwritable `run --out` refused before any stage runs.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { cliProgress } from '../../src/cli/progress';
import { editDistance, nearest } from '../../src/cli/usage';
import { parseCommandArgs } from '../../src/cli/args';
import { captureIO as capture, runCli as cosrank } from '../cliHarness';

const pkg = JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', 'package.json'), 'utf8')) as { version: string };

describe('cosrank CLI conventions', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cosrank-cli-conv-'));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('--version prints the package version', async () => {
    for (const flag of ['--version', '-V']) expect(await cosrank(flag)).toEqual({ code: 0, out: `cosrank ${pkg.version}\n`, err: '' });
  });

  it('help CMD prints the command help; an unknown command suggests the nearest', async () => {
    const h = await cosrank('help', 'eval');
    expect(h.code).toBe(0);
    expect(h.out).toMatch(/^Usage: cosrank eval/);
    const typo = await cosrank('evl');
    expect(typo.code).toBe(2);
    expect(typo.err).toContain("unknown command 'evl' (did you mean eval?)");
    expect((await cosrank('help', 'trian')).err).toContain('(did you mean train?)');
  });

  it('an unknown option is a usage error (exit 2) naming the nearest option, not Node’s message', async () => {
    const r = await cosrank('eval', '--data', 'x.arrow', '--scroes', 's.csv');
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/^cosrank eval: unknown option '--scroes' \(did you mean --scores\?\)\n/);
    expect(r.err).not.toContain('To specify a positional argument');
    const missing = await cosrank('run', 'c.json', '--out');
    expect(missing.code).toBe(2);
    expect(missing.err).toContain('--out needs a value');
    expect((await cosrank('train-base', 'stray')).code).toBe(2);
  });

  it('a negative number after an option is its value, so the option’s own check reports it', async () => {
    const k = await cosrank('eval', '--data', 'x.arrow', '--scores', 's.csv', '--k', '-1');
    expect(k).toMatchObject({ code: 2, out: '' });
    expect(k.err).toMatch(/^cosrank eval: --k must be an integer ≥ 1 or 'all', got '-1'\n/);
    const max = await cosrank('inspect', 'x.txt', '--max-features', '-1');
    expect(max.err).toMatch(/^cosrank inspect: --max-features must be an integer ≥ 1, got '-1'\n/);
    const port = await cosrank('serve', 'model', '--port', '-1');
    expect(port.err).toMatch(/^cosrank serve: --port must be an integer ≥ 0 and ≤ 65535, got '-1'\n/);
    const seed = await cosrank('generate', '--queries', '5', '--seed', '4294967296', '--out', 'x.arrow');
    expect(seed.err).toMatch(/^cosrank generate: --seed must be an integer 0 … 4294967295 \(2\^32 − 1: seeds are 32-bit\), got '4294967296'\n/);
    // a word after a value-taking option is still "needs a value", with the way to give a dash
    expect((await cosrank('eval', '--data', 'x.arrow', '--k', '-x')).err).toContain('--k needs a value (for one starting with a dash, write --k=-…)');
  });

  it('parseCommandArgs joins only string options with a negative number, and nothing after --', () => {
    const options = { k: { type: 'string' as const }, weights: { type: 'string' as const }, json: { type: 'boolean' as const } };
    const { values, positionals } = parseCommandArgs({ args: ['--k', '-1', '--weights', '-.5,2', '--json', '--', '--k', '-2'], options, allowPositionals: true, strict: true });
    expect(values).toEqual({ k: '-1', weights: '-.5,2', json: true });
    expect(positionals).toEqual(['--k', '-2']);
    expect(() => parseCommandArgs({ args: ['--json', '-1'], options, strict: true })).toThrow(/Unknown option '-1'/);
  });

  it('config files: a repeated key and a syntax error are refused at file:line:column by run, train-base and convert', async () => {
    const dup = path.join(dir, 'dup.json');
    fs.writeFileSync(dup, '{\n  "base": {"maxSteps": 20},\n  "base": {"maxSteps": 5000}\n}\n');
    const twice = `${dup}:3:3: key "base" is given twice in this object (first at line 2, column 3); give each key once\n`;
    expect(await cosrank('run', dup, '--dry-run')).toMatchObject({ code: 1, err: `cosrank run: ${twice}` });
    expect(await cosrank('train-base', '--config', dup, '--train', 't.txt', '--validation', 'v.txt', '--out', 'o')).toMatchObject({ code: 1, err: `cosrank train-base: ${twice}` });
    expect(await cosrank('convert', 'in.txt', 'out.arrow', '--objectives', dup)).toMatchObject({ code: 1, err: `cosrank convert: ${twice}` });
    const comma = path.join(dir, 'comma.json');
    fs.writeFileSync(comma, '{\n  "seed": 1,\n}\n');
    expect(await cosrank('run', comma, '--dry-run')).toMatchObject({ code: 1, err: `cosrank run: ${comma}:3:1: expected a key in double quotes, found "}"\n` });
  });

  it('run accepts --seed (as --set seed=N) and --quiet', async () => {
    const config = path.join(dir, 'c.json');
    fs.writeFileSync(config, JSON.stringify({ data: { generate: { queries: 30 } } }));
    const plan = await cosrank('run', config, '--seed', '42', '--quiet', '--dry-run', '--json');
    expect(plan.code).toBe(0);
    expect(JSON.parse(plan.out).steps[0].action).toContain('seed 42');
    const bad = await cosrank('run', config, '--seed=-3', '--dry-run');
    expect(bad.code).toBe(1);
    expect(bad.err).toContain('seed (from --seed): got -3');
  });

  it('an unwritable run --out is refused before the data stage', async () => {
    const blocker = path.join(dir, 'blocker');
    fs.writeFileSync(blocker, 'x');
    const config = path.join(dir, 'c2.json');
    fs.writeFileSync(config, JSON.stringify({ data: { file: 'does-not-exist.txt' } }));
    const r = await cosrank('run', config, '--out', path.join(blocker, 'out'));
    expect(r.code).toBe(1);
    expect(r.err).toContain(blocker);
    expect(r.err).not.toContain('does-not-exist');
  });

  it('progress lines say their unit', () => {
    const io = capture();
    const p = cliProgress(io, { intervalMs: 0 });
    p({ stage: 'train-base', done: 10, total: 100 });
    p({ stage: 'sweep', done: 3, total: 11 });
    p({ stage: 'read', done: 2048, total: 4096 });
    expect(io.err).toBe('train-base: 10/100 steps\nsweep: 3/11 weight points\nread: 2048/4096 bytes\n');
  });

  it('suggestions come from the edit distance, and only for near misses', () => {
    expect(editDistance('kitten', 'sitting')).toBe(3);
    expect(nearest('--scroes', ['--scores', '--data'])).toBe('--scores');
    expect(nearest('--zzzzzz', ['--scores', '--data'])).toBeNull();
  });
});
