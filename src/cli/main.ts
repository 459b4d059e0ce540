import { parseArgs, type ParseArgsConfig } from 'node:util';
import { loadPipelineFile, validatePipeline } from '../config/load-pipeline.ts';
import type { PipelineConfig } from '../config/pipeline-schema.ts';
import { FlowhoundError } from '../errors.ts';
import { FORMAT_OPTIONS, type FormatOption } from '../model/record-format.ts';
import { CSV_COLUMNS, csvLayout, splitHeader, type CsvColumnMapping, type CsvOptions } from '../parsers/csv-flow.ts';
import { buildPipeline, DEFAULT_DEAD_LETTER_FILE, type BuildOptions, type BuiltPipeline } from '../pipeline/build-pipeline.ts';
import { createLogger, type LogLevel } from '../telemetry/logger.ts';
import { filesByCluster, parseFileArgument } from './file-arguments.ts';
import { statSync, writeFileSync } from 'node:fs';
import { ArrowStage } from '../arrow/arrow-stage.ts';
import { PLACEHOLDER_CLUSTER } from '../arrow/record-schema.ts';
import { replayIntoKafka } from '../replay/kafka-replay.ts';
import { createKafka } from '../sources/kafka-client.ts';
import { stateTopics } from '../state/state-topics.ts';
import { writeWarmStart } from '../state/warm-start.ts';
import { replayMerged } from '../pipeline/event-time-merge.ts';
import { Ingest } from '../pipeline/ingest.ts';
import { DeadLetterFile } from '../sinks/dead-letter-file.ts';
import type { AlertSink } from '../alerts/alert-sink.ts';
import { AlertTally } from '../alerts/alert-tally.ts';
import { loadLabels } from '../evaluation/labels.ts';
import { formatEvaluation, score, type RaisedAlert } from '../evaluation/score.ts';
import { evaluationReportData, renderEvaluationReport } from '../evaluation/html-report.ts';
import { formatRanking, ScoreRecorder } from '../evaluation/score-recorder.ts';
import { eventTime } from '../model/normalized-record.ts';
import { PipelineMetrics } from '../telemetry/pipeline-metrics.ts';
import { startTelemetry, type Telemetry } from '../telemetry/otel.ts';
import { Probes } from '../telemetry/probes.ts';
import { Progress } from './progress.ts';
import { DEFAULT_SHUTDOWN_TIMEOUT_SECONDS, Shutdown } from './shutdown.ts';
import { formatSummary } from './summary.ts';

/**
 * Exit codes scripts can rely on:
 *   0  done (bad records are counted and dead-lettered, not a failure)
 *   1  runtime failure: unreadable input, broker unreachable, a sink that cannot write
 *   2  usage or configuration error
 */
export const EXIT = { ok: 0, failure: 1, usage: 2 } as const;

const HELP = `flowhound — finds lateral movement and exfiltration in Kubernetes flow logs

Usage:
  flowhound run --pipeline FILE [options]       consume Kafka (long-running) as the pipeline says
  flowhound replay FILE... [options]            run the pipeline in-process over JSON-lines/CSV files
  flowhound evaluate --labels FILE DATA...      replay labelled data and score detection
  flowhound convert IN... --to FILE.arrow       JSON lines, CSV (gzip too) → flowhound's Arrow dataset
  flowhound validate FILE...                    check pipeline files and exit
  flowhound help [COMMAND]                      this text, or a command's

Run \`flowhound COMMAND --help\` for a command's options.
Exit codes: 0 done (bad records are dead-lettered, not a failure), 1 runtime failure, 2 usage or config error.
`;

const COMMON_HELP = `  --metrics-port PORT   serve Prometheus metrics at :PORT/metrics (run: the pipeline's metrics.port, default 9464; replay: off unless given)
  --dead-letter FILE    write rejected records here (JSON lines), overriding the pipeline's dead_letter
  --records-out FILE    also write every normalised record here (JSON lines)
  --log-level LEVEL     debug | info | warn | error (default info)
  -h, --help            this text`;

/** How replay, evaluate and convert read their inputs. */
const INPUT_HELP = `  --format FORMAT       calico-flow | calico-dns | hubble | csv | auto (default: per file and record;
                        auto knows a CSV file by its header row)
  --csv-columns MAP     CSV column mapping, vocabulary=header: src_ip=sa,dst_ip=da,time=ts
                        (the vocabulary: README, CSV flows)
  --csv-header NAMES    the CSV header, for files without a header row: ts,sa,da,sp,dp,pr`;

/** The scorer's tick, for replay and evaluate (convert scores nothing). */
const TICK_HELP = `  --tick-seconds N      the edge-burst scorer's tick (detection.edge_burst.tick_seconds, default 60);
                        1 for datasets whose times are tick numbers (MIDAS's processed edge streams)`;

