import type { SimCluster, SimWorkload } from './topology.ts';

/** A side of a simulated connection, independent of the format it will be written in. */
export type SimEndpoint =
  | { kind: 'pod'; cluster: SimCluster; workload: SimWorkload; pod: number }
  | { kind: 'public'; ip: string; fqdn?: string }
  | { kind: 'private'; ip: string; service?: { name: string; namespace: string; port: string }; reserved?: string }
  | { kind: 'host'; cluster: SimCluster; node: number };

/** Connections between two endpoints within one 5-minute window. */
export interface SimConnection {
  window: number;
  src: SimEndpoint;
  dst: SimEndpoint;
  port: number;
  protocol: 'tcp' | 'udp';
  connections: number;
  bytesOut: number;
  bytesIn: number;
  denied: boolean;
  /** Start times (ms) of the connections, when they matter (Hubble writes one event per connection at these times). */
  at?: number[];
  /** Nobody answers (a probe of an unused address): Hubble writes no reply event. */
  noReply?: boolean;
  /** Set on attack traffic: the scenario it belongs to (never written out). */
  scenario?: string;
}

/** DNS lookups of one name by one workload within one window. */
export interface SimLookup {
  window: number;
  cluster: SimCluster;
  client: SimWorkload;
  pod: number;
  qname: string;
  qtype: string;
  rcode: 'NoError' | 'NXDomain';
  ips: string[];
  ttl: number;
  count: number;
  scenario?: string;
}

export interface SimWindow {
  connections: SimConnection[];
  lookups: SimLookup[];
}

export function pod(cluster: SimCluster, workload: SimWorkload, index = 0): SimEndpoint {
  return { kind: 'pod', cluster, workload, pod: index % Math.max(1, workload.pods.length) };
}
