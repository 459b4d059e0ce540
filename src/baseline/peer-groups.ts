import { unitKind, type Role } from '../model/workload.ts';
import type { WindowStats } from './window-stats.ts';
import type { WorkloadBaseline } from './workload-baseline.ts';

const LIMITS = { membersPerRole: 4_096, edgesPerRole: 8_192, holdersPerEdge: 256 };

/** What detectors read: the share of a role's other workloads that use an edge. */
export interface PeerView {
  /**
   * Share (0..1) of the role's *other* workloads that use `edge`, and how many others there
   * are: a workload does not vouch for its own edges.
   */
  share(role: Role, edge: string, self: string): { share: number; members: number };
  /** Event time (window start) at which the role's first member joined; undefined before any did. */
  roleSince(role: Role): number | undefined;
  /** Whether some workload of the role (key `cluster/namespace/name`) passes `test`. */
  hasMember(role: Role, test: (key: string) => boolean): boolean;
  /**
   * How many other workloads, of any role, use `edge`: a registry or a shared database many
   * workloads talk to is a shared service, and one more client of it is not lateral movement.
   * Only units of the same kind as `role` (model/workload.ts unitKind; pod workloads by default)
   * count: kubelets probing a database do not make it a shared service for pods.
   */
  usersOf(edge: string, self: string, role?: Role): number;
}

/**
 * Workload keys in the order they joined, each with the event-time bucket (window start) in
 * which it did. Buckets only grow within one part (a task closes its windows in order), so
 * "how many joined before t" is a binary search.
 */
class Holders {
  readonly keys: string[] = [];
  readonly buckets: number[] = [];
  private readonly index = new Map<string, number>();

  get size(): number {
    return this.keys.length;
  }

  add(key: string, bucket: number, max: number): boolean {
    if (this.index.has(key) || this.keys.length >= max) return false;
    this.index.set(key, bucket);
    this.keys.push(key);
    this.buckets.push(bucket);
    return true;
  }

  /** The earliest bucket before `asOf` (buckets only grow: the first), or undefined. */
  firstBefore(asOf: number): number | undefined {
    const first = this.buckets[0];
    return first !== undefined && first < asOf ? first : undefined;
  }

  /** How many joined in a bucket before `asOf`. */
  before(asOf: number): number {
    const { buckets } = this;
    if (buckets.length === 0 || buckets[buckets.length - 1]! < asOf) return buckets.length;
    let lo = 0;
    let hi = buckets.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (buckets[mid]! < asOf) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  heldBefore(key: string, asOf: number): boolean {
    const bucket = this.index.get(key);
    return bucket !== undefined && bucket < asOf;
  }

  static of(value: unknown): Holders {
    const v = value as { keys?: unknown; buckets?: unknown };
    if (!Array.isArray(v?.keys) || !Array.isArray(v.buckets) || v.keys.length !== v.buckets.length) throw new Error('peer group record: expected {keys, buckets} of equal length');
    const holders = new Holders();
    for (let i = 0; i < v.keys.length; i++) holders.add(String(v.keys[i]), Number(v.buckets[i]), Number.POSITIVE_INFINITY);
    return holders;
  }
}

/** One record of a part's changelog: the members of a role, or the holders of one edge. */
export interface PeerGroupRecord {
  key: string;
  value: { keys: string[]; buckets: number[] };
}

const SEP = '\u0000';

/**
 * One detection task's contribution to the role view: which of *its* workloads belong to each
 * role, and which of them use each edge (`peer|port|protocol`) and domain (`dns:…`), with the
 * window in which each did. Grow-only (the view never forgets), so parts of different tasks
 * add up, and a part is written incrementally: `takeDirty()` lists what changed.
 */
export class PeerGroupPart {
  readonly members = new Map<Role, Holders>();
  readonly edges = new Map<Role, Map<string, Holders>>();
  private dirty = new Set<string>();

  /**
   * Adds the window's edges and domains to its role's view. With the workload's baseline from
   * before the window, edges and domains it already knew are skipped: they were added the
   * window it learned them (the view never forgets, so adding them again changes nothing).
   */
  update(window: WindowStats, before?: WorkloadBaseline): void {
    const role = window.workload.role;
    const bucket = window.start;
    let members = this.members.get(role);
    if (members === undefined) this.members.set(role, (members = new Holders()));
    if (members.add(window.key, bucket, LIMITS.membersPerRole)) this.dirty.add(`m${SEP}${role}`);
    let edges = this.edges.get(role);
    if (edges === undefined) this.edges.set(role, (edges = new Map()));
    const add = (edge: string) => {
      let holders = edges.get(edge);
      if (holders === undefined) {
        if (edges.size >= LIMITS.edgesPerRole) return;
        edges.set(edge, (holders = new Holders()));
      }
      if (holders.add(window.key, bucket, LIMITS.holdersPerEdge)) this.dirty.add(`e${SEP}${role}${SEP}${edge}`);
    };
    for (const [edgeKey, edge] of window.edges) if (edge.denied < edge.connections && before?.peers.has(edgeKey) !== true) add(edgeKey);
    for (const domain of window.domains.keys()) if (before?.domains.has(domain) !== true) add(`dns:${domain}`);
  }

  /** The records changed since the last call (what a checkpoint writes), and forgets them. */
  takeDirty(): PeerGroupRecord[] {
    const records: PeerGroupRecord[] = [];
    for (const key of this.dirty) {
      const holders = this.holdersOf(key);
      if (holders !== undefined) records.push({ key, value: { keys: holders.keys, buckets: holders.buckets } });
    }
    this.dirty = new Set();
    return records;
  }

