import type { EndpointKind } from '../model/endpoint.ts';
import type { Workload } from '../model/workload.ts';
import { BoundedSet } from './bounded.ts';
import { isSearchPathDomain } from './dns-name.ts';

/** Caps on what one workload's window may hold; beyond them values are only counted. */
export const WINDOW_LIMITS = { edges: 2_048, targets: 512, portsPerTarget: 4_096, clients: 4_096, domains: 512, labelsPerDomain: 2_048 };

/** What an open window of a workload with a few edges takes (its Maps, counters, edges): what max_state_mb reserves per open window. */
export const OPEN_WINDOW_BYTES = 4_096;

/** One outgoing edge of a workload in one window. */
export interface EdgeUse {
  /** `cluster/ns/workload` for in-cluster peers, FQDN or IP for others, `pub`/`pvt` when unknown. */
  peer: string;
  peerKind: EndpointKind;
  /** The peer workload, for in-cluster peers. */
  peerWorkload?: Workload;
  port: number;
  protocol: string;
  ip?: string;
  fqdn?: string;
  bytesOut: number;
  bytesIn: number;
  connections: number;
  denied: number;
  firstAt: number;
}

/** One edge of a peer in WindowStats.edgeIndex, and the peer's next edge. */
export interface PeerEdge {
  port: number;
  protocol: string;
  edge: EdgeUse;
  next: PeerEdge | undefined;
}

/** A peer's edges in WindowStats.edgeIndex: the first few in a list, and how many it has. */
export interface PeerEdges {
  head: PeerEdge;
  length: number;
}

/** DNS use of one registered domain (`example.com`) in one window. */
export interface DomainUse {
  queries: number;
  nxdomain: number;
  /** TXT / NULL / ANY lookups, the record types tunnels carry data in. */
  tunnelTypes: number;
  /** Distinct leftmost labels under the domain. */
  subdomains: BoundedSet<string>;
  maxLabelLength: number;
  /** Lookups whose leftmost label is long and high-entropy (≥ 3.5 bits/char over ≥ 20 chars). */
  highEntropy: number;
  example: string;
}

/**
 * What one workload did in one event-time window: the input of window detectors and of the
 * baseline update. Plain data; built by WindowAccumulator, discarded after evaluation.
 */
export interface WindowStats {
  key: string;
  workload: Workload;
  start: number;
  end: number;
  /** As initiator. */
  connections: number;
  bytesOut: number;
  externalBytesOut: number;
  externalConnections: number;
  internalBytesOut: number;
  denied: number;
  edges: Map<string, EdgeUse>;
  edgeOverflow: number;
  /**
   * The accumulator's index of `edges`: peer → its edges by port and protocol (the first few;
   * a peer with more is a scan, whose other edges are looked up by key), so a record finds its
   * edge without building the key, and the peers are counted as they come (fanOut).
   * `indexedEdges`: how many of `edges` it indexed (windows built by hand index none).
   */
  edgeIndex: Map<string, PeerEdges>;
  indexedEdges: number;
  /** Distinct ports per target (IP or workload key): port scans. */
  portsByTarget: Map<string, BoundedSet<number>>;
  /** Distinct targets per port: sweeps. */
  targetsByPort: Map<number, BoundedSet<string>>;
  /** As responder. */
  inboundConnections: number;
  inboundBytes: number;
  inboundDenied: number;
  /** External clients (IP, or `pub` when aggregated) → connections. */
  externalClients: Map<string, number>;
  externalClientOverflow: number;
  /** Inbound connections straight from outside the cluster, not through a gateway workload. */
  inboundExternalDirect: number;
  inboundViaGateway: number;
  /** DNS, as client. */
  dnsQueries: number;
  dnsNxdomain: number;
  domains: Map<string, DomainUse>;
  /** Whether the window saw traffic in each direction (for baselines of "active" windows). */
  activeOut: boolean;
  activeIn: boolean;
  /** Edge-burst scoring, as initiator: the highest record score, and the connections of records that scored as a burst. */
  burstMax: number;
  burstConnections: number;
}

export function emptyWindow(key: string, workload: Workload, start: number, end: number): WindowStats {
  return {
    key, workload, start, end,
    connections: 0, bytesOut: 0, externalBytesOut: 0, externalConnections: 0, internalBytesOut: 0, denied: 0,
    edges: new Map(), edgeOverflow: 0, edgeIndex: new Map(), indexedEdges: 0, portsByTarget: new Map(), targetsByPort: new Map(),
    inboundConnections: 0, inboundBytes: 0, inboundDenied: 0, externalClients: new Map(), externalClientOverflow: 0,
    inboundExternalDirect: 0, inboundViaGateway: 0,
    dnsQueries: 0, dnsNxdomain: 0, domains: new Map(),
    activeOut: false, activeIn: false,
    burstMax: 0, burstConnections: 0,
  };
}

/** Distinct peers (edges collapsed by peer) in the window: fan-out. */
export function fanOut(window: WindowStats): number {
  if (window.indexedEdges === window.edges.size) return window.edgeIndex.size + window.edgeOverflow;
  const peers = new Set<string>();
  for (const edge of window.edges.values()) peers.add(edge.peer);
  return peers.size + window.edgeOverflow;
}

/** NXDOMAIN answers of the window outside resolver search paths, and the domains that failed. */
export function externalNxdomain(window: WindowStats): { nxdomain: number; failing: string[] } {
  let nxdomain = 0;
  const failing: string[] = [];
  for (const [domain, use] of window.domains) {
    if (use.nxdomain === 0 || isSearchPathDomain(domain)) continue;
    nxdomain += use.nxdomain;
    failing.push(domain);
  }
  return { nxdomain, failing };
}
