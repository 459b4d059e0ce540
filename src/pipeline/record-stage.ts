import type { NormalizedRecord } from '../model/normalized-record.ts';
import type { RecordOriginals } from './record-originals.ts';

/**
 * A consumer of normalised records after the parsers (record files today; baselines and
 * detectors next). `process` resolves once the records are fully handled, which is what lets
 * a source acknowledge its batch.
 */
export interface RecordStage {
  /**
   * `lane`: where the records came from, in order (a Kafka topic partition, a file); event
   * time advances per lane, and the watermark is the slowest lane's. `originals`: the source
   * line of each record, when the ingest was asked to keep them (convert).
   */
  process(records: NormalizedRecord[], lane?: string, originals?: RecordOriginals): Promise<void>;
  close(): Promise<void>;
}

/** Keeps every record in memory: the twin used by tests. */
export class MemoryStage implements RecordStage {
  readonly records: NormalizedRecord[] = [];
  async process(records: NormalizedRecord[]): Promise<void> {
    for (const record of records) this.records.push(record);
  }
  async close(): Promise<void> {}
}
