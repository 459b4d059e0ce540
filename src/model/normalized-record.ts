import type { DnsRecord } from './dns-record.ts';
import type { FlowRecord } from './flow-record.ts';

/** Everything downstream of the parsers sees exactly one of these. */
export type NormalizedRecord = FlowRecord | DnsRecord;

/** Event time of a record (the end of its window), epoch ms. */
export function eventTime(record: NormalizedRecord): number {
  return record.kind === 'flow' ? record.windowEnd : record.time;
}
