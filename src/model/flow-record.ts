import type { Endpoint } from './endpoint.ts';
import type { RecordFormat } from './record-format.ts';

export const PROTOCOLS = ['tcp', 'udp', 'icmp', 'icmpv6', 'sctp', 'other'] as const;
export type Protocol = (typeof PROTOCOLS)[number];

/**
 * One observed connection aggregate, normalised from Calico flow logs, Hubble flows or CSV flows.
 *
 * `src` is always the initiator and `dst` the responder: Hubble reply packets are flipped so
 * that both directions of one connection describe the same edge. Volumes are split by direction
 * of travel (`bytesToDst` = what the initiator sent), whichever side reported them.
 *
 * Example (Calico, reporter=dst, client → nginx:80):
 * `{ kind: 'flow', format: 'calico-flow', windowStart: 1597166083000, windowEnd: 1597166383000,
 *    src: {…access…}, dst: {…nginx…}, dstPort: 80, protocol: 'tcp', action: 'allow',
 *    reporter: 'dst', bytesToDst: 388, bytesToSrc: 1113, packetsToDst: 6, packetsToSrc: 5,
 *    connections: 1, connectionsStarted: 1, connectionsCompleted: 1, dstFqdns: [] }`
 */
export interface FlowRecord {
  kind: 'flow';
  format: RecordFormat;
  /** Event-time window, epoch milliseconds. Hubble events are instants: start === end. */
  windowStart: number;
  windowEnd: number;
  /** Node that observed the flow (Calico `host`, Hubble `node_name` without the cluster prefix). */
  node?: string;
  src: Endpoint;
  dst: Endpoint;
  srcPort?: number;
  /** Destination port; absent for ICMP. */
  dstPort?: number;
  /** Kubernetes Service the destination was reached through, when known. */
  dstService?: ServiceRef;
  /** DNS names known for the destination (Calico `dest_domains`, Hubble `destination_names`). */
  dstFqdns: string[];
  protocol: Protocol;
  action: 'allow' | 'deny';
  /** Which side reported the record: Calico reports each flow from both ends. */
  reporter: 'src' | 'dst' | 'unknown';
  bytesToDst: number;
  bytesToSrc: number;
  packetsToDst: number;
  packetsToSrc: number;
  /** Flows (Calico `num_flows`) this record aggregates; Hubble: 1 per initiator-side event, 0 for replies. */
  connections: number;
  connectionsStarted: number;
  connectionsCompleted: number;
  /** Hubble's drop reason (`POLICY_DENIED`…) or Calico's deciding policy, when denied. */
  denyReason?: string;
  /**
   * A labelled dataset's verdict for this record, as its `label` column says it (CSV flows):
   * an attack name or class, or a benign marker; undefined when the input has no labels.
   * Read it with isAttackLabel.
   */
  label?: string;
  /** 1-based data row of the record in its input file (CSV: header excluded; JSON lines: the line); undefined when not from a file. */
  row?: number;
  /** Which of a replay's input files the record came from (its index in the command line's list). */
  input?: number;
}

/**
 * Label texts that mean "no attack": '', `0`, `benign`, `normal` (any case, spaces around and
 * one trailing dot ignored: KDD Cup 99 writes `normal.`).
 */
const BENIGN_LABELS: ReadonlySet<string> = new Set(['', '0', 'benign', 'normal']);

/** Whether a record's `label` names an attack (undefined: unlabelled, so not one). */
export function isAttackLabel(label: string | undefined): boolean {
  if (label === undefined || BENIGN_LABELS.has(label)) return false;
  let text = label.trim().toLowerCase();
  if (text.endsWith('.')) text = text.slice(0, -1);
  return !BENIGN_LABELS.has(text);
}

/** dstFqdns of the flows that have none: one shared frozen array, as records are read-only downstream. */
export const NO_FQDNS: string[] = Object.freeze([]) as unknown as string[];

export interface ServiceRef {
  name: string;
  namespace: string;
  port?: number | string;
}
