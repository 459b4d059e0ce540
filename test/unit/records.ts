import type { DnsRecord } from '../../src/model/dns-record.ts';
import type { Endpoint } from '../../src/model/endpoint.ts';
import type { FlowRecord } from '../../src/model/flow-record.ts';

/** Small builders of normalised records for unit tests of the stages after the parsers. */
export function pod(cluster: string, namespace: string, workload: string, labels: Record<string, string> = {}): Endpoint {
  return { cluster, namespace, workload, labels, kind: 'pod' };
}

export function publicIp(ip: string): Endpoint {
  return { cluster: '', namespace: '', workload: 'pub', ip, labels: {}, kind: 'public' };
}

export function privateIp(ip: string): Endpoint {
  return { cluster: '', namespace: '', workload: 'pvt', ip, labels: {}, kind: 'private' };
}

export function flow(at: number, src: Endpoint, dst: Endpoint, fields: Partial<FlowRecord> = {}): FlowRecord {
  return {
    kind: 'flow', format: 'calico-flow', windowStart: at, windowEnd: at + 300_000, src, dst, dstFqdns: [],
    protocol: 'tcp', action: 'allow', reporter: 'src', bytesToDst: 1000, bytesToSrc: 2000, packetsToDst: 10, packetsToSrc: 10,
    connections: 1, connectionsStarted: 1, connectionsCompleted: 1, dstPort: 443, ...fields,
  };
}

export function dns(at: number, client: Endpoint, qname: string, fields: Partial<DnsRecord> = {}): DnsRecord {
  return {
    kind: 'dns', format: 'calico-dns', windowStart: at, time: at + 300_000, client, qname, qtype: 'A', rcode: 'NOERROR',
    answers: [], count: 1, ...fields,
  };
}

export const MIN5 = 300_000;
export const T0 = Date.parse('2026-11-01T00:00:00Z');

/** When a role that `roleHistory` started at T0 has learned (6 h) and the judging view (30 min later) shows it. */
export const ROLE_LEARNED_AT = T0 + 7 * 3_600_000;

/**
 * One workload of `namespace` talking to a peer every window from T0 to `until`: the history a
 * role needs before its new workloads are told "never seen" (learning before judging).
 */
export function roleHistory(cluster: string, namespace: string, until = ROLE_LEARNED_AT): FlowRecord[] {
  const out: FlowRecord[] = [];
  for (let at = T0; at < until; at += MIN5) out.push(flow(at, pod(cluster, namespace, 'veteran'), pod(cluster, 'data', 'postgres'), { dstPort: 5432 }));
  return out;
}
