import { createWriteStream, type WriteStream } from 'node:fs';
import type { NormalizedRecord } from '../model/normalized-record.ts';
import type { RecordStage } from '../pipeline/record-stage.ts';

/** Writes normalised records as JSON lines (`--records-out`), for inspection and for other tools. */
export class RecordsFile implements RecordStage {
  private readonly stream: WriteStream;

  constructor(path: string) {
    this.stream = createWriteStream(path, { flags: 'w' });
  }

  async process(records: NormalizedRecord[]): Promise<void> {
    if (records.length === 0) return;
    let text = '';
    for (const record of records) text += JSON.stringify(record) + '\n';
    // Respect backpressure so a slow disk slows the source instead of filling memory.
    if (!this.stream.write(text)) await new Promise<void>((resolve) => this.stream.once('drain', resolve));
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      this.stream.once('error', reject);
      this.stream.end(resolve);
    });
  }
}
