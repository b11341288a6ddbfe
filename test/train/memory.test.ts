/**
 * Issue acceptance: training on a generated 1,000,000-document dataset peaks under 3× the float32 size
 * of its feature matrix — the data stay in the dataset's buffers and only batches become tensors.
 * Runs the real CLI (`generate`, then `train-base` from the Arrow file) in a child process and reads
 * the child's peak resident set size from the kernel (`process.resourceUsage().maxRSS`).
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const ROOT = path.resolve(__dirname, '..', '..');
const TSX = path.join(ROOT, 'node_modules', '.bin', 'tsx');

/** A script that runs the CLI in-process and prints its peak RSS (bytes) when done. */
const PROBE = `
const { main } = require(${JSON.stringify(path.join(ROOT, 'src', 'cli', 'main.ts'))});
main(process.argv.slice(2), { stdout() {}, stderr: (t) => process.stderr.write(t), isTTY: false }).then((code) => {
  process.stdout.write(JSON.stringify({ code, maxRss: process.resourceUsage().maxRSS * 1024 }));
});
`;

test('training on 1M generated documents peaks under 3x the feature matrix', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cosrank-memory-'));
  try {
    const data = path.join(dir, 'train.arrow');
    const validation = path.join(dir, 'validation.arrow');
    const probe = path.join(dir, 'probe.ts');
    fs.writeFileSync(probe, PROBE);
    const cli = (args: string[]) => JSON.parse(execFileSync(TSX, [probe, ...args], { cwd: ROOT, encoding: 'utf8', maxBuffer: 1 << 24 })) as { code: number; maxRss: number };

    expect(cli(['generate', '--queries', '8500', '--seed', '3', '--out', data]).code).toBe(0);
    expect(cli(['generate', '--queries', '50', '--seed', '4', '--out', validation]).code).toBe(0);
    const config = path.join(dir, 'config.json');
    fs.writeFileSync(config, JSON.stringify({ base: { maxSteps: 60, validateEvery: 60 } }));
    const run = cli(['train-base', '--config', config, '--train', data, '--validation', validation, '--out', path.join(dir, 'model'), '--quiet']);
    expect(run.code).toBe(0);

    const documents = 1_000_000; // at least: 8,500 queries of ~120 documents
    const head = JSON.parse(execFileSync(TSX, ['-e', `require(${JSON.stringify(path.join(ROOT, 'src', 'data', 'arrow.ts'))}).readArrow(${JSON.stringify(data)}).then((d) => process.stdout.write(JSON.stringify({ n: d.queryOffsets[d.queryOffsets.length - 1], f: d.nFeatures })))`], { cwd: ROOT, encoding: 'utf8' })) as { n: number; f: number };
    expect(head.n).toBeGreaterThanOrEqual(documents);
    const matrixBytes = head.n * head.f * 4;
    console.log(`peak RSS ${(run.maxRss / 1e6).toFixed(0)} MB = ${(run.maxRss / matrixBytes).toFixed(2)}x the ${(matrixBytes / 1e6).toFixed(0)} MB feature matrix`);
    expect(run.maxRss).toBeLessThan(3 * matrixBytes);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}, 300_000);
