import { z } from 'zod';
import { INCIDENT_DETECTORS } from '../alerts/alert-incident.ts';
import { DETECTOR_NAMES, detectorByName } from '../detectors/registry.ts';
import { FORMAT_OPTIONS } from '../model/record-format.ts';
import { CSV_COLUMNS, csvLayout } from '../parsers/csv-flow.ts';
import { ENVIRONMENTS, ROLES } from '../model/workload.ts';

/**
 * The shape of `pipelines/*.yaml`. Config is inert data: this schema validates it and fills
 * every default, so the rest of the code never has to guess.
 */
const name = z.string().regex(/^[a-z0-9][a-z0-9_-]*$/, 'expected a lower-case name of letters, digits, _ and -');

/** `kafka.ssl`: `true` trusts the system's CAs; files are PEM, read when the client is created. */
const tlsSchema = z.union([
  z.boolean(),
  z.strictObject({
    /** The CA(s) that signed the brokers' certificates, instead of the system's. */
    ca_file: z.string().min(1).optional(),
    /** A client certificate and its key, for brokers that require one (mutual TLS). */
    cert_file: z.string().min(1).optional(),
    key_file: z.string().min(1).optional(),
    reject_unauthorized: z.boolean().default(true),
  }),
]);

/**
 * `kafka.sasl`: the password comes from exactly one of `password_env` (an environment variable,
 * read when flowhound connects), `password_file` (e.g. a mounted Kubernetes Secret, re-read on
 * every authentication, a trailing newline ignored) or `password` (inline: local tests only).
 */
const saslSchema = z.strictObject({
  mechanism: z.enum(['plain', 'scram-sha-256', 'scram-sha-512']),
  username: z.string().min(1),
  password: z.string().min(1).optional(),
  password_env: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'expected the name of an environment variable').optional(),
  password_file: z.string().min(1).optional(),
}).refine((s) => [s.password, s.password_env, s.password_file].filter((v) => v !== undefined).length === 1, 'expected exactly one of password_env, password_file, password');

export const kafkaConnectionSchema = z.strictObject({
  brokers: z.array(z.string().regex(/^[^\s:]+:\d{1,5}$/, 'expected host:port')).min(1),
  client_id: z.string().min(1).default('flowhound'),
  ssl: tlsSchema.default(false),
  sasl: saslSchema.optional(),
  connection_timeout_ms: z.number().int().positive().default(10_000),
});

/**
 * `csv:` of a source: `columns` maps vocabulary names to the input's header names (`src_ip: sa`);
 * `header` is the header for input without one: Kafka messages (one row each), headerless files.
 */
const csvSchema = z.strictObject({
  columns: z.partialRecord(z.enum(CSV_COLUMNS), z.string().min(1)).optional(),
  header: z.array(z.string()).min(1).optional(),
});

const kafkaSourceSchema = z.strictObject({
  type: z.literal('kafka'),
  topics: z.array(z.string().min(1)).min(1),
  format: z.enum(FORMAT_OPTIONS).default('auto'),
  /** CSV rows: a Kafka message is one row without a header, so `format: csv` needs `csv.header`. */
  csv: csvSchema.optional(),
  /** Consumer group; defaults to `flowhound-<pipeline>-<source>`. */
  group_id: z.string().min(1).optional(),
  /** Cluster name for formats that carry none (Calico); defaults to the pipeline's `cluster`. */
  cluster: z.string().min(1).optional(),
  from_beginning: z.boolean().default(true),
  /** Largest number of messages handed to the pipeline at once; offsets are committed per chunk. */
  max_batch_records: z.number().int().positive().max(100_000).default(2_000),
  session_timeout_ms: z.number().int().positive().default(30_000),
  max_bytes_per_partition: z.number().int().positive().default(1_048_576),
});

const fileSourceSchema = z.strictObject({
  type: z.literal('file'),
  /** JSON-lines or CSV files, `.gz` too; `-` reads standard input. */
  paths: z.array(z.string().min(1)).min(1),
  format: z.enum(FORMAT_OPTIONS).default('auto'),
  /** CSV files: column mapping; `header` for files without a header row. */
  csv: csvSchema.optional(),
  cluster: z.string().min(1).optional(),
  max_batch_records: z.number().int().positive().max(100_000).default(2_000),
});

export const sourceSchema = z.discriminatedUnion('type', [kafkaSourceSchema, fileSourceSchema]);

const deadLetterSchema = z.strictObject({
  /** Kafka topic for rejected records (original bytes as the value, the reason in headers). */
  topic: z.string().min(1).optional(),
  /** JSON-lines file for rejected records, used when there is no topic. */
  path: z.string().min(1).optional(),
  /** Partitions when flowhound has to create the topic. */
  partitions: z.number().int().positive().default(1),
  replication_factor: z.number().int().positive().default(1),
});

