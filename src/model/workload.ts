import type { Endpoint, EndpointKind } from './endpoint.ts';
import type { NormalizedRecord } from './normalized-record.ts';

/** What a workload is for; detectors read it (allowlists, peer groups), never re-derive it. */
export const ROLES = ['training', 'inference', 'dev', 'data', 'system', 'gateway', 'other'] as const;
export type Role = (typeof ROLES)[number];

export const ENVIRONMENTS = ['prod', 'staging', 'dev', 'unknown'] as const;
export type Environment = (typeof ENVIRONMENTS)[number];

/** A workload with its resolved role and environment. The unit of baselining. */
export interface Workload {
  cluster: string;
  namespace: string;
  name: string;
  role: Role;
  env: Environment;
}

/** `cluster/namespace/name`: the key of per-workload state and the `peer` of east-west alerts. */
export function workloadKey(endpoint: Pick<Endpoint, 'cluster' | 'namespace' | 'workload'>): string {
  return `${endpoint.cluster}/${endpoint.namespace}/${endpoint.workload}`;
}

/**
 * Which endpoint a record belongs to, for keying it (Kafka message keys, partitions): a DNS
 * lookup's client; a flow's source unless only the destination is a pod (an internet client's
 * flow belongs with the workload it reached).
 */
export function keyedSide(kind: 'flow' | 'dns', srcKind: EndpointKind | undefined, dstKind: EndpointKind | undefined): 'src' | 'dst' {
  return kind === 'dns' || srcKind === 'pod' || dstKind !== 'pod' ? 'src' : 'dst';
}

/** The message key of a record: the workload of its keyed side (a DNS record's client is its `src`). */
export function recordKey(kind: 'flow' | 'dns', src: KeyedEndpoint, dst: KeyedEndpoint | undefined): string {
  return workloadKey(dst !== undefined && keyedSide(kind, src.kind, dst.kind) === 'dst' ? dst : src);
}

/** What keying reads of an endpoint. */
export type KeyedEndpoint = Pick<Endpoint, 'cluster' | 'namespace' | 'workload' | 'kind'>;

/** recordKey of a normalised record (the key a replay into Kafka gives its line). */
export function keyOf(record: NormalizedRecord): string {
  return record.kind === 'dns' ? recordKey('dns', record.client, undefined) : recordKey('flow', record.src, record.dst);
}
