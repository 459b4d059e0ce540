import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { FlowhoundError } from '../errors.ts';
import { CATEGORIES } from '../model/alert.ts';
import type { DnsRecord } from '../model/dns-record.ts';
import type { FlowRecord } from '../model/flow-record.ts';

/** One labelled attack: which workload, when, and what kind. One JSON object per line. */
export const labelSchema = z.object({
  scenario: z.string().min(1),
  category: z.enum(CATEGORIES),
  technique: z.string().optional(),
  cluster: z.string(),
  namespace: z.string(),
  workload: z.string(),
  start: z.iso.datetime({ offset: true }),
  end: z.iso.datetime({ offset: true }),
  description: z.string().optional(),
});

export type Label = z.infer<typeof labelSchema> & { startMs: number; endMs: number };

export function loadLabels(path: string): Label[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new FlowhoundError('FH_INPUT_UNREADABLE', `${path}: cannot read labels: ${(error as Error).message}`, { cause: error });
  }
  const labels: Label[] = [];
  text.split('\n').forEach((line, i) => {
    if (line.trim() === '') return;
    let raw: unknown;
    try {
      raw = JSON.parse(line);
    } catch (error) {
      throw new FlowhoundError('FH_USAGE', `${path}:${i + 1}: not JSON: ${(error as Error).message}`);
    }
    const parsed = labelSchema.safeParse(raw);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      throw new FlowhoundError('FH_USAGE', `${path}:${i + 1}: ${issue.path.join('.') || '(line)'}: ${issue.message}`);
    }
    labels.push({ ...parsed.data, startMs: Date.parse(parsed.data.start), endMs: Date.parse(parsed.data.end) });
  });
  return labels;
}

/** What episodeOf reads of a record: a flow's initiator and window, or a DNS record's client and window. */
export type EpisodeRecord =
  | (Pick<FlowRecord, 'src' | 'windowStart' | 'windowEnd'> & { kind?: 'flow' })
  | Pick<DnsRecord, 'kind' | 'client' | 'windowStart' | 'time'>;

/**
 * The labelled attack episode a record belongs to: its initiating workload (a flow's source, a
 * DNS lookup's client) is the label's, in the label's cluster ('' = any), and its window
 * overlaps the label's. The one rule: `convert --labels` fills an Arrow dataset's label column
 * with it, and an evaluation ranks records without a label of their own by it.
 */
export function episodeOf(record: EpisodeRecord, labels: readonly Label[]): Label | undefined {
  const dns = record.kind === 'dns';
  const who = dns ? record.client : record.src;
  const end = dns ? record.time : record.windowEnd;
  for (const label of labels) {
    if (who.workload === label.workload && who.namespace === label.namespace && (label.cluster === '' || who.cluster === label.cluster) && end >= label.startMs && record.windowStart <= label.endMs) return label;
  }
  return undefined;
}
