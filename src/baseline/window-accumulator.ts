import type { DnsRecord } from '../model/dns-record.ts';
import type { FlowRecord } from '../model/flow-record.ts';
import type { Workload } from '../model/workload.ts';
import { BoundedSet } from './bounded.ts';
import { entropy, leftmostLabel, registeredDomain } from './dns-name.ts';
import { sharedKeys } from './key-intern.ts';
import { WINDOW_LIMITS, type EdgeUse, type PeerEdge, type WindowStats } from './window-stats.ts';

/**
 * The peer identity an edge is keyed by: in-cluster workload, else FQDN, else IP. A workload's
 * resolved identity (enrich/workload-resolver.ts) is one as it is.
 */
export interface PeerIdentity {
  key: string;
  workload?: Workload | undefined;
  fqdn?: string | undefined;
}

const TUNNEL_TYPES = new Set(['TXT', 'NULL', 'ANY', 'CNAME', 'MX']);

/** Adds a flow to the window of its initiator (`src`). */
export function addOutgoing(window: WindowStats, flow: FlowRecord, peer: PeerIdentity): void {
  const port = flow.dstPort ?? 0;
  const connections = flow.connections;
  const denied = flow.action === 'deny';
  window.activeOut = true;
  window.connections += connections;
  if (denied) window.denied += connections;
  else {
    window.bytesOut += flow.bytesToDst;
    if (flow.dst.kind === 'public') {
      window.externalBytesOut += flow.bytesToDst;
      window.externalConnections += connections;
    } else window.internalBytesOut += flow.bytesToDst;
  }

  const peerKey = peer.key;
  const protocol = flow.protocol;
  const peerEdges = window.edgeIndex.get(peerKey);
  let edge: EdgeUse | undefined;
  if (peerEdges !== undefined) {
    for (let e: PeerEdge | undefined = peerEdges.head; e !== undefined; e = e.next) {
      if (e.port === port && e.protocol === protocol) {
        edge = e.edge;
        break;
      }
    }
    // A peer with many edges (a scan): the ones past the list are found by key.
    if (edge === undefined && peerEdges.length > LISTED_EDGES) edge = window.edges.get(edgeKey(peerKey, port, protocol));
  }
  if (edge === undefined) {
    if (window.edges.size >= WINDOW_LIMITS.edges) {
      window.edgeOverflow++;
    } else {
      edge = { peer: peerKey, peerKind: flow.dst.kind, port, protocol, bytesOut: 0, bytesIn: 0, connections: 0, denied: 0, firstAt: flow.windowStart };
      if (peer.workload !== undefined) edge.peerWorkload = peer.workload;
      if (peer.fqdn !== undefined) edge.fqdn = peer.fqdn;
      if (flow.dst.ip !== undefined) edge.ip = flow.dst.ip;
      window.edges.set(edgeKey(peerKey, port, protocol), edge);
      const entry: PeerEdge = { port, protocol, edge, next: undefined };
      if (peerEdges === undefined) window.edgeIndex.set(peerKey, { head: entry, length: 1 });
      else {
        if (peerEdges.length < LISTED_EDGES) {
          let last = peerEdges.head;
          while (last.next !== undefined) last = last.next;
          last.next = entry;
        }
        peerEdges.length++;
      }
      window.indexedEdges++;
    }
  }
  if (edge !== undefined) accumulateEdge(edge, flow, denied);

  // Scans and sweeps are about distinct (target, port) pairs, whatever the verdict.
  const target = flow.dst.ip ?? peerKey;
  if (port !== 0) {
    boundedSetIn(window.portsByTarget, target, WINDOW_LIMITS.targets, WINDOW_LIMITS.portsPerTarget)?.add(port);
    boundedSetIn(window.targetsByPort, port, WINDOW_LIMITS.targets, WINDOW_LIMITS.portsPerTarget)?.add(target);
  }
}

/** Edges of a peer kept in its window's list; more are looked up by key (see WindowStats.edgeIndex). */
const LISTED_EDGES = 8;

