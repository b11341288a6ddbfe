/**
 * The ONNX engine's inference sessions: one graph per (spec, parameters object) — parameters baked in
 * as initializers — cached by the identity of the `RankerParameters` object (pass a new object after
 * changing parameters).
 *
 * Each session holds its graph's weights and activation arena in native memory the JS garbage collector
 * does not see, so sessions of parameter objects no longer used (a new object at every training
 * validation, a serving reload) must be released explicitly: keyed by object identity with no bound, 300
 * validations of a 136-256-256 MLP grew RSS past 1 GB. At most MAX_INFERENCE_SESSIONS are kept, least
 * recently used released first, once no score is running on them. Three cover serving across a reload
 * (old and new model) and a sweep (one model, many w).
 */
import type { RankerParameters } from '../../model/rankerParameters';
import type { RankerSpec } from '../../model/spec';
import type { Session } from './session';

export const MAX_INFERENCE_SESSIONS = 3;

/** A cached inference session: which (parameters object, spec) it runs, and how many scores use it now. */
interface CachedInference {
  params: RankerParameters;
  spec: RankerSpec;
  /** Which graph of the pair: the trade-off for every document, or one per row/list (`perDocumentW`). */
  perDocumentW: boolean;
  key: string;
  session: Promise<Session>;
  users: number;
  evicted: boolean;
}

export class InferenceCache {
  /** Least recently used first. */
  private readonly entries: CachedInference[] = [];

  constructor(private readonly open: (spec: RankerSpec, params: RankerParameters, perDocumentW: boolean) => Promise<Session>) {}

  /**
   * Runs `fn` on the session of (spec, params) — with `perDocumentW`, the graph taking w per row/list —
   * opening it if needed; the session stays alive during `fn`.
   */
  async with<T>(spec: RankerSpec, params: RankerParameters, fn: (s: Session) => Promise<T>, perDocumentW = false): Promise<T> {
    const e = this.acquire(spec, params, perDocumentW);
    try {
      return await fn(await e.session);
    } catch (err) {
      // a session that failed to open is not kept (the next call tries again)
      const failed = await e.session.then(() => false, () => true);
      const i = this.entries.indexOf(e);
      if (failed && i >= 0) this.entries.splice(i, 1);
      throw err;
    } finally {
      e.users -= 1;
      this.releaseIfIdle(e);
    }
  }

  /** The entry of (spec, params), most recently used now, with one more user; evicts beyond the bound. */
  private acquire(spec: RankerSpec, params: RankerParameters, perDocumentW: boolean): CachedInference {
    // the spec object is compared first: the usual caller passes the same one, and JSON is only the fallback
    let key: string | undefined;
    const keyOf = () => (key ??= JSON.stringify(spec));
    const at = this.entries.findIndex((e) => e.params === params && e.perDocumentW === perDocumentW && (e.spec === spec || e.key === keyOf()));
    const e = at >= 0 ? this.entries.splice(at, 1)[0] : { params, spec, perDocumentW, key: keyOf(), session: this.open(spec, params, perDocumentW), users: 0, evicted: false };
    this.entries.push(e);
    while (this.entries.length > MAX_INFERENCE_SESSIONS) {
      const old = this.entries.shift() as CachedInference;
      old.evicted = true;
      this.releaseIfIdle(old);
    }
    e.users += 1;
    return e;
  }

  private releaseIfIdle(e: CachedInference): void {
    if (e.evicted && e.users === 0) void e.session.then((s) => s.release()).catch(() => undefined);
  }
}
