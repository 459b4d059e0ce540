import type { EdgeUse, WindowStats } from './window-stats.ts';

/** One window's pull from one data source. */
export interface Pull {
  /** Bytes received from the source over the workload's own connections to it. */
  bytes: number;
  /** The source's workload key. */
  from: string;
  port: number;
  /** Its edge key (`peer|port|protocol`), for the role view. */
  edgeKey: string;
}

/** A pull far above the workload's norm: data staged, which an exfiltration that follows links to. */
export interface StagedPull {
  bytes: number;
  from: string;
  at: number;
  /** The workload's norm (largest pull per window, decayed) before it. */
  norm: number;
}

/**
 * What makes a pull "far above": the thresholds a following exfiltration is linked with
 * (from a source the workload never used, any bulk pull; from one it uses, `factor` × norm).
 */
export const STAGING = {
  /** Bytes from one source in one window. */
  minBytes: 500_000_000,
  /** Times the workload's own norm, from a source it already pulls from. */
  factor: 10,
  /** How long a staged pull links the exfiltration that follows. */
  linkMs: 24 * 3_600_000,
  /** Half-life of the norm: a big pull a month ago counts for little. */
  halfLifeMs: 7 * 24 * 3_600_000,
} as const;

/** Data stores, registries and object stores: where collection pulls from. */
export function isDataSource(edge: EdgeUse): boolean {
  return edge.peerWorkload?.role === 'data';
}

/**
 * The window's pulls of at least `minBytes` from data sources, one per edge, largest first: a
 * theft's pull from the model store is judged even in a window where the job's usual shard
 * reads from object storage are bigger.
 */
export function pullsOf(window: WindowStats, minBytes = 1): Pull[] {
  const pulls: Pull[] = [];
  for (const [edgeKey, edge] of window.edges) {
    if (!isDataSource(edge) || edge.denied === edge.connections || edge.bytesIn < Math.max(1, minBytes)) continue;
    pulls.push({ bytes: edge.bytesIn, from: edge.peer, port: edge.port, edgeKey });
  }
  return pulls.sort((a, b) => b.bytes - a.bytes);
}

export interface BulkPullsSnapshot {
  norm: number;
  normAt: number;
  staged?: StagedPull;
}

/**
 * A workload's habit of pulling from data sources, in a few numbers: the largest pull per
 * window, decaying with a week's half-life (its norm), and the last pull far above it.
 */
export class BulkPulls {
  private norm = 0;
  private normAt = 0;
  staged: StagedPull | undefined;

  /** The norm as of `at`: the largest pull per window, decayed. */
  normAsOf(at: number): number {
    if (this.norm === 0) return 0;
    return this.norm * 0.5 ** (Math.max(0, at - this.normAt) / STAGING.halfLifeMs);
  }

  /** The staged pull an exfiltration at `at` follows, if one is recent enough. */
  stagedBefore(at: number): StagedPull | undefined {
    const s = this.staged;
    return s !== undefined && at - s.at <= STAGING.linkMs && at >= s.at ? s : undefined;
  }

  /** Folds in a window; `knownSource` tells whether the workload had used the pull's source before it. */
  update(window: WindowStats, knownSource: (edgeKey: string) => boolean): void {
    const pulls = pullsOf(window);
    if (pulls.length === 0) return;
    const norm = this.normAsOf(window.start);
    // The largest bulk pull far above the norm (or from a new source) is the staging.
    const far = pulls.find((pull) => pull.bytes >= STAGING.minBytes && (!knownSource(pull.edgeKey) || pull.bytes >= STAGING.factor * norm));
    if (far !== undefined) this.staged = { bytes: far.bytes, from: far.from, at: window.start, norm };
    if (pulls[0]!.bytes >= norm) {
      this.norm = pulls[0]!.bytes;
      this.normAt = window.start;
    }
  }

  snapshot(): BulkPullsSnapshot {
    return { norm: this.norm, normAt: this.normAt, ...(this.staged === undefined ? {} : { staged: { ...this.staged } }) };
  }

  static restore(s: BulkPullsSnapshot): BulkPulls {
    const pulls = new BulkPulls();
    pulls.norm = s.norm;
    pulls.normAt = s.normAt;
    if (s.staged !== undefined) pulls.staged = { ...s.staged };
    return pulls;
  }
}

/** Bytes of one BulkPulls (object, three numbers, a staged record). */
export const BULK_PULLS_BYTES = 160;
