/**
 * Calico Enterprise / Calico Cloud DNS logs (`dns.log`, one JSON object per line).
 * Field reference: docs.tigera.io calico-enterprise/observability/elastic/dns/dns-logs.
 *
 *   start_time, end_time     UNIX seconds, the collection window
 *   type                     LOG | UNLOGGED (over the per-node limit: only `count` is set)
 *   count                    lookups this record stands for
 *   client_ip, client_name   null / `-` when aggregated
 *   client_name_aggr, client_namespace, client_labels
 *   qname, qtype, qclass, rcode (`NoError`, `NXDomain`…)
 *   rrsets                   [{name, type, class, rdata[]}]
 *   servers                  [{ip, name, name_aggr, namespace, labels[]}]
 *   latency_count, latency_mean, latency_max   nanoseconds
 */
import { NO_LABELS, type Endpoint } from '../model/endpoint.ts';
import type { SkipReason } from '../errors.ts';
import { NO_ANSWERS, type DnsAnswer, type DnsRecord } from '../model/dns-record.ts';
import { recordKey } from '../model/workload.ts';
import { cachedWorkloadFromPodName } from '../model/workload-name.ts';
import {
  checkNotFuture, FieldError, isObject, optionalCount, optionalString, requireCount,
  requireEpochSeconds, requireString, type JsonObject,
} from './field-reader.ts';
import { normalizeQname, rcodeName } from './dns-names.ts';
import { parseLabels } from './labels.ts';
import type { ParseContext } from './parse-context.ts';
import { invalid, ok, skipped, type ParseOutcome, type Route } from './parse-outcome.ts';

export function parseCalicoDns(obj: JsonObject, ctx: ParseContext): ParseOutcome {
  try {
    const read = readCalicoDns(obj, ctx);
    return typeof read === 'string' ? skipped(read) : ok(read);
  } catch (error) {
    if (error instanceof FieldError) return invalid(error.reason, error.message);
    throw error;
  }
}

/** A replay's routing of a line (see routeCalicoFlow); undefined for lines parseCalicoDns skips. */
export function routeCalicoDns(obj: JsonObject, ctx: ParseContext): Route | undefined {
  if (obj.type === 'UNLOGGED') return undefined;
  const time = requireEpochSeconds(obj, 'end_time');
  return { time, key: recordKey('dns', client(obj, ctx.cluster, false), undefined) };
}

/** The record of a DNS-log line, or why it is skipped; throws FieldError for a bad field (parseCalicoDns's outcome, unwrapped). */
export function readCalicoDns(obj: JsonObject, ctx: ParseContext): DnsRecord | SkipReason {
  if (obj.type === 'UNLOGGED') return 'calico-dns-unlogged';
  return toDnsRecord(obj, ctx);
}

function toDnsRecord(obj: JsonObject, ctx: ParseContext): DnsRecord {
  const windowStart = requireEpochSeconds(obj, 'start_time');
  const time = requireEpochSeconds(obj, 'end_time');
  if (time < windowStart) throw new FieldError('out-of-range', 'end_time is before start_time');
  checkNotFuture(time, ctx.now, ctx.maxFutureSkewMs, 'end_time');

  const qname = requireString(obj, 'qname');
  if (qname.length > 253 + 1) throw new FieldError('out-of-range', `qname is ${qname.length} characters; DNS names are at most 253`);

  const record: DnsRecord = {
    kind: 'dns',
    format: 'calico-dns',
    windowStart,
    time,
    client: client(obj, ctx.cluster, true),
    qname: normalizeQname(qname),
    qtype: optionalString(obj, 'qtype') ?? '',
    rcode: rcodeName(requireString(obj, 'rcode')),
    answers: answers(obj.rrsets),
    count: requireCount(obj, 'count'),
    row: ctx.line,
  };
  const server = firstServer(obj.servers, ctx.cluster);
  if (server !== undefined) record.server = server;
  if (obj.latency_mean !== undefined && obj.latency_mean !== null) record.latencyMeanNs = optionalCount(obj, 'latency_mean', 0);
  if (obj.latency_max !== undefined && obj.latency_max !== null) record.latencyMaxNs = optionalCount(obj, 'latency_max', 0);
  return record;
}

/** The querying pod; `readLabels` false: labels left empty (routing keys on the workload only). */
function client(obj: JsonObject, cluster: string, readLabels: boolean): Endpoint {
  const client: Endpoint = {
    cluster,
    namespace: optionalString(obj, 'client_namespace') ?? '',
    workload: cachedWorkloadFromPodName(requireString(obj, 'client_name_aggr')),
    labels: readLabels ? parseLabels(obj.client_labels, 'client_labels') : NO_LABELS,
    kind: 'pod',
  };
  const pod = optionalString(obj, 'client_name');
  if (pod !== undefined) client.pod = pod;
  const ip = optionalString(obj, 'client_ip');
  if (ip !== undefined) client.ip = ip;
  return client;
}

function answers(rrsets: unknown): DnsAnswer[] {
  if (rrsets === undefined || rrsets === null) return NO_ANSWERS;
  if (!Array.isArray(rrsets)) throw new FieldError('invalid-field', 'rrsets must be a list');
  if (rrsets.length === 0) return NO_ANSWERS;
  const out: DnsAnswer[] = [];
  for (const rrset of rrsets) {
    if (!isObject(rrset)) throw new FieldError('invalid-field', 'rrsets entries must be objects');
    const name = typeof rrset.name === 'string' ? normalizeQname(rrset.name) : '';
    const type = typeof rrset.type === 'string' ? rrset.type : '';
    const rdata = rrset.rdata;
    if (!Array.isArray(rdata)) continue;
    for (const data of rdata) if (typeof data === 'string') out.push({ name, type, data });
  }
  return out.length === 0 ? NO_ANSWERS : out;
}

function firstServer(servers: unknown, cluster: string): Endpoint | undefined {
  if (!Array.isArray(servers) || servers.length === 0 || !isObject(servers[0])) return undefined;
  const server = servers[0];
  const aggregate = typeof server.name_aggr === 'string' ? server.name_aggr : '';
  const isNetwork = aggregate === 'pub' || aggregate === 'pvt';
  const endpoint: Endpoint = {
    cluster: isNetwork ? '' : cluster,
    namespace: typeof server.namespace === 'string' && server.namespace !== '-' ? server.namespace : '',
    workload: isNetwork ? aggregate : cachedWorkloadFromPodName(aggregate || String(server.name ?? '')),
    labels: parseLabels(server.labels, 'servers[0].labels'),
    kind: aggregate === 'pub' ? 'public' : aggregate === 'pvt' ? 'private' : 'pod',
  };
  if (typeof server.ip === 'string') endpoint.ip = server.ip;
  if (typeof server.name === 'string' && server.name !== '-' && !isNetwork) endpoint.pod = server.name;
  return endpoint;
}
