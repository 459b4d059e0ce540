/**
 * Worker thread of `replay --to kafka`: reads, routes (key and event time: routeMessage) and
 * merges the input files, and hands the main thread ready-to-send chunks: the lines as one
 * UTF-8 buffer (transferred, not copied) with their keys, formats and event times. Routing here
 * leaves the main thread to kafkajs's encoding, so the two use both cores.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { FlowhoundError } from '../errors.ts';
import { inputBytesRead } from '../sources/file-source.ts';
import { packChunk, type ReaderMessage, type ReaderRequest } from './replay-chunk.ts';
import { replayItems, type ReplayItem, type ReplayItemOptions } from './replay-items.ts';

const port = parentPort!;
const options = workerData as ReplayItemOptions & { chunkSize: number; credits: number };
let credits = options.credits;
let wake: (() => void) | undefined;
port.on('message', (request: ReaderRequest) => {
  if (request.type === 'credit') {
    credits++;
    wake?.();
  }
});

async function send(items: ReplayItem[]): Promise<void> {
  while (credits === 0) await new Promise<void>((resolve) => (wake = resolve));
  credits--;
  const chunk = packChunk(items, inputBytesRead());
  port.postMessage({ type: 'chunk', chunk } satisfies ReaderMessage, [chunk.bytes.buffer, chunk.ends.buffer, chunk.formats.buffer, chunk.times.buffer, chunk.keyIndex.buffer]);
}

try {
  const counts = { skipped: 0 };
  let pending: ReplayItem[] = [];
  for await (const ready of replayItems(options, counts)) {
    for (const item of ready) pending.push(item);
    if (pending.length >= options.chunkSize) {
      await send(pending);
      pending = [];
    }
  }
  if (pending.length > 0) await send(pending);
  port.postMessage({ type: 'end', skipped: counts.skipped } satisfies ReaderMessage);
} catch (error) {
  const code = error instanceof FlowhoundError ? error.code : 'FH_INPUT_UNREADABLE';
  port.postMessage({ type: 'error', code, message: (error as Error).message } satisfies ReaderMessage);
}
port.close();
