import { ENDPOINT_KINDS, type EndpointKind } from '../model/endpoint.ts';
import { snapshotReader } from '../model/snapshot-reader.ts';
import { ENVIRONMENTS, ROLES, type Environment, type Role, type Workload } from '../model/workload.ts';
import { BoundedSet } from './bounded.ts';
import { sharedKeys } from './key-intern.ts';
import { emptyWindow, WINDOW_LIMITS, type DomainUse, type EdgeUse, type PeerEdge, type WindowStats } from './window-stats.ts';

/**
 * Open windows as plain JSON, for the checkpoint a crashed consumer's successor restores: what
 * a restored window goes on to accumulate, what the detectors find in it and what it teaches the
 * baseline are what the original's would have been. Map orders are kept (arrays, oldest first),
 * and so is the accumulator's edge index: each entry names its edges by position in `edges`, so
 * the restored index points at the very EdgeUse objects of the restored `edges`.
 *
 * Bulk entries (edges, sets, domains) are tuples, not objects: a window holds up to 2,048 edges
 * and thousands of windows are checkpointed every few seconds.
 */
export interface WindowSnapshot {
  version: 1;
  key: string;
  workload: Workload;
  start: number;
  end: number;
  connections: number;
  bytesOut: number;
  externalBytesOut: number;
  externalConnections: number;
  internalBytesOut: number;
  denied: number;
  edges: EdgeSnapshot[];
  edgeOverflow: number;
  edgeIndex: PeerEdgesSnapshot[];
  indexedEdges: number;
  portsByTarget: [target: string, ports: number[], overflow: number][];
  targetsByPort: [port: number, targets: string[], overflow: number][];
  inboundConnections: number;
  inboundBytes: number;
  inboundDenied: number;
  externalClients: [client: string, connections: number][];
  externalClientOverflow: number;
  inboundExternalDirect: number;
  inboundViaGateway: number;
  dnsQueries: number;
  dnsNxdomain: number;
  domains: DomainSnapshot[];
  activeOut: boolean;
  activeIn: boolean;
  /** Absent in snapshots of earlier builds (read as 0). */
  burstMax?: number;
  burstConnections?: number;
}

/** A workload as `[cluster, namespace, name, role, env]`. */
export type WorkloadTuple = [cluster: string, namespace: string, name: string, role: Role, env: Environment];

/**
 * One edge: its key, null when it is `peer|port|protocol` (every key the accumulator makes),
 * then the EdgeUse fields, absent ones null.
 */
export type EdgeSnapshot = [
  key: string | null, peer: string, peerKind: EndpointKind, port: number, protocol: string,
  bytesOut: number, bytesIn: number, connections: number, denied: number, firstAt: number,
  ip: string | null, fqdn: string | null, peerWorkload: WorkloadTuple | null,
];

/**
 * One peer of WindowStats.edgeIndex: how many edges it has, then the positions in `edges` of the
 * ones its list holds, head first. The peer is its edges' `peer`.
 */
export type PeerEdgesSnapshot = [length: number, head: number, ...listed: number[]];

/** One domain of WindowStats.domains: DomainUse's fields, its subdomains as values and overflow. */
export type DomainSnapshot = [
  domain: string, queries: number, nxdomain: number, tunnelTypes: number, subdomains: string[], subdomainOverflow: number,
  maxLabelLength: number, highEntropy: number, example: string,
];

/** The numeric fields of a window, copied as they are. */
const COUNTERS = [
  'start', 'end', 'connections', 'bytesOut', 'externalBytesOut', 'externalConnections', 'internalBytesOut', 'denied',
  'edgeOverflow', 'indexedEdges', 'inboundConnections', 'inboundBytes', 'inboundDenied', 'externalClientOverflow',
  'inboundExternalDirect', 'inboundViaGateway', 'dnsQueries', 'dnsNxdomain',
] as const satisfies readonly (keyof WindowStats & keyof WindowSnapshot)[];

/**
 * A JSON-safe copy of an open window (nothing in it is shared with the window). Throws if the
 * edge index is not one addOutgoing could have built (an edge listed that `edges` does not hold,
 * or under another peer, port or protocol than its own): such a window cannot be restored as is.
 */
