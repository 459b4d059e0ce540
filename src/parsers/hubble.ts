/**
 * Cilium Hubble flows, as written by `hubble observe -o json` and the Hubble exporter
 * (`{"flow":{…},"node_name":"…","time":"…"}` per line; a bare Flow is accepted too).
 * Field reference: cilium/cilium api/v1/flow/flow.proto (protojson with original names).
 *
 *   time                       RFC 3339, nanoseconds
 *   verdict                    FORWARDED | DROPPED | ERROR | AUDIT | REDIRECTED | TRACED | TRANSLATED
 *   drop_reason_desc           POLICY_DENIED, POLICY_DENY…
 *   IP                         {source, destination, ipVersion}
 *   l4                         {TCP: {source_port, destination_port, flags}} | {UDP: …} | {ICMPv4: …} | …
 *   source, destination        Endpoint {ID, identity, cluster_name, namespace, labels["k8s:app=x"], pod_name, workloads[{name, kind}]}
 *   Type                       L3_L4 | L7 | SOCK
 *   node_name                  `cluster/node`
 *   source_names, destination_names   DNS names from Cilium's FQDN cache
 *   l7                         {type: REQUEST | RESPONSE, latency_ns, dns: {query, ips, ttl, cnames, rcode, qtypes, rrtypes}}
 *   destination_service        {name, namespace}
 *   traffic_direction          INGRESS | EGRESS (of the connection, as seen by the local endpoint)
 *   is_reply                   true on packets of the reply direction (may be absent)
 *
 * Hubble flows are per-event: no byte counters, so each event counts one packet.
 */
import type { SkipReason } from '../errors.ts';
import { NO_LABELS, type Endpoint, type EndpointKind } from '../model/endpoint.ts';
import { NO_ANSWERS, type DnsAnswer, type DnsRecord } from '../model/dns-record.ts';
import { NO_FQDNS, type FlowRecord, type Protocol } from '../model/flow-record.ts';
import type { NormalizedRecord } from '../model/normalized-record.ts';
import { recordKey } from '../model/workload.ts';
import { cachedWorkloadFromPodName } from '../model/workload-name.ts';
import {
  checkNotFuture, FieldError, isObject, optionalObject, optionalPort, requireRfc3339,
  typeName, type JsonObject,
} from './field-reader.ts';
import { normalizeQname, rcodeName } from './dns-names.ts';
import { isPrivateIp } from './ip-address.ts';
import { parseLabels } from './labels.ts';
import type { ParseContext } from './parse-context.ts';
import { invalid, ok, skipped, type ParseOutcome, type Route } from './parse-outcome.ts';

const ALLOWED_VERDICTS = new Set(['FORWARDED', 'AUDIT', 'REDIRECTED', 'TRACED', 'TRANSLATED']);
const DENIED_VERDICTS = new Set(['DROPPED', 'ERROR']);

export function parseHubble(obj: JsonObject, ctx: ParseContext): ParseOutcome {
  try {
    const read = readHubble(obj, ctx);
    return typeof read === 'string' ? skipped(read) : ok(read);
  } catch (error) {
    if (error instanceof FieldError) return invalid(error.reason, error.message);
    throw error;
  }
}

/**
 * The record of a Hubble line, or why it is skipped; throws FieldError for a bad field
 * (parseHubble's outcome, unwrapped). The same decisions as classify, without its object.
 */
export function readHubble(obj: JsonObject, ctx: ParseContext): NormalizedRecord | SkipReason {
  const flow = unwrap(obj);
  if (flow === undefined) return 'hubble-not-a-flow';
  const l7 = optionalObject(flow, 'l7', 'flow.');
  if (flow.Type === 'L7' || l7 !== undefined) {
    const dns = l7 === undefined ? undefined : optionalObject(l7, 'dns', 'flow.l7.');
    if (l7 === undefined || dns === undefined) return 'hubble-l7-other';
    if (l7.type === 'REQUEST') return 'hubble-dns-request';
    return toDnsRecord(obj, flow, l7, dns, ctx);
  }
  return toFlowRecord(obj, flow, ctx);
}

