import type { Endpoint } from './endpoint.ts';
import type { RecordFormat } from './record-format.ts';

/**
 * DNS lookups by one client, normalised from Calico DNS logs or Hubble L7 DNS flows.
 *
 * Example (Calico, 42 TXT lookups in a 5-minute window):
 * `{ kind: 'dns', format: 'calico-dns', windowStart: 1700000000000, time: 1700000300000,
 *    client: {…trainer…}, qname: 'a1b2c3.exfil.example.com', qtype: 'TXT', rcode: 'NOERROR',
 *    answers: [{ name: 'a1b2c3.exfil.example.com', type: 'TXT', data: '…' }], count: 42,
 *    latencyMeanNs: 850000, latencyMaxNs: 4200000 }`
 */
export interface DnsRecord {
  kind: 'dns';
  format: RecordFormat;
  /** Start of the collection window (Calico) or the event instant (Hubble), epoch ms. */
  windowStart: number;
  /** Event time: end of the collection window, or the event instant. Epoch ms. */
  time: number;
  client: Endpoint;
  /** The DNS server that answered, when the record names it. */
  server?: Endpoint;
  /** Lower-case query name without the trailing dot. */
  qname: string;
  /** Query type (`A`, `AAAA`, `TXT`, `NULL`…); '' when the record does not say. */
  qtype: string;
  /** Upper-case RCODE mnemonic: `NOERROR`, `NXDOMAIN`, `SERVFAIL`, `REFUSED`… */
  rcode: string;
  answers: DnsAnswer[];
  /** Lookups this record stands for (Calico `count`; Hubble: 1). */
  count: number;
  latencyMeanNs?: number;
  latencyMaxNs?: number;
  /** The line of the record in its input file (JSON lines); undefined when not from a file. */
  row?: number;
}

export interface DnsAnswer {
  name: string;
  /** `A`, `AAAA`, `CNAME`, `TXT`… */
  type: string;
  /** IP for A/AAAA, target for CNAME, text otherwise. */
  data: string;
  /** Seconds; absent when the format does not carry it. */
  ttl?: number;
}

/** answers of the records that have none: one shared frozen array, as records are read-only downstream. */
export const NO_ANSWERS: DnsAnswer[] = Object.freeze([]) as unknown as DnsAnswer[];
