// A consumer's ES module: every entry point by its public name, checked against hand-computed values.
import assert from 'node:assert/strict';
import { hypervolume, createEngine, MissingPackageError, Ranker, runPipeline, exportOnnxRanker, initParameters, Rng } from 'cosrank';
import { Ranker as ServeRanker, createServer, resolveWeights } from 'cosrank/serve';
import { generateSynthetic, writeArrow, readArrow, documentCount } from 'cosrank/data';
import { ndcgAtK, paretoFront } from 'cosrank/eval';

const out = process.argv[2];
assert.equal(Ranker, ServeRanker, 'one Ranker class behind both entries');
assert.equal(typeof createServer, 'function');
assert.equal(typeof runPipeline, 'function');
// hypervolume w.r.t. the origin: 0.6·0.2 + 0.5·0.3 + 0.2·0.1 = 0.29
assert.ok(Math.abs(hypervolume([[0.6, 0.2], [0.5, 0.5], [0.2, 0.6]]) - 0.29) < 1e-12);
assert.deepEqual(paretoFront([[1, 1], [0.5, 0.5], [0, 2]]), [0, 2]);
// (0 + 1/log2 3 + 2/2) / (2 + 1/log2 3 + 0)
const expected = (1 / Math.log2(3) + 1) / (2 + 1 / Math.log2(3));
assert.ok(Math.abs(ndcgAtK(new Float32Array([3, 2, 1]), new Float32Array([0, 1, 2]), new Int32Array([0, 3]))[0] - expected) < 1e-12);
assert.deepEqual(Array.from(resolveWeights([0.25, 0.75], ['a', 'b'], [0.5, 0.5])), [0.25, 0.75]);

const ds = generateSynthetic({ queries: 6, seed: 3, nFeatures: 12, meanListLength: 8, maxListLength: 20 });
await writeArrow(ds, out);
const back = await readArrow(out);
assert.equal(documentCount(back), documentCount(ds));
assert.deepEqual(back.features, ds.features);
assert.deepEqual(back.labels, ds.labels);

// the default engine is ONNX on CPU: onnxruntime-node works without its install script
const engine = await createEngine();
assert.match(engine.name, /onnx/);
// tfjs is optional and not installed here: asking for it names the packages to install
await assert.rejects(createEngine('tfjs'), (err) => err instanceof MissingPackageError && /npm install @tensorflow\/tfjs/.test(err.message));
// ONNX export without tfjs: verified against the ONNX engine's scorer, which the verification names
const scorer = { kind: 'mlp', inputSize: 12, conditioning: { weights: 0, beta: false }, hidden: [8], activation: 'relu', dropout: 0 };
const exported = await exportOnnxRanker({ base: scorer }, { base: initParameters(scorer, new Rng(5)) }, out.replace(/\.arrow$/, '.onnx'));
assert.equal(exported.verification.reference, engine.name);
assert.ok(exported.verification.maxAbsDiff < 1e-4, `export differs by ${exported.verification.maxAbsDiff}`);
console.log(`esm ok ${documentCount(ds)} documents`);