const limitsSchema = z.strictObject({
  /** Messages larger than this are dead-lettered as `oversized` without being parsed. */
  max_record_bytes: z.number().int().positive().default(1_048_576),
  /** Event times further ahead of the wall clock than this are dead-lettered as `future-time`. */
  max_future_skew_seconds: z.number().int().nonnegative().default(3_600),
});

const matchConditions = {
  clusters: z.array(z.string()).optional(),
  namespaces: z.array(z.string()).optional(),
  workloads: z.array(z.string()).optional(),
  labels: z.record(z.string(), z.string()).optional(),
};
const roleRuleSchema = z.strictObject({ role: z.enum(ROLES), ...matchConditions });
const envRuleSchema = z.strictObject({ env: z.enum(ENVIRONMENTS), ...matchConditions });

const suppressionSchema = z.strictObject({
  detector: z.string().optional(),
  workload: z.string().optional(),
  peer: z.string().optional(),
}).refine((r) => r.detector !== undefined || r.workload !== undefined || r.peer !== undefined, 'expected at least one of detector, workload, peer');

/**
 * `state:` — durable, partitioned detection state on Kafka, for pipelines that read Kafka.
 * Every field has a default; internal topic names derive from the pipeline's name.
 */
const stateSchema = z.strictObject({
  /** Off: one in-memory detection stage per member, as before (state is lost on restart). */
  enabled: z.boolean().default(true),
  /** Partitions of the repartition topic = detection tasks = the most members that share the work. Fixed once state exists. */
  partitions: z.number().int().positive().max(1024).default(6),
  replication_factor: z.number().int().positive().default(1),
  /** How often each task commits its state, its input offsets and its alerts (one Kafka transaction). */
  checkpoint_interval_ms: z.number().int().min(50).max(600_000).default(1_000),
  /** Prefix of the internal topics and transactional ids; default `flowhound-<pipeline name>`. */
  topic_prefix: z.string().min(1).optional(),
});

export type StateConfig = z.infer<typeof stateSchema>;

/** `detection:` — baselines, detectors and the alert lifecycle. Every field has a default. */
const detectionSchema = z.strictObject({
  window_seconds: z.number().int().min(10).max(3600).default(300),
  allowed_lateness_seconds: z.number().int().nonnegative().default(60),
  learning_hours: z.number().positive().default(6),
  /** Active windows a workload needs besides the learning time. */
  learning_windows: z.number().int().nonnegative().default(24),
  max_workloads: z.number().int().positive().default(50_000),
  /** Bytes of baselines held, in MB; the least recently active workloads are evicted past it. Default: see defaultStateBudgetMb. */
  max_state_mb: z.number().int().min(8).optional(),
  roles: z.array(roleRuleSchema).default([]),
  environments: z.array(envRuleSchema).default([]),
  allowlists: z.partialRecord(z.enum(ROLES), z.array(z.string())).optional(),
  egress_gateways: z.array(z.string()).optional(),
  /** Clusters (globs) where gateway-only domains must go through an egress gateway; default: where one is seen. */
  egress_gateway_clusters: z.array(z.string()).optional(),
  gateway_only_domains: z.array(z.string()).optional(),
  ingress_gateways: z.array(z.string()).optional(),
  /** Well-known services (FQDN globs) whose clients call home on a timer; beaconing does not judge them. */
  known_services: z.array(z.string()).optional(),
  /** Per-record edge-burst scoring (MIDAS-R) that the edge-burst detector and `--scores-out` read. */
  edge_burst: z.strictObject({
    tick_seconds: z.number().positive().default(60),
    rows: z.number().int().min(1).max(8).default(2),
    buckets: z.number().int().min(16).max(1 << 20).refine((n) => (n & (n - 1)) === 0, 'must be a power of two').default(1024),
    decay: z.number().min(0).lt(1).default(0.5),
    /** MIDAS-F: records scoring this or more stay out of the totals (long bursts stay anomalous); absent: MIDAS-R. */
    filter_threshold: z.number().positive().optional(),
    /** A record scores as a burst at this chi-squared score or more... */
    burst_score: z.number().nonnegative().default(50),
    /** ...on at least this current (decayed) count of its edge, source or destination. */
    burst_count: z.number().nonnegative().default(20),
  }).prefault({}),
  /** Per detector: `enabled` plus any of its parameters (see README). Unlisted detectors run with defaults. */
  detectors: z.record(z.string(), z.record(z.string(), z.unknown())).default({}),
  suppress: z.array(suppressionSchema).default([]),
  alerts: z.strictObject({
    resolve_after_seconds: z.number().int().positive().default(1800),
    cooldown_seconds: z.number().int().nonnegative().default(3600),
    max_alerts: z.number().int().positive().default(10_000),
    /**
     * Alert storms: per detector, cluster and namespace, the first `max_alerts_per_group`
     * workloads of a window get their own alerts and the rest one roll-up alert; past
     * `max_groups_per_detector` namespaces, the rest share one roll-up (namespace `*`).
     */
    storm: z.strictObject({
      enabled: z.boolean().default(true),
      max_alerts_per_group: z.number().int().positive().default(5),
      max_groups_per_detector: z.number().int().positive().default(10),
    }).default({ enabled: true, max_alerts_per_group: 5, max_groups_per_detector: 10 }),
    /**
     * Detectors whose findings are one incident per workload: one alert (peer `*`) listing its
     * targets, instead of one per peer (`[]`: every detector alerts per peer).
     */
    incident_per_workload: z.array(z.string()).default([...INCIDENT_DETECTORS]),
    /**
     * Flap damping: each re-opening within the cooldown doubles the quiet time an alert needs to
     * resolve, up to `max_resolve_factor` × resolve_after_seconds; at most
     * `max_emissions_per_hour` emissions (opening, re-openings, escalations) per alert per hour
     * of event time, the rest counted in flowhound_alerts_damped_total.
     */
    flap_damping: z.strictObject({
      enabled: z.boolean().default(true),
      max_resolve_factor: z.number().int().min(1).max(1024).default(8),
      max_emissions_per_hour: z.number().int().positive().default(4),
    }).default({ enabled: true, max_resolve_factor: 8, max_emissions_per_hour: 4 }),
  }).default({
    resolve_after_seconds: 1800, cooldown_seconds: 3600, max_alerts: 10_000, storm: { enabled: true, max_alerts_per_group: 5, max_groups_per_detector: 10 },
    incident_per_workload: [...INCIDENT_DETECTORS], flap_damping: { enabled: true, max_resolve_factor: 8, max_emissions_per_hour: 4 },
  }),
});

