import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { eventTime } from '../../src/model/normalized-record.ts';
import { decodeMessage } from '../../src/parsers/record-decoder.ts';

export const SAMPLE_FILES = ['datasets/sample/calico-flows.jsonl.gz', 'datasets/sample/calico-dns.jsonl.gz', 'datasets/sample/hubble-flows.jsonl.gz'];

/**
 * The shipped sample's lines (all three files) in event-time order, as a shipper merging its
 * inputs into one topic would send them; optionally only those up to `until` (epoch ms).
 */
export function sampleLinesInEventTime(until = Number.POSITIVE_INFINITY): string[] {
  const ctx = { cluster: 'prod-eu', now: Date.now(), maxFutureSkewMs: 3600_000 };
  const timed: { time: number; line: string }[] = [];
  for (const file of SAMPLE_FILES) {
    for (const line of gunzipSync(readFileSync(file)).toString('utf8').split('\n')) {
      if (line === '') continue;
      const decoded = decodeMessage(line, 'auto', ctx, 1 << 20);
      timed.push({ time: decoded.status === 'ok' ? eventTime(decoded.record) : 0, line });
    }
  }
  return timed.filter((t) => t.time <= until).sort((a, b) => a.time - b.time).map((t) => t.line);
}

/**
 * The end of the sample's last 5-minute window (epoch ms): once a run's watermark is there,
 * every window of the sample has been judged.
 */
export function sampleDataEnd(): number {
  const ctx = { cluster: 'prod-eu', now: Date.now(), maxFutureSkewMs: 3600_000 };
  let last = 0;
  for (const file of SAMPLE_FILES) {
    for (const line of gunzipSync(readFileSync(file)).toString('utf8').split('\n')) {
      if (line === '') continue;
      const decoded = decodeMessage(line, 'auto', ctx, 1 << 20);
      if (decoded.status === 'ok') last = Math.max(last, eventTime(decoded.record));
    }
  }
  return Math.ceil(last / 300_000) * 300_000;
}

/**
 * The shipped sample's lines with the index (into SAMPLE_FILES) of the file each comes from, in
 * event-time order across the files (a stable sort: lines of equal time keep their file order),
 * for tests that write the files progressively, as Calico and Hubble write them on a node.
 */
export function sampleLinesBySource(): { source: number; time: number; line: string }[] {
  const ctx = { cluster: 'prod-eu', now: Date.now(), maxFutureSkewMs: 3600_000 };
  const timed: { source: number; time: number; line: string }[] = [];
  for (const [source, file] of SAMPLE_FILES.entries()) {
    for (const line of gunzipSync(readFileSync(file)).toString('utf8').split('\n')) {
      if (line === '') continue;
      const decoded = decodeMessage(line, 'auto', ctx, 1 << 20);
      timed.push({ source, time: decoded.status === 'ok' ? eventTime(decoded.record) : 0, line });
    }
  }
  return timed.sort((a, b) => a.time - b.time);
}
