/**
 * One side of a connection, normalised from whatever the CNI reported.
 *
 * Example (a Calico aggregated pod):
 * `{ cluster: 'prod-eu', namespace: 'ml-serve', workload: 'llm-infer', workloadKind: 'Deployment',
 *    pod: undefined, ip: undefined, labels: { app: 'llm-infer' }, kind: 'pod' }`
 */
export interface Endpoint {
  /** Cluster name from the record (Hubble `cluster_name`) or the source's config; '' when unknown. */
  cluster: string;
  /** Kubernetes namespace; '' for endpoints that are not namespaced (hosts, networks). */
  namespace: string;
  /**
   * The owning controller (Deployment, StatefulSet, Job, DaemonSet…) for pods; the NetworkSet or
   * host name otherwise; `pub` / `pvt` for unidentified public / private networks. Stable across
   * rollouts, so it is what baselines key on.
   */
  workload: string;
  /** Controller kind when the format says it (Hubble `workloads[].kind`) or it can be inferred. */
  workloadKind?: string;
  /** Pod name when the record names a single pod (not aggregated). */
  pod?: string;
  /** IP address when the record carries one (Calico aggregates it away). */
  ip?: string;
  /** Labels as key → value; Hubble's `k8s:` prefix removed, `reserved:*` labels kept as keys. */
  labels: Record<string, string>;
  kind: EndpointKind;
}

export const ENDPOINT_KINDS = ['pod', 'host', 'networkset', 'public', 'private', 'unknown'] as const;
export type EndpointKind = (typeof ENDPOINT_KINDS)[number];

/** Shared empty label map: most aggregated records carry none, and they are never mutated. */
export const NO_LABELS: Record<string, string> = Object.freeze({}) as Record<string, string>;