const COMMAND_HELP: Record<string, string> = {
  run: `Usage: flowhound run --pipeline FILE [options]

Consumes the pipeline's Kafka sources as a consumer group. Offsets are committed only after a
batch has been processed and its rejects dead-lettered.

Stopping (SIGTERM, SIGINT): the first signal stops gracefully (the batch in flight is finished
and its offsets committed, the sinks are closed), prints a summary and exits with 0. A stop that
takes longer than --shutdown-timeout (e.g. the broker is unreachable) logs what was still pending,
prints the summary and exits with 1; a second signal exits at once (1). Keep the timeout below
the pod's terminationGracePeriodSeconds (Kubernetes' default: 30 s).

Probes, on the metrics host and port beside /metrics (while metrics are enabled):
  GET /healthz          liveness: 200 while the process runs and its pipeline has not failed
  GET /readyz           readiness: 200 when the pipeline is ready, otherwise (starting, stopping,
                        failed) 503 with the reason as plain text

  --pipeline FILE       pipeline YAML (see pipelines/)
  --alerts-out FILE     also write alerts as JSON lines (the file is truncated first; the
                        pipeline's \`type: file\` sinks append instead)
  --shutdown-timeout SECONDS
                        how long the graceful stop may take (default ${DEFAULT_SHUTDOWN_TIMEOUT_SECONDS})
${COMMON_HELP}
`,
  replay: `Usage: flowhound replay FILE... [options]

Runs the pipeline in-process over Calico flow/DNS and Hubble JSON-lines files, CSV flow files
(gzip too; - for stdin) and flowhound Arrow datasets, the format detected per record, and prints
a summary of records by format and kind and of invalid records by reason.

  --pipeline FILE       take cluster, limits and dead-letter settings from this pipeline
  --cluster NAME        cluster name for formats that carry none (Calico); default "default"
                        (FILE@CLUSTER names it per file: train-eu.calico-flows.jsonl@train-eu)
${INPUT_HELP}
${TICK_HELP}
  --alerts-out FILE     write alerts as JSON lines (one line per new, escalated or resolved alert)
  --scores-out FILE     write every flow record's edge-burst score as CSV: row,score (row = the
                        record's 1-based data row in its file, header excluded; with several
                        inputs a leading file column); higher = more anomalous
  --quiet               do not print alerts, only the summary
  --from TIME           only records at or after this event time (ISO 8601)
  --until TIME          only records at or before this event time (ISO 8601)
  --to kafka            produce the files' original lines (an Arrow dataset's stored ones) into the
                        --pipeline's Kafka topics instead (merged in event time, keyed by workload,
                        gzip-compressed, acks=all)
  --rate N              with --to kafka: at most N messages per second
  --speed K             with --to kafka: K times event time (e.g. 60 = an hour per minute)
  --warm-start          with --pipeline (a live Kafka pipeline): after the replay, write the learned
                        baselines and role view into that pipeline's durable state, so \`flowhound
                        run\` starts with them instead of a learning period (run it before the
                        members start: it fences their detection tasks)
  --loop N              in-process soak: replay the files N times (0 = until Ctrl-C), each pass
                        shifted past the previous one in event time (not with --to kafka)
${COMMON_HELP}
Without --dead-letter, rejected records go to ./flowhound-dead-letter.jsonl (created only if needed).
`,
  evaluate: `Usage: flowhound evaluate --labels FILE DATA... [options]

Replays DATA files like \`replay\` and scores the alerts against labelled attacks (JSON lines:
scenario, category, cluster, namespace, workload, start, end): per scenario detected or not and
the event time to detect; false alerts per 100 workload-hours; precision and recall per category.

  --labels FILE         labelled attack windows (datasets/*/labels.jsonl)
  --pipeline FILE       detection settings from this pipeline
  --cluster NAME        cluster name for formats that carry none (Calico); FILE@CLUSTER per file
${INPUT_HELP}
${TICK_HELP}
  --json FILE           also write the full evaluation as JSON
  --report FILE.html    also write a self-contained HTML report (no network, opens offline): the
                        summary figures, the per-scenario table and every detector's alerts on an
                        event-time axis with the labelled episodes shaded; the ROC curve (ROC-AUC,
                        average precision) and the score over time appear when the evaluation
                        has per-record scores
  --alerts-out FILE     write the alerts as JSON lines
  --scores-out FILE     write every flow record's edge-burst score as CSV (see replay --help)
${COMMON_HELP}
`,
  convert: `Usage: flowhound convert IN... --to FILE.arrow [options]

Converts Calico flow/DNS and Hubble JSON lines and CSV flows (gzip too; - for stdin) into flowhound's
Arrow dataset (one table of normalised records, merged in event time, dictionary-encoded),
streaming, with each record's original line (kept so the dataset can be replayed into Kafka
in the original Calico/Hubble format). \`replay\` and \`evaluate\` read it like JSON lines.

  --to FILE             output (.arrow; .gz compresses); - writes an Arrow IPC stream to stdout
  --stream              write the IPC stream format instead of the file format (for pipes)
  --cluster NAME        cluster name for formats that carry none (Calico); IN@CLUSTER per file
${INPUT_HELP}
  --labels FILE         fill the label column from labelled attack windows
  --no-original         leave the original-line column empty: a smaller file that cannot be
                        replayed into Kafka (--drop-original is the same)
  --dead-letter FILE    rejected records (default ./flowhound-dead-letter.jsonl, only if needed)
  -h, --help            this text
`,
  validate: `Usage: flowhound validate FILE...

Validates pipeline files: every error names the file, the field and what was expected.
`,
};

