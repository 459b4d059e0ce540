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
  const labels: Record<string, string> = {};
  for (const item of list) {
    if (typeof item !== 'string') throw new FieldError('invalid-field', `${field} must be a list of "key=value" strings`);
    const start = item.startsWith('k8s:') ? 4 : 0;
    const eq = item.indexOf('=', start);
    if (eq < 0) labels[item.slice(start)] = '';
    else labels[item.slice(start, eq)] = item.slice(eq + 1);
  }
  return labels;
}
