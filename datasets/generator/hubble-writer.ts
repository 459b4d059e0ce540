import type { Random } from './random.ts';
import { WINDOW_MS, type SimCluster } from './topology.ts';
import type { SimConnection, SimEndpoint, SimLookup } from './traffic.ts';

/** Forward events written per simulated connection aggregate: Hubble is per event, keep files small. */
const MAX_EVENTS = 24;

let uuidCounter = 0;
function uuid(random: Random): string {
  uuidCounter++;
  const hex = (n: number) => Array.from({ length: n }, () => random.int(0, 15).toString(16)).join('');
  return `${hex(8)}-${hex(4)}-4${hex(3)}-a${hex(3)}-${hex(12)}`;
}

/** The Hubble Endpoint of a simulated endpoint, seen from `cluster`. */
function endpoint(e: SimEndpoint): Record<string, unknown> {
  if (e.kind === 'pod') {
    const w = e.workload;
    const p = w.pods[e.pod]!;
    return {
      ID: 1000 + (p.ip.length * 37 + e.pod) % 3000,
      identity: 20000 + (w.name.length * 131 + w.namespace.length * 17) % 40000,
      cluster_name: e.cluster.name,
      namespace: w.namespace,
      labels: [...Object.entries(w.labels).map(([k, v]) => `k8s:${k}=${v}`), `k8s:io.kubernetes.pod.namespace=${w.namespace}`, `k8s:io.cilium.k8s.policy.cluster=${e.cluster.name}`],
      pod_name: p.name,
      workloads: [{ name: w.name, kind: w.kind }],
    };
  }
  if (e.kind === 'host') return { identity: 6, labels: ['reserved:remote-node'] };
  if (e.kind === 'private' && e.reserved === 'kube-apiserver') return { identity: 7, labels: ['reserved:kube-apiserver'] };
  return { identity: 2, labels: ['reserved:world'] };
}

function ipOf(e: SimEndpoint): string {
  if (e.kind === 'pod') return e.workload.pods[e.pod]!.ip;
  if (e.kind === 'host') return e.cluster.nodes[e.node]!.ip;
  return e.ip;
}

function iso(ms: number, random: Random): string {
  return new Date(ms).toISOString().replace('Z', `${String(random.int(0, 999999)).padStart(6, '0')}Z`);
}

export interface HubbleEvent {
  time: number;
  line: string;
}

/**
 * Hubble events for one simulated connection aggregate observed in `cluster`: at the source's
 * node (EGRESS) when the source is a local pod, else at the destination's node (INGRESS).
 */
export function hubbleFlows(c: SimConnection, cluster: SimCluster, random: Random, maxEvents = MAX_EVENTS): HubbleEvent[] {
  const events: HubbleEvent[] = [];
  const local = c.src.kind === 'pod' && c.src.cluster === cluster ? c.src : c.dst;
  const direction = local === c.src ? 'EGRESS' : 'INGRESS';
  const nodeName = `${cluster.name}/${cluster.nodes[(local.kind === 'pod' ? local.pod + local.workload.name.length : 0) % cluster.nodes.length]!.name}`;
  const n = Math.min(c.at?.length ?? c.connections, maxEvents);
  const spacing = WINDOW_MS / n;
  for (let i = 0; i < n; i++) {
    const at = c.at !== undefined ? c.at[i]! : c.window + Math.floor(i * spacing + random.next() * spacing * 0.9);
    const sport = random.int(32768, 60999);
    const forward = (reply: boolean, time: number) => {
      const [from, to] = reply ? [c.dst, c.src] : [c.src, c.dst];
      const flags = reply ? { SYN: true, ACK: true } : { SYN: true };
      const l4 = c.protocol === 'tcp'
        ? { TCP: { source_port: reply ? c.port : sport, destination_port: reply ? sport : c.port, flags } }
        : { UDP: { source_port: reply ? c.port : sport, destination_port: reply ? sport : c.port } };
      const flow: Record<string, unknown> = {
        time: iso(time, random), uuid: uuid(random),
        verdict: c.denied ? 'DROPPED' : 'FORWARDED',
        IP: { source: ipOf(from), destination: ipOf(to), ipVersion: 'IPv4' },
        l4,
        source: endpoint(from),
        destination: endpoint(to),
        Type: 'L3_L4',
        node_name: nodeName,
        event_type: { type: c.denied ? 1 : 4 },
        traffic_direction: direction,
        is_reply: reply,
        Summary: reply ? 'TCP Flags: SYN, ACK' : 'TCP Flags: SYN',
      };
      if (c.denied) Object.assign(flow, { drop_reason: 133, drop_reason_desc: 'POLICY_DENIED' });
      const serviceSide = reply ? from : to;
      if (serviceSide.kind === 'private' && serviceSide.service !== undefined) flow[reply ? 'source_service' : 'destination_service'] = { name: serviceSide.service.name, namespace: serviceSide.service.namespace };
      const publicSide = reply ? from : to;
      if (publicSide.kind === 'public' && publicSide.fqdn !== undefined) flow[reply ? 'source_names' : 'destination_names'] = [`${publicSide.fqdn}.`];
      events.push({ time, line: JSON.stringify({ flow, node_name: nodeName, time: flow.time }) });
    };
    forward(false, at);
    if (!c.denied && c.noReply !== true) forward(true, at + random.int(1, 40));
  }
  return events;
}

/** L7 DNS response events for a simulated lookup aggregate (Hubble's DNS proxy view). */
export function hubbleDns(l: SimLookup, random: Random, maxEvents = MAX_EVENTS * 4): HubbleEvent[] {
  const coredns = l.cluster.workloads.get('kube-system/coredns')!;
  const server: SimEndpoint = { kind: 'pod', cluster: l.cluster, workload: coredns, pod: 0 };
  const client: SimEndpoint = { kind: 'pod', cluster: l.cluster, workload: l.client, pod: l.pod };
  const node = `${l.cluster.name}/${l.cluster.nodes[l.pod % l.cluster.nodes.length]!.name}`;
  const events: HubbleEvent[] = [];
  const n = Math.min(l.count, maxEvents);
  for (let i = 0; i < n; i++) {
    const time = l.window + Math.floor(((i + random.next()) / n) * WINDOW_MS * 0.98);
    const flow = {
      time: iso(time, random), uuid: uuid(random), verdict: 'FORWARDED',
      IP: { source: ipOf(server), destination: ipOf(client), ipVersion: 'IPv4' },
      l4: { UDP: { source_port: 53, destination_port: random.int(32768, 60999) } },
      source: endpoint(server), destination: endpoint(client),
      Type: 'L7', node_name: node,
      l7: {
        type: 'RESPONSE', latency_ns: String(random.int(200_000, 3_000_000)),
        dns: { query: `${l.qname}.`, ips: l.ips, ttl: l.ttl, cnames: [], observation_source: 'proxy', rcode: l.rcode === 'NXDomain' ? 3 : 0, qtypes: [l.qtype], rrtypes: l.ips.length > 0 ? [l.qtype] : [] },
      },
      event_type: { type: 129 }, traffic_direction: 'EGRESS', is_reply: true,
      Summary: `DNS Answer TTL: ${l.ttl} (Proxy ${l.qname}. ${l.qtype})`,
    };
    events.push({ time, line: JSON.stringify({ flow, node_name: node, time: flow.time }) });
  }
  return events;
}
