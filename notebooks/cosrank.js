// Loads cosrank for the notebooks from its TypeScript sources through tsx, as bin/cosrank.js does in a
// checkout: tsx hooks require() and, because the sources use dynamic import(), the ESM loader too. (The
// kernel runs cells in a vm context without an import() callback, so this must be a file module.)
require('tsx/cjs');
module.exports = import('tsx/esm/api').then(({ register }) => {
  register();
  return require('../src/index.ts');
});
