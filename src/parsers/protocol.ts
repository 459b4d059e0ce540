import type { Protocol } from '../model/flow-record.ts';

/** Calico writes protocol names (`tcp`) and sometimes IANA numbers (`6`); normalise both (names in any case). */
const BY_NAME: Record<string, Protocol> = {
  tcp: 'tcp', TCP: 'tcp', '6': 'tcp',
  udp: 'udp', UDP: 'udp', '17': 'udp',
  icmp: 'icmp', ICMP: 'icmp', '1': 'icmp',
  icmpv6: 'icmpv6', ICMPv6: 'icmpv6', ICMPV6: 'icmpv6', '58': 'icmpv6',
  sctp: 'sctp', SCTP: 'sctp', '132': 'sctp',
};

export function normalizeProtocol(value: string | number): Protocol {
  const text = String(value);
  return BY_NAME[text] ?? BY_NAME[text.toLowerCase()] ?? 'other';
}
