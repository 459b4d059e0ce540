import type { AlertTally } from '../alerts/alert-tally.ts';
import type { DetectionStats } from '../pipeline/detection-stage.ts';
import type { IngestStats } from '../pipeline/ingest-stats.ts';

/** The readable end-of-run report: records by format and kind, rejects by reason. */
export function formatSummary(stats: IngestStats, deadLetter: string, elapsedMs: number, detection?: { stats: DetectionStats; workloads: number; tally: AlertTally }): string {
  const lines: string[] = [];
  const received = stats.total(stats.received);
  const records = stats.total(stats.records);
  const rate = elapsedMs > 0 ? Math.round((received / elapsedMs) * 1000) : 0;
  lines.push(`flowhound: ${received} messages in ${(elapsedMs / 1000).toFixed(2)} s (${rate}/s): ${records} records, ${stats.total(stats.skipped)} skipped, ${stats.total(stats.invalid)} invalid`);
  lines.push('records by format and kind:');
  for (const [key, n] of sorted(stats.records)) lines.push(`  ${key.padEnd(24)} ${n}`);
  if (stats.skipped.size > 0) {
    lines.push('skipped (well-formed, deliberately not counted twice):');
    for (const [reason, n] of sorted(stats.skipped)) lines.push(`  ${reason.padEnd(24)} ${n}`);
  }
  if (stats.invalid.size > 0) {
    lines.push(`invalid by reason (dead-lettered to ${deadLetter}):`);
    for (const [reason, n] of sorted(stats.invalid)) lines.push(`  ${reason.padEnd(24)} ${n}`);
  }
  if (detection !== undefined) {
    const { stats: d, workloads, tally } = detection;
    lines.push(`detection: ${workloads} workloads baselined, ${d.windowsClosed} workload-windows judged, ${d.late} late records, ${tally.total} alerts`);
    for (const [detector, n] of [...tally.byDetector.entries()].sort((a, b) => (a[0] < b[0] ? -1 : 1))) {
      lines.push(`  ${detector.padEnd(26)} ${String(n.critical).padStart(3)} critical ${String(n.warning).padStart(3)} warning`);
    }
  }
  return lines.join('\n') + '\n';
}

function sorted<K extends string>(map: Map<K, number>): [K, number][] {
  return [...map.entries()].sort((a, b) => (a[0] < b[0] ? -1 : 1));
}
