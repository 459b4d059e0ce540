import type { PeerView } from '../baseline/peer-groups.ts';
import type { WindowStats } from '../baseline/window-stats.ts';
import type { WorkloadBaseline } from '../baseline/workload-baseline.ts';
import type { Category, Finding } from '../model/alert.ts';
import type { UnitKind } from '../model/workload.ts';
import type { DetectionSettings } from './settings.ts';

/** What a detector may look at besides the window itself. Read-only; no clock, no I/O. */
export interface DetectorContext {
  /** The workload's baseline *before* this window is folded in. */
  baseline: WorkloadBaseline;
  /** True once the baseline has seen the learning period; before that, judge against the role. */
  learned: boolean;
  /**
   * True once the workload's role has had members for the learning period: before that (the
   * first hours of a deployment, or of a new role) nothing is known about what is normal on
   * the platform, so a workload that has not learned either is not told "never seen".
   */
  roleLearned: boolean;
  /** The role view as of the windows before this one. */
  peerGroups: PeerView;
  settings: DetectionSettings;
}

/**
 * One signal, one module. `evaluate` is a pure function of (closed window, baseline, role view)
 * to findings; the alert lifecycle turns findings into alerts.
 */
export interface Detector<P extends object = Record<string, unknown>> {
  readonly name: string;
  readonly category: Category;
  /** ATT&CK techniques this detector reports (the first is the default). */
  readonly techniques: readonly string[];
  /** Tunable parameters with their defaults; `pipelines/*.yaml` may override any of them. */
  readonly defaults: P;
  /**
   * The kinds of baseline unit it judges (model/workload.ts UnitKind): pod workloads only when
   * absent; hosts, network sets and addresses where its signal means the same for them.
   */
  readonly units?: readonly UnitKind[];
  evaluate(window: WindowStats, ctx: DetectorContext, params: P): Finding[];
}
