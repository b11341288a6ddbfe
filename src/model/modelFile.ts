/**
 * The model directory: everything needed to score with a trained ranker, in two files.
 *
 *   model.json   format `cosrank-model`, `formatVersion` 1: the RankerSpec, the resolved objectives
 *                (main first, frozen cut points and dropped features), the input feature mapping, the
 *                default trade-off, the training figures, and the table of tensors in weights.bin with
 *                the sha256 of weights.bin.
 *   weights.bin  float32 little-endian tensors concatenated in the listed order: s0's parameters
 *                (`base/<name>`) in `parameterShapes` order, then the COS network's (`cos/<name>`).
 *
 * `saveModel` writes a temporary sibling directory and renames it into place, so a reader never sees
 * a half-written model; `loadModel` checks the format version, the byte length and two checksums:
 * weights.bin against `weights.sha256`, and model.json against its own `integrity.sha256` (the
 * canonical JSON of everything else in it), so every file of the model is covered.
 */
import { readFile, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { replaceDirAtomic } from '../util/atomicWrite';
import { canonicalJson, sha256 } from '../util/hash';
import type { ResolvedObjective } from '../data/objectives';
import type { RankerParameters } from './rankerParameters';
import { parameterShapes, type NamedTensor, type Parameters, type RankerSpec, type ScorerSpec } from './spec';
import { operatingPointIssues, routeIssues, type OperatingPoint, type Route } from './operatingPoints';

export const MODEL_FORMAT = 'cosrank-model';
export const MODEL_FORMAT_VERSION = 1;

/** A trained ranker with everything serving needs to feed it and explain it. */
export interface SavedModel {
  spec: RankerSpec;
  params: RankerParameters;
  /** Resolved objectives, main first; the auxiliary ones (index ≥ 1) are the entries of the weight vector. */
  objectives: ResolvedObjective[];
  /** Number of raw features a document has before objectives drop any (LETOR numbering 1..N). */
  rawFeatureCount: number;
  /** For each model-input column, the 0-based raw feature column it reads. */
  inputFeatures: number[];
  /** Names of the model-input columns. */
  inputFeatureNames: string[];
  /** Trade-off used when none is given (length m; empty for a base-only model). */
  defaultWeights: number[];
  /** Training and validation figures by name (e.g. `base.validation.ndcg@10`). */
  metrics: Record<string, number>;
  /** Free-form provenance (config hash, dataset hashes, engine). */
  info?: Record<string, unknown>;
  /** Named trade-offs chosen by `cosrank pick`, with provenance (absent in older model files). */
  operatingPoints?: OperatingPoint[];
  /** Request routing to operating points (src/model/operatingPoints.ts); absent = none. */
  routes?: Route[];
}

/** One tensor's place in a packed float32 buffer. */
export interface TensorEntry {
  name: string;
  shape: number[];
  /** Offset and length in float32 elements. */
  offset: number;
  length: number;
}

/** The parsed `model.json`. */
interface ModelJson extends Omit<SavedModel, 'params'> {
  format: string;
  formatVersion: number;
  weights: { file: string; dtype: 'float32'; byteOrder: 'little'; byteLength: number; sha256: string; tensors: TensorEntry[] };
  /** sha256 of the rest of model.json (see `modelJsonDigest`); absent only in files written before it existed. */
  integrity?: { sha256: string };
}

/**
 * The digest that covers model.json itself: sha256 of the canonical JSON (keys sorted) of the parsed
 * file without its `integrity` member. With `weights.sha256` inside it, one check covers every file
 * of the model, so an edited activation, shape, objective or cut point is refused at load.
 */
function modelJsonDigest(parsed: Record<string, unknown>): string {
  const { integrity: _i, ...rest } = parsed;
  return sha256(canonicalJson(rest));
}

/** A model directory that cannot be read: what is wrong and where. */
export class ModelFileError extends Error {
  constructor(
    readonly file: string,
    detail: string,
  ) {
    super(`${file}: ${detail}`);
    this.name = 'ModelFileError';
  }
}

/** The `[name, tensor]` pairs of a scorer in layout order, each name prefixed; throws on a missing or misshapen tensor. */
export function orderedTensors(spec: ScorerSpec, params: Parameters, prefix: string): [string, NamedTensor][] {
  return parameterShapes(spec).map(([name, shape]) => {
    const t = params[name];
    if (!t) throw new Error(`parameter '${prefix}${name}' is missing`);
    const size = shape.reduce((a, b) => a * b, 1);
    if (t.data.length !== size || t.shape.join(',') !== shape.join(',')) {
      throw new Error(`parameter '${prefix}${name}' has shape [${t.shape}] (${t.data.length} values), expected [${shape}]`);
    }
    return [prefix + name, t];
  });
}

/** Concatenates tensors into one little-endian float32 buffer and its table. */
export function packTensors(tensors: [string, NamedTensor][]): { bytes: Buffer; table: TensorEntry[] } {
  let total = 0;
  const table: TensorEntry[] = tensors.map(([name, t]) => {
    const e = { name, shape: [...t.shape], offset: total, length: t.data.length };
    total += t.data.length;
    return e;
  });
  const bytes = Buffer.alloc(total * 4);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  tensors.forEach(([, t], i) => {
    const base = table[i].offset * 4;
    for (let k = 0; k < t.data.length; k++) view.setFloat32(base + 4 * k, t.data[k], true);
  });
  return { bytes, table };
}

/** Reads tensors back from a buffer written by `packTensors`; `file` names the source in errors. */
export function unpackTensors(bytes: Uint8Array, table: TensorEntry[], file: string): Map<string, NamedTensor> {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out = new Map<string, NamedTensor>();
  for (const e of table) {
    if ((e.offset + e.length) * 4 > bytes.byteLength) throw new ModelFileError(file, `tensor '${e.name}' runs past the end of the data`);
    const data = new Float32Array(e.length);
    for (let k = 0; k < e.length; k++) data[k] = view.getFloat32((e.offset + k) * 4, true);
    out.set(e.name, { shape: [...e.shape], data });
  }
  return out;
}

/**
 * Writes `dir/model.json` and `dir/weights.bin` atomically: both go to a temporary sibling directory
 * that is then renamed to `dir` (an existing `dir` is replaced).
 */
export async function saveModel(dir: string, model: SavedModel): Promise<void> {
  const tensors = orderedTensors(model.spec.base, model.params.base, 'base/');
  if (model.spec.cos) {
    if (!model.params.cos) throw new Error('the spec has a COS network but the parameters have none');
    tensors.push(...orderedTensors(model.spec.cos.net, model.params.cos, 'cos/'));
  }
  const { bytes, table } = packTensors(tensors);
  const { params: _params, ...rest } = model;
  const json: ModelJson = {
    format: MODEL_FORMAT,
    formatVersion: MODEL_FORMAT_VERSION,
    ...rest,
    weights: { file: 'weights.bin', dtype: 'float32', byteOrder: 'little', byteLength: bytes.byteLength, sha256: sha256(bytes), tensors: table },
  };
  // the digest is taken over the JSON as it will be read back (undefined members dropped, -0 as 0)
  const integrity = { sha256: modelJsonDigest(JSON.parse(JSON.stringify(json)) as Record<string, unknown>) };
  await replaceDirAtomic(dir, async (tmp) => {
    await writeFile(path.join(tmp, 'weights.bin'), bytes);
    await writeFile(path.join(tmp, 'model.json'), JSON.stringify({ ...json, integrity }, null, 2) + '\n');
  });
}

/** Refuses a model.json whose content does not match its own digest (files from before the digest carry none). */
function checkIntegrity(json: ModelJson, jsonFile: string): void {
  if (json.integrity === undefined) return;
  const digest = modelJsonDigest(json as unknown as Record<string, unknown>);
  if (typeof json.integrity?.sha256 !== 'string' || digest !== json.integrity.sha256) {
    throw new ModelFileError(
      jsonFile,
      `checksum mismatch: the content hashes to sha256 ${digest}, its integrity field says ${JSON.stringify(json.integrity?.sha256)} ` +
        '(model.json was edited or damaged after it was saved; save the model again rather than editing it)',
    );
  }
}

/** Reads a model directory written by `saveModel`, verifying format, version, sizes and both checksums. */
export async function loadModel(dir: string): Promise<SavedModel> {
  const jsonFile = path.join(dir, 'model.json');
  let text: string;
  try {
    text = await readFile(jsonFile, 'utf8');
  } catch (err) {
    throw new ModelFileError(jsonFile, `cannot read the model description (${err instanceof Error ? err.message : String(err)})`);
  }
  let json: ModelJson;
  try {
    json = JSON.parse(text) as ModelJson;
  } catch (err) {
    throw new ModelFileError(jsonFile, `not JSON (${err instanceof Error ? err.message : String(err)})`);
  }
  if (json.format !== MODEL_FORMAT) throw new ModelFileError(jsonFile, `not a cosrank model (format ${JSON.stringify(json.format)})`);
  if (json.formatVersion !== MODEL_FORMAT_VERSION) {
    throw new ModelFileError(jsonFile, `format version ${JSON.stringify(json.formatVersion)} is not supported (this cosrank reads version ${MODEL_FORMAT_VERSION})`);
  }
  checkIntegrity(json, jsonFile);
  const binFile = path.join(dir, json.weights.file);
  const bytes = await readFile(binFile);
  if (bytes.byteLength !== json.weights.byteLength) {
    throw new ModelFileError(binFile, `has ${bytes.byteLength} bytes, model.json expects ${json.weights.byteLength}`);
  }
  const digest = sha256(bytes);
  if (digest !== json.weights.sha256) {
    throw new ModelFileError(binFile, `checksum mismatch: sha256 ${digest}, model.json expects ${json.weights.sha256} (the file is corrupt or does not belong to this model)`);
  }
  const tensors = unpackTensors(bytes, json.weights.tensors, binFile);
  const collect = (spec: ScorerSpec, prefix: string): Parameters => {
    const params: Parameters = {};
    for (const [name, shape] of parameterShapes(spec)) {
      const t = tensors.get(prefix + name);
      if (!t) throw new ModelFileError(binFile, `tensor '${prefix}${name}' required by the spec is missing`);
      if (t.shape.join(',') !== shape.join(',')) throw new ModelFileError(binFile, `tensor '${prefix}${name}' has shape [${t.shape}], the spec needs [${shape}]`);
      // model.json is not under the checksum: its table must agree with the shape it declares
      if (t.data.length !== shape.reduce((a, b) => a * b, 1)) throw new ModelFileError(binFile, `tensor '${prefix}${name}' holds ${t.data.length} values, its shape [${shape}] needs ${shape.reduce((a, b) => a * b, 1)}`);
      params[name] = t;
    }
    return params;
  };
  const params: RankerParameters = { base: collect(json.spec.base, 'base/') };
  if (json.spec.cos) params.cos = collect(json.spec.cos.net, 'cos/');
  const { format: _f, formatVersion: _v, weights: _w, integrity: _i, ...rest } = json;
  const m = Math.max(0, (json.objectives?.length ?? 1) - 1);
  const pointIssues = json.operatingPoints === undefined ? [] : operatingPointIssues(json.operatingPoints, m, Boolean(json.spec.cos?.temperature));
  const issues = pointIssues.length > 0 || json.routes === undefined ? pointIssues : routeIssues(json.routes, (json.operatingPoints ?? []).map((p) => p.name));
  if (issues.length > 0) throw new ModelFileError(jsonFile, issues.map((i) => `${i.path}: got ${JSON.stringify(i.value)}, expected ${i.expected}`).join('; '));
  return { ...rest, params };
}
