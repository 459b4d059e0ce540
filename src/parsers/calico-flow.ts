/**
 * Calico Enterprise / Calico Cloud flow logs (`flows.log`, one JSON object per line).
 * Field reference: docs.tigera.io calico-enterprise/observability/elastic/flow/datatypes.
 *
 *   start_time, end_time      UNIX seconds, the aggregation window
 *   action                    allow | deny
 *   reporter                  src | dst — bytes_in/out are from the reporter's point of view
 *   source_/dest_type         wep (pod) | hep (host) | ns (NetworkSet) | net (network)
 *   source_/dest_name_aggr    `nginx-86c57db685-*`, or `pub` / `pvt` for networks
 *   source_/dest_ip, _name    null / `-` when aggregated
 *   dest_port, proto          null port for ICMP
 *   dest_service_*            `-` when no Service
 *   dest_domains              names linked to the destination IP (egress)
 *   bytes_/packets_in/out, num_flows, num_flows_started, num_flows_completed
 *   policies.enforced_policies  `"<index>|<tier>|<policy>|<action>|<ruleIndex>"`
 */
import { NO_LABELS, type Endpoint, type EndpointKind } from '../model/endpoint.ts';
import { NO_FQDNS, type FlowRecord } from '../model/flow-record.ts';
import { recordKey } from '../model/workload.ts';
import { cachedWorkloadFromPodName } from '../model/workload-name.ts';
import {
  checkNotFuture, FieldError, isObject, optionalCount, optionalPort, optionalString,
  requireCount, requireEpochSeconds, requireString, type JsonObject,
} from './field-reader.ts';
import { parseLabels } from './labels.ts';
import type { ParseContext } from './parse-context.ts';
import { invalid, ok, type ParseOutcome, type Route } from './parse-outcome.ts';
import { normalizeProtocol } from './protocol.ts';

/** Longest aggregation window accepted; Calico's default is 5 minutes. */
const MAX_WINDOW_MS = 24 * 3600 * 1000;

export function parseCalicoFlow(obj: JsonObject, ctx: ParseContext): ParseOutcome {
  try {
    return ok(readCalicoFlow(obj, ctx));
  } catch (error) {
    if (error instanceof FieldError) return invalid(error.reason, error.message);
    throw error;
  }
}

/**
 * A replay's routing of a line (replay --to kafka): event time and key from those fields alone,
 * with no record built and no labels read. Throws FieldError where parseCalicoFlow would
 * reject the same fields.
 */
export function routeCalicoFlow(obj: JsonObject, ctx: ParseContext): Route {
  const time = requireEpochSeconds(obj, 'end_time');
  return { time, key: recordKey('flow', endpoint(obj, 'source', ctx.cluster, false), endpoint(obj, 'dest', ctx.cluster, false)) };
}

/** The record of a flow-log line; throws FieldError for a bad field (parseCalicoFlow's outcome, unwrapped). */
export function readCalicoFlow(obj: JsonObject, ctx: ParseContext): FlowRecord {
  const windowStart = requireEpochSeconds(obj, 'start_time');
  const windowEnd = requireEpochSeconds(obj, 'end_time');
  if (windowEnd < windowStart) throw new FieldError('out-of-range', 'end_time is before start_time');
  if (windowEnd - windowStart > MAX_WINDOW_MS) throw new FieldError('out-of-range', 'the window between start_time and end_time is longer than 24 h');
  checkNotFuture(windowEnd, ctx.now, ctx.maxFutureSkewMs, 'end_time');

  const action = requireString(obj, 'action');
  if (action !== 'allow' && action !== 'deny') throw new FieldError('invalid-field', `action must be allow or deny, got ${JSON.stringify(action)}`);
  const reporterText = optionalString(obj, 'reporter');
  if (reporterText !== undefined && reporterText !== 'src' && reporterText !== 'dst') {
    throw new FieldError('invalid-field', `reporter must be src or dst, got ${JSON.stringify(reporterText)}`);
  }
  const reporter = reporterText ?? 'unknown';

  const proto = obj.proto;
  if (proto === undefined || proto === null) throw new FieldError('missing-field', 'proto is required');
  if (typeof proto !== 'string' && typeof proto !== 'number') throw new FieldError('invalid-field', 'proto must be a string');

  const src = endpoint(obj, 'source', ctx.cluster);
  const dst = endpoint(obj, 'dest', ctx.cluster);

  // bytes_in/out are from the reporter's side: reporter=dst receives what the source sends.
  const bytesIn = requireCount(obj, 'bytes_in');
  const bytesOut = requireCount(obj, 'bytes_out');
  const packetsIn = optionalCount(obj, 'packets_in', 0);
  const packetsOut = optionalCount(obj, 'packets_out', 0);
  const fromDst = reporter === 'dst';

  // Read in this order, which decides which bad field a rejection names.
  const connections = optionalCount(obj, 'num_flows', 1);
  const connectionsStarted = optionalCount(obj, 'num_flows_started', 0);
  const connectionsCompleted = optionalCount(obj, 'num_flows_completed', 0);
  const node = optionalString(obj, 'host');
  const srcPort = optionalPort(obj, 'source_port');
  const dstPort = optionalPort(obj, 'dest_port');
  const serviceName = optionalString(obj, 'dest_service_name');
  let dstService: FlowRecord['dstService'];
  if (serviceName !== undefined) {
    const port = obj.dest_service_port;
    dstService = { name: serviceName, namespace: optionalString(obj, 'dest_service_namespace') ?? dst.namespace };
    if ((typeof port === 'number' || typeof port === 'string') && port !== '-') dstService.port = port;
  }
  // Every field in one literal, the optional ones last (undefined when absent, in the order
  // JSON output lists them): records of one format share one shape, which keeps the property
  // reads downstream monomorphic.
  const record: FlowRecord = {
    kind: 'flow',
    format: 'calico-flow',
    windowStart,
    windowEnd,
    src,
    dst,
    dstFqdns: domains(obj.dest_domains),
    protocol: normalizeProtocol(proto),
    action,
    reporter,
    bytesToDst: fromDst ? bytesIn : bytesOut,
    bytesToSrc: fromDst ? bytesOut : bytesIn,
    packetsToDst: fromDst ? packetsIn : packetsOut,
    packetsToSrc: fromDst ? packetsOut : packetsIn,
    connections,
    connectionsStarted,
    connectionsCompleted,
    node,
    srcPort,
    dstPort,
    dstService,
    denyReason: action === 'deny' ? denyingPolicy(obj.policies) : undefined,
    label: undefined,
    row: ctx.line,
  };
  return record;
}