type Values = Record<string, string | boolean | string[] | undefined>;

function parse(args: string[], options: ParseArgsConfig['options']): { values: Values; positionals: string[] } {
  try {
    const { values, positionals } = parseArgs({ args, options: { ...options, help: { type: 'boolean', short: 'h' } }, allowPositionals: true, strict: true });
    return { values: values as Values, positionals };
  } catch (error) {
    throw new FlowhoundError('FH_USAGE', (error as Error).message);
  }
}

/** How input files are read: replay, evaluate and convert. */
const INPUT_OPTIONS = {
  format: { type: 'string' },
  'csv-columns': { type: 'string' },
  'csv-header': { type: 'string' },
} as const;

/** `--format`, `--csv-columns` and `--csv-header`, checked. */
function inputFormat(values: Values): { format: FormatOption; csv: CsvOptions | undefined } {
  const text = values.format ?? 'auto';
  const format = FORMAT_OPTIONS.find((f) => f === text);
  if (format === undefined) throw new FlowhoundError('FH_USAGE', `--format must be one of ${FORMAT_OPTIONS.join(', ')}, got ${JSON.stringify(text)}`);
  const csv: CsvOptions = {};
  const mapping = values['csv-columns'];
  if (typeof mapping === 'string') {
    const columns: CsvColumnMapping = {};
    for (const pair of mapping.split(',')) {
      if (pair.trim() === '') continue;
      const eq = pair.indexOf('=');
      const name = (eq < 0 ? pair : pair.slice(0, eq)).trim();
      const header = eq < 0 ? '' : pair.slice(eq + 1).trim();
      const column = CSV_COLUMNS.find((c) => c === name);
      if (column === undefined || header === '') {
        throw new FlowhoundError('FH_USAGE', `--csv-columns takes vocabulary=header pairs (e.g. src_ip=sa,dst_ip=da), the vocabulary being ${CSV_COLUMNS.join(', ')}; got ${JSON.stringify(pair)}`);
      }
      columns[column] = header;
    }
    csv.columns = columns;
  }
  const header = values['csv-header'];
  if (typeof header === 'string') {
    const names = splitHeader(header);
    if (names === undefined || names.length === 0) throw new FlowhoundError('FH_USAGE', `--csv-header must be comma-separated column names, got ${JSON.stringify(header)}`);
    const layout = csvLayout(names, csv.columns, 0);
    if ('problem' in layout) throw new FlowhoundError('FH_USAGE', `--csv-header: ${layout.problem}`);
    csv.header = names;
  }
  const given = csv.columns !== undefined || csv.header !== undefined;
  if (given && format !== 'csv' && format !== 'auto') throw new FlowhoundError('FH_USAGE', `--csv-columns and --csv-header are for --format csv (or auto), not ${format}`);
  return { format, csv: given ? csv : undefined };
}

const COMMON_OPTIONS = {
  'metrics-port': { type: 'string' },
  'dead-letter': { type: 'string' },
  'records-out': { type: 'string' },
  'log-level': { type: 'string' },
} as const;

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
    const topic = rest[0];
    process.stdout.write(topic !== undefined && COMMAND_HELP[topic] !== undefined ? COMMAND_HELP[topic] : HELP);
    return command === undefined ? EXIT.usage : EXIT.ok;
  }
  if (command === '--version') {
    process.stdout.write('flowhound 0.1.0\n');
    return EXIT.ok;
  }
  try {
    switch (command) {
      case 'run':
        return await runCommand(rest);
      case 'replay':
        return await replayCommand(rest);
      case 'evaluate':
        return await evaluateCommand(rest);
      case 'convert':
        return await convertCommand(rest);
      case 'validate':
        return validateCommand(rest);
      default:
        throw new FlowhoundError('FH_USAGE', `unknown command ${JSON.stringify(command)}; try flowhound --help`);
    }
  } catch (error) {
    return reportError(error);
  }
}

