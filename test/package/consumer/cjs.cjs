// A consumer's CommonJS script: the same entries through require().
const assert = require('node:assert/strict');
const cosrank = require('cosrank');
const serve = require('cosrank/serve');
const data = require('cosrank/data');
const evaluation = require('cosrank/eval');

assert.equal(cosrank.Ranker, serve.Ranker);
assert.equal(cosrank.readArrow, data.readArrow);
assert.equal(cosrank.hypervolume, evaluation.hypervolume);
assert.equal(require('cosrank/package.json').name, 'cosrank');
// only the exports map is public
assert.throws(() => require('cosrank/dist/index.js'), { code: 'ERR_PACKAGE_PATH_NOT_EXPORTED' });
// the serve entry carries no training code, and no entry loads tfjs
assert.equal(serve.trainCos, undefined);
assert.equal(typeof cosrank.trainCos, 'function');
assert.ok(!Object.keys(require.cache).some((f) => f.includes('@tensorflow')));

(async () => {
  const ds = await data.readArrow(process.argv[2]);
  const scores = ds.labels[0]; // ranking by the label itself is ideal: NDCG 1 wherever IDCG > 0
  const ndcg = evaluation.ndcgAtK(scores, ds.labels[0], ds.queryOffsets);
  assert.ok(Array.from(ndcg).every((v) => Number.isNaN(v) || Math.abs(v - 1) < 1e-12));
  console.log(`cjs ok ${ds.queryIds.length} queries`);
})().catch((err) => {
  console.error(err);
  process.exit(1);
});