/**
 * A replay's routing of a line (replay --to kafka): event time and key from the endpoints alone,
 * with no record built and no labels read where a pod names the endpoint. Undefined for lines
 * parseHubble skips; throws FieldError where parseHubble would reject the same fields.
 */
export function routeHubble(obj: JsonObject, ctx: ParseContext): Route | undefined {
  const event = classify(obj);
  if (event.type === 'skip') return undefined;
  const { flow } = event;
  const time = eventTime(obj, flow, ctx);
  const defaultCluster = nodeCluster(flow.node_name ?? obj.node_name) || ctx.cluster;
  const ip = optionalObject(flow, 'IP', 'flow.');
  const source = () => endpoint(flow.source, ip?.source, defaultCluster, 'flow.source', false);
  const destination = () => endpoint(flow.destination, ip?.destination, defaultCluster, 'flow.destination', false);
  if (event.type === 'dns') return { time, key: recordKey('dns', isResponse(flow, readL4(flow.l4)) ? destination() : source(), undefined) };
  const [src, dst] = flow.is_reply === true ? [destination(), source()] : [source(), destination()];
  return { time, key: recordKey('flow', src, dst) };
}

type HubbleEvent =
  | { type: 'flow'; flow: JsonObject }
  | { type: 'dns'; flow: JsonObject; l7: JsonObject; dns: JsonObject }
  | { type: 'skip'; reason: SkipReason };

/** What a line is: an L3/L4 flow, a DNS response, or something flowhound does not read. */
function classify(obj: JsonObject): HubbleEvent {
  const flow = unwrap(obj);
  if (flow === undefined) return { type: 'skip', reason: 'hubble-not-a-flow' };
  const l7 = optionalObject(flow, 'l7', 'flow.');
  if (flow.Type === 'L7' || l7 !== undefined) {
    const dns = l7 === undefined ? undefined : optionalObject(l7, 'dns', 'flow.l7.');
    if (l7 === undefined || dns === undefined) return { type: 'skip', reason: 'hubble-l7-other' };
    if (l7.type === 'REQUEST') return { type: 'skip', reason: 'hubble-dns-request' };
    return { type: 'dns', flow, l7, dns };
  }
  return { type: 'flow', flow };
}

/** A DNS response travels server → client: the client is whichever side is not on port 53. */
function isResponse(flow: JsonObject, l4: L4): boolean {
  return l4.srcPort === 53 || (l4.srcPort === undefined && flow.is_reply === true);
}

/** The exporter's `GetFlowsResponse` wrapper, or a bare Flow; undefined for other exporter lines. */
function unwrap(obj: JsonObject): JsonObject | undefined {
  const inner = obj.flow;
  if (inner !== undefined) {
    if (!isObject(inner)) throw new FieldError('invalid-field', `flow must be an object, got ${typeName(inner)}`);
    return inner;
  }
  if ('verdict' in obj || 'IP' in obj || 'l4' in obj || 'source' in obj) return obj;
  return undefined;
}

function eventTime(wrapper: JsonObject, flow: JsonObject, ctx: ParseContext): number {
  const time = flow.time !== undefined ? requireRfc3339(flow, 'time', 'flow.') : requireRfc3339(wrapper, 'time');
  checkNotFuture(time, ctx.now, ctx.maxFutureSkewMs, 'flow.time');
  return time;
}

