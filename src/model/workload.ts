import type { Endpoint, EndpointKind } from './endpoint.ts';
import type { NormalizedRecord } from './normalized-record.ts';

/**
 * What a workload is for; detectors read it (allowlists, peer groups), never re-derive it.
 * The last four are the roles of baseline units that are not pods (see UNIT_ROLE).
 */
export const ROLES = ['training', 'inference', 'dev', 'data', 'system', 'gateway', 'other', 'host', 'networkset', 'external', 'ip'] as const;
export type Role = (typeof ROLES)[number];

/**
 * What a baseline unit is: a pod's workload, or an endpoint without Kubernetes identity — a host
 * or node, a network set, a public address (`external`), a private or unclassified one (`ip`).
 * Detectors declare which kinds they judge (Detector.units).
 */
export const UNIT_KINDS = ['workload', 'host', 'networkset', 'external', 'ip'] as const;
export type UnitKind = (typeof UNIT_KINDS)[number];

/** The role of a unit that is not a pod, by endpoint kind (a `flowhound.io/role` label overrides it). */
export const UNIT_ROLE: Record<Exclude<EndpointKind, 'pod'>, Role> = { host: 'host', networkset: 'networkset', public: 'external', private: 'ip', unknown: 'ip' };

/** The kind of unit a workload is (its role says it: pods never get the unit roles by default). */
export function unitKind(workload: Pick<Workload, 'role'>): UnitKind {
  const role = workload.role;
  return role === 'host' || role === 'networkset' || role === 'external' || role === 'ip' ? role : 'workload';
}

/** Units that are bare addresses (many, short-lived, cheap to invent): the last to keep a baseline. */
export function isAddress(kind: UnitKind): boolean {
  return kind === 'external' || kind === 'ip';
}

/**
 * Names that stand for no one party: Calico's `pub` / `pvt` buckets, Hubble's reserved identities
 * that every node or address shares (`host` is whichever node observed the flow). An endpoint
 * with one of these is a unit only through its IP.
 */
const SHARED_NAMES = new Set(['', '-', '*', 'pub', 'pvt', 'host', 'remote-node', 'health', 'world', 'world-ipv4', 'world-ipv6', 'networkset', 'unknown', 'unmanaged', 'init', 'ingress']);

/**
 * The name an endpoint is baselined under: a pod's owning workload; a host, network set or
 * network by its own name when it has one (a Calico host endpoint, a NetworkSet, a flow format
 * that names the address); else by its IP. Undefined when it is no one party (an aggregated
 * `pub` / `pvt` bucket without an address).
 *
 * Example: Calico `net`/`pvt` with `source_ip` 10.0.3.7 → `10.0.3.7`; Hubble `reserved:remote-node`
 * at 10.0.0.12 → `10.0.0.12`; Calico `hep` `node-1` → `node-1`; Calico `net`/`pub` without an IP → undefined.
 */
export function unitName(endpoint: Pick<Endpoint, 'kind' | 'workload' | 'ip'>): string | undefined {
  if (endpoint.kind === 'pod' || !SHARED_NAMES.has(endpoint.workload)) return endpoint.workload;
  return endpoint.ip;
}

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

/** Whether a unit is named by an IP address (a bare address, or a host known only by its IP): never a metric label. */
export function namedByAddress(workload: Pick<Workload, 'role' | 'name'>): boolean {
  if (unitKind(workload) === 'workload') return false;
  const name = workload.name;
  return name.includes(':') || /^\d{1,3}(\.\d{1,3}){3}$/.test(name);
}

/** `cluster/namespace/unitName` of the endpoint's baseline unit; undefined when it is no one party (see unitName). */
export function unitKey(endpoint: Pick<Endpoint, 'cluster' | 'namespace' | 'workload' | 'kind' | 'ip'>): string | undefined {
  const name = unitName(endpoint);
  return name === undefined ? undefined : `${endpoint.cluster}/${endpoint.namespace}/${name}`;
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
