/**
 * The option readers of src/cli/args.ts, which every command reads numbers and lists through: each
 * refusal names the flag and the text given, and valid values read as before.
 */
import { intFlag, listFlag, numberFlag, numberListFlag, seedFlag } from '../../src/cli/args';
import { listenError } from '../../src/cli/commands/serve';
import { runCli as cosrank } from '../cliHarness';

describe('option readers', () => {
  it('intFlag: decimal integers within the bounds only', () => {
    expect(intFlag('k', '10', 1, 100)).toBe(10);
    expect(intFlag('retries', '0', 0)).toBe(0);
    expect(() => intFlag('port', '-1', 0, 65535)).toThrow("--port must be an integer ≥ 0 and ≤ 65535, got '-1'");
    expect(() => intFlag('k', '1e3', 1)).toThrow("--k must be an integer ≥ 1, got '1e3'");
    expect(() => intFlag('k', '2.5', 1)).toThrow("--k must be an integer ≥ 1, got '2.5'");
    expect(() => intFlag('k', '99999999999999999999', 1)).toThrow("--k must be an integer ≥ 1, got '99999999999999999999'");
    expect(() => intFlag('queries', 'x', -Infinity)).toThrow("--queries must be an integer, got 'x'");
    expect(() => intFlag('k', '0', 1, Infinity, "or 'all'")).toThrow("--k must be an integer ≥ 1 or 'all', got '0'");
  });

  it('numberFlag, numberListFlag, listFlag, seedFlag', () => {
    expect(numberFlag('noise', '-0.5')).toBe(-0.5);
    expect(() => numberFlag('noise', '')).toThrow("--noise must be a finite number, got ''");
    expect(() => numberFlag('c', 'Infinity')).toThrow("--c must be a finite number, got 'Infinity'");
    expect(numberListFlag('beta', '1, 2.5')).toEqual([1, 2.5]);
    expect(() => numberListFlag('reference', '0,,1')).toThrow("--reference must be comma-separated finite numbers, got '0,,1'");
    expect(listFlag('labels', 'relevance, clicks')).toEqual(['relevance', 'clicks']);
    expect(() => listFlag('labels', 'relevance,')).toThrow("--labels must be a comma-separated list without empty items, got 'relevance,'");
    expect(seedFlag('4294967295')).toBe(4294967295);
    expect(() => seedFlag(' ')).toThrow("--seed must be an integer 0 … 4294967295 (2^32 − 1: seeds are 32-bit), got ' '");
  });

  it('commands read their numbers through them (one message form for every flag)', async () => {
    const cases: [string[], string][] = [
      [['pick', 'model', '--data', 'd', '--name', 'n', '--maximize', 'x', '--k', '1.5'], "cosrank pick: --k must be an integer ≥ 1 and ≤ 10000, got '1.5'"],
      [['generate', '--queries', '1.5', '--seed', '1', '--out', 'x.arrow'], "cosrank generate: --queries must be an integer, got '1.5'"],
      [['generate', '--queries', '5', '--seed', '1', '--out', 'x.arrow', '--noise', 'lots'], "cosrank generate: --noise must be a finite number, got 'lots'"],
      [['inspect', 'x.txt', '--max-features', '1e3'], "cosrank inspect: --max-features must be an integer ≥ 1, got '1e3'"],
      [['eval', '--data', 'x', '--scores', 'y', '--reference', '0,x'], "cosrank eval: --reference must be comma-separated finite numbers, got '0,x'"],
      [['eval', '--data', 'x', '--scores', 'y', '--metrics', 'ndcg,'], "cosrank eval: --metrics must be a comma-separated list without empty items, got 'ndcg,'"],
      [['score', 'm', 'd', '--out', 'o', '--sweep', '--divisions', '0'], "cosrank score: --divisions must be an integer ≥ 1, got '0'"],
      [['score', 'm', 'd', '--out', 'o', '--weights', 'a=1,a=2'], "cosrank score: --weights names 'a' twice"],
      [['score', 'm', 'd', '--out', 'o', '--c', 'x'], "cosrank score: --c must be a finite number, got 'x'"],
      [['serve', 'model', '--workers', '300'], "cosrank serve: --workers must be an integer ≥ 0 and ≤ 256, got '300'"],
      [['datasets', 'fetch', 'mq2008', '--retries', '-1'], "cosrank datasets: --retries must be an integer ≥ 0, got '-1'"],
    ];
    for (const [argv, message] of cases) {
      const r = await cosrank(...argv);
      expect({ argv, code: r.code, err: r.err.split('\n')[0] }).toEqual({ argv, code: 2, err: message });
    }
  });
});

describe('serve: a listen error names the flag and its value', () => {
  const nodeError = (message: string, code: string, syscall: string) => Object.assign(new Error(message), { code, syscall });

  it('--host for an address that does not resolve, --port for one in use; other errors unchanged', () => {
    const host = listenError(nodeError('getaddrinfo ENOTFOUND 999.1.1.1', 'ENOTFOUND', 'getaddrinfo'), '999.1.1.1', 8080) as Error;
    expect(host.message).toBe('--host 999.1.1.1: cannot listen on 999.1.1.1:8080: no such address on this machine (getaddrinfo ENOTFOUND 999.1.1.1)');
    const port = listenError(nodeError('listen EADDRINUSE: address already in use 127.0.0.1:8080', 'EADDRINUSE', 'listen'), '127.0.0.1', 8080) as Error;
    expect(port.message).toBe('--port 8080: cannot listen on 127.0.0.1:8080: the port is in use (listen EADDRINUSE: address already in use 127.0.0.1:8080)');
    const model = nodeError("EACCES: permission denied, open 'm/model.json'", 'EACCES', 'open');
    expect(listenError(model, '127.0.0.1', 8080)).toBe(model);
  });
});