function toFlowRecord(wrapper: JsonObject, flow: JsonObject, ctx: ParseContext): FlowRecord {
  const time = eventTime(wrapper, flow, ctx);
  const verdict = flow.verdict;
  if (verdict === undefined || verdict === null) throw new FieldError('missing-field', 'flow.verdict is required');
  if (typeof verdict !== 'string' || (!ALLOWED_VERDICTS.has(verdict) && !DENIED_VERDICTS.has(verdict))) {
    throw new FieldError('invalid-field', `flow.verdict must be a Hubble verdict such as FORWARDED or DROPPED, got ${JSON.stringify(verdict)}`);
  }
  const nodeName = flow.node_name ?? wrapper.node_name;
  const defaultCluster = nodeCluster(nodeName) || ctx.cluster;
  const ip = optionalObject(flow, 'IP', 'flow.');
  const source = endpoint(flow.source, ip?.source, defaultCluster, 'flow.source');
  const destination = endpoint(flow.destination, ip?.destination, defaultCluster, 'flow.destination');
  const l4 = readL4(flow.l4);
  // Reply packets travel responder → initiator; flip them so the record describes the connection.
  const isReply = flow.is_reply === true;
  const src = isReply ? destination : source;
  const dst = isReply ? source : destination;
  const srcPort = isReply ? l4.dstPort : l4.srcPort;
  const dstPort = isReply ? l4.srcPort : l4.dstPort;
  const fqdns = names(isReply ? flow.source_names : flow.destination_names);
  const service = isReply ? flow.source_service : flow.destination_service;
  const node = nodeOf(nodeName);

  const denied = DENIED_VERDICTS.has(verdict);
  // Every field in one literal, the optional ones last (undefined when absent, in the order
  // JSON output lists them): one shape for all Hubble flows (see readCalicoFlow).
  const record: FlowRecord = {
    kind: 'flow',
    format: 'hubble',
    windowStart: time,
    windowEnd: time,
    src,
    dst,
    dstFqdns: fqdns,
    protocol: l4.protocol,
    action: denied ? 'deny' : 'allow',
    reporter: flow.traffic_direction === 'EGRESS' ? 'src' : flow.traffic_direction === 'INGRESS' ? 'dst' : 'unknown',
    bytesToDst: 0,
    bytesToSrc: 0,
    packetsToDst: isReply ? 0 : 1,
    packetsToSrc: isReply ? 1 : 0,
    connections: isReply ? 0 : 1,
    connectionsStarted: l4.syn && !l4.ack && !isReply ? 1 : 0,
    connectionsCompleted: l4.finOrRst ? 1 : 0,
    node: node !== '' ? node : undefined,
    srcPort,
    dstPort,
    dstService: isObject(service) && typeof service.name === 'string' && service.name !== ''
      ? { name: service.name, namespace: typeof service.namespace === 'string' ? service.namespace : dst.namespace }
      : undefined,
    denyReason: denied && typeof flow.drop_reason_desc === 'string' ? flow.drop_reason_desc : undefined,
    label: undefined,
    row: ctx.line,
  };
  return record;
}

function toDnsRecord(wrapper: JsonObject, flow: JsonObject, l7: JsonObject, dns: JsonObject, ctx: ParseContext): DnsRecord {
  const time = eventTime(wrapper, flow, ctx);
  const query = dns.query;
  if (typeof query !== 'string' || query === '') throw new FieldError('missing-field', 'flow.l7.dns.query is required');
  if (query.length > 254) throw new FieldError('out-of-range', `flow.l7.dns.query is ${query.length} characters; DNS names are at most 253`);
  const defaultCluster = nodeCluster(flow.node_name ?? wrapper.node_name) || ctx.cluster;
  const ip = optionalObject(flow, 'IP', 'flow.');
  const l4 = readL4(flow.l4);
  const responseDirection = isResponse(flow, l4);
  const client = responseDirection
    ? endpoint(flow.destination, ip?.destination, defaultCluster, 'flow.destination')
    : endpoint(flow.source, ip?.source, defaultCluster, 'flow.source');
  const server = responseDirection
    ? endpoint(flow.source, ip?.source, defaultCluster, 'flow.source')
    : endpoint(flow.destination, ip?.destination, defaultCluster, 'flow.destination');

  const ttl = typeof dns.ttl === 'number' ? dns.ttl : undefined;
  let answers: DnsAnswer[] = [];
  const qname = normalizeQname(query);
  if (Array.isArray(dns.ips)) {
    for (const address of dns.ips) {
      if (typeof address !== 'string') continue;
      const answer: DnsAnswer = { name: qname, type: address.includes(':') ? 'AAAA' : 'A', data: address };
      if (ttl !== undefined) answer.ttl = ttl;
      answers.push(answer);
    }
  }
  if (Array.isArray(dns.cnames)) {
    for (const cname of dns.cnames) if (typeof cname === 'string') answers.push({ name: qname, type: 'CNAME', data: normalizeQname(cname) });
  }
  if (answers.length === 0) answers = NO_ANSWERS;
  const qtypes = dns.qtypes;
  const rcode = dns.rcode;
  const record: DnsRecord = {
    kind: 'dns',
    format: 'hubble',
    windowStart: time,
    time,
    client,
    server,
    qname,
    qtype: Array.isArray(qtypes) && typeof qtypes[0] === 'string' ? qtypes[0] : '',
    rcode: typeof rcode === 'number' || typeof rcode === 'string' ? rcodeName(rcode) : 'NOERROR',
    answers,
    count: 1,
    row: ctx.line,
  };
  if (typeof l7.latency_ns === 'number' || typeof l7.latency_ns === 'string') {
    const latency = Number(l7.latency_ns);
    if (Number.isFinite(latency) && latency >= 0) record.latencyMeanNs = record.latencyMaxNs = latency;
  }
  return record;
}

