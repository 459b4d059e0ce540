/**
 * The shipper configs of deploy/shippers/, checked without running the shippers.
 *
 * Fluent Bit and Vector cannot be installed on the development machines, so their configs are
 * checked here only: every option name must be one their documentation lists (the lists below),
 * and the settings that make each line arrive unchanged and in its own topic must be there. The
 * OpenTelemetry Collector config runs for real in test/integration/otel-collector-shipper.test.ts;
 * here only its wiring to the DaemonSet is checked, as for the other two.
 *
 * Option lists, taken from:
 * - Fluent Bit (YAML config format; the 4.x manual, and the plugins' own config maps in
 *   fluent/fluent-bit plugins/in_tail/tail.c and plugins/out_kafka/kafka.c):
 *   https://docs.fluentbit.io/manual/administration/configuring-fluent-bit/yaml/service-section
 *   https://docs.fluentbit.io/manual/administration/configuring-fluent-bit/yaml/pipeline-section
 *   https://docs.fluentbit.io/manual/pipeline/inputs/tail
 *   https://docs.fluentbit.io/manual/pipeline/outputs/kafka
 *   https://docs.fluentbit.io/manual/administration/buffering-and-storage
 *   https://docs.fluentbit.io/manual/administration/scheduling-and-retries
 * - Vector (the generated reference, vectordotdev/vector website/cue/reference/components/…):
 *   https://vector.dev/docs/reference/configuration/global-options/
 *   https://vector.dev/docs/reference/configuration/sources/file/
 *   https://vector.dev/docs/reference/configuration/sinks/kafka/
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';

const DIR = 'deploy/shippers';

// ---- Fluent Bit ---------------------------------------------------------------------------
const FLUENT_BIT_TOP = ['env', 'includes', 'service', 'pipeline', 'parsers', 'multiline_parsers', 'plugins', 'upstream_servers', 'customs'];
const FLUENT_BIT_SERVICE = [
  'flush', 'grace', 'daemon', 'dns.mode', 'dns.prefer_ipv4', 'dns.prefer_ipv6', 'dns.resolver', 'log_file', 'log_level', 'parsers_file', 'plugins_file', 'streams_file',
  'http_server', 'http_listen', 'http_port', 'health_check', 'hc_errors_count', 'hc_retry_failure_count', 'hc_period', 'hot_reload', 'coro_stack_size', 'scheduler.base', 'scheduler.cap',
  'json.convert_nan_to_null', 'json.escape_unicode', 'multiline_buffer_limit', 'sp.convert_from_str_to_num', 'enable_chunk_trace',
  'storage.path', 'storage.sync', 'storage.checksum', 'storage.max_chunks_up', 'storage.backlog.mem_limit', 'storage.backlog.flush_on_shutdown', 'storage.metrics',
  'storage.delete_irrecoverable_chunks', 'storage.inherit', 'storage.type', 'storage.trim_files', 'storage.keep.rejected', 'storage.rejected.path',
];
/** Properties every input plugin takes (pipeline section; buffering and storage). */
const FLUENT_BIT_INPUT_COMMON = ['name', 'tag', 'alias', 'log_level', 'mem_buf_limit', 'storage.type', 'storage.pause_on_chunks_overlimit', 'threaded', 'processors'];
/** tail's own properties (plugins/in_tail/tail.c config_map; the tail page of the manual). */
const FLUENT_BIT_TAIL = [
  'path', 'exclude_path', 'key', 'read_from_head', 'read_newly_discovered_files_from_head', 'refresh_interval', 'watcher_interval', 'progress_check_interval', 'progress_check_interval_nsec',
  'rotate_wait', 'docker_mode', 'docker_mode_flush', 'docker_mode_parser', 'path_key', 'offset_key', 'ignore_older', 'ignore_active_older_files', 'buffer_chunk_size', 'buffer_max_size',
  'static_batch_size', 'event_batch_size', 'skip_long_lines', 'truncate_long_lines', 'exit_on_eof', 'skip_empty_lines', 'file_cache_advise', 'inotify_watcher', 'parser', 'tag_regex',
  'db', 'db.sync', 'db.locking', 'db.journal_mode', 'db.compare_filename', 'multiline', 'multiline_flush', 'parser_firstline', 'multiline.parser', 'unicode.encoding', 'generic.encoding',
];
/** Properties every output plugin takes. */
const FLUENT_BIT_OUTPUT_COMMON = ['name', 'match', 'match_regex', 'alias', 'log_level', 'retry_limit', 'workers', 'storage.total_limit_size', 'processors'];
/** kafka's own properties (plugins/out_kafka/kafka.c config_map; the kafka page of the manual), plus `rdkafka.<librdkafka property>`. */
const FLUENT_BIT_KAFKA = [
  'format', 'message_key', 'message_key_field', 'timestamp_key', 'timestamp_format', 'brokers', 'topics', 'topic_key', 'dynamic_topic', 'queue_full_retries',
  'raw_log_key', 'client_id', 'group_id', 'gelf_timestamp_key', 'gelf_host_key', 'gelf_short_message_key', 'gelf_full_message_key', 'gelf_level_key', 'schema_str', 'schema_id',
  'aws_msk_iam_cluster_arn',
];
const FLUENT_BIT_KAFKA_FORMATS = ['json', 'msgpack', 'raw', 'gelf', 'avro'];