/** `/metrics` for Prometheus (OpenTelemetry SDK + Prometheus exporter). */
const metricsSchema = z.strictObject({
  enabled: z.boolean().default(true),
  host: z.string().min(1).default('0.0.0.0'),
  port: z.number().int().min(0).max(65535).default(9464),
  /** Workloads with their own per-workload series; the rest are folded into workload="other". */
  top_workloads: z.number().int().min(1).max(1000).default(50),
});

const alertmanagerSinkSchema = z.strictObject({
  type: z.literal('alertmanager'),
  /** Every Alertmanager of an HA pair: alerts go to all of them. */
  urls: z.array(z.url()).min(1),
  /** Firing alerts are re-sent this often, as Prometheus does. */
  resend_interval_seconds: z.number().int().positive().default(60),
  timeout_seconds: z.number().positive().default(10),
  /** Alerts held while Alertmanager is unreachable; what overflows is counted as dropped. */
  max_buffered: z.number().int().positive().default(10_000),
  /** `{detector}` is replaced by the detector name. */
  runbook_url: z.string().default('https://github.com/flowhound/flowhound/blob/main/docs/runbooks.md#{detector}'),
  generator_url: z.string().optional(),
  /** Extra labels on every alert (e.g. `team: platform`). */
  labels: z.record(z.string().regex(/^[a-zA-Z_][a-zA-Z0-9_]*$/, 'expected a Prometheus label name'), z.string()).default({}),
});

const kafkaAlertSinkSchema = z.strictObject({
  type: z.literal('kafka'),
  topic: z.string().min(1),
  partitions: z.number().int().positive().default(1),
  replication_factor: z.number().int().positive().default(1),
});

const fileAlertSinkSchema = z.strictObject({
  type: z.literal('file'),
  path: z.string().min(1),
});

const faroSinkSchema = z.strictObject({
  type: z.literal('faro'),
  /** Grafana Alloy faro.receiver endpoint, e.g. http://alloy:12347/collect. */
  url: z.url(),
  /** The receiver's api_key (sent as X-API-Key). */
  api_key: z.string().optional(),
  max_buffered: z.number().int().positive().default(10_000),
  /** Pipeline measurements (records/s, event-time lag, active alerts) every N seconds; 0 = off. */
  measure_interval_seconds: z.number().int().nonnegative().default(30),
});

export const alertSinkSchema = z.discriminatedUnion('type', [alertmanagerSinkSchema, kafkaAlertSinkSchema, fileAlertSinkSchema, faroSinkSchema]);

