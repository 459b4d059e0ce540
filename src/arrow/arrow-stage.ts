import { episodeOf, type Label } from '../evaluation/labels.ts';
import type { NormalizedRecord } from '../model/normalized-record.ts';
import type { RecordOriginals } from '../pipeline/record-originals.ts';
import type { RecordStage } from '../pipeline/record-stage.ts';
import { PLACEHOLDER_CLUSTER, type DatasetMetadata } from './record-schema.ts';
import { ArrowRecordWriter } from './record-writer.ts';

export interface ArrowStageOptions {
  format?: 'file' | 'stream';
  /** Fill the label column from these attack episodes (`convert --labels`); the dataset says it is labelled per record. */
  labels?: Label[];
  batchSize?: number;
  /**
   * How the inputs' clusters were set (`convert`): `default` when some input had neither
   * --cluster nor FILE@CLUSTER (its Calico records get the placeholder), `given` otherwise.
   * Kept in the schema metadata, so a replay knows which clusters its --cluster may replace.
   */
  clusters?: { from: 'default' | 'given'; names: string[] };
}

/** Whether a record is Calico's (whose lines carry no cluster) and was written with the placeholder cluster. */
function placeholderCalico(record: NormalizedRecord): boolean {
  if (record.kind === 'flow') return record.format === 'calico-flow' && (record.src.cluster === PLACEHOLDER_CLUSTER || record.dst.cluster === PLACEHOLDER_CLUSTER);
  return record.format === 'calico-dns' && record.client.cluster === PLACEHOLDER_CLUSTER;
}

/**
 * Writes every record to an Arrow dataset (the `convert` command's stage), with its source
 * line when the ingest keeps them (`keepOriginals`; otherwise the column stays null). The
 * label column holds the episode a record belongs to (with `labels`), else the record's own
 * label (a labelled CSV row, an Arrow dataset converted again), else null.
 */
export class ArrowStage implements RecordStage {
  readonly writer: ArrowRecordWriter;
  /** Calico records written with the placeholder cluster (counted when some input had no cluster). */
  unclustered = 0;
  private readonly labels: Label[];
  private readonly countUnclustered: boolean;

  constructor(path: string, options: ArrowStageOptions = {}) {
    const { format, batchSize, clusters } = options;
    const metadata: DatasetMetadata = { ...(clusters === undefined ? {} : { clusters }), labelled: options.labels !== undefined };
    this.writer = new ArrowRecordWriter(path, { ...(format === undefined ? {} : { format }), ...(batchSize === undefined ? {} : { batchSize }), metadata });
    this.labels = options.labels ?? [];
    this.countUnclustered = clusters?.from === 'default';
  }

  async process(records: NormalizedRecord[], _lane?: string, originals?: RecordOriginals): Promise<void> {
    const labels = this.labels;
    for (const record of records) {
      if (this.countUnclustered && placeholderCalico(record)) this.unclustered++;
      const episode = labels.length === 0 ? undefined : episodeOf(record, labels)?.scenario;
      const own = record.kind === 'flow' ? record.label : undefined;
      await this.writer.write(record, episode ?? own ?? null, originals?.take(record) ?? null);
    }
  }

  async close(): Promise<void> {
    await this.writer.close();
  }
}
