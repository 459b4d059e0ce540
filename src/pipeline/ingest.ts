import { SpanStatusCode, trace } from '@opentelemetry/api';
import type { NormalizedRecord } from '../model/normalized-record.ts';
import type { ParseContext } from '../parsers/parse-context.ts';
import { decodeMessage } from '../parsers/record-decoder.ts';
import type { DeadLetter, DeadLetterSink } from '../sinks/dead-letter.ts';
import type { SourceBatch } from '../sources/types.ts';
import { IngestStats } from './ingest-stats.ts';
import { RecordOriginals } from './record-originals.ts';
import type { RecordStage } from './record-stage.ts';

const tracer = trace.getTracer('flowhound');

export interface IngestOptions {
  deadLetter: DeadLetterSink;
  stages: RecordStage[];
  maxRecordBytes: number;
  maxFutureSkewMs: number;
  /** Wall clock, used only to reject far-future event times. */
  clock?: () => number;
  /** Told how long each batch took end to end (decode, dead letters, every stage). */
  onBatch?: (source: string, seconds: number, messages: number) => void;
  /** Keep each record's source line for the stages (Arrow datasets); off for detection. */
  keepOriginals?: boolean;
}

/**
 * The one record path shared by live and replay: decode every message of a batch, send the
 * rejects to the dead-letter sink with their reason, hand the records to the stages, and
 * resolve only when all of that is done (the source acknowledges the batch after this).
 */
export class Ingest {
  readonly stats = new IngestStats();
  /** Source lines of the records in flight, when `keepOriginals`. */
  readonly originals: RecordOriginals | undefined;
  private readonly options: IngestOptions;
  private readonly clock: () => number;

  constructor(options: IngestOptions) {
    this.options = options;
    this.clock = options.clock ?? Date.now;
    this.originals = options.keepOriginals === true ? new RecordOriginals() : undefined;
  }

  async handle(batch: SourceBatch): Promise<void> {
    const started = performance.now();
    // A no-op unless OTEL_* variables enabled tracing (see telemetry/otel.ts).
    await tracer.startActiveSpan('flowhound.batch', { attributes: { 'flowhound.source': batch.source, 'flowhound.messages': batch.messages.length } }, async (span) => {
      try {
        const { records, letters } = batch.decoded ?? this.decode(batch);
        const origin = batch.messages[0]?.origin;
        await this.deliver(records, letters, origin?.kind === 'kafka' ? `${origin.topic}|${origin.partition}` : batch.source);
      } catch (error) {
        span.recordException(error as Error);
        span.setStatus({ code: SpanStatusCode.ERROR });
        throw error;
      } finally {
        span.end();
      }
    });
    this.options.onBatch?.(batch.source, (performance.now() - started) / 1000, batch.messages.length);
  }

  /** Decodes a batch and counts the outcome; nothing leaves until `deliver`. */
  decode(batch: SourceBatch): { records: NormalizedRecord[]; letters: DeadLetter[] } {
    return tracer.startActiveSpan('flowhound.decode', (span) => {
      const decoded = this.decodeBatch(batch);
      span.setAttributes({ 'flowhound.source': batch.source, 'flowhound.records': decoded.records.length, 'flowhound.rejected': decoded.letters.length });
      span.end();
      return decoded;
    });
  }

  private decodeBatch(batch: SourceBatch): { records: NormalizedRecord[]; letters: DeadLetter[] } {
    const { stats, options, originals } = this;
    const now = this.clock();
    // `line`: each file message's, which its record keeps as `row` (and a CSV rejection names).
    const ctx: ParseContext = { cluster: batch.cluster, now, maxFutureSkewMs: options.maxFutureSkewMs, csv: batch.csv, line: undefined };
    const records: NormalizedRecord[] = [];
    const letters: DeadLetter[] = [];
    stats.countReceived(batch.source, batch.messages.length);
    for (const message of batch.messages) {
      const origin = message.origin;
      ctx.line = origin.kind === 'file' ? origin.line : undefined;
      const result = decodeMessage(message.value, batch.format, ctx, options.maxRecordBytes);
      if (result.status === 'ok') {
        records.push(result.record);
        originals?.keep(result.record, message.value);
      } else if (result.status === 'skipped') {
        stats.countSkipped(batch.source, result.reason);
      } else {
        stats.countInvalid(batch.source, result.format, result.reason);
        const letter: DeadLetter = {
          source: batch.source, origin: message.origin, format: result.format,
          reason: result.reason, detail: result.detail, raw: message.value, rejectedAt: now,
        };
        if (message.key !== undefined) letter.key = message.key;
        letters.push(letter);
      }
    }
    stats.countRecords(batch.source, records);
    return { records, letters };
  }

  /** Counts records that arrive already normalised (Arrow datasets), as if decoded. */
  countNormalized(source: string, records: NormalizedRecord[]): void {
    this.stats.countReceived(source, records.length);
    this.stats.countRecords(source, records);
  }

  /** Dead-letters the rejects, then hands the records to every stage, in order. */
  async deliver(records: NormalizedRecord[], letters: DeadLetter[], lane?: string): Promise<void> {
    await tracer.startActiveSpan('flowhound.deliver', { attributes: { 'flowhound.records': records.length, 'flowhound.dead_letters': letters.length } }, async (span) => {
      try {
        await this.options.deadLetter.write(letters);
        this.stats.deadLettered += letters.length;
        for (const stage of this.options.stages) await stage.process(records, lane, this.originals);
      } finally {
        span.end();
      }
    });
  }

  async close(): Promise<void> {
    for (const stage of this.options.stages) await stage.close();
    await this.options.deadLetter.close();
  }
}