// ---- Vector -------------------------------------------------------------------------------
const VECTOR_GLOBAL = [
  'data_dir', 'acknowledgements', 'api', 'schema', 'log_schema', 'timezone', 'expire_metrics_secs', 'proxy', 'healthchecks', 'enrichment_tables', 'secret',
  'sources', 'transforms', 'sinks', 'tests',
];
const VECTOR_FILE_SOURCE = [
  'type', 'include', 'exclude', 'read_from', 'ignore_checkpoints', 'data_dir', 'max_line_bytes', 'max_read_bytes', 'fingerprint', 'glob_minimum_cooldown_ms', 'host_key', 'file_key',
  'offset_key', 'line_delimiter', 'multiline', 'ignore_older_secs', 'oldest_first', 'remove_after_secs', 'rotate_wait_secs', 'encoding', 'ignore_not_found', 'internal_metrics',
];
const VECTOR_KAFKA_SINK = [
  'type', 'inputs', 'bootstrap_servers', 'topic', 'key_field', 'encoding', 'compression', 'acknowledgements', 'batch', 'buffer', 'healthcheck', 'healthcheck_topic', 'headers_key',
  'librdkafka_options', 'message_timeout_ms', 'socket_timeout_ms', 'rate_limit_duration_secs', 'rate_limit_num', 'sasl', 'tls',
];
const VECTOR_ENCODING = ['codec', 'except_fields', 'only_fields', 'timestamp_format', 'json', 'avro', 'csv', 'gelf', 'protobuf', 'cef', 'metric_tag_values'];
const VECTOR_CODECS = ['avro', 'cef', 'csv', 'gelf', 'json', 'logfmt', 'native', 'native_json', 'otlp', 'protobuf', 'raw_message', 'text'];
const VECTOR_BUFFER = ['type', 'max_events', 'max_size', 'when_full'];
const VECTOR_COMPRESSION = ['none', 'gzip', 'lz4', 'snappy', 'zstd'];

// ---- What the shippers must carry ------------------------------------------------------
/** The files on each node, and the topics flowhound's pipelines read by default (pipelines/*.yaml). */
const INPUTS = [
  { file: '/var/log/calico/flowlogs/flows.log', topicVar: 'CALICO_FLOW_TOPIC', topic: 'calico-flows' },
  { file: '/var/log/calico/dnslogs/dns.log', topicVar: 'CALICO_DNS_TOPIC', topic: 'calico-dns' },
  { file: '/var/run/cilium/hubble/events.log', topicVar: 'HUBBLE_TOPIC', topic: 'hubble-flows' },
];

type Json = Record<string, unknown>;
const obj = (value: unknown): Json => (typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Json) : {});
const unknownKeys = (value: unknown, allowed: string[], prefixes: string[] = []) =>
  Object.keys(obj(value)).filter((k) => !allowed.includes(k.toLowerCase()) && !prefixes.some((p) => k.toLowerCase().startsWith(p)));
