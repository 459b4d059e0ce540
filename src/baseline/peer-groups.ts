import type { Role } from '../model/workload.ts';
import type { WindowStats } from './window-stats.ts';
import type { WorkloadBaseline } from './workload-baseline.ts';

const LIMITS = { membersPerRole: 4_096, edgesPerRole: 8_192, holdersPerEdge: 256 };

/**
 * The role's view: which edges (`peer|port|protocol`) and domains the workloads of each role
 * use, and how many of them. An edge every training job has is not news for a new training job.
 */
export class PeerGroups {
  private readonly members = new Map<Role, Set<string>>();
  private readonly edges = new Map<Role, Map<string, Set<string>>>();

  /**
   * Share (0..1) of the role's *other* workloads that use `edge`, and how many others there
   * are: a workload does not vouch for its own edges.
   */
  share(role: Role, edge: string, self: string): { share: number; members: number } {
    const group = this.members.get(role);
    const members = (group?.size ?? 0) - (group?.has(self) ? 1 : 0);
    if (members <= 0) return { share: 0, members: 0 };
    const holders = this.edges.get(role)?.get(edge);
    const others = (holders?.size ?? 0) - (holders?.has(self) ? 1 : 0);
    return { share: Math.min(1, others / members), members };
  }

  /**
   * Adds the window's edges and domains to its role's view. With the workload's baseline from
   * before the window, edges and domains it already knew are skipped: they were added the
   * window it learned them (the view never forgets, so adding them again changes nothing).
   */
  update(window: WindowStats, before?: WorkloadBaseline): void {
    const role = window.workload.role;
    let members = this.members.get(role);
    if (members === undefined) this.members.set(role, (members = new Set()));
    if (members.size < LIMITS.membersPerRole) members.add(window.key);
    let edges = this.edges.get(role);
    if (edges === undefined) this.edges.set(role, (edges = new Map()));
    const add = (edge: string) => {
      let holders = edges.get(edge);
      if (holders === undefined) {
        if (edges.size >= LIMITS.edgesPerRole) return;
        edges.set(edge, (holders = new Set()));
      }
      if (holders.size < LIMITS.holdersPerEdge) holders.add(window.key);
    };
    for (const [edgeKey, edge] of window.edges) if (edge.denied < edge.connections && before?.peers.has(edgeKey) !== true) add(edgeKey);
    for (const domain of window.domains.keys()) if (before?.domains.has(domain) !== true) add(`dns:${domain}`);
  }
}
