import { closeSync, openSync, writeSync } from 'node:fs';

/**
 * `--scores-out FILE`: one CSV line per scored record, `row,score` (row = the record's 1-based
 * data row in its input file, header excluded), with a leading `file` column when the replay
 * reads several inputs. Lines are buffered and written in large chunks.
 */
export class ScoresFile {
  readonly path: string;
  lines = 0;
  private readonly fd: number;
  private readonly files: string[] | undefined;
  private buffer = '';

  /** `files`: the inputs in the order their index is given to `write` (one input: no `file` column). */
  constructor(path: string, files: string[]) {
    this.path = path;
    this.fd = openSync(path, 'w');
    this.files = files.length > 1 ? files.map(csvField) : undefined;
    this.buffer = this.files === undefined ? 'row,score\n' : 'file,row,score\n';
  }

  write(file: number, row: number, score: number): void {
    // Six significant digits: enough to rank by, a third of the bytes of a full double.
    const value = score === 0 ? '0' : String(Number(score.toPrecision(6)));
    this.buffer += this.files === undefined ? `${row},${value}\n` : `${this.files[file] ?? file},${row},${value}\n`;
    this.lines++;
    if (this.buffer.length >= 1 << 20) this.flush();
  }

  close(): void {
    this.flush();
    closeSync(this.fd);
  }

  private flush(): void {
    if (this.buffer.length > 0) writeSync(this.fd, this.buffer);
    this.buffer = '';
  }
}

function csvField(text: string): string {
  return /[",\n\r]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}
