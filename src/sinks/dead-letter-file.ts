import { createWriteStream, type WriteStream } from 'node:fs';
import { once } from 'node:events';
import { FlowhoundError } from '../errors.ts';
import { deadLetterJson, type DeadLetter, type DeadLetterSink } from './dead-letter.ts';

/** Appends rejected records to a JSON-lines file, created on the first rejection. */
export class DeadLetterFile implements DeadLetterSink {
  readonly description: string;
  private readonly path: string;
  private stream: WriteStream | undefined;
  written = 0;

  constructor(path: string) {
    this.path = path;
    this.description = `file ${path}`;
  }

  async write(letters: DeadLetter[]): Promise<void> {
    if (letters.length === 0) return;
    if (this.stream === undefined) {
      this.stream = createWriteStream(this.path, { flags: 'a' });
      await Promise.race([once(this.stream, 'open'), once(this.stream, 'error').then(([error]) => {
        throw new FlowhoundError('FH_SINK', `dead-letter file ${this.path}: ${(error as Error).message}`, { cause: error });
      })]);
    }
    let text = '';
    for (const letter of letters) text += deadLetterJson(letter) + '\n';
    const stream = this.stream;
    await new Promise<void>((resolve, reject) => stream.write(text, (error) => (error ? reject(error) : resolve())));
    this.written += letters.length;
  }

  async close(): Promise<void> {
    const stream = this.stream;
    if (stream === undefined) return;
    this.stream = undefined;
    await new Promise<void>((resolve) => stream.end(resolve));
  }
}