function reportError(error: unknown): number {
  if (error instanceof FlowhoundError) {
    process.stderr.write(`flowhound: ${error.message}\n`);
    return error.code === 'FH_USAGE' || error.code === 'FH_CONFIG_INVALID' || error.code === 'FH_CONFIG_UNREADABLE' ? EXIT.usage : EXIT.failure;
  }
  process.stderr.write(`flowhound: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  return EXIT.failure;
}

function logLevel(values: Values): LogLevel {
  const level = values['log-level'] ?? 'info';
  if (level !== 'debug' && level !== 'info' && level !== 'warn' && level !== 'error') {
    throw new FlowhoundError('FH_USAGE', `--log-level must be debug, info, warn or error, got ${JSON.stringify(level)}`);
  }
  return level;
}

function buildOptions(values: Values, tally: AlertTally): BuildOptions {
  const options: BuildOptions = { logger: createLogger(logLevel(values)), alertSinks: [tally] };
  if (typeof values['dead-letter'] === 'string') options.deadLetterFile = values['dead-letter'];
  if (typeof values['records-out'] === 'string') options.recordsOut = values['records-out'];
  return options;
}

async function runCommand(args: string[]): Promise<number> {
  const { values } = parse(args, { pipeline: { type: 'string' }, 'alerts-out': { type: 'string' }, 'shutdown-timeout': { type: 'string' }, ...COMMON_OPTIONS });
  if (values.help === true) return help('run');
  if (typeof values.pipeline !== 'string') throw new FlowhoundError('FH_USAGE', 'run needs --pipeline FILE');
  const timeoutText = values['shutdown-timeout'];
  const shutdownSeconds = timeoutText === undefined ? DEFAULT_SHUTDOWN_TIMEOUT_SECONDS : Number(timeoutText);
  if (!Number.isFinite(shutdownSeconds) || shutdownSeconds <= 0) throw new FlowhoundError('FH_USAGE', `--shutdown-timeout must be a positive number of seconds, got ${JSON.stringify(timeoutText)}`);
  const tally = new AlertTally();
  const config = loadPipelineFile(values.pipeline);
  const options: BuildOptions = { ...buildOptions(values, tally), printAlerts: true };
  const { logger } = options;
  if (typeof values['alerts-out'] === 'string') options.alertsOut = values['alerts-out'];
  const telemetry = config.metrics.enabled ? await startMetrics(config, values, options) : undefined;
  const probes = new Probes();
  telemetry?.serveProbes(probes);
  let pipeline: BuiltPipeline;
  try {
    pipeline = buildPipeline(config, options);
  } catch (error) {
    await telemetry?.shutdown();
    throw error;
  }
  probes.watch(() => pipeline.ready());
  const started = Date.now();
  const shutdown = new Shutdown({
    timeoutMs: shutdownSeconds * 1000,
    logger,
    onStop: (signal) => {
      probes.stopping(`${signal} received`);
      logger.info(`${signal}: stopping: finishing the batch in flight and committing its offsets (at most ${shutdownSeconds} s, --shutdown-timeout)`);
      const sources = pipeline.sources.map((source) => source.name).join(', ');
      shutdown.track(`stopping the consumers (sources: ${sources}): leaving their groups, committing`, pipeline.stop())
        .catch((error: unknown) => logger.error(`stopping the consumers failed: ${(error as Error).message}`));
    },
    // Printed however the run ends: graceful, at the deadline, on a second signal, on a failure.
    onExit: () => {
      process.stdout.write(formatSummary(pipeline.ingest.stats, pipeline.deadLetter.description, Date.now() - started, { stats: pipeline.detection.stats, workloads: pipeline.detection.baselines.size, tally }));
    },
  }).install();
  logger.info(`pipeline ${config.name}: ${pipeline.sources.length} source(s), dead letters to ${pipeline.deadLetter.description}`);
  let code: number = EXIT.ok;
  try {
    await shutdown.track('draining the pipeline and closing its sinks', pipeline.run());
  } catch (error) {
    probes.fail(error instanceof Error ? error.message : String(error));
    code = reportError(error);
  }
  // The pipeline also ends on its own (a failure): what still closes must not hang the exit either.
  shutdown.armDeadline();
  if (telemetry !== undefined) {
    await shutdown.track('stopping the metrics server', telemetry.shutdown())
      .catch((error: unknown) => logger.warn(`stopping the metrics server failed: ${(error as Error).message}`));
  }
  // An explicit exit: kafkajs may still hold retry timers and sockets that would keep us alive.
  await shutdown.exit(code);
  return code;
}

async function replayCommand(args: string[]): Promise<number> {
  const { values, positionals } = parse(args, {
    pipeline: { type: 'string' }, cluster: { type: 'string' }, 'alerts-out': { type: 'string' }, quiet: { type: 'boolean' },
    from: { type: 'string' }, until: { type: 'string' }, to: { type: 'string' }, rate: { type: 'string' }, speed: { type: 'string' }, loop: { type: 'string' }, 'warm-start': { type: 'boolean' }, 'scores-out': { type: 'string' }, 'tick-seconds': { type: 'string' }, ...INPUT_OPTIONS, ...COMMON_OPTIONS,
  });
  if (values.help === true) return help('replay');
  if (positionals.length === 0) throw new FlowhoundError('FH_USAGE', 'replay needs at least one FILE (or - for stdin)');
  const range = { from: timeOption(values.from, '--from', Number.NEGATIVE_INFINITY), until: timeOption(values.until, '--until', Number.POSITIVE_INFINITY) };
  if (values.to !== undefined && values.to !== 'kafka' && values.to !== 'in-process') throw new FlowhoundError('FH_USAGE', `--to must be kafka or in-process, got ${JSON.stringify(values.to)}`);
  if (values.to === 'kafka') {
    // The original lines carry their own times: a second pass would reach the consumer as late records.
    if (values.loop !== undefined) throw new FlowhoundError('FH_USAGE', '--loop replays in-process only (each pass is shifted in event time, which original lines sent to Kafka cannot be); for a Kafka load test use --rate or --speed');
    return replayToKafka(values, positionals, range);
  }
  const tally = new AlertTally();
  const config = replayConfig(values, positionals);
  const live = values['warm-start'] === true ? warmStartTarget(values) : undefined;
  // History's alerts are not news: they must not page anyone through the live pipeline's sinks.
  if (live !== undefined) config.sinks = {};
  const loops = values.loop === undefined ? 1 : Number(values.loop);
  if (!Number.isInteger(loops) || loops < 0) throw new FlowhoundError('FH_USAGE', `--loop must be a count (0 = until stopped), got ${JSON.stringify(values.loop)}`);
  const options: BuildOptions = { ...buildOptions(values, tally), mergeFilesByEventTime: true, printAlerts: values.quiet !== true, eventTimeRange: range, loops };
  if (typeof values['alerts-out'] === 'string') options.alertsOut = values['alerts-out'];
  const scores = typeof values['scores-out'] === 'string' ? new ScoreRecorder({ scoresOut: values['scores-out'], inputs: pathsOf(positionals) }) : undefined;
  if (scores !== undefined) options.onScore = scores.onScore;
  const telemetry = typeof values['metrics-port'] === 'string' ? await startMetrics(config, values, options) : undefined;
  const pipeline = buildPipeline(config, options);
  const started = Date.now();
  const progress = new Progress(pathsOf(positionals), () => ({ records: pipeline.ingest.stats.total(pipeline.ingest.stats.received), eventTime: pipeline.detection.newestEventTime }));
  // Ctrl-C ends a soak after the pass in flight, with the summary.
  process.once('SIGINT', () => void pipeline.stop());
  try {
    await pipeline.run();
  } finally {
    progress.stop();
  }
  await telemetry?.shutdown();
  scores?.close();
  process.stdout.write(formatSummary(pipeline.ingest.stats, pipeline.deadLetter.description, Date.now() - started, { stats: pipeline.detection.stats, workloads: pipeline.detection.baselines.size, tally }));
  if (scores !== undefined) process.stdout.write(`scores: ${scores.written.toLocaleString('en-US')} flow records scored, written to ${values['scores-out']}\n`);
  if (live !== undefined && pipeline.stage !== undefined) {
    const logger = createLogger(logLevel(values));
    const topics = stateTopics(live);
    const written = await writeWarmStart(createKafka(live.kafka!, logger), topics, pipeline.stage, logger);
    process.stdout.write(`warm start: ${written.workloads} workload baselines and the role view written to ${topics.changelog} and ${topics.peerGroups} (${(written.bytes / 1e6).toFixed(1)} MB); \`flowhound run --pipeline ${values.pipeline}\` starts from them\n`);
  }
  return EXIT.ok;
}

