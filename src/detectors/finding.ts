import type { WindowStats } from '../baseline/window-stats.ts';
import type { Category, Finding, Severity } from '../model/alert.ts';
import type { Detector } from './types.ts';

/** Builds a finding for `window` with the detector's name, category and default technique. */
export function finding(
  detector: Pick<Detector<object>, 'name' | 'category' | 'techniques'>,
  window: WindowStats,
  fields: { peer: string; severity: Severity; score: number; summary: string; evidence: Record<string, unknown>; technique?: string; category?: Category; startsAt?: number },
): Finding {
  return {
    detector: detector.name,
    category: fields.category ?? detector.category,
    technique: fields.technique ?? detector.techniques[0]!,
    severity: fields.severity,
    score: Math.max(0, Math.min(1, fields.score)),
    workload: window.workload,
    peer: fields.peer,
    startsAt: fields.startsAt ?? window.start,
    endsAt: window.end,
    summary: fields.summary,
    evidence: fields.evidence,
  };
}

/** `cluster/namespace/name` of the window's workload, for summaries. */
export function who(window: WindowStats): string {
  return window.key;
}

/** 1234567 → `1.2 MB`: readable volumes in summaries (evidence keeps exact bytes). */
export function bytes(n: number): string {
  if (n < 1_000) return `${n} B`;
  const units = ['kB', 'MB', 'GB', 'TB', 'PB'];
  let value = n / 1_000;
  let unit = 0;
  while (value >= 1_000 && unit < units.length - 1) {
    value /= 1_000;
    unit++;
  }
  return `${value.toFixed(1)} ${units[unit]}`;
}
