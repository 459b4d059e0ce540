import { Worker } from 'node:worker_threads';
import { FlowhoundError, type ErrorCode } from '../errors.ts';
import type { ReaderMessage, ReaderRequest, ReplayChunk } from './replay-chunk.ts';
import type { ReplayItemOptions } from './replay-items.ts';

/**
 * The input side of `replay --to kafka`, on a worker thread (replay-reader-worker.ts): chunks of
 * merged, keyed lines in send order. At most `credits` chunks wait here, so memory stays bounded
 * however fast the worker reads and however slow the broker takes them.
 */
export class ReplayReader {
  private readonly worker: Worker;
  private readonly queue: ReaderMessage[] = [];
  private wake: (() => void) | undefined;
  private exited: Error | undefined;

  constructor(options: ReplayItemOptions & { chunkSize?: number; credits?: number }) {
    const readsStdin = options.files.includes('-');
    this.worker = new Worker(new URL('./replay-reader-worker.ts', import.meta.url), {
      workerData: { ...options, chunkSize: options.chunkSize ?? 2_000, credits: options.credits ?? 4 },
      stdin: readsStdin,
    });
    // `-` is this process's standard input: the worker's own process.stdin is fed from it.
    if (readsStdin) process.stdin.pipe(this.worker.stdin!);
    this.worker.on('message', (message: ReaderMessage) => this.push(message));
    this.worker.on('error', (error) => this.push({ type: 'error', code: 'FH_INPUT_UNREADABLE', message: `replay reader failed: ${error.message}` }));
    this.worker.on('exit', (code) => {
      this.exited = new Error(`replay reader stopped (exit code ${code})`);
      this.wake?.();
    });
  }

  /** Chunks until the inputs end; throws what the worker could not read. Returns lines outside --from/--until. */
  async *chunks(): AsyncGenerator<ReplayChunk, number> {
    for (;;) {
      const message = await this.next();
      if (message.type === 'end') return message.skipped;
      if (message.type === 'error') throw new FlowhoundError(message.code as ErrorCode, message.message);
      yield message.chunk;
      this.worker.postMessage({ type: 'credit' } satisfies ReaderRequest);
    }
  }

  async close(): Promise<void> {
    await this.worker.terminate();
  }

  private push(message: ReaderMessage): void {
    this.queue.push(message);
    this.wake?.();
  }

  private async next(): Promise<ReaderMessage> {
    for (;;) {
      const message = this.queue.shift();
      if (message !== undefined) return message;
      if (this.exited !== undefined) throw new FlowhoundError('FH_INPUT_UNREADABLE', this.exited.message);
      await new Promise<void>((resolve) => (this.wake = resolve));
      this.wake = undefined;
    }
  }
}