/** `--warm-start` writes into the durable state of the `--pipeline`, which must read Kafka. */
function warmStartTarget(values: Values): PipelineConfig {
  if (typeof values.pipeline !== 'string') throw new FlowhoundError('FH_USAGE', '--warm-start needs --pipeline FILE: the live pipeline whose state it writes');
  const config = loadPipelineFile(values.pipeline);
  if (config.kafka === undefined || !config.state.enabled) throw new FlowhoundError('FH_USAGE', `--warm-start: pipeline ${values.pipeline} has no kafka: section or has state.enabled: false, so it has no durable state to start from`);
  return config;
}

/** Starts the OpenTelemetry SDK with /metrics and hands the pipeline its metrics. */
async function startMetrics(config: PipelineConfig, values: Values, options: BuildOptions): Promise<Telemetry> {
  const portText = values['metrics-port'];
  const port = typeof portText === 'string' ? Number(portText) : config.metrics.port;
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new FlowhoundError('FH_USAGE', `--metrics-port must be a port number, got ${JSON.stringify(portText)}`);
  let telemetry: Telemetry;
  try {
    telemetry = await startTelemetry({ host: config.metrics.host, port });
  } catch (error) {
    throw new FlowhoundError('FH_USAGE', `cannot serve metrics on ${config.metrics.host}:${port}: ${(error as Error).message}`, { cause: error });
  }
  options.metrics = new PipelineMetrics(telemetry.meter, { topWorkloads: config.metrics.top_workloads });
  options.logger.info(`metrics at ${telemetry.url}`);
  return telemetry;
}

