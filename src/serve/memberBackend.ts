/**
 * The scoring backend of one server process of a cluster (clusterMember.ts): scoring in the HTTP
 * thread with the model the supervisor (cluster.ts) last committed, holding requests while a reload
 * is between `pause` and `commit`, and sending `POST /reload` to the supervisor.
 */
import type { ScoringBackend } from './backend';
import { releaseChunks } from './bodyChunks';
import type { FromMember, ToMember } from './cluster';
import { handleScoring, type HandlerLimits, type WireReply, type WireRequest } from './handler';
import type { ServingModel } from './loadServingModel';
import type { Ranker } from './ranker';

/** Scoring in this thread with the model the supervisor last committed. */
export class MemberBackend implements ScoringBackend {
  readonly canReload = true;
  private pending: Ranker | null = null;
  private held: { until: Promise<void>; release: () => void } | null = null;
  private readonly reloads = new Map<number, { resolve: () => void; reject: (e: Error) => void }>();
  private seq = 0;

  constructor(
    private current: Ranker,
    private readonly limits: HandlerLimits,
    private readonly loadRanker: () => Promise<Ranker>,
    private readonly send: (m: FromMember) => void,
  ) {}

  model(): ServingModel {
    return this.current.model;
  }

  engineName(): string {
    return this.current.engineName;
  }

  async handle(req: WireRequest): Promise<WireReply> {
    try {
      if (this.held !== null) await this.held.until;
      return await handleScoring(this.current, req, this.limits);
    } finally {
      releaseChunks(req.body);
    }
  }

  /** Asks the supervisor to reload every process; resolves once they all serve the new model. */
  reload(): Promise<void> {
    const seq = this.seq++;
    return new Promise<void>((resolve, reject) => {
      this.reloads.set(seq, { resolve, reject });
      this.send({ kind: 'reload', seq });
    });
  }

  async close(): Promise<void> {}

  /** One message of the supervisor (see the module comment). */
  onMessage(m: ToMember): void {
    if (m.kind === 'load') {
      this.loadRanker().then(
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

