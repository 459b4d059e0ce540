import { Dictionary, Field, Float64, Int32, Schema, TimestampMillisecond, Utf8, type DataType } from 'apache-arrow';
import { FlowhoundError } from '../errors.ts';

/**
 * flowhound's columnar dataset: one row per normalised record (flows and DNS lookups in one
 * table, in event-time order), mirroring src/model. Strings from a bounded set (names of
 * clusters, namespaces, workloads, label sets) are dictionary-encoded; strings without a bound
 * (DNS names: tunnelling makes one per query; pods, IPs, answers, original lines) are plain
 * Utf8, because a dictionary only grows (deltas) and every reader and writer holds all of it.
 * Fields a kind does not have are null. Version 2:
 *
 *   kind, format                               dictionary   `flow` | `dns`; wire format it came from
 *   window_start, window_end                   timestamp ms event-time window (DNS: window_end = time)
 *   src_* / dst_*                              endpoint     cluster, namespace, workload, workload_kind, kind,
 *                                                           labels (JSON, dictionary), pod, ip (plain)
 *                                                           DNS: src = client, dst = server
 *   node, protocol, action, reporter, deny_reason, service_* (dictionary)
 *   dst_fqdns                                  utf8         comma-joined
 *   src_port, dst_port                         int32
 *   bytes_to_dst … connections_completed       float64      exact up to 2^53
 *   qname (plain), qtype, rcode (dictionary), answers (JSON), count, latency_mean_ns, latency_max_ns
 *   label                                      dictionary   attack scenario the record belongs to, if labelled
 *   original                                   utf8         the exact source line the record was parsed from
 *                                                           (null when converted with --no-original), so a
 *                                                           dataset can be replayed into Kafka as Calico/Hubble
 *
 * Version 1 (still read) had no `original` column and dictionary-encoded qname and dst_fqdns.
 * The IPC file format's stream part starts with the schema message (see record-writer.ts), so
 * files are read sequentially too (gzip), without their footer.
 */
export const SCHEMA_NAME = 'flowhound.records';
export const SCHEMA_VERSION = '2';
/** Versions this flowhound reads. */
export const READABLE_VERSIONS: readonly string[] = ['1', '2'];

const dict = () => new Dictionary(new Utf8(), new Int32());

export const COLUMNS: [string, DataType, boolean][] = [
  ['kind', dict(), false],
  ['format', dict(), false],
  ['window_start', new TimestampMillisecond(), false],
  ['window_end', new TimestampMillisecond(), false],
  ...(['src', 'dst'] as const).flatMap((side): [string, DataType, boolean][] => [
    [`${side}_cluster`, dict(), true],
    [`${side}_namespace`, dict(), true],
    [`${side}_workload`, dict(), true],
    [`${side}_workload_kind`, dict(), true],
    [`${side}_kind`, dict(), true],
    [`${side}_labels`, dict(), true],
    [`${side}_pod`, new Utf8(), true],
    [`${side}_ip`, new Utf8(), true],
  ]),
  ['node', dict(), true],
  ['src_port', new Int32(), true],
  ['dst_port', new Int32(), true],
  ['service_name', dict(), true],
  ['service_namespace', dict(), true],
  ['service_port', dict(), true],
  ['dst_fqdns', new Utf8(), true],
  ['protocol', dict(), true],
  ['action', dict(), true],
  ['reporter', dict(), true],
  ['deny_reason', dict(), true],
  ['bytes_to_dst', new Float64(), true],
  ['bytes_to_src', new Float64(), true],
  ['packets_to_dst', new Float64(), true],
  ['packets_to_src', new Float64(), true],
  ['connections', new Float64(), true],
  ['connections_started', new Float64(), true],
  ['connections_completed', new Float64(), true],
  ['qname', new Utf8(), true],
  ['qtype', dict(), true],
  ['rcode', dict(), true],
  ['answers', new Utf8(), true],
  ['count', new Float64(), true],
  ['latency_mean_ns', new Float64(), true],
  ['latency_max_ns', new Float64(), true],
  ['label', dict(), true],
  ['original', new Utf8(), true],
];

export function recordSchema(): Schema {
  return new Schema(
    COLUMNS.map(([name, type, nullable]) => new Field(name, type, nullable)),
    new Map([['flowhound.schema', SCHEMA_NAME], ['flowhound.schema_version', SCHEMA_VERSION]]),
  );
}

/** Refuses files that are not flowhound datasets or come from a newer flowhound; returns the version. */
export function checkSchema(schema: Schema, path: string): string {
  const name = schema.metadata.get('flowhound.schema');
  const version = schema.metadata.get('flowhound.schema_version');
  if (name !== SCHEMA_NAME) throw new FlowhoundError('FH_INPUT_UNREADABLE', `${path}: not a flowhound Arrow dataset (schema metadata flowhound.schema is ${JSON.stringify(name ?? null)}, expected "${SCHEMA_NAME}")`);
  if (version === undefined || !READABLE_VERSIONS.includes(version)) throw new FlowhoundError('FH_INPUT_UNREADABLE', `${path}: flowhound Arrow schema version ${JSON.stringify(version ?? null)} is not supported by this flowhound (it reads versions ${READABLE_VERSIONS.join(' and ')}); convert the data again or upgrade flowhound`);
  return version;
}
