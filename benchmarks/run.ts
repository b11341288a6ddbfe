/**
 * `npm run bench -- <name> [args]`: runs one benchmark (or all with no name). Each prints its figure
 * beside its peer measured in the same run. Benchmarks are not part of `npm test`.
 */
const BENCHMARKS: Record<string, string> = {
  load: './load',
  eval: './eval',
  train: './train',
  infer: './infer',
  serve: './serve',
  trainTfjs: './trainTfjs',
  loop: './loop',
  quality: './quality',
  startup: './startup',
  install: './install',
  generator: './generator',
};

async function main(argv: string[]): Promise<void> {
  const [name, ...rest] = argv;
  const names = name ? [name] : Object.keys(BENCHMARKS);
  for (const n of names) {
    const file = BENCHMARKS[n];
    if (!file) {
      console.error(`unknown benchmark '${n}'; choose one of: ${Object.keys(BENCHMARKS).join(', ')}`);
      process.exitCode = 2;
      return;
    }
    console.log(`== bench ${n}`);
    const mod = require(file) as { run(args: string[]): Promise<void> };
    await mod.run(rest);
  }
}

main(process.argv.slice(2)).catch((err) => {
  console.error(err instanceof Error ? err.stack : err);
  process.exitCode = 1;
});