function timeOption(value: unknown, name: string, fallback: number): number {
  if (value === undefined) return fallback;
  const ms = Date.parse(String(value));
  if (Number.isNaN(ms)) throw new FlowhoundError('FH_USAGE', `${name} must be an ISO 8601 time such as 2026-11-01T08:00:00Z, got ${JSON.stringify(value)}`);
  return ms;
}

function numberOption(value: unknown, name: string): number {
  if (value === undefined) return 0;
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new FlowhoundError('FH_USAGE', `${name} must be a positive number, got ${JSON.stringify(value)}`);
  return n;
}

/** `replay --to kafka`: the files' original lines into the pipeline's topics. */
async function replayToKafka(values: Values, files: string[], range: { from: number; until: number }): Promise<number> {
  if (typeof values.pipeline !== 'string') throw new FlowhoundError('FH_USAGE', 'replay --to kafka needs --pipeline FILE (its kafka: section and Kafka sources name the brokers and topics)');
  const config = loadPipelineFile(values.pipeline);
  if (config.kafka === undefined) throw new FlowhoundError('FH_USAGE', `${values.pipeline}: replay --to kafka needs a kafka: section`);
  if (files.some((file) => parseFileArgument(file).cluster !== undefined)) throw new FlowhoundError('FH_USAGE', 'replay --to kafka sends the original lines, which carry no cluster: FILE@CLUSTER is for in-process replays (the pipeline\'s Kafka sources name their cluster)');
  const logger = createLogger(logLevel(values));
  const position = { sent: 0, eventTime: Number.NaN, bytesRead: 0 };
  const progress = new Progress(files, () => ({ records: position.sent, eventTime: position.eventTime }), () => position.bytesRead);
  let result: Awaited<ReturnType<typeof replayIntoKafka>>;
  try {
    result = await replayIntoKafka({
      kafka: createKafka(config.kafka, logger), config, files, rate: numberOption(values.rate, '--rate'), speed: numberOption(values.speed, '--speed'),
      from: range.from, until: range.until, logger, ...inputFormat(values),
      onProgress: (sent, at, bytesRead) => Object.assign(position, { sent, eventTime: at, bytesRead }),
    });
  } finally {
    progress.stop();
  }
  process.stdout.write(`flowhound: produced ${result.sent} messages in ${result.seconds.toFixed(2)} s (${Math.round(result.sent / Math.max(result.seconds, 1e-3))}/s)${result.skipped > 0 ? `, ${result.skipped} outside --from/--until` : ''}\n`);
  return EXIT.ok;
}

/** The pipeline for in-process replays: its sources swapped for the files, the rest unchanged. */
function replayConfig(values: Values, files: string[]): PipelineConfig {
  const base: PipelineConfig = typeof values.pipeline === 'string'
    ? loadPipelineFile(values.pipeline)
    : validatePipeline({ name: 'replay', sources: { files: { type: 'file', paths: ['-'] } } }, '(built-in replay pipeline)');
  const sources: PipelineConfig['sources'] = {};
  const { format, csv } = inputFormat(values);
  for (const [cluster, paths] of filesByCluster(files)) {
    sources[cluster === undefined ? 'files' : `files@${cluster}`] = { type: 'file', paths, format, max_batch_records: 2_000, ...(csv === undefined ? {} : { csv }), ...(cluster === undefined ? {} : { cluster }) };
  }
  const tick = values['tick-seconds'];
  const detection = tick === undefined ? base.detection : { ...base.detection, edge_burst: { ...base.detection.edge_burst, tick_seconds: positiveSeconds(tick, '--tick-seconds') } };
  return { ...base, cluster: typeof values.cluster === 'string' ? values.cluster : base.cluster, sources, detection };
}