/** Edge keys made so far, by peer then port and protocol: most edges recur window after window. */
const edgeKeys = new Map<string, Map<number, string>>();
let edgeKeysHeld = 0;
/** Keys remembered; past it the cache starts afresh (an attacker inventing peers or ports costs a fixed amount). */
const EDGE_KEYS_MAX = 200_000;
const PROTOCOL_CODE: Record<string, number> = { tcp: 0, udp: 1, icmp: 2, icmpv6: 3, sctp: 4, other: 5 };

/**
 * `peer|port|protocol`, one shared copy (sharedKeys): baselines hold the same string, so their
 * look-ups compare it by identity. Made once per edge, not once per window that uses it.
 */
function edgeKey(peer: string, port: number, protocol: string): string {
  const code = PROTOCOL_CODE[protocol];
  if (code === undefined) return sharedKeys.intern(`${peer}|${port}|${protocol}`);
  let keys = edgeKeys.get(peer);
  const key = keys?.get(port * 8 + code);
  if (key !== undefined) return key;
  const made = sharedKeys.intern(`${peer}|${port}|${protocol}`);
  if (edgeKeysHeld >= EDGE_KEYS_MAX) {
    edgeKeys.clear();
    edgeKeysHeld = 0;
    keys = undefined;
  }
  if (keys === undefined) edgeKeys.set(peer, (keys = new Map()));
  keys.set(port * 8 + code, made);
  edgeKeysHeld++;
  return made;
}

function accumulateEdge(edge: EdgeUse, flow: FlowRecord, denied: boolean): void {
  edge.connections += flow.connections;
  if (denied) edge.denied += flow.connections;
  edge.bytesOut += flow.bytesToDst;
  edge.bytesIn += flow.bytesToSrc;
  if (flow.windowStart < edge.firstAt) edge.firstAt = flow.windowStart;
}

/** Adds a flow to the window of its responder (`dst`). `viaGateway`: the source is a gateway workload. */
export function addIncoming(window: WindowStats, flow: FlowRecord, viaGateway: boolean): void {
  window.activeIn = true;
  window.inboundConnections += flow.connections;
  window.inboundBytes += flow.bytesToDst;
  if (flow.action === 'deny') window.inboundDenied += flow.connections;
  if (viaGateway) window.inboundViaGateway += flow.connections;
  if (flow.src.kind === 'public') {
    if (!viaGateway) window.inboundExternalDirect += flow.connections;
    const client = flow.src.ip ?? 'pub';
    const seen = window.externalClients.get(client);
    if (seen !== undefined) window.externalClients.set(client, seen + flow.connections);
    else if (window.externalClients.size < WINDOW_LIMITS.clients) window.externalClients.set(client, flow.connections);
    else window.externalClientOverflow++;
  }
}

export function addDns(window: WindowStats, dns: DnsRecord): void {
  window.dnsQueries += dns.count;
  const nx = dns.rcode === 'NXDOMAIN' ? dns.count : 0;
  window.dnsNxdomain += nx;
  const domain = registeredDomain(dns.qname);
  let use = window.domains.get(domain);
  if (use === undefined) {
    if (window.domains.size >= WINDOW_LIMITS.domains) return;
    use = { queries: 0, nxdomain: 0, tunnelTypes: 0, subdomains: new BoundedSet(WINDOW_LIMITS.labelsPerDomain), maxLabelLength: 0, highEntropy: 0, example: dns.qname };
    window.domains.set(sharedKeys.intern(domain), use);
  }
  use.queries += dns.count;
  use.nxdomain += nx;
  if (TUNNEL_TYPES.has(dns.qtype)) use.tunnelTypes += dns.count;
  if (dns.qname.length > domain.length) {
    const sub = dns.qname.slice(0, dns.qname.length - domain.length - 1);
    use.subdomains.add(sub);
    const label = leftmostLabel(sub);
    if (label.length > use.maxLabelLength) {
      use.maxLabelLength = label.length;
      use.example = dns.qname;
    }
    if (label.length >= 20 && entropy(label) >= 3.5) use.highEntropy += dns.count;
  }
}

function boundedSetIn<K, V>(map: Map<K, BoundedSet<V>>, key: K, maxKeys: number, maxValues: number): BoundedSet<V> | undefined {
  let set = map.get(key);
  if (set === undefined) {
    if (map.size >= maxKeys) return undefined;
    set = new BoundedSet<V>(maxValues);
    map.set(key, set);
  }
  return set;
}
