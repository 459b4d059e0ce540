import { compileGlobs } from '../enrich/glob.ts';
import type { Role } from '../model/workload.ts';

/** Detection settings shared by several detectors, compiled from the pipeline's `detection:` section. */
export interface DetectionSettings {
  windowMs: number;
  /** A workload's learning period: what it did in it is its own learned profile. */
  learningMs: number;
  /** Egress FQDN allowlist per role (globs); a role without a list is not checked. */
  allowlists: Partial<Record<Role, (fqdn: string) => boolean>>;
  /** Workload keys (globs, `cluster/namespace/name`) of egress gateways. */
  isEgressGateway: (workloadKey: string) => boolean;
  /**
   * Clusters (globs) where traffic to gateway-only domains must go through an egress gateway;
   * undefined: the clusters where a workload matching `isEgressGateway` has been seen.
   */
  gatewayClusters?: (cluster: string) => boolean;
  /** FQDNs (globs) that must only be reached through an egress gateway, e.g. AI provider APIs. */
  gatewayOnlyDomains: (fqdn: string) => boolean;
  /** Workload keys (globs) of ingress gateways / controllers. */
  isIngressGateway: (workloadKey: string) => boolean;
  /** FQDNs (globs) of well-known services whose SDKs and agents call home on a timer: not beacons. */
  isKnownService: (fqdn: string) => boolean;
}

export interface DetectionSettingsConfig {
  window_seconds: number;
  learning_hours: number;
  allowlists: Partial<Record<Role, string[]>>;
  egress_gateways: string[];
  /** Absent: the clusters where an egress gateway has been seen. */
  egress_gateway_clusters?: string[];
  gateway_only_domains: string[];
  ingress_gateways: string[];
  known_services: string[];
}

const CLOUD_STORAGE = ['storage.googleapis.com', '*.storage.googleapis.com', 's3.amazonaws.com', '*.s3.amazonaws.com', 's3.*.amazonaws.com', '*.s3.*.amazonaws.com', '*.blob.core.windows.net', '*.r2.cloudflarestorage.com'];
const MODEL_HUBS = ['huggingface.co', '*.huggingface.co', '*.hf.co', 'cdn-lfs.huggingface.co'];
/** Public training-data hosts that pre-training and data-preparation jobs read. */
const PUBLIC_DATASETS = ['commoncrawl.org', '*.commoncrawl.org', 'dl.fbaipublicfiles.com', 'zenodo.org', '*.zenodo.org', 'storage.kaggle.com', '*.kaggle.com'];
const PACKAGES = ['pypi.org', 'files.pythonhosted.org', 'registry-1.docker.io', 'auth.docker.io', 'production.cloudflare.docker.com', 'ghcr.io', '*.pkg.dev', 'quay.io', '*.quay.io', 'download.pytorch.org', 'conda.anaconda.org', 'repo.anaconda.com'];
/** ML SaaS that training and serving report to: experiment tracking, model and feature platforms. */
const ML_SAAS = ['wandb.ai', '*.wandb.ai', 'wandb.me', 'comet.com', '*.comet.com', '*.comet.ml', '*.neptune.ai', '*.cloud.databricks.com', '*.azuredatabricks.net', 'api.clear.ml', '*.clear.ml', 'nvcr.io', '*.nvcr.io', '*.ngc.nvidia.com'];
/** Observability SaaS that agents and SDKs ship to: errors, metrics, traces, logs. */
const OBSERVABILITY = ['sentry.io', '*.sentry.io', '*.datadoghq.com', '*.datadoghq.eu', '*.ddog-gov.com', '*.grafana.net', '*.newrelic.com', '*.nr-data.net', 'api.honeycomb.io', '*.honeycomb.io', '*.splunkcloud.com', '*.logz.io', '*.elastic-cloud.com', '*.cloud.es.io'];
/** Workload identity and token endpoints of the clouds (every SDK calls them). */
const CLOUD_IDENTITY = ['sts.amazonaws.com', 'sts.*.amazonaws.com', 'oauth2.googleapis.com', 'iamcredentials.googleapis.com', 'login.microsoftonline.com'];
const IN_CLUSTER = ['*.svc.cluster.local', '*.cluster.local', '*.internal', 'localhost'];

export const DEFAULT_DETECTION_SETTINGS: DetectionSettingsConfig = {
  window_seconds: 300,
  learning_hours: 6,
  // Generic destinations of AI workloads: cloud object storage, model hubs, package and
  // container registries, ML and observability SaaS, cloud identity, in-cluster names. They
  // are the override: beyond them, what the workload and its role learned is allowed too
  // (fqdn-allowlist). Dev/notebook and gateway roles browse by design and have no list; set
  // `detection.allowlists` to tighten or extend these.
  allowlists: {
    training: [...CLOUD_STORAGE, ...MODEL_HUBS, ...PUBLIC_DATASETS, ...PACKAGES, ...ML_SAAS, ...OBSERVABILITY, ...CLOUD_IDENTITY, ...IN_CLUSTER],
    inference: [...CLOUD_STORAGE, ...MODEL_HUBS, ...ML_SAAS, ...OBSERVABILITY, ...CLOUD_IDENTITY, ...IN_CLUSTER],
    data: [...CLOUD_STORAGE, ...OBSERVABILITY, ...CLOUD_IDENTITY, ...IN_CLUSTER],
  },
  egress_gateways: ['*/*/*egress-gateway*', '*/egress*/*'],
  gateway_only_domains: ['api.openai.com', '*.openai.azure.com', 'api.anthropic.com', 'generativelanguage.googleapis.com', '*.cohere.ai', 'api.mistral.ai'],
  ingress_gateways: ['*/ingress-*/*', '*/*/*ingress*', '*/istio-*/*', '*/*/*-gateway'],
  // Experiment tracking, error reporting, metrics agents and cloud identity: their clients
  // report every few minutes from wherever they run, with jitter — regular by design (RITA's
  // safelist plays the same part).
  known_services: [...ML_SAAS, ...OBSERVABILITY, ...CLOUD_IDENTITY],
};

export function compileSettings(config: DetectionSettingsConfig): DetectionSettings {
  const allowlists: DetectionSettings['allowlists'] = {};
  for (const [role, patterns] of Object.entries(config.allowlists) as [Role, string[]][]) allowlists[role] = compileGlobs(patterns);
  return {
    windowMs: config.window_seconds * 1000,
    learningMs: config.learning_hours * 3_600_000,
    allowlists,
    isEgressGateway: compileGlobs(config.egress_gateways),
    ...(config.egress_gateway_clusters === undefined ? {} : { gatewayClusters: compileGlobs(config.egress_gateway_clusters) }),
    gatewayOnlyDomains: compileGlobs(config.gateway_only_domains),
    isIngressGateway: compileGlobs(config.ingress_gateways),
    isKnownService: compileGlobs(config.known_services),
  };
}