export function snapshotWindow(w: WindowStats): WindowSnapshot {
  const edges: EdgeSnapshot[] = [];
  // Only windows the accumulator built have an index to point into `edges` (by hand: none).
  const position = w.edgeIndex.size > 0 ? new Map<EdgeUse, number>() : undefined;
  for (const [key, e] of w.edges) {
    position?.set(e, edges.length);
    const peer = e.peerWorkload;
    edges.push([
      isEdgeKey(key, e) ? null : key,
      e.peer, e.peerKind, e.port, e.protocol, e.bytesOut, e.bytesIn, e.connections, e.denied, e.firstAt,
      e.ip ?? null, e.fqdn ?? null, peer === undefined ? null : [peer.cluster, peer.namespace, peer.name, peer.role, peer.env],
    ]);
  }
  const edgeIndex: PeerEdgesSnapshot[] = [];
  for (const [peer, { head, length }] of w.edgeIndex) {
    const entry: PeerEdgesSnapshot = [length, listedAt(w, peer, head, position!)];
    for (let e = head.next; e !== undefined; e = e.next) entry.push(listedAt(w, peer, e, position!));
    edgeIndex.push(entry);
  }
  const s = {
    version: 1, key: w.key, workload: copyWorkload(w.workload), edges, edgeIndex,
    portsByTarget: Array.from(w.portsByTarget, ([target, ports]): [string, number[], number] => [target, [...ports.values], ports.overflow]),
    targetsByPort: Array.from(w.targetsByPort, ([port, targets]): [number, string[], number] => [port, [...targets.values], targets.overflow]),
    externalClients: [...w.externalClients],
    domains: Array.from(w.domains, ([domain, u]): DomainSnapshot => [domain, u.queries, u.nxdomain, u.tunnelTypes, [...u.subdomains.values], u.subdomains.overflow, u.maxLabelLength, u.highEntropy, u.example]),
    activeOut: w.activeOut, activeIn: w.activeIn, burstMax: w.burstMax, burstConnections: w.burstConnections,
  } as WindowSnapshot;
  for (const name of COUNTERS) s[name] = w[name];
  return s;
}

/**
 * Whether `key` is `${e.peer}|${e.port}|${e.protocol}`, compared in place: building that string
 * per edge was nearly half a snapshot's time. Only a port written as a template writes it
 * (decimal, no leading zero, at most 5 digits) matches; for anything else the key is written out.
 */
function isEdgeKey(key: string, e: EdgeUse): boolean {
  const { peer, protocol } = e;
  const digitsAt = peer.length + 1;
  const bar = key.length - protocol.length - 1;
  const digits = bar - digitsAt;
  if (digits < 1 || digits > 5 || key.charCodeAt(peer.length) !== BAR || key.charCodeAt(bar) !== BAR) return false;
  if (digits > 1 && key.charCodeAt(digitsAt) === ZERO) return false;
  let port = 0;
  for (let i = digitsAt; i < bar; i++) {
    const digit = key.charCodeAt(i) - ZERO;
    if (digit < 0 || digit > 9) return false;
    port = port * 10 + digit;
  }
  return port === e.port && key.startsWith(peer) && key.endsWith(protocol);
}

const BAR = 0x7c;
const ZERO = 0x30;

/** Where `entry`'s edge is in `edges`, checking it is the edge addOutgoing would have listed there. */
function listedAt(w: WindowStats, peer: string, entry: PeerEdge, position: Map<EdgeUse, number>): number {
  const at = position.get(entry.edge);
  if (at === undefined || entry.edge.peer !== peer || entry.edge.port !== entry.port || entry.edge.protocol !== entry.protocol) {
    throw new Error(`window ${w.key}: edgeIndex lists an edge of ${peer} (${entry.port}/${entry.protocol}) that is not one of its edges`);
  }
  return at;
}

/**
 * The window a snapshot was taken of, as WindowAccumulator would go on with it: the same Map
 * orders, edge and domain keys interned as the accumulator interns them, edges of one peer
 * sharing one peer workload as the resolver's identities do, the sets bounded by WINDOW_LIMITS.
 * Throws on an unknown version or anything malformed, naming the field.
 */
