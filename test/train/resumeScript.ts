/**
 * `tsx resumeScript.ts <base|cos> <checkpointDir> <resume 0|1> [paceMs]`: the resume run in its own
 * process (killed by the test). With `paceMs`, every step after the first checkpoint (step 20) blocks
 * that long, so that a test killing the process once the checkpoint appears lands mid-run even on a
 * loaded machine (unpaced, the remaining 40 steps can finish before the kill arrives).
 */
import { resumeRun } from './resumeRun';

const [stage, dir, resume, pace] = process.argv.slice(2);
const paceMs = Number(pace ?? 0);
const sleeper = new Int32Array(new SharedArrayBuffer(4));
const onStep = paceMs > 0 ? (step: number) => step > 20 && Atomics.wait(sleeper, 0, 0, paceMs) : undefined;
resumeRun(stage as 'base' | 'cos', dir, { resume: resume === '1', onStep }).then(
  (r) => process.stdout.write(JSON.stringify({ resumedFrom: r.resumedFrom, steps: r.steps }) + '\n'),
  (err) => {
    process.stderr.write(String(err) + '\n');
    process.exitCode = 1;
  },
);
