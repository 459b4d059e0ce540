import type { Label } from '../evaluation/labels.ts';
import type { NormalizedRecord } from '../model/normalized-record.ts';
import type { RecordOriginals } from '../pipeline/record-originals.ts';
import type { RecordStage } from '../pipeline/record-stage.ts';
import { ArrowRecordWriter } from './record-writer.ts';

/** The label of the attack a record belongs to: its initiating workload, inside the label's window. */
function labelOf(record: NormalizedRecord, labels: Label[]): string | null {
  const who = record.kind === 'flow' ? record.src : record.client;
  const at = record.kind === 'flow' ? record.windowEnd : record.time;
  for (const label of labels) {
    if (who.workload === label.workload && who.namespace === label.namespace && (label.cluster === '' || who.cluster === label.cluster) && at >= label.startMs && record.windowStart <= label.endMs) return label.scenario;
  }
  return null;
}

/**
 * Writes every record to an Arrow dataset (the `convert` command's stage), with its source
 * line when the ingest keeps them (`keepOriginals`; otherwise the column stays null).
 */
export class ArrowStage implements RecordStage {
  readonly writer: ArrowRecordWriter;
  private readonly labels: Label[];

  constructor(path: string, options: { format?: 'file' | 'stream'; labels?: Label[]; batchSize?: number } = {}) {
    const { format, batchSize } = options;
    this.writer = new ArrowRecordWriter(path, { ...(format === undefined ? {} : { format }), ...(batchSize === undefined ? {} : { batchSize }) });
    this.labels = options.labels ?? [];
  }

  async process(records: NormalizedRecord[], _lane?: string, originals?: RecordOriginals): Promise<void> {
    for (const record of records) await this.writer.write(record, this.labels.length === 0 ? null : labelOf(record, this.labels), originals?.take(record) ?? null);
  }

  async close(): Promise<void> {
    await this.writer.close();
  }
}
