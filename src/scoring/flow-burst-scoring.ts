import type { FlowRecord } from '../model/flow-record.ts';
import { hashString } from './count-min-sketch.ts';
import { EdgeBurstScorer, type EdgeBurstSnapshot } from './edge-burst-scorer.ts';

/** `detection.edge_burst`: how flows are scored (the sketches' size, the tick, the decay). */
export interface EdgeBurstConfig {
  /** Event-time tick of the scorer, seconds: counts "now" are those of the current tick. */
  tick_seconds: number;
  /** Hash rows per count-min sketch. */
  rows: number;
  /** Counters per row (a power of two): 3 sketches × 16 bytes × rows × buckets in all. */
  buckets: number;
  /** Factor the current counts are multiplied by at each tick (MIDAS-R; 0 = plain MIDAS). */
  decay: number;
  /** MIDAS-F's filtering threshold; absent: the relational core (MIDAS-R). */
  filter_threshold?: number | undefined;
}

/** What a flow record counts as in the edge stream: its connections, at least one (a Hubble reply carries none). */
export function connectionsOf(flow: FlowRecord): number {
  return flow.connections > 0 ? flow.connections : 1;
}

/**
 * Scores every flow record with MIDAS-R (EdgeBurstScorer) in event time: the edge is source
 * endpoint → destination endpoint as the baselines key them, weighted by the record's
 * connections (a Calico record aggregates many) — a tick's share of them when the record spans
 * several ticks — at the tick of the record's end. One per detection task; its counters go into
 * the task's checkpoint.
 */
export class FlowBurstScoring {
  readonly config: EdgeBurstConfig;
  private readonly scorer: EdgeBurstScorer;
  private readonly tickMs: number;

  /** `config`: the pipeline's `detection.edge_burst` (its defaults live in the schema only). */
  constructor(config: EdgeBurstConfig) {
    this.config = config;
    this.tickMs = this.config.tick_seconds * 1000;
    const { rows, buckets, decay, filter_threshold: threshold } = this.config;
    this.scorer = new EdgeBurstScorer({ rows, buckets, decay, ...(threshold === undefined ? {} : { threshold }) });
  }

  /** The record's burst score (chi-squared, ≥ 0: the highest of its edge, source and destination). */
  score(flow: FlowRecord, sourceKey: string, destinationKey: string): number {
    return this.scoreHashed(flow, hashString(sourceKey), hashString(destinationKey));
  }

  /** `score` with the endpoints' keys hashed already (hashString: cached on their identities). */
  scoreHashed(flow: FlowRecord, source: number, destination: number): number {
    // A record aggregating a longer span than a tick (Calico flushes every 5 minutes) counts
    // one tick's share of it: steady traffic reported every few ticks is not a burst each time.
    const span = flow.windowEnd - flow.windowStart;
    const share = span > this.tickMs ? this.tickMs / span : 1;
    const weight = connectionsOf(flow) * share;
    return this.scorer.scoreHashed(source, destination, Math.floor(flow.windowEnd / this.tickMs), weight);
  }

  /**
   * The last record's edge-or-source score and the count behind it: what the initiator's window
   * takes as a burst. They depend only on the source's own records, so a detection task that
   * holds the source (and not every source of the destination) finds what one process finds.
   */
  get sourceSide(): { score: number; current: number } {
    this.side.score = this.scorer.sourceSideScore;
    this.side.current = this.scorer.sourceSideCurrent;
    return this.side;
  }

  private readonly side = { score: 0, current: 0 };

  get byteLength(): number {
    return this.scorer.byteLength;
  }

  snapshot(): EdgeBurstSnapshot {
    return this.scorer.snapshot();
  }

  restore(snapshot: EdgeBurstSnapshot): boolean {
    return this.scorer.restore(snapshot);
  }
}