/** Fluent Bit's booleans: true/false, on/off, yes/no (YAML 1.2 reads `on` as a string). */
const fluentTrue = (value: unknown) => value === true || ['on', 'true', 'yes'].includes(String(value).toLowerCase());
const yamlFile = (path: string): Json => obj(parse(readFileSync(path, 'utf8'), { merge: true }));

/** The environment a DaemonSet gives its container: env values, and literals of the kustomization's generated env ConfigMap. */
function containerEnvironment(shipper: string): { env: Record<string, string>; container: Json; pod: Json } {
  const docs = parseAllDocuments(readFileSync(join(DIR, shipper, 'daemonset.yaml'), 'utf8')).map((d) => obj(d.toJS()));
  const ds = docs.find((d) => d.kind === 'DaemonSet')!;
  const pod = obj(obj(obj(ds.spec).template).spec);
  const [container] = pod.containers as Json[];
  const env: Record<string, string> = {};
  for (const e of (container!.env as Json[] | undefined) ?? []) env[e.name as string] = typeof e.value === 'string' ? e.value : '<from field>';
  const kustomization = yamlFile(join(DIR, shipper, 'kustomization.yaml'));
  for (const ref of (container!.envFrom as Json[] | undefined) ?? []) {
    const name = obj(ref.configMapRef).name;
    const generated = ((kustomization.configMapGenerator as Json[] | undefined) ?? []).find((g) => g.name === name);
    expect(generated, `envFrom ${String(name)} is generated by kustomization.yaml`).toBeDefined();
    for (const literal of (generated!.literals as string[] | undefined) ?? []) {
      const at = literal.indexOf('=');
      env[literal.slice(0, at)] = literal.slice(at + 1);
    }
  }
  return { env, container: container!, pod };
}

/** `${VAR}` / `${VAR:-default}` (Fluent Bit, Vector) or `${env:VAR}` / `${env:VAR:-default}` (OpenTelemetry) references in a config text. */
function envReferences(text: string): { name: string; hasDefault: boolean }[] {
  const out: { name: string; hasDefault: boolean }[] = [];
  for (const line of text.split('\n')) {
    if (line.trimStart().startsWith('#')) continue;
    for (const m of line.matchAll(/\$\{(?:env:)?([A-Za-z_][A-Za-z0-9_]*)(:-[^}]*)?\}/g)) out.push({ name: m[1]!, hasDefault: m[2] !== undefined });
  }
  return out;
}

/** Checks shared by the three DaemonSets. */
function checkDaemonSet(shipper: string, configFile: string) {
  const { env, container, pod } = containerEnvironment(shipper);
  const mounts = (container.volumeMounts as Json[]).map((m) => ({ name: m.name as string, path: m.mountPath as string, readOnly: m.readOnly === true }));
  const volumes = new Map((pod.volumes as Json[]).map((v) => [v.name as string, v]));
  // The config file the container is told to read is in the ConfigMap mounted there.
  const args = (container.args as string[]).join(' ');
  const configMount = mounts.find((m) => args.includes(`${m.path}/${configFile}`));
  expect(configMount, `${shipper}: args ${args} name a file under a mount`).toBeDefined();
  expect(configMount!.readOnly).toBe(true);
  const kustomization = yamlFile(join(DIR, shipper, 'kustomization.yaml'));
  const configMapName = obj(obj(volumes.get(configMount!.name)).configMap).name;
  const generated = ((kustomization.configMapGenerator as Json[]) ?? []).find((g) => g.name === configMapName);
  expect(generated?.files).toEqual([configFile]);
  expect(existsSync(join(DIR, shipper, configFile))).toBe(true);
  for (const resource of kustomization.resources as string[]) expect(existsSync(join(DIR, shipper, resource)), resource).toBe(true);

  // Every variable the config needs is set; the files are read where the host's are mounted, read-only.
  const text = readFileSync(join(DIR, shipper, configFile), 'utf8');
  for (const ref of envReferences(text)) if (!ref.hasDefault) expect(env[ref.name], `${shipper}: ${ref.name} is set`).toBeDefined();
  const hostPath = (mount: { name: string }) => obj(obj(volumes.get(mount.name)).hostPath).path as string | undefined;
  for (const input of INPUTS) {
    const pathVar = Object.entries(env).find(([, value]) => value === input.file);
    expect(pathVar, `${shipper}: some variable names ${input.file}`).toBeDefined();
    expect(text, `${shipper}: the config reads that variable`).toMatch(new RegExp(`\\$\\{(env:)?${pathVar![0]}(:-[^}]*)?\\}`));
    const mount = mounts.find((m) => input.file.startsWith(`${m.path}/`));
    expect(mount, `${shipper}: ${input.file} is under a mount`).toBeDefined();
    expect(mount!.readOnly, `${shipper}: ${mount!.path} is mounted read-only`).toBe(true);
    expect(hostPath(mount!), `${shipper}: ${mount!.path} is the host's own directory`).toBe(dirname(input.file));
    expect(env[input.topicVar], `${shipper}: ${input.topicVar}`).toBe(input.topic);
  }
  // One writable hostPath: the state directory, named by the config through a variable.
  const writable = mounts.filter((m) => !m.readOnly);
  expect(writable).toHaveLength(1);
  expect(hostPath(writable[0]!)).toBe(writable[0]!.path);
  expect(Object.values(env)).toContain(writable[0]!.path);
  const security = obj(container.securityContext);
  expect(security.readOnlyRootFilesystem).toBe(true);
  expect(security.allowPrivilegeEscalation).toBe(false);
  expect(obj(security.capabilities).drop).toEqual(['ALL']);
  expect(pod.automountServiceAccountToken).toBe(false);
  return { env, text };
}

