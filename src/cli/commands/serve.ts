/**
 * `cosrank serve <modelDir>`: the HTTP re-ranking service (src/serve/http.ts) on one model directory.
 * SIGTERM/SIGINT close it gracefully (requests in flight finish); SIGHUP reloads the model directory and
 * swaps the model atomically. `run` resolves when the server has closed.
 */
import { parseArgs } from 'node:util';
import { createEngine, type EngineRequest } from '../../engine/select';
import { createServer } from '../../serve/http';
import { Ranker } from '../../serve/ranker';
import { UsageError, type CliCommand, type CliIO } from '../io';

const HELP = `Usage: cosrank serve <modelDir> [options]

Serves a trained model over HTTP (JSON):
  POST /rerank   {documents: [{id, features}], weights?, beta?, c?, topK?}
                 → {results: [{id, score, rank}], engine}   best first; rank 1 = best
  POST /score    {documents, weights?, beta?, c?} → {scores}   in the given order
  GET  /healthz  → {status: "ok"}
  GET  /model    → objectives, feature count, input features, default weights, format version
  POST /reload   → reloads <modelDir> and swaps the model atomically (as SIGHUP does)

Documents carry the raw features: a dense array of all of them, a sparse map {"index": value}
with LETOR numbering (1-based, missing = 0), or a base64 string of all of them as little-endian
float32 (compact: cheaper to send and parse for long lists). Features that objectives drop are
dropped here, so clients send the raw vectors.
weights: an array in the order of the auxiliary objectives, or by name ({"clicks": 0.7}; missing
names 0); non-negative, normalised to sum 1; default: the model's stored default. beta: per-objective
temperatures > 0 (T-COS models). c: post-training temperature factor > 0 (larger = closer to the base ranker).
Every bad request is answered 400 with {field, message} naming the field.

Options:
  --port P               TCP port (0 = any free port)                       (default 8080)
  --host H               address to listen on                               (default 127.0.0.1)
  --max-documents N      longest candidate list accepted                    (default 10000)
  --body-limit BYTES     largest request body accepted                      (default 67108864)
  --engine E             auto | onnx | tfjs  (auto: ONNX on CPU, else tfjs) (default auto)
  --json                 print the start-up line as JSON

Signals: SIGTERM or SIGINT shut down gracefully (requests in flight finish); SIGHUP reloads the model.`;

const ENGINES: readonly EngineRequest[] = ['auto', 'onnx', 'tfjs'];

function intOption(flag: string, value: string, min: number, max = Number.MAX_SAFE_INTEGER): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(n) || n < min || n > max) throw new UsageError(`--${flag} must be an integer in ${min}..${max}, got '${value}'`);
  return n;
}

interface ServeArgs {
  dir: string;
  port: number;
  host: string;
  maxDocuments: number;
  bodyLimit: number;
  engine: EngineRequest;
  json: boolean;
}

function parseServeArgs(argv: string[]): ServeArgs {
  const { values, positionals } = parseArgs({
    args: argv,
    strict: true,
    allowPositionals: true,
    options: {
      port: { type: 'string', default: '8080' },
      host: { type: 'string', default: '127.0.0.1' },
      'max-documents': { type: 'string', default: '10000' },
      'body-limit': { type: 'string', default: String(64 * 1024 * 1024) },
      engine: { type: 'string', default: 'auto' },
      json: { type: 'boolean', default: false },
    },
  });
  if (positionals.length !== 1) throw new UsageError(`expected one model directory, got ${positionals.length} arguments`);
  if (!(ENGINES as readonly string[]).includes(values.engine)) throw new UsageError(`--engine must be one of ${ENGINES.join(', ')}, got '${values.engine}'`);
  return {
    dir: positionals[0],
    port: intOption('port', values.port, 0, 65535),
    host: values.host,
    maxDocuments: intOption('max-documents', values['max-documents'], 1),
    bodyLimit: intOption('body-limit', values['body-limit'], 1),
    engine: values.engine as EngineRequest,
    json: values.json,
  };
}

async function run(argv: string[], io: CliIO): Promise<number> {
  const args = parseServeArgs(argv);
  const engine = await createEngine(args.engine);
  const load = () => Ranker.load(args.dir, { engineInstance: engine });
  const { app, reload, ranker } = createServer(await load(), { maxDocuments: args.maxDocuments, bodyLimit: args.bodyLimit, loadRanker: load });
  const closed = new Promise<void>((resolve) => app.addHook('onClose', async () => resolve()));

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    io.stderr(`cosrank serve: ${signal}: closing (requests in flight finish)\n`);
    app.close().catch((err: unknown) => io.stderr(`cosrank serve: close failed: ${err instanceof Error ? err.message : String(err)}\n`));
  };
  const onTerm = () => stop('SIGTERM');
  const onInt = () => stop('SIGINT');
  const onHup = () => {
    reload().then(
      () => io.stderr(`cosrank serve: SIGHUP: reloaded ${args.dir}\n`),
      (err: unknown) => io.stderr(`cosrank serve: SIGHUP: reload failed, still serving the previous model: ${err instanceof Error ? err.message : String(err)}\n`),
    );
  };
  process.on('SIGTERM', onTerm);
  process.on('SIGINT', onInt);
  process.on('SIGHUP', onHup);
  try {
    await app.listen({ port: args.port, host: args.host });
    const address = app.server.address();
    const port = typeof address === 'object' && address !== null ? address.port : args.port;
    const url = `http://${args.host.includes(':') ? `[${args.host}]` : args.host}:${port}`;
    const m = ranker().model;
    if (args.json) {
      io.stdout(JSON.stringify({ url, model: args.dir, engine: engine.name, objectives: m.objectives, featureCount: m.rawFeatureCount }) + '\n');
    } else {
      io.stdout(`cosrank serve: listening on ${url}\n`);
      io.stdout(`  model ${args.dir}: objectives ${m.objectives.join(', ') || '(none)'}, ${m.rawFeatureCount} raw features\n`);
      io.stdout(`  engine ${engine.name} (${engine.description})\n`);
    }
    await closed;
    return 0;
  } catch (err) {
    await app.close();
    throw err;
  } finally {
    process.off('SIGTERM', onTerm);
    process.off('SIGINT', onInt);
    process.off('SIGHUP', onHup);
  }
}

export const command: CliCommand = { name: 'serve', summary: 'serve a model over HTTP: re-rank with the trade-off chosen per request', help: HELP, run };
