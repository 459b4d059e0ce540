import { MergedFilesSource, type MergedFile } from '../sources/merged-files-source.ts';
import type { Ingest } from './ingest.ts';

/**
 * Replays files as one stream in event time through `ingest` (convert uses it; pipelines
 * build a MergedFilesSource themselves): the same Source → Ingest.handle path as live input.
 */
export async function replayMerged(ingest: Ingest, files: MergedFile[], maxBatch: number): Promise<void> {
  await new MergedFilesSource({ name: 'files', files, ingest, maxBatchRecords: maxBatch, windowMs: 300_000 }).run((batch) => ingest.handle(batch));
}
