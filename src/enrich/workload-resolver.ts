import type { Endpoint } from '../model/endpoint.ts';
import { type Environment, type Role, UNIT_ROLE, unitName, type Workload } from '../model/workload.ts';
import { compileGlobs } from './glob.ts';

/** A rule that gives a role (or environment) to workloads matching all of its conditions. */
export interface MatchRule<T> {
  value: T;
  clusters?: string[];
  namespaces?: string[];
  workloads?: string[];
  /** Label key → value glob; every one must match. */
  labels?: Record<string, string>;
}

type Matcher = (endpoint: Endpoint) => boolean;

function compileRule<T>(rule: MatchRule<T>): { value: T; matches: Matcher } {
  const cluster = rule.clusters ? compileGlobs(rule.clusters) : undefined;
  const namespace = rule.namespaces ? compileGlobs(rule.namespaces) : undefined;
  const workload = rule.workloads ? compileGlobs(rule.workloads) : undefined;
  const labels = rule.labels ? Object.entries(rule.labels).map(([k, v]) => [k, compileGlobs([v])] as const) : undefined;
  return {
    value: rule.value,
    matches: (ep) =>
      (cluster === undefined || cluster(ep.cluster)) &&
      (namespace === undefined || namespace(ep.namespace)) &&
      (workload === undefined || workload(ep.workload)) &&
      (labels === undefined || labels.every(([k, match]) => ep.labels[k] !== undefined && match(ep.labels[k]))),
  };
}

/**
 * Defaults that fit common AI-platform conventions; pipeline rules are tried first.
 * An explicit `flowhound.io/role` / `flowhound.io/env` label always wins.
 */
export const DEFAULT_ROLE_RULES: MatchRule<Role>[] = [
  { value: 'system', namespaces: ['kube-system', 'kube-public', 'calico-*', 'tigera-*', 'cilium*', 'monitoring', 'cert-manager', 'metallb-system', '*-system'] },
  { value: 'gateway', namespaces: ['ingress-*', 'istio-*', 'egress*', 'gateway*'] },
  { value: 'gateway', workloads: ['*egress-gateway*', '*ingress*', '*-gateway', 'gateway-*'] },
  { value: 'training', labels: { 'app.kubernetes.io/component': 'train*' } },
  { value: 'inference', labels: { 'app.kubernetes.io/component': '*inference*' } },
  { value: 'inference', labels: { 'app.kubernetes.io/component': 'serv*' } },
  { value: 'dev', labels: { 'app.kubernetes.io/component': 'notebook*' } },
  { value: 'data', labels: { 'app.kubernetes.io/component': 'data*' } },
  { value: 'training', namespaces: ['*train*', '*finetune*', '*fine-tune*'] },
  { value: 'inference', namespaces: ['*serv*', '*infer*', '*predict*', '*model-api*'] },
  { value: 'dev', namespaces: ['*notebook*', '*jupyter*', 'dev', 'dev-*', '*-dev', 'sandbox*', '*playground*'] },
  { value: 'data', namespaces: ['data', 'data-*', '*-data', '*registry*', '*feature*', '*storage*', 'minio*', '*db*', 'postgres*', 'redis*', 'kafka*'] },
  { value: 'training', workloads: ['*train*', '*finetune*'] },
  { value: 'inference', workloads: ['*infer*', '*serving*', '*predictor*'] },
  { value: 'dev', workloads: ['*jupyter*', '*notebook*'] },
  { value: 'data', workloads: ['*postgres*', '*minio*', '*redis*', '*registry*', '*feature-store*', '*mysql*'] },
];

export const DEFAULT_ENV_RULES: MatchRule<Environment>[] = [
  { value: 'prod', labels: { env: 'prod*' } },
  { value: 'prod', labels: { environment: 'prod*' } },
  { value: 'dev', labels: { env: 'dev*' } },
  { value: 'dev', labels: { environment: 'dev*' } },
  { value: 'staging', labels: { env: 'stag*' } },
  { value: 'dev', clusters: ['*dev*', '*sandbox*', '*test*'] },
  { value: 'staging', clusters: ['*stag*'] },
  { value: 'prod', clusters: ['*prod*', '*prd*'] },
  { value: 'dev', namespaces: ['dev', 'dev-*', '*-dev', '*notebook*', '*jupyter*', 'sandbox*'] },
];

const ROLE_LABEL = 'flowhound.io/role';
const ENV_LABEL = 'flowhound.io/env';

/** A workload's state key with its resolved identity: what the detection stage files a record under. */
export interface WorkloadIdentity {
  /** `cluster/namespace/name` (model/workload.ts workloadKey), one string per workload. */
  key: string;
  workload: Workload;
  /** Whether the key matches `detection.ingress_gateways`: worked out by the detection stage once per workload. */
  ingressGateway?: boolean;
  /** hashString(key), for the edge-burst scorer: worked out once per workload. */
  keyHash?: number;
}