function positiveSeconds(text: string | boolean | string[], flag: string): number {
  const n = Number(text);
  if (typeof text !== 'string' || !Number.isFinite(n) || n <= 0) throw new FlowhoundError('FH_USAGE', `${flag} must be a positive number of seconds, got ${JSON.stringify(text)}`);
  return n;
}

/** The file paths of `FILE[@CLUSTER]` arguments (what progress lines and sizes read). */
function pathsOf(files: string[]): string[] {
  return files.map((file) => parseFileArgument(file).path);
}

async function evaluateCommand(args: string[]): Promise<number> {
  const { values, positionals } = parse(args, { labels: { type: 'string' }, pipeline: { type: 'string' }, cluster: { type: 'string' }, json: { type: 'string' }, report: { type: 'string' }, 'alerts-out': { type: 'string' }, 'scores-out': { type: 'string' }, 'tick-seconds': { type: 'string' }, ...INPUT_OPTIONS, ...COMMON_OPTIONS });
  if (values.help === true) return help('evaluate');
  if (typeof values.labels !== 'string') throw new FlowhoundError('FH_USAGE', 'evaluate needs --labels FILE');
  if (positionals.length === 0) throw new FlowhoundError('FH_USAGE', 'evaluate needs at least one DATA file');
  const labels = loadLabels(values.labels);
  const config = replayConfig(values, positionals);
  const tally = new AlertTally();
  const raised: RaisedAlert[] = [];
  let watermark = () => 0;
  const recorder: AlertSink = { write: async (alerts) => { for (const alert of alerts) raised.push({ alert, raisedAt: watermark() }); }, close: async () => {} };
  const options: BuildOptions = { ...buildOptions(values, tally), mergeFilesByEventTime: true };
  options.alertSinks!.push(recorder);
  if (typeof values['alerts-out'] === 'string') options.alertsOut = values['alerts-out'];
  // Every flow record is scored: its score and label rank it (ROC-AUC), and `--scores-out` gets it.
  const scores = new ScoreRecorder({ ...(typeof values['scores-out'] === 'string' ? { scoresOut: values['scores-out'] } : {}), inputs: pathsOf(positionals), labels });
  options.onScore = scores.onScore;
  // The event time the records cover: the report's time axes span the whole replay.
  const span = { startMs: Number.POSITIVE_INFINITY, endMs: Number.NEGATIVE_INFINITY };
  if (typeof values.report === 'string') {
    options.stages = [{
      process: async (records) => {
        for (const record of records) {
          const t = eventTime(record);
          if (t < span.startMs) span.startMs = t;
          if (t > span.endMs) span.endMs = t;
        }
      },
      close: async () => {},
    }];
  }
  const pipeline = buildPipeline(config, options);
  watermark = () => pipeline.detection.watermark;
  const started = Date.now();
  await pipeline.run();
  process.stdout.write(formatSummary(pipeline.ingest.stats, pipeline.deadLetter.description, Date.now() - started, { stats: pipeline.detection.stats, workloads: pipeline.detection.baselines.size, tally }));
  const workloadHours = (pipeline.detection.stats.windowsClosed * config.detection.window_seconds) / 3600;
  const evaluation = score(labels, raised, workloadHours);
  const ranking = scores.close()!;
  process.stdout.write('\n' + formatEvaluation(evaluation) + formatRanking(ranking));
  if (typeof values['scores-out'] === 'string') process.stdout.write(`scores: ${scores.written.toLocaleString('en-US')} flow records, written to ${values['scores-out']}\n`);
  if (typeof values.json === 'string') writeFileSync(values.json, JSON.stringify({ ...evaluation, perRecord: ranking }, null, 2) + '\n');
  if (typeof values.report === 'string') {
    const records = scores.scores!;
    const data = evaluationReportData(evaluation, labels, raised, {
      labelsFile: values.labels, dataFiles: positionals, span, scorer: 'edge-burst (MIDAS-R) score per flow record',
      records: Array.from({ length: records.length }, (_, i) => ({ time: records.times[i]!, score: records.scores[i]!, attack: records.attacks[i] === 1 })),
    });
    writeFileSync(values.report, renderEvaluationReport(data));
    process.stdout.write(`report: ${values.report}\n`);
  }
  return EXIT.ok;
}

