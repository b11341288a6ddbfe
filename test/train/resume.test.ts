import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { readCheckpoint, type Checkpoint } from '../../src/train/checkpoint';
import { TrainingAbortedError } from '../../src/train/trainer';
import { resumeRun, RESUME_STEPS } from './resumeRun';

/** Every tensor of two checkpoints equal bit for bit, and the same loop state. */
function expectSameCheckpoint(a: Checkpoint, b: Checkpoint): void {
  expect(b.step).toBe(a.step);
  expect(b.configHash).toBe(a.configHash);
  expect(Object.keys(b.tensors).sort()).toEqual(['best', 'm', 'params', 'v']);
  for (const group of Object.keys(a.tensors)) {
    for (const [name, t] of Object.entries(a.tensors[group])) {
      const u = b.tensors[group][name];
      expect(Buffer.from(u.data.buffer, u.data.byteOffset, u.data.byteLength).equals(Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength))).toBe(true);
    }
  }
  expect(b.state).toEqual(a.state);
}

function runScript(stage: string, dir: string, resume: boolean, paceMs = 0): ReturnType<typeof spawn> {
  return spawn('npx', ['tsx', path.join(__dirname, 'resumeScript.ts'), stage, dir, resume ? '1' : '0', String(paceMs)], {
    cwd: path.resolve(__dirname, '../..'),
    stdio: ['ignore', 'pipe', 'pipe'],
    // its own process group, so the kill reaches the node process under npx and tsx
    detached: true,
  });
}

function finished(child: ReturnType<typeof spawn>): Promise<{ code: number | null; signal: string | null; out: string; err: string }> {
  let out = '';
  let err = '';
  child.stdout?.on('data', (d) => (out += d));
  child.stderr?.on('data', (d) => (err += d));
  return new Promise((resolve) => child.on('close', (code, signal) => resolve({ code, signal, out, err })));
}

describe('resume', () => {
  let root: string;
  const reference: Record<string, Checkpoint> = {};
  beforeAll(() => {
    root = mkdtempSync(path.join(tmpdir(), 'cosrank-resume-'));
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it.each(['base', 'cos'] as const)('%s: an aborted run resumed from its checkpoint ends bit-identical to an uninterrupted one', async (stage) => {
    const whole = path.join(root, `${stage}-whole`);
    const a = await resumeRun(stage, whole);
    expect(a.steps).toBe(RESUME_STEPS);
    reference[stage] = (await readCheckpoint(whole)) as Checkpoint;

    const split = path.join(root, `${stage}-split`);
    const ctl = new AbortController();
    await expect(resumeRun(stage, split, { signal: ctl.signal, onStep: (s) => s === 25 && ctl.abort() })).rejects.toBeInstanceOf(TrainingAbortedError);
    expect((await readCheckpoint(split))?.step).toBe(20);
    const b = await resumeRun(stage, split, { resume: true });
    expect(b.resumedFrom).toBe(20);
    expectSameCheckpoint(reference[stage], (await readCheckpoint(split)) as Checkpoint);
    expect(b.bestStep).toBe(a.bestStep);
    expect(b.metrics).toEqual(a.metrics);
    expect(b.history).toEqual(a.history);
    for (const [name, t] of Object.entries(a.params[stage === 'base' ? 'base' : 'cos'] ?? {})) {
      expect(b.params[stage === 'base' ? 'base' : 'cos']?.[name].data).toEqual(t.data);
    }
  });

  it.each(['base', 'cos'] as const)('%s with dropout: the resumed run draws the same dropout masks and ends bit-identical', async (stage) => {
    const whole = path.join(root, `${stage}-dropout-whole`);
    await resumeRun(stage, whole, { dropout: 0.3 });
    const split = path.join(root, `${stage}-dropout-split`);
    const ctl = new AbortController();
    await expect(resumeRun(stage, split, { dropout: 0.3, signal: ctl.signal, onStep: (s) => s === 25 && ctl.abort() })).rejects.toBeInstanceOf(TrainingAbortedError);
    await resumeRun(stage, split, { dropout: 0.3, resume: true });
    const a = (await readCheckpoint(whole)) as Checkpoint;
    expectSameCheckpoint(a, (await readCheckpoint(split)) as Checkpoint);
    // the masks mattered: without dropout the same run ends with other weights
    const plainDir = path.join(root, `${stage}-plain`);
    await resumeRun(stage, plainDir);
    const plain = (await readCheckpoint(plainDir)) as Checkpoint;
    const name = 'layers.0.weight';
    expect(Array.from(a.tensors.params[name].data)).not.toEqual(Array.from(plain.tensors.params[name].data));
  });

  it('a process killed with SIGKILL after its first checkpoint resumes to the same final state', async () => {
    const dir = path.join(root, 'killed');
    // paced after its first checkpoint (100 ms a step): the kill lands before the run's end however slow the machine
    const child = runScript('base', dir, false, 100);
    const done = finished(child);
    const ckpt = path.join(dir, 'checkpoint.bin');
    const t0 = Date.now();
    while (!existsSync(ckpt) && Date.now() - t0 < 60000) await new Promise((r) => setTimeout(r, 10));
    expect(existsSync(ckpt)).toBe(true);
    process.kill(-(child.pid as number), 'SIGKILL');
    const killed = await done;
    expect(killed.signal).toBe('SIGKILL');
    const partial = await readCheckpoint(dir);
    expect(partial?.step).toBeLessThan(RESUME_STEPS);

    const resumed = await finished(runScript('base', dir, true));
    expect(resumed.err).not.toMatch(/Error/);
    expect(resumed.code).toBe(0);
    expect(JSON.parse(resumed.out).resumedFrom).toBe(partial?.step);
    expectSameCheckpoint(reference.base, (await readCheckpoint(dir)) as Checkpoint);
  });

  it('refuses a checkpoint of another run', async () => {
    const dir = path.join(root, 'base-whole');
    await expect(resumeRun('cos', dir, { resume: true })).rejects.toThrow(/belongs to another run/);
  });
});