export function restoreWindow(snapshot: unknown): WindowStats {
  const s = object(snapshot, 'snapshot');
  if (s.version !== 1) throw new Error(`window snapshot: unknown version ${JSON.stringify(s.version)} (this build reads version 1)`);
  const key = text(s.key, 'key');
  const w = emptyWindow(key, readWorkload(s.workload, 'workload'), 0, 0);
  for (const name of COUNTERS) w[name] = finite(s[name], name);
  w.activeOut = flag(s.activeOut, 'activeOut');
  w.activeIn = flag(s.activeIn, 'activeIn');
  w.burstMax = s.burstMax === undefined ? 0 : finite(s.burstMax, 'burstMax');
  w.burstConnections = s.burstConnections === undefined ? 0 : finite(s.burstConnections, 'burstConnections');

  const edges: EdgeUse[] = [];
  // Peer → its workload: one object for a peer's edges (peers met once per window, mostly).
  const peerWorkloads = new Map<string, Workload>([[key, w.workload]]);
  for (const raw of list(s.edges, 'edges')) {
    const t = tuple(raw, 13, 'edges[]');
    const peer = text(t[1], 'edges[].peer');
    const port = finite(t[3], 'edges[].port');
    const protocol = text(t[4], 'edges[].protocol');
    // The accumulator's property order: one hidden class for restored and live edges.
    const edge: EdgeUse = {
      peer, peerKind: member(t[2], ENDPOINT_KINDS, 'edges[].peerKind'), port, protocol,
      bytesOut: finite(t[5], 'edges[].bytesOut'), bytesIn: finite(t[6], 'edges[].bytesIn'), connections: finite(t[7], 'edges[].connections'),
      denied: finite(t[8], 'edges[].denied'), firstAt: finite(t[9], 'edges[].firstAt'),
    };
    if (t[12] !== null) edge.peerWorkload = sharedWorkload(peerWorkloads, peer, readWorkload(t[12], 'edges[].peerWorkload'));
    if (t[11] !== null) edge.fqdn = text(t[11], 'edges[].fqdn');
    if (t[10] !== null) edge.ip = text(t[10], 'edges[].ip');
    const edgeKey = sharedKeys.intern(t[0] === null ? `${peer}|${port}|${protocol}` : text(t[0], 'edges[].key'));
    if (w.edges.has(edgeKey)) malformed('edges', `holds ${edgeKey} twice`);
    w.edges.set(edgeKey, edge);
    edges.push(edge);
  }

  for (const raw of list(s.edgeIndex, 'edgeIndex')) {
    const t = list(raw, 'edgeIndex[]');
    const length = finite(t[0], 'edgeIndex[].length');
    if (t.length < 2 || t.length - 1 > length) malformed('edgeIndex[]', `lists ${t.length - 1} of ${length} edges`);
    const head = indexEntry(edges, t[1]);
    const peer = head.edge.peer;
    let last = head;
    for (let i = 2; i < t.length; i++) {
      last = last.next = indexEntry(edges, t[i]);
      if (last.edge.peer !== peer) malformed('edgeIndex[]', `lists an edge of ${last.edge.peer} under ${peer}`);
    }
    if (w.edgeIndex.has(peer)) malformed('edgeIndex', `holds ${peer} twice`);
    w.edgeIndex.set(peer, { head, length });
  }

  for (const raw of list(s.portsByTarget, 'portsByTarget')) {
    const t = tuple(raw, 3, 'portsByTarget[]');
    const target = text(t[0], 'portsByTarget[].target');
    if (w.portsByTarget.has(target)) malformed('portsByTarget', `holds ${target} twice`);
    w.portsByTarget.set(target, boundedSet(t[1], t[2], WINDOW_LIMITS.portsPerTarget, finite, 'portsByTarget[]'));
  }
  for (const raw of list(s.targetsByPort, 'targetsByPort')) {
    const t = tuple(raw, 3, 'targetsByPort[]');
    const port = finite(t[0], 'targetsByPort[].port');
    if (w.targetsByPort.has(port)) malformed('targetsByPort', `holds ${port} twice`);
    // The accumulator bounds targets per port by portsPerTarget too.
    w.targetsByPort.set(port, boundedSet(t[1], t[2], WINDOW_LIMITS.portsPerTarget, text, 'targetsByPort[]'));
  }
  for (const raw of list(s.externalClients, 'externalClients')) {
    const t = tuple(raw, 2, 'externalClients[]');
    const client = text(t[0], 'externalClients[].client');
    if (w.externalClients.has(client)) malformed('externalClients', `holds ${client} twice`);
    w.externalClients.set(client, finite(t[1], 'externalClients[].connections'));
  }
  for (const raw of list(s.domains, 'domains')) {
    const t = tuple(raw, 9, 'domains[]');
    const domain = sharedKeys.intern(text(t[0], 'domains[].domain'));
    if (w.domains.has(domain)) malformed('domains', `holds ${domain} twice`);
    const use: DomainUse = {
      queries: finite(t[1], 'domains[].queries'), nxdomain: finite(t[2], 'domains[].nxdomain'), tunnelTypes: finite(t[3], 'domains[].tunnelTypes'),
      subdomains: boundedSet(t[4], t[5], WINDOW_LIMITS.labelsPerDomain, text, 'domains[].subdomains'),
      maxLabelLength: finite(t[6], 'domains[].maxLabelLength'), highEntropy: finite(t[7], 'domains[].highEntropy'), example: text(t[8], 'domains[].example'),
    };
    w.domains.set(domain, use);
  }
  return w;
}