async function convertCommand(args: string[]): Promise<number> {
  const { values, positionals } = parse(args, {
    to: { type: 'string' }, stream: { type: 'boolean' }, cluster: { type: 'string' }, labels: { type: 'string' }, 'dead-letter': { type: 'string' },
    'no-original': { type: 'boolean' }, 'drop-original': { type: 'boolean' }, ...INPUT_OPTIONS,
  });
  if (values.help === true) return help('convert');
  if (typeof values.to !== 'string') throw new FlowhoundError('FH_USAGE', 'convert needs --to FILE.arrow');
  if (positionals.length === 0) throw new FlowhoundError('FH_USAGE', 'convert needs at least one input file (or - for stdin)');
  const labels = typeof values.labels === 'string' ? loadLabels(values.labels) : undefined;
  const config = replayConfig(values, positionals);
  const deadLetterPath = typeof values['dead-letter'] === 'string' ? values['dead-letter'] : DEFAULT_DEAD_LETTER_FILE;
  const deadLetter = new DeadLetterFile(deadLetterPath);
  // Which inputs were given a cluster: the dataset says so, and a replay's --cluster replaces
  // the placeholder the others' Calico records get (and only that).
  const given = positionals.map((file) => parseFileArgument(file).cluster ?? (typeof values.cluster === 'string' ? values.cluster : undefined));
  const clusters = { from: given.every((cluster) => cluster !== undefined) ? 'given' as const : 'default' as const, names: [...new Set(given.filter((cluster) => cluster !== undefined))] };
  const stage = new ArrowStage(values.to, { format: values.stream === true ? 'stream' : 'file', clusters, ...(labels === undefined ? {} : { labels }) });
  const keepOriginals = values['no-original'] !== true && values['drop-original'] !== true;
  const ingest = new Ingest({ deadLetter, stages: [stage], maxRecordBytes: config.limits.max_record_bytes, maxFutureSkewMs: config.limits.max_future_skew_seconds * 1000, keepOriginals });
  const started = Date.now();
  const progress = new Progress(pathsOf(positionals), () => ({ records: ingest.stats.total(ingest.stats.received), eventTime: Number.NaN }));
  try {
    const { format, csv } = inputFormat(values);
    await replayMerged(ingest, positionals.map((file) => {
      const { path, cluster } = parseFileArgument(file);
      return { path, format, csv, cluster: cluster ?? config.cluster, source: 'files' };
    }), 2_000);
    await ingest.close();
  } finally {
    progress.stop();
  }
  const bytesIn = pathsOf(positionals).reduce((sum, p) => sum + (p === '-' ? 0 : statSync(p).size), 0);
  const bytesOut = values.to === '-' ? 0 : statSync(values.to).size;
  const out = values.to === '-' ? process.stderr : process.stdout;
  out.write(formatSummary(ingest.stats, `file ${deadLetterPath}`, Date.now() - started));
  out.write(`wrote ${stage.writer.rows.written} rows to ${values.to}${bytesOut > 0 ? ` (${(bytesOut / 1e6).toFixed(1)} MB from ${(bytesIn / 1e6).toFixed(1)} MB of input)` : ''}\n`);
  if (stage.unclustered > 0) {
    // Episodes are matched by cluster when the label column is filled: a replay's --cluster comes too late for those.
    const labelled = [...new Set((labels ?? []).map((label) => label.cluster).filter((cluster) => cluster !== '' && cluster !== PLACEHOLDER_CLUSTER))];
    const episodes = labelled.length === 0 ? '' : ` (but --labels matched them as "${PLACEHOLDER_CLUSTER}": episodes of ${labelled.map((c) => JSON.stringify(c)).join(', ')} label none of them)`;
    process.stderr.write(`convert: ${stage.unclustered.toLocaleString('en-US')} Calico records have no cluster (give --cluster NAME or FILE@CLUSTER); they are written as "${PLACEHOLDER_CLUSTER}" and a replay can set it with --cluster${episodes}\n`);
  }
  return EXIT.ok;
}

function validateCommand(args: string[]): number {
  const { values, positionals } = parse(args, {});
  if (values.help === true) return help('validate');
  if (positionals.length === 0) throw new FlowhoundError('FH_USAGE', 'validate needs at least one pipeline FILE');
  const problems: string[] = [];
  for (const path of positionals) {
    try {
      const config = loadPipelineFile(path);
      process.stdout.write(`${path}: ok (pipeline ${config.name}, ${Object.keys(config.sources).length} source(s))\n`);
    } catch (error) {
      if (!(error instanceof FlowhoundError)) throw error;
      problems.push(error.message);
    }
  }
  if (problems.length > 0) {
    process.stderr.write(problems.join('\n') + '\n');
    return EXIT.usage;
  }
  return EXIT.ok;
}

function help(command: string): number {
  process.stdout.write(COMMAND_HELP[command] ?? HELP);
  return EXIT.ok;
}

// Run when executed directly (node src/cli/main.ts, or bin/flowhound.js importing this file).
const invokedDirectly = process.argv[1] !== undefined && /(?:main\.ts|flowhound(?:\.js)?)$/.test(process.argv[1]);
if (invokedDirectly) {
  main(process.argv.slice(2)).then(
    (code) => { process.exitCode = code; },
    (error) => { process.exitCode = reportError(error); },
  );
}