interface L4 {
  protocol: Protocol;
  srcPort: number | undefined;
  dstPort: number | undefined;
  syn: boolean;
  ack: boolean;
  finOrRst: boolean;
}

/**
 * What readL4 returns: one object, filled afresh by each call (every caller reads it at once),
 * so that a flow costs no L4 object.
 */
const scratch: L4 = { protocol: 'other', srcPort: undefined, dstPort: undefined, syn: false, ack: false, finOrRst: false };

function filled(protocol: Protocol, srcPort: number | undefined, dstPort: number | undefined, syn: boolean, ack: boolean, finOrRst: boolean): L4 {
  scratch.protocol = protocol;
  scratch.srcPort = srcPort;
  scratch.dstPort = dstPort;
  scratch.syn = syn;
  scratch.ack = ack;
  scratch.finOrRst = finOrRst;
  return scratch;
}

function readL4(value: unknown): L4 {
  if (value === undefined || value === null) return filled('other', undefined, undefined, false, false, false);
  if (!isObject(value)) throw new FieldError('invalid-field', `flow.l4 must be an object, got ${typeName(value)}`);
  const tcp = optionalObject(value, 'TCP', 'flow.l4.');
  if (tcp !== undefined) {
    const flags = isObject(tcp.flags) ? tcp.flags : undefined;
    const srcPort = optionalPort(tcp, 'source_port', 'flow.l4.TCP.');
    const dstPort = optionalPort(tcp, 'destination_port', 'flow.l4.TCP.');
    if (flags === undefined) return filled('tcp', srcPort, dstPort, false, false, false);
    return filled('tcp', srcPort, dstPort, flags.SYN === true, flags.ACK === true, flags.FIN === true || flags.RST === true);
  }
  const udp = optionalObject(value, 'UDP', 'flow.l4.') ?? optionalObject(value, 'SCTP', 'flow.l4.');
  if (udp !== undefined) {
    const protocol = value.UDP !== undefined ? 'udp' : 'sctp';
    return filled(protocol, optionalPort(udp, 'source_port', 'flow.l4.'), optionalPort(udp, 'destination_port', 'flow.l4.'), false, false, false);
  }
  if (value.ICMPv4 !== undefined) return filled('icmp', undefined, undefined, false, false, false);
  if (value.ICMPv6 !== undefined) return filled('icmpv6', undefined, undefined, false, false, false);
  return filled('other', undefined, undefined, false, false, false);
}

/** The cluster part of a node name (`topgun/cilium-w1` → `topgun`); '' when none. */
function nodeCluster(value: unknown): string {
  if (typeof value !== 'string') return '';
  const slash = value.indexOf('/');
  return slash < 0 ? '' : value.slice(0, slash);
}

