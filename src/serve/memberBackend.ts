/**
 * The scoring backend of one server process of a cluster (clusterMember.ts): scoring in the HTTP
 * thread with the model the supervisor (cluster.ts) last committed, holding requests while a reload
 * is between `pause` and `commit`, and sending `POST /reload` to the supervisor.
 */
import { LocalBackend } from './backend';
import type { FromMember, ToMember } from './cluster';
import type { HandlerLimits, WireReply, WireRequest } from './handler';
import type { Ranker } from './ranker';

/**
 * Scoring in this thread (`LocalBackend`) with the model the supervisor last committed; a reload is the
 * supervisor's (`onMessage`), so `reload()` asks it for one.
 */
export class MemberBackend extends LocalBackend {
  private pending: Ranker | null = null;
  private held: { until: Promise<void>; release: () => void } | null = null;
  private readonly reloads = new Map<number, { resolve: () => void; reject: (e: Error) => void }>();
  private seq = 0;

  constructor(
    current: Ranker,
    limits: HandlerLimits,
    private readonly loadNext: () => Promise<Ranker>,
    private readonly send: (m: FromMember) => void,
  ) {
    super(current, limits, loadNext);
  }

  /** Waits while a reload holds requests (between `pause` and `commit` or `abort`), then scores. */
  override async handle(req: WireRequest): Promise<WireReply> {
    if (this.held !== null) await this.held.until;
    return super.handle(req);
  }

  /** Asks the supervisor to reload every process; resolves once they all serve the new model. */
  override async reload(): Promise<void> {
    const seq = this.seq++;
    return new Promise<void>((resolve, reject) => {
      this.reloads.set(seq, { resolve, reject });
      this.send({ kind: 'reload', seq });
    });
  }

  /** One message of the supervisor (see the module comment). */
  onMessage(m: ToMember): void {
    if (m.kind === 'load') {
      this.loadNext().then(
        (r) => {
          this.pending = r;
          this.send({ kind: 'loaded', seq: m.seq });
        },
        (err: unknown) => this.send({ kind: 'loaded', seq: m.seq, error: err instanceof Error ? err.message : String(err) }),
      );
    } else if (m.kind === 'pause') {
      if (this.held === null) {
        let release = () => {};
        const until = new Promise<void>((r) => (release = r));
        this.held = { until, release };
      }
      this.send({ kind: 'paused', seq: m.seq });
    } else if (m.kind === 'commit' || m.kind === 'abort') {
      if (m.kind === 'commit' && this.pending !== null) this.current = this.pending;
      this.pending = null;
      this.held?.release();
      this.held = null;
    } else if (m.kind === 'reloaded') {
      const waiting = this.reloads.get(m.seq);
      this.reloads.delete(m.seq);
      if (m.error === undefined) waiting?.resolve();
      else waiting?.reject(new Error(m.error));
    }
  }
}
