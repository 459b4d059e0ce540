import { NO_LABELS } from '../model/endpoint.ts';
import { FieldError } from './field-reader.ts';

/**
 * Label lists as the CNIs write them → `{ key: value }`.
 *   Calico: `["app=nginx", …]`, `{"labels": ["app=nginx"]}` (the doc's example), or `-`.
 *   Hubble: `["k8s:app=nginx", "reserved:world"]`; the `k8s:` source prefix is dropped, other
 *   sources (`reserved:`, `cidr:`, `fqdn:`) are kept as keys with an empty value.
 */
export function parseLabels(value: unknown, field: string): Record<string, string> {
  if (value === undefined || value === null || value === '-') return NO_LABELS;
  let list: unknown = value;
  if (!Array.isArray(list) && typeof list === 'object' && list !== null) list = (list as { labels?: unknown }).labels;
  if (list === undefined || list === null) return NO_LABELS;
  if (!Array.isArray(list)) throw new FieldError('invalid-field', `${field} must be a list of "key=value" strings`);
  if (list.length === 0) return NO_LABELS;
  return known(list) ?? remember(list, field);
}

/**
 * Label sets met before, by their first item: a cluster has a few hundred distinct sets and
 * each recurs in every batch, so a repeat costs a comparison of its items, not an object.
 * The sets are shared, frozen (as NO_LABELS is). Bounded: past LIMIT sets it starts afresh.
 */
const seen = new Map<string, { list: string[]; labels: Record<string, string> }[]>();
let held = 0;
const LIMIT = 10_000;
/** Sets kept per first item; a first item with more (a pod-unique label in front) is not cached. */
const PER_FIRST = 8;

function known(list: unknown[]): Record<string, string> | undefined {
  const first = list[0];
  if (typeof first !== 'string') return undefined;
  const candidates = seen.get(first);
  if (candidates === undefined) return undefined;
  for (const candidate of candidates) if (sameItems(candidate.list, list)) return candidate.labels;
  return undefined;
}

function sameItems(a: string[], b: unknown[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 1; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function remember(list: unknown[], field: string): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const item of list) {
    if (typeof item !== 'string') throw new FieldError('invalid-field', `${field} must be a list of "key=value" strings`);
    const start = item.startsWith('k8s:') ? 4 : 0;
    const eq = item.indexOf('=', start);
    if (eq < 0) labels[item.slice(start)] = '';
    else labels[item.slice(start, eq)] = item.slice(eq + 1);
  }
  Object.freeze(labels);
  const first = list[0] as string;
  let candidates = seen.get(first);
  if (candidates === undefined || candidates.length < PER_FIRST) {
    if (held >= LIMIT) {
      seen.clear();
      held = 0;
      candidates = undefined;
    }
    if (candidates === undefined) seen.set(first, (candidates = []));
    candidates.push({ list: list as string[], labels });
    held++;
  }
  return labels;
}
