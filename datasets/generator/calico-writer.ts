import { WINDOW_MS, type SimCluster, type SimWorkload } from './topology.ts';
import type { SimConnection, SimEndpoint, SimLookup } from './traffic.ts';

/** Calico's aggregated name for a workload's pods (`llm-infer-6b687c8dcb-*`, `postgres-*`). */
export function aggregatedName(w: SimWorkload): string {
  return w.kind === 'Deployment' || w.kind === 'CronJob' ? `${w.name}-${w.hash}-*` : `${w.name}-*`;
}

function labelList(w: SimWorkload): string[] {
  const labels = Object.entries(w.labels).map(([k, v]) => `${k}=${v}`);
  if (w.kind === 'Deployment') labels.push(`pod-template-hash=${w.hash}`);
  return labels;
}

/** The Calico view of one endpoint, as `source_*` or `dest_*` fields, from `cluster`'s side. */
function endpointFields(side: 'source' | 'dest', e: SimEndpoint, cluster: SimCluster): Record<string, unknown> {
  if (e.kind === 'pod' && e.cluster === cluster) {
    const fields: Record<string, unknown> = {
      [`${side}_ip`]: null, [`${side}_name`]: '-', [`${side}_name_aggr`]: aggregatedName(e.workload),
      [`${side}_namespace`]: e.workload.namespace, [`${side}_type`]: 'wep', [`${side}_labels`]: { labels: labelList(e.workload) },
    };
    if (side === 'dest') Object.assign(fields, { dest_service_name: e.workload.name, dest_service_namespace: e.workload.namespace, dest_service_port: 'http' });
    return fields;
  }
  const ip = e.kind === 'pod' ? e.workload.pods[e.pod]?.ip ?? null : e.kind === 'host' ? e.cluster.nodes[e.node]!.ip : e.ip;
  const aggregate = e.kind === 'public' ? 'pub' : 'pvt';
  const fields: Record<string, unknown> = {
    // Calico keeps destination IPs of networks; source IPs of networks are aggregated away.
    [`${side}_ip`]: side === 'dest' ? ip : null, [`${side}_name`]: '-', [`${side}_name_aggr`]: aggregate,
    [`${side}_namespace`]: '-', [`${side}_type`]: 'net', [`${side}_labels`]: '-',
  };
  if (side === 'dest') Object.assign(fields, { dest_service_name: '-', dest_service_namespace: '-', dest_service_port: '-', dest_domains: e.kind === 'public' && e.fqdn !== undefined ? [e.fqdn] : null });
  // A Service in front of a non-pod backend (the API server behind default/kubernetes): Calico names the Service.
  if (side === 'dest' && e.kind === 'private' && e.service !== undefined) Object.assign(fields, { dest_service_name: e.service.name, dest_service_namespace: e.service.namespace, dest_service_port: e.service.port });
  return fields;
}

function policy(namespace: string, denied: boolean, app: string): Record<string, string[]> {
  const entry = denied ? `0|default|${namespace}/default.default-deny|deny|-1` : `0|default|${namespace}/default.allow-${app}|allow|0`;
  return { all_policies: [entry], enforced_policies: [entry], pending_policies: [] };
}

/**
 * Writes the Calico flow-log records one simulated connection produces in `cluster`: one per
 * reporting side that is a pod of this cluster (pod-to-pod traffic is reported twice).
 */
export function calicoFlows(c: SimConnection, cluster: SimCluster): string[] {
  const start = Math.floor(c.window / 1000);
  const end = Math.floor((c.window + WINDOW_MS) / 1000);
  const lines: string[] = [];
  const srcHere = c.src.kind === 'pod' && c.src.cluster === cluster;
  const dstHere = c.dst.kind === 'pod' && c.dst.cluster === cluster;
  const owner = (srcHere ? c.src : c.dst) as Extract<SimEndpoint, { kind: 'pod' }>;
  const node = cluster.nodes[(owner.pod + owner.workload.name.length) % cluster.nodes.length]!.name;
  for (const reporter of ['src', 'dst'] as const) {
    if (reporter === 'src' ? !srcHere : !dstHere) continue;
    const fromSrc = reporter === 'src';
    const sent = c.denied ? Math.min(c.bytesOut, 60 * c.connections) : c.bytesOut;
    const received = c.denied ? 0 : c.bytesIn;
    const namespace = (fromSrc ? c.src : c.dst) as Extract<SimEndpoint, { kind: 'pod' }>;
    lines.push(JSON.stringify({
      start_time: start, end_time: end,
      ...endpointFields('source', c.src, cluster),
      source_port: null,
      ...endpointFields('dest', c.dst, cluster),
      dest_port: c.port,
      proto: c.protocol,
      action: c.denied ? 'deny' : 'allow',
      reporter,
      policies: policy(namespace.workload.namespace, c.denied, namespace.workload.name),
      bytes_in: fromSrc ? received : sent,
      bytes_out: fromSrc ? sent : received,
      packets_in: Math.ceil((fromSrc ? received : sent) / 1400) + (c.denied ? 0 : c.connections),
      packets_out: Math.ceil((fromSrc ? sent : received) / 1400) + c.connections,
      num_flows: c.connections,
      num_flows_started: c.connections,
      num_flows_completed: c.denied ? 0 : c.connections,
      host: node,
      '@timestamp': end * 1000,
    }));
  }
  return lines;
}

/** One Calico DNS-log record per simulated lookup aggregate. */
export function calicoDns(l: SimLookup): string {
  const coredns = l.cluster.workloads.get('kube-system/coredns')!;
  const rrsets = l.ips.length === 0 ? [] : [{ name: l.qname, type: l.qtype, class: 'IN', rdata: l.qtype === 'TXT' ? ['"ok"'] : l.ips }];
  return JSON.stringify({
    start_time: Math.floor(l.window / 1000), end_time: Math.floor((l.window + WINDOW_MS) / 1000),
    type: 'LOG', count: l.count,
    client_ip: null, client_name: '-', client_name_aggr: aggregatedName(l.client), client_namespace: l.client.namespace,
    client_labels: labelList(l.client),
    qname: l.qname, qtype: l.qtype, qclass: 'IN', rcode: l.rcode, rrsets,
    servers: [{ ip: '10.96.0.10', name: coredns.pods[0]!.name, name_aggr: aggregatedName(coredns), namespace: 'kube-system', labels: ['k8s-app=kube-dns'] }],
    latency_count: l.count, latency_mean: 400_000 + (l.qname.length % 7) * 50_000, latency_max: 2_000_000,
  });
}
