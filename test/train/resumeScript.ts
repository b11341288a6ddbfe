/** `tsx resumeScript.ts <base|cos> <checkpointDir> <resume 0|1>`: the resume run in its own process (killed by the test). */
import { resumeRun } from './resumeRun';

const [stage, dir, resume] = process.argv.slice(2);
resumeRun(stage as 'base' | 'cos', dir, { resume: resume === '1' }).then(
  (r) => process.stdout.write(JSON.stringify({ resumedFrom: r.resumedFrom, steps: r.steps }) + '\n'),
  (err) => {
    process.stderr.write(String(err) + '\n');
    process.exitCode = 1;
  },
);
