/**
 * This thread's garbage collections, counted by kind as they happen (perf_hooks `gc` entries): the
 * scoring workers report them (`WorkerPool.workerStats`), and tests compare them.
 */
import { constants, PerformanceObserver } from 'node:perf_hooks';

/** Counts that grow as this thread collects: young-generation (scavenges) and full mark-compacts. */
export interface CollectionCounts {
  minorCollections: number;
  majorCollections: number;
}

/** Starts counting this thread's collections; the returned object is updated in place. */
export function countCollections(): CollectionCounts {
  const counts = { minorCollections: 0, majorCollections: 0 };
  new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      const kind = (entry as { detail?: { kind?: number } }).detail?.kind;
      if (kind === constants.NODE_PERFORMANCE_GC_MINOR) counts.minorCollections++;
      else if (kind === constants.NODE_PERFORMANCE_GC_MAJOR) counts.majorCollections++;
    }
  }).observe({ entryTypes: ['gc'] });
  return counts;
}