const ENDPOINT_KIND: Record<string, EndpointKind> = { wep: 'pod', hep: 'host', ns: 'networkset', net: 'unknown' };

/** Field names per side, spelled once: property reads with built names are the slow kind. */
const FIELDS = {
  source: { type: 'source_type', aggregate: 'source_name_aggr', namespace: 'source_namespace', labels: 'source_labels', name: 'source_name', ip: 'source_ip' },
  dest: { type: 'dest_type', aggregate: 'dest_name_aggr', namespace: 'dest_namespace', labels: 'dest_labels', name: 'dest_name', ip: 'dest_ip' },
} as const;

/** `readLabels` false: labels left empty (routing keys on cluster, namespace and workload only). */
function endpoint(obj: JsonObject, side: 'source' | 'dest', cluster: string, readLabels = true): Endpoint {
  const field = FIELDS[side];
  const type = requireString(obj, field.type);
  let kind = ENDPOINT_KIND[type];
  if (kind === undefined) throw new FieldError('invalid-field', `${field.type} must be wep, hep, ns or net, got ${JSON.stringify(type)}`);
  const aggregate = requireString(obj, field.aggregate);
  if (kind === 'unknown') kind = aggregate === 'pub' ? 'public' : aggregate === 'pvt' ? 'private' : 'unknown';

  // Read in this order, which decides which bad field a rejection names.
  const namespace = optionalString(obj, field.namespace) ?? '';
  const labels = readLabels ? parseLabels(obj[field.labels], field.labels) : NO_LABELS;
  const pod = optionalString(obj, field.name);
  const ip = obj[field.ip];
  // One literal, optional fields included (see readCalicoFlow).
  const endpoint: Endpoint = {
    // Networks outside the cluster belong to no cluster.
    cluster: kind === 'public' || kind === 'private' ? '' : cluster,
    namespace,
    workload: kind === 'pod' ? cachedWorkloadFromPodName(aggregate) : aggregate,
    labels,
    kind,
    pod: kind === 'pod' ? pod : undefined,
    ip: typeof ip === 'string' && ip !== '' && ip !== '-' ? ip : undefined,
  };
  return endpoint;
}

function domains(value: unknown): string[] {
  if (!Array.isArray(value) || value.length === 0) return NO_FQDNS;
  let names: string[] | undefined;
  for (const item of value) if (typeof item === 'string' && item !== '-') (names ??= []).push(item.toLowerCase());
  return names ?? NO_FQDNS;
}

/** `"0|default|ml/default.deny-egress|deny|-1"` → `default/ml/default.deny-egress`. */
function denyingPolicy(policies: unknown): string | undefined {
  if (!isObject(policies)) return undefined;
  const enforced = policies.enforced_policies ?? policies.all_policies;
  if (!Array.isArray(enforced)) return undefined;
  for (const entry of enforced) {
    if (typeof entry !== 'string') continue;
    const parts = entry.split('|');
    if (parts[3] === 'deny') return `${parts[1]}/${parts[2]}`;
  }
  return undefined;
}
