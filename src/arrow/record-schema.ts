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
 * Schema metadata, besides the name and version, written by `convert` (absent in older files):
 *
 *   flowhound.cluster_from   `default`: some input had no cluster (no --cluster nor FILE@CLUSTER), so its
 *                            Calico records (and CSV rows without a cluster column) were written with the
 *                            placeholder cluster `default`, which a replay's --cluster replaces;
 *                            `given`: every input was given its cluster, which the records keep
 *   flowhound.clusters       the clusters given at convert time, as a JSON array (`["prod-eu"]`)
 *   flowhound.labelled       `true` when converted with --labels: a null label is a record in no labelled
 *                            episode (benign), not an unlabelled one
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

/** The cluster `convert` gives records whose format carries none when it is given none. */
export const PLACEHOLDER_CLUSTER = 'default';

/** How a dataset was converted, from its schema metadata (see above). */
export interface DatasetInfo {
  /** undefined: a file from an older flowhound, which did not say. */
  clusterFrom: 'default' | 'given' | undefined;
  /** The clusters given at convert time (--cluster, FILE@CLUSTER). */
  clusters: string[];
  /** Converted with --labels: every record's label says what it is (null: benign). */
  labelled: boolean;
}

/** What `convert` records about a dataset in its schema metadata. */
export interface DatasetMetadata {
  clusters?: { from: 'default' | 'given'; names: string[] };
  labelled?: boolean;
}

export function recordSchema(metadata: DatasetMetadata = {}): Schema {
  const entries: [string, string][] = [['flowhound.schema', SCHEMA_NAME], ['flowhound.schema_version', SCHEMA_VERSION]];
  if (metadata.clusters !== undefined) entries.push(['flowhound.cluster_from', metadata.clusters.from], ['flowhound.clusters', JSON.stringify(metadata.clusters.names)]);
  if (metadata.labelled === true) entries.push(['flowhound.labelled', 'true']);
  return new Schema(COLUMNS.map(([name, type, nullable]) => new Field(name, type, nullable)), new Map(entries));
}

/** The dataset's metadata (older files: nothing known). */
export function datasetInfo(schema: Schema): DatasetInfo {
  const from = schema.metadata.get('flowhound.cluster_from');
  let clusters: string[] = [];
  try {
    const parsed: unknown = JSON.parse(schema.metadata.get('flowhound.clusters') ?? '[]');
    if (Array.isArray(parsed)) clusters = parsed.filter((c): c is string => typeof c === 'string');
  } catch {
    // Unreadable: as if absent.
  }
  return { clusterFrom: from === 'default' || from === 'given' ? from : undefined, clusters, labelled: schema.metadata.get('flowhound.labelled') === 'true' };
}

/** Refuses files that are not flowhound datasets or come from a newer flowhound; returns the version. */
export function checkSchema(schema: Schema, path: string): string {
  const name = schema.metadata.get('flowhound.schema');
  const version = schema.metadata.get('flowhound.schema_version');
  if (name !== SCHEMA_NAME) throw new FlowhoundError('FH_INPUT_UNREADABLE', `${path}: not a flowhound Arrow dataset (schema metadata flowhound.schema is ${JSON.stringify(name ?? null)}, expected "${SCHEMA_NAME}")`);
  if (version === undefined || !READABLE_VERSIONS.includes(version)) throw new FlowhoundError('FH_INPUT_UNREADABLE', `${path}: flowhound Arrow schema version ${JSON.stringify(version ?? null)} is not supported by this flowhound (it reads versions ${READABLE_VERSIONS.join(' and ')}); convert the data again or upgrade flowhound`);
  return version;
}