  /** Every record of the part (a full snapshot). */
  records(): PeerGroupRecord[] {
    const records: PeerGroupRecord[] = [];
    for (const [role, holders] of this.members) records.push({ key: `m${SEP}${role}`, value: { keys: holders.keys, buckets: holders.buckets } });
    for (const [role, edges] of this.edges) {
      for (const [edge, holders] of edges) records.push({ key: `e${SEP}${role}${SEP}${edge}`, value: { keys: holders.keys, buckets: holders.buckets } });
    }
    return records;
  }

  /** Applies one changelog record (restore): the record replaces what the part held under its key. */
  apply(key: string, value: unknown): void {
    const [kind, role, ...rest] = key.split(SEP) as [string, Role, ...string[]];
    const holders = Holders.of(value);
    if (kind === 'm') {
      this.members.set(role, holders);
      return;
    }
    if (kind !== 'e' || rest.length === 0) throw new Error(`peer group record: unknown key ${JSON.stringify(key)}`);
    let edges = this.edges.get(role);
    if (edges === undefined) this.edges.set(role, (edges = new Map()));
    edges.set(rest.join(SEP), holders);
  }

  private holdersOf(key: string): Holders | undefined {
    const [kind, role, ...rest] = key.split(SEP) as [string, Role, ...string[]];
    return kind === 'm' ? this.members.get(role) : this.edges.get(role)?.get(rest.join(SEP));
  }
}

/**
 * The role view across every detection task: one part per task (a repartition partition),
 * the local tasks' parts live, the others' read from their changelog. Counts add up because a
 * workload belongs to exactly one task.
 *
 * Judging is reproducible however tasks are spread over members and however records were
 * batched: a window is judged with `at(asOf)`, which counts only what joined in buckets before
 * `asOf`, and the stage closes a window only once every task has closed the windows before
 * `asOf` (see DetectionStage's close gate).
 */
export class PeerGroups implements PeerView {
  readonly parts = new Map<number, PeerGroupPart>();

  /** The part of task `id`, created empty if new. */
  part(id = 0): PeerGroupPart {
    let part = this.parts.get(id);
    if (part === undefined) this.parts.set(id, (part = new PeerGroupPart()));
    return part;
  }

  /** Adds to part 0 (a single-task view, as replays and unit tests use). */
  update(window: WindowStats, before?: WorkloadBaseline): void {
    this.part(0).update(window, before);
  }

  /** Everything known, whenever it joined. */
  share(role: Role, edge: string, self: string): { share: number; members: number } {
    return this.shareAsOf(role, edge, self, Number.POSITIVE_INFINITY);
  }

  roleSince(role: Role): number | undefined {
    return this.roleSinceAsOf(role, Number.POSITIVE_INFINITY);
  }

  hasMember(role: Role, test: (key: string) => boolean): boolean {
    return this.hasMemberAsOf(role, test, Number.POSITIVE_INFINITY);
  }

  usersOf(edge: string, self: string, role?: Role): number {
    return this.usersOfAsOf(edge, self, Number.POSITIVE_INFINITY, role);
  }

  /** The view of what joined in buckets before `asOf`. */
  at(asOf: number): PeerView {
    return { share: (role, edge, self) => this.shareAsOf(role, edge, self, asOf), roleSince: (role) => this.roleSinceAsOf(role, asOf), hasMember: (role, test) => this.hasMemberAsOf(role, test, asOf), usersOf: (edge, self, role) => this.usersOfAsOf(edge, self, asOf, role) };
  }

  private usersOfAsOf(edge: string, self: string, asOf: number, role: Role = 'other'): number {
    const kind = unitKind({ role });
    let users = 0;
    for (const part of this.parts.values()) {
      for (const [holderRole, edges] of part.edges) {
        if (unitKind({ role: holderRole }) !== kind) continue;
        const holders = edges.get(edge);
        if (holders !== undefined) users += holders.before(asOf) - (holders.heldBefore(self, asOf) ? 1 : 0);
      }
    }
    return users;
  }

  private hasMemberAsOf(role: Role, test: (key: string) => boolean, asOf: number): boolean {
    for (const part of this.parts.values()) {
      const members = part.members.get(role);
      if (members === undefined) continue;
      const n = members.before(asOf);
      for (let i = 0; i < n; i++) if (test(members.keys[i]!)) return true;
    }
    return false;
  }

  private roleSinceAsOf(role: Role, asOf: number): number | undefined {
    let since: number | undefined;
    for (const part of this.parts.values()) {
      const first = part.members.get(role)?.firstBefore(asOf);
      if (first !== undefined && (since === undefined || first < since)) since = first;
    }
    return since;
  }

  private shareAsOf(role: Role, edge: string, self: string, asOf: number): { share: number; members: number } {
    let members = 0;
    let holders = 0;
    for (const part of this.parts.values()) {
      const group = part.members.get(role);
      if (group === undefined) continue;
      members += group.before(asOf) - (group.heldBefore(self, asOf) ? 1 : 0);
      const edgeHolders = part.edges.get(role)?.get(edge);
      if (edgeHolders !== undefined) holders += edgeHolders.before(asOf) - (edgeHolders.heldBefore(self, asOf) ? 1 : 0);
    }
    if (members <= 0) return { share: 0, members: 0 };
    return { share: Math.min(1, holders / members), members };
  }
}