export const pipelineSchema = z.strictObject({
  name,
  description: z.string().optional(),
  /** Default cluster name for records whose format carries none. */
  cluster: z.string().min(1).default('default'),
  kafka: kafkaConnectionSchema.optional(),
  sources: z.record(name, sourceSchema).refine((s) => Object.keys(s).length > 0, 'expected at least one source'),
  dead_letter: deadLetterSchema.default({ partitions: 1, replication_factor: 1 }),
  limits: limitsSchema.default({ max_record_bytes: 1_048_576, max_future_skew_seconds: 3_600 }),
  detection: detectionSchema.default(() => detectionSchema.parse({})),
  state: stateSchema.default(() => stateSchema.parse({})),
  metrics: metricsSchema.default(() => metricsSchema.parse({})),
  /** Where alerts go, by name: alertmanager, kafka (JSON keyed by fingerprint), file (JSON lines). */
  sinks: z.record(name, alertSinkSchema).default({}),
}).superRefine((pipeline, ctx) => {
  for (const [id, sink] of Object.entries(pipeline.sinks)) {
    if (sink.type === 'kafka' && pipeline.kafka === undefined) ctx.addIssue({ code: 'custom', path: ['sinks', id], message: 'expected a kafka: section with brokers for a kafka sink' });
  }
  pipeline.detection.alerts.incident_per_workload.forEach((name, i) => {
    if (detectorByName(name) === undefined) ctx.addIssue({ code: 'custom', path: ['detection', 'alerts', 'incident_per_workload', i], message: `unknown detector; expected one of ${DETECTOR_NAMES.join(', ')}` });
  });
  for (const [name, overrides] of Object.entries(pipeline.detection.detectors)) {
    const detector = detectorByName(name);
    if (detector === undefined) {
      ctx.addIssue({ code: 'custom', path: ['detection', 'detectors', name], message: `unknown detector; expected one of ${DETECTOR_NAMES.join(', ')}` });
      continue;
    }
    for (const [param, value] of Object.entries(overrides)) {
      if (param === 'enabled') {
        if (typeof value !== 'boolean') ctx.addIssue({ code: 'custom', path: ['detection', 'detectors', name, param], message: 'expected true or false' });
        continue;
      }
      const fallback = (detector.defaults as Record<string, unknown>)[param];
      if (fallback === undefined) {
        ctx.addIssue({ code: 'custom', path: ['detection', 'detectors', name, param], message: `unknown parameter; expected one of enabled, ${Object.keys(detector.defaults).join(', ')}` });
      } else if (typeof fallback !== typeof value || Array.isArray(fallback) !== Array.isArray(value)) {
        ctx.addIssue({ code: 'custom', path: ['detection', 'detectors', name, param], message: `expected a ${Array.isArray(fallback) ? 'list' : typeof fallback} like the default ${JSON.stringify(fallback)}` });
      }
    }
  }
  for (const [id, source] of Object.entries(pipeline.sources)) {
    if (source.type === 'kafka' && source.format === 'csv' && source.csv?.header === undefined) {
      ctx.addIssue({ code: 'custom', path: ['sources', id, 'csv', 'header'], message: 'expected the CSV header (a list of column names): Kafka messages are rows without one' });
    }
    if (source.csv?.header !== undefined) {
      const layout = csvLayout(source.csv.header, source.csv.columns, 0);
      if ('problem' in layout) ctx.addIssue({ code: 'custom', path: ['sources', id, 'csv'], message: layout.problem });
    }
  }
  for (const [id, source] of Object.entries(pipeline.sources)) {
    if (source.type === 'kafka' && pipeline.kafka === undefined) {
      ctx.addIssue({ code: 'custom', path: ['kafka'], message: `expected a kafka: section with brokers, because source ${id} reads Kafka` });
      return;
    }
  }
  if (pipeline.dead_letter.topic !== undefined && pipeline.kafka === undefined) {
    ctx.addIssue({ code: 'custom', path: ['dead_letter', 'topic'], message: 'expected a kafka: section with brokers to write the dead-letter topic' });
  }
});

export type PipelineConfig = z.infer<typeof pipelineSchema>;
export type SourceConfig = z.infer<typeof sourceSchema>;
export type KafkaSourceConfig = z.infer<typeof kafkaSourceSchema>;
export type FileSourceConfig = z.infer<typeof fileSourceSchema>;
export type KafkaConnectionConfig = z.infer<typeof kafkaConnectionSchema>;
export type DetectionConfig = z.infer<typeof detectionSchema>;
export type AlertSinkConfig = z.infer<typeof alertSinkSchema>;
export type AlertmanagerSinkConfig = z.infer<typeof alertmanagerSinkSchema>;
