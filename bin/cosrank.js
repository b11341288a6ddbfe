#!/usr/bin/env node
// Runs the compiled CLI (dist/, built by `npm run build` and shipped in the package). In a checkout, a
// build older than any source file is ignored and the TypeScript sources run through tsx (a dev
// dependency), so a stale dist/ never runs by mistake.
const path = require('path');
const fs = require('fs');

const root = path.join(__dirname, '..');
const compiled = path.join(root, 'dist', 'cli', 'main.js');
const sources = path.join(root, 'src');

/** The newest modification time (ms) of the files under a folder. */
function newestMtime(dir) {
  let newest = 0;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const file = path.join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(file) : fs.statSync(file).mtimeMs);
  }
  return newest;
}

function compiledIsCurrent() {
  if (!fs.existsSync(compiled)) return false;
  return !fs.existsSync(sources) || newestMtime(sources) <= fs.statSync(compiled).mtimeMs;
}

const argv = process.argv.slice(2);
if (compiledIsCurrent()) {
  require(compiled).main(argv).then((code) => process.exit(code));
} else {
  // The sources use dynamic import(), which goes through the ESM loader: register tsx there too.
  require('tsx/cjs');
  import('tsx/esm/api')
    .then(({ register }) => { register(); return require(path.join(sources, 'cli', 'main.ts')).main(argv); })
    .then((code) => process.exit(code));
}