/** A PeerEdge for the edge at position `at`, under the edge's own port and protocol (as addOutgoing lists it). */
function indexEntry(edges: EdgeUse[], at: unknown): PeerEdge {
  const edge = Number.isInteger(at) ? edges[at as number] : undefined;
  if (edge === undefined) malformed('edgeIndex[]', `names edge ${JSON.stringify(at)} of ${edges.length}`);
  return { port: edge.port, protocol: edge.protocol, edge, next: undefined };
}

/**
 * A BoundedSet of the snapshot's values in their order. Values go in directly, not through
 * add(): a bound lowered since the checkpoint must not turn what the window held into overflow.
 */
function boundedSet<V>(values: unknown, overflow: unknown, max: number, read: (v: unknown, where: string) => V, where: string): BoundedSet<V> {
  const set = new BoundedSet<V>(max);
  const items = list(values, `${where}.values`);
  for (const v of items) set.values.add(read(v, `${where}.values[]`));
  if (set.values.size !== items.length) malformed(`${where}.values`, 'repeats a value');
  set.overflow = finite(overflow, `${where}.overflow`);
  return set;
}

/** The peer's workload already restored if it is the same one, else `workload` (and it is remembered). */
function sharedWorkload(seen: Map<string, Workload>, peer: string, workload: Workload): Workload {
  const held = seen.get(peer);
  if (held !== undefined && held.cluster === workload.cluster && held.namespace === workload.namespace && held.name === workload.name && held.role === workload.role && held.env === workload.env) return held;
  seen.set(peer, workload);
  return workload;
}

function copyWorkload(w: Workload): Workload {
  return { cluster: w.cluster, namespace: w.namespace, name: w.name, role: w.role, env: w.env };
}

/** A Workload from its object (the window's) or tuple (an edge's peer) form. */
function readWorkload(value: unknown, where: string): Workload {
  const w = Array.isArray(value) ? tuple(value, 5, where) : object(value, where);
  const [cluster, namespace, name, role, env] = Array.isArray(w) ? w : [w.cluster, w.namespace, w.name, w.role, w.env];
  return {
    cluster: text(cluster, `${where}.cluster`), namespace: text(namespace, `${where}.namespace`), name: text(name, `${where}.name`),
    role: member(role, ROLES, `${where}.role`), env: member(env, ENVIRONMENTS, `${where}.env`),
  };
}

const checks = snapshotReader('window snapshot');
const { object, list, tuple, finite, text, flag, member } = checks;

// A declared `never` function, so that TypeScript narrows after a call.
function malformed(where: string, problem: string): never {
  return checks.malformed(where, problem);
}
