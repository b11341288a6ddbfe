/**
 * Where scoring requests run, as the HTTP layer sees it: in the HTTP thread (`LocalBackend`, one
 * ranker) or in scoring worker threads (`WorkerPool`, pool.ts). Both reload atomically: a request
 * holds the model it started with; after `reload()` resolves every new request sees the new model; a
 * failed reload keeps the old one everywhere.
 */
import { releaseChunks } from './bodyChunks';
import { handleScoring, type HandlerLimits, type WireReply, type WireRequest } from './handler';
import type { ServingModel } from './loadServingModel';
import type { Ranker } from './ranker';

export interface ScoringBackend {
  /** The model now served (`GET /model`, reload replies). */
  model(): ServingModel;
  /** Name of the engine scoring requests. */
  engineName(): string;
  /** Scores one request; rejects only on a server fault (bad input is a 400 reply). */
  handle(req: WireRequest): Promise<WireReply>;
  /** Whether `reload` can work (a model directory to reload from is known). */
  readonly canReload: boolean;
  /** Loads the model again and swaps it in everywhere at once; rejects (old model kept) on failure. */
  reload(): Promise<void>;
  /** Releases threads once no request is left (after the HTTP server drained). */
  close(): Promise<void>;
}

/** Scoring in the calling thread with one `Ranker` (tests, the library API, `--workers 0`). */
export class LocalBackend implements ScoringBackend {
  private started = 0;
  private swapped = 0;

  constructor(
    protected current: Ranker,
    private readonly limits: HandlerLimits,
    private readonly loadRanker?: () => Promise<Ranker>,
  ) {}

  get canReload(): boolean {
    return this.loadRanker !== undefined;
  }

  ranker(): Ranker {
    return this.current;
  }

  model(): ServingModel {
    return this.current.model;
  }

  engineName(): string {
    return this.current.engineName;
  }

  /** Scores with the model current at the call; the body's chunks are released once answered (bodyChunks.ts `releaseChunks`). */
  handle(req: WireRequest): Promise<WireReply> {
    return handleScoring(this.current, req, this.limits).finally(() => releaseChunks(req.body));
  }

  /**
   * The new model is loaded and warmed up completely before one assignment swaps it in. Of overlapping
   * reloads the last started wins: an earlier one finishing later (it may have read the directory
   * before it changed) does not swap its older model back in.
   */
  async reload(): Promise<void> {
    if (!this.loadRanker) throw new Error('this server was started without a model directory to reload from');
    const id = ++this.started;
    const loaded = await this.loadRanker();
    if (id > this.swapped) {
      this.swapped = id;
      this.current = loaded;
    }
  }

  async close(): Promise<void> {}
}
