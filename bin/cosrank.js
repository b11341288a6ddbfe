#!/usr/bin/env node
// Runs the compiled CLI when built (npm run build), else the TypeScript sources through tsx.
const path = require('path');
const fs = require('fs');
const compiled = path.join(__dirname, '..', 'dist', 'cli', 'main.js');
if (fs.existsSync(compiled)) {
  require(compiled).main(process.argv.slice(2)).then((code) => process.exit(code));
} else {
  // The sources use dynamic import(), which goes through the ESM loader: register tsx there too.
  require('tsx/cjs');
  import('tsx/esm/api')
    .then(({ register }) => { register(); return require(path.join(__dirname, '..', 'src', 'cli', 'main.ts')).main(process.argv.slice(2)); })
    .then((code) => process.exit(code));
}