/** The node part of a node name (`topgun/cilium-w1` → `cilium-w1`); '' when none. */
function nodeOf(value: unknown): string {
  if (typeof value !== 'string') return '';
  const slash = value.indexOf('/');
  return slash < 0 ? value : value.slice(slash + 1);
}

/**
 * `readLabels` false (routing): labels are read only when no pod names the endpoint, as only
 * then do they decide its kind and name; otherwise they are left empty.
 */
const LABELS_FIELD = { 'flow.source': 'flow.source.labels', 'flow.destination': 'flow.destination.labels' } as const;

function endpoint(value: unknown, ip: unknown, defaultCluster: string, path: 'flow.source' | 'flow.destination', readLabels = true): Endpoint {
  if (value !== undefined && value !== null && !isObject(value)) throw new FieldError('invalid-field', `${path} must be an object, got ${typeName(value)}`);
  const ep: JsonObject = value ?? {};
  const pod = typeof ep.pod_name === 'string' && ep.pod_name !== '' ? ep.pod_name : undefined;
  const labels = readLabels || pod === undefined ? parseLabels(ep.labels, LABELS_FIELD[path]) : NO_LABELS;
  const address = typeof ip === 'string' && ip !== '' ? ip : undefined;
  const kind = endpointKind(labels, pod, address);
  const namespace = typeof ep.namespace === 'string' ? ep.namespace : '';

  let workload: string;
  let workloadKind: string | undefined;
  const owner = Array.isArray(ep.workloads) && isObject(ep.workloads[0]) ? ep.workloads[0] : undefined;
  if (owner !== undefined && typeof owner.name === 'string' && owner.name !== '') {
    workload = owner.name;
    if (typeof owner.kind === 'string') workloadKind = owner.kind;
  } else if (pod !== undefined) {
    workload = cachedWorkloadFromPodName(pod);
  } else {
    workload = kind === 'public' ? 'pub' : kind === 'private' ? 'pvt' : reservedName(labels) ?? kind;
  }

  const clusterName = typeof ep.cluster_name === 'string' && ep.cluster_name !== '' ? ep.cluster_name : undefined;
  // One literal, optional fields included (see readCalicoFlow).
  const result: Endpoint = {
    cluster: clusterName ?? (kind === 'public' || kind === 'private' ? '' : defaultCluster),
    namespace,
    workload,
    labels,
    kind,
    workloadKind,
    pod,
    ip: address,
  };
  return result;
}

function endpointKind(labels: Record<string, string>, pod: string | undefined, ip: string | undefined): EndpointKind {
  if (pod !== undefined) return 'pod';
  // Cilium calls every address outside its identities "world", including private ranges (VPC peers).
  if ('reserved:world' in labels || 'reserved:world-ipv4' in labels || 'reserved:world-ipv6' in labels) return ip !== undefined && isPrivateIp(ip) ? 'private' : 'public';
  if ('reserved:host' in labels || 'reserved:remote-node' in labels || 'reserved:kube-apiserver' in labels || 'reserved:health' in labels) return 'host';
  for (const key in labels) if (key.startsWith('cidr:') || key.startsWith('fqdn:')) return 'networkset';
  if (ip !== undefined) return isPrivateIp(ip) ? 'private' : 'public';
  return 'unknown';
}

function reservedName(labels: Record<string, string>): string | undefined {
  for (const key in labels) if (key.startsWith('reserved:')) return key.slice(9);
  return undefined;
}

/** Kept here for existing imports; the helper lives in ip-address.ts. */
export { isPrivateIp };

function names(value: unknown): string[] {
  if (!Array.isArray(value) || value.length === 0) return NO_FQDNS;
  let out: string[] | undefined;
  for (const name of value) if (typeof name === 'string' && name !== '') (out ??= []).push(normalizeQname(name));
  return out ?? NO_FQDNS;
}