describe('Fluent Bit config (checked against the documentation only: Fluent Bit is not installable here)', () => {
  const config = yamlFile(join(DIR, 'fluent-bit', 'fluent-bit.yaml'));
  const pipeline = obj(config.pipeline);
  const inputs = pipeline.inputs as Json[];
  const outputs = pipeline.outputs as Json[];

  it('uses only documented option names', () => {
    expect(unknownKeys(config, FLUENT_BIT_TOP)).toEqual([]);
    expect(unknownKeys(config.service, FLUENT_BIT_SERVICE)).toEqual([]);
    expect(unknownKeys(pipeline, ['inputs', 'filters', 'outputs'])).toEqual([]);
    for (const input of inputs) {
      expect(input.name).toBe('tail');
      expect(unknownKeys(input, [...FLUENT_BIT_INPUT_COMMON, ...FLUENT_BIT_TAIL])).toEqual([]);
    }
    for (const output of outputs) {
      expect(output.name).toBe('kafka');
      expect(unknownKeys(output, [...FLUENT_BIT_OUTPUT_COMMON, ...FLUENT_BIT_KAFKA], ['rdkafka.'])).toEqual([]);
      expect(FLUENT_BIT_KAFKA_FORMATS).toContain(output.format);
    }
  });

  it('sends each line unchanged, one file to one topic, resuming from a position database', () => {
    expect(inputs).toHaveLength(INPUTS.length);
    expect(outputs).toHaveLength(INPUTS.length);
    const tags = inputs.map((i) => i.tag as string);
    expect(new Set(tags).size).toBe(tags.length);
    for (const input of inputs) {
      // No parser: the record is {key: line}; raw + raw_log_key sends that string alone.
      expect(input.parser).toBeUndefined();
      expect(input['multiline.parser']).toBeUndefined();
      expect(fluentTrue(input.read_from_head)).toBe(true);
      expect(typeof input.db).toBe('string');
      expect(input['storage.type']).toBe('filesystem');
      expect(fluentTrue(input.skip_long_lines)).toBe(true);
      const routed = outputs.filter((o) => o.match === input.tag);
      expect(routed, `${String(input.tag)} goes to exactly one output`).toHaveLength(1);
      expect(routed[0]!.format).toBe('raw');
      expect(routed[0]!.raw_log_key).toBe(input.key ?? 'log');
    }
    const dbs = inputs.map((i) => i.db);
    expect(new Set(dbs).size).toBe(dbs.length);
    expect(obj(config.service)['storage.path']).toBeDefined();
    for (const output of outputs) {
      expect(output['rdkafka.request.required.acks']).toBe(-1);
      expect(output.retry_limit).toBe('no_limits');
    }
    // Each topic variable feeds exactly one output.
    const topics = outputs.map((o) => o.topics);
    expect(topics.sort()).toEqual(INPUTS.map((i) => `\${${i.topicVar}}`).sort());
  });

  it('has a DaemonSet that mounts the host files read-only and keeps its state on the node', () => {
    const { env } = checkDaemonSet('fluent-bit', 'fluent-bit.yaml');
    // The state directory is where the config keeps its position databases and chunks.
    for (const input of inputs) expect(String(input.db)).toMatch(/^\$\{STATE_DIR\}\//);
    expect(env.STATE_DIR).toBeDefined();
  });
});

describe('Vector config (checked against the documentation only: Vector is not installable here)', () => {
  const config = yamlFile(join(DIR, 'vector', 'vector.yaml'));
  const sources = obj(config.sources);
  const sinks = obj(config.sinks);

  it('uses only documented option names', () => {
    expect(unknownKeys(config, VECTOR_GLOBAL)).toEqual([]);
    for (const source of Object.values(sources)) {
      expect(obj(source).type).toBe('file');
      expect(unknownKeys(source, VECTOR_FILE_SOURCE)).toEqual([]);
    }
    for (const sink of Object.values(sinks)) {
      const s = obj(sink);
      expect(s.type).toBe('kafka');
      expect(unknownKeys(s, VECTOR_KAFKA_SINK)).toEqual([]);
      expect(unknownKeys(s.encoding, VECTOR_ENCODING)).toEqual([]);
      expect(VECTOR_CODECS).toContain(obj(s.encoding).codec);
      expect(unknownKeys(s.buffer, VECTOR_BUFFER)).toEqual([]);
      expect(unknownKeys(s.acknowledgements, ['enabled'])).toEqual([]);
      expect(VECTOR_COMPRESSION).toContain(s.compression);
      for (const value of Object.values(obj(s.librdkafka_options))) expect(typeof value, 'librdkafka options are strings').toBe('string');
    }
    // Component ids are shared by sources, transforms and sinks.
    const ids = [...Object.keys(sources), ...Object.keys(sinks)];
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('sends each line as text, one file to one topic, checkpointing only what Kafka acknowledged', () => {
    expect(typeof config.data_dir).toBe('string');
    expect(obj(config.acknowledgements).enabled).toBe(true);
    expect(Object.keys(sources)).toHaveLength(INPUTS.length);
    expect(Object.keys(sinks)).toHaveLength(INPUTS.length);
    for (const [id, source] of Object.entries(sources)) {
      expect(obj(source).read_from).toBe('beginning');
      expect(obj(source).include as string[]).toHaveLength(1);
      const fed = Object.values(sinks).filter((s) => (obj(s).inputs as string[]).includes(id));
      expect(fed, `${id} feeds exactly one sink`).toHaveLength(1);
    }
    for (const sink of Object.values(sinks).map(obj)) {
      expect(sink.inputs as string[]).toHaveLength(1);
      expect(obj(sink.encoding)).toEqual({ codec: 'text' });
      expect(obj(sink.acknowledgements).enabled).toBe(true);
      expect(obj(sink.buffer).when_full).toBe('block');
      expect(sink.key_field).toBeUndefined();
    }
    const topics = Object.values(sinks).map((s) => String(obj(s).topic).replace(/:-[^}]*/, ''));
    expect(topics.sort()).toEqual(INPUTS.map((i) => `\${${i.topicVar}}`).sort());
  });

  it('has a DaemonSet that mounts the host files read-only and keeps its state on the node', () => {
    const { env } = checkDaemonSet('vector', 'vector.yaml');
    expect(String(config.data_dir)).toMatch(/^\$\{VECTOR_DATA_DIR(:-[^}]*)?\}$/);
    expect(env.VECTOR_DATA_DIR).toBeDefined();
  });
});

describe('OpenTelemetry Collector DaemonSet (the config itself runs in an integration test)', () => {
  it('mounts the host files read-only, keeps its state on the node, and sets what the config reads', () => {
    const { env } = checkDaemonSet('otel-collector', 'config.yaml');
    expect(env.OTELCOL_STATE_DIR).toBeDefined();
    const config = yamlFile(join(DIR, 'otel-collector', 'config.yaml'));
    expect(String(obj(obj(config.extensions).file_storage).directory)).toMatch(/^\$\{env:OTELCOL_STATE_DIR(:-[^}]*)?\}$/);
  });
});