/**
 * Resolves cluster/namespace/workload + role + environment for an endpoint, once per workload
 * (cached, bounded; the first endpoint seen of a workload decides its labels): roles come from
 * labels and config patterns, never from IPs. Looked up by the endpoint's three names, so a
 * record's key string is built once per workload, not once per record.
 *
 * Endpoints that are not pods (hosts, network sets, addresses) get the role of their kind
 * (UNIT_ROLE; a `flowhound.io/role` label overrides it): the role rules describe workloads, and a
 * node called `gpu-train-3` is not a training job.
 */
export class WorkloadResolver {
  private readonly roleRules: { value: Role; matches: Matcher }[];
  private readonly envRules: { value: Environment; matches: Matcher }[];
  /** cluster → namespace → workload name → identity. */
  private readonly cache = new Map<string, Map<string, Map<string, WorkloadIdentity>>>();
  /** The cached identities, oldest first: the first goes when the cache is full. */
  private readonly order = new Set<WorkloadIdentity>();
  private readonly maxCached: number;

  constructor(options: { roles?: MatchRule<Role>[]; environments?: MatchRule<Environment>[]; maxCached?: number } = {}) {
    this.roleRules = [...(options.roles ?? []), ...DEFAULT_ROLE_RULES].map(compileRule);
    this.envRules = [...(options.environments ?? []), ...DEFAULT_ENV_RULES].map(compileRule);
    this.maxCached = options.maxCached ?? 100_000;
  }

  resolve(endpoint: Endpoint): Workload {
    return this.identify(endpoint).workload;
  }

  /** The endpoint's workload key and resolved workload (a peer's identity: keyed by its workload name as reported). */
  identify(endpoint: Endpoint): WorkloadIdentity {
    return this.peek(endpoint) ?? this.add(endpoint, endpoint.workload);
  }

  /**
   * The baseline unit the endpoint belongs to (model/workload.ts unitName): a pod's workload as
   * `identify` gives it; a host, network set or address by its name or IP; undefined for an
   * aggregated bucket that is no one party (`pub` / `pvt` without an IP).
   */
  unit(endpoint: Endpoint): WorkloadIdentity | undefined {
    if (endpoint.kind === 'pod') return this.identify(endpoint);
    const name = unitName(endpoint);
    if (name === undefined) return undefined;
    return this.lookup(endpoint.cluster, endpoint.namespace, name) ?? this.add(endpoint, name);
  }

  /** The endpoint's identity if its workload was met already (nothing is resolved or cached). */
  peek(endpoint: Endpoint): WorkloadIdentity | undefined {
    return this.lookup(endpoint.cluster, endpoint.namespace, endpoint.workload);
  }

  private lookup(cluster: string, namespace: string, name: string): WorkloadIdentity | undefined {
    return this.cache.get(cluster)?.get(namespace)?.get(name);
  }

  private add(endpoint: Endpoint, name: string): WorkloadIdentity {
    const labelled = endpoint.labels[ROLE_LABEL] as Role | undefined;
    const identity: WorkloadIdentity = {
      key: `${endpoint.cluster}/${endpoint.namespace}/${name}`,
      workload: {
        cluster: endpoint.cluster,
        namespace: endpoint.namespace,
        name,
        role: labelled ?? (endpoint.kind === 'pod' ? this.roleRules.find((r) => r.matches(endpoint))?.value ?? 'other' : UNIT_ROLE[endpoint.kind]),
        env: (endpoint.labels[ENV_LABEL] as Environment | undefined) ?? this.envRules.find((r) => r.matches(endpoint))?.value ?? 'unknown',
      },
    };
    if (this.order.size >= this.maxCached) this.evict(this.order.values().next().value!);
    this.order.add(identity);
    let namespaces = this.cache.get(endpoint.cluster);
    if (namespaces === undefined) this.cache.set(endpoint.cluster, (namespaces = new Map()));
    let names = namespaces.get(endpoint.namespace);
    if (names === undefined) namespaces.set(endpoint.namespace, (names = new Map()));
    names.set(name, identity);
    return identity;
  }

  private evict(identity: WorkloadIdentity): void {
    this.order.delete(identity);
    const { cluster, namespace, name } = identity.workload;
    const namespaces = this.cache.get(cluster)!;
    const names = namespaces.get(namespace)!;
    names.delete(name);
    if (names.size > 0) return;
    namespaces.delete(namespace);
    if (namespaces.size === 0) this.cache.delete(cluster);
  }
}
