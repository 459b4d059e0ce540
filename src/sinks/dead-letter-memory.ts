import type { DeadLetter, DeadLetterSink } from './dead-letter.ts';

/** In-memory twin of the dead-letter sinks, for tests; `failNext` simulates an unavailable sink. */
export class MemoryDeadLetter implements DeadLetterSink {
  readonly description = 'memory';
  readonly letters: DeadLetter[] = [];
  failNext = 0;

  async write(letters: DeadLetter[]): Promise<void> {
    if (this.failNext > 0) {
      this.failNext--;
      throw new Error('dead-letter sink unavailable');
    }
    this.letters.push(...letters);
  }

  async close(): Promise<void> {}
}
