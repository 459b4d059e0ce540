import type { RecordFormat } from '../model/record-format.ts';
import type { JsonObject } from './field-reader.ts';

/**
 * Tells the formats apart by keys only one of them has, so `format: auto` costs a few
 * property lookups per record and never guesses from values.
 */
export function detectFormat(obj: JsonObject): RecordFormat | undefined {
  if ('flow' in obj || 'verdict' in obj || 'node_status' in obj || 'lost_events' in obj) return 'hubble';
  if ('qname' in obj || 'client_name_aggr' in obj || obj.type === 'UNLOGGED') return 'calico-dns';
  if ('start_time' in obj && ('source_name_aggr' in obj || 'dest_name_aggr' in obj || 'source_type' in obj)) return 'calico-flow';
  return undefined;
}
