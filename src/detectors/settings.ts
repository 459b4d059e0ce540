import { compileGlobs } from '../enrich/glob.ts';
import type { Role } from '../model/workload.ts';

/** Detection settings shared by several detectors, compiled from the pipeline's `detection:` section. */
export interface DetectionSettings {
  windowMs: number;
  /** Egress FQDN allowlist per role (globs); a role without a list is not checked. */
  allowlists: Partial<Record<Role, (fqdn: string) => boolean>>;
  /** Workload keys (globs, `cluster/namespace/name`) of egress gateways. */
  isEgressGateway: (workloadKey: string) => boolean;
  /** FQDNs (globs) that must only be reached through an egress gateway, e.g. AI provider APIs. */
  gatewayOnlyDomains: (fqdn: string) => boolean;
  /** Workload keys (globs) of ingress gateways / controllers. */
  isIngressGateway: (workloadKey: string) => boolean;
}

export interface DetectionSettingsConfig {
  window_seconds: number;
  allowlists: Partial<Record<Role, string[]>>;
  egress_gateways: string[];
  gateway_only_domains: string[];
  ingress_gateways: string[];
}

const CLOUD_STORAGE = ['storage.googleapis.com', '*.storage.googleapis.com', 's3.amazonaws.com', '*.s3.amazonaws.com', 's3.*.amazonaws.com', '*.s3.*.amazonaws.com', '*.blob.core.windows.net', '*.r2.cloudflarestorage.com'];
const MODEL_HUBS = ['huggingface.co', '*.huggingface.co', '*.hf.co', 'cdn-lfs.huggingface.co'];
const PACKAGES = ['pypi.org', 'files.pythonhosted.org', 'registry-1.docker.io', 'auth.docker.io', 'production.cloudflare.docker.com', 'ghcr.io', '*.pkg.dev', 'quay.io', '*.quay.io', 'download.pytorch.org', 'conda.anaconda.org', 'repo.anaconda.com'];
const IN_CLUSTER = ['*.svc.cluster.local', '*.cluster.local', '*.internal', 'localhost'];

export const DEFAULT_DETECTION_SETTINGS: DetectionSettingsConfig = {
  window_seconds: 300,
  // Generic destinations of AI workloads: cloud object storage, model hubs, package and
  // container registries, in-cluster names. Dev/notebook and gateway roles browse by design
  // and have no list; set `detection.allowlists` to tighten or extend these.
  allowlists: {
    training: [...CLOUD_STORAGE, ...MODEL_HUBS, ...PACKAGES, ...IN_CLUSTER],
    inference: [...CLOUD_STORAGE, ...MODEL_HUBS, ...IN_CLUSTER],
    data: [...CLOUD_STORAGE, ...IN_CLUSTER],
  },
  egress_gateways: ['*/*/*egress-gateway*', '*/egress*/*'],
  gateway_only_domains: ['api.openai.com', '*.openai.azure.com', 'api.anthropic.com', 'generativelanguage.googleapis.com', '*.cohere.ai', 'api.mistral.ai'],
  ingress_gateways: ['*/ingress-*/*', '*/*/*ingress*', '*/istio-*/*', '*/*/*-gateway'],
};

export function compileSettings(config: DetectionSettingsConfig): DetectionSettings {
  const allowlists: DetectionSettings['allowlists'] = {};
  for (const [role, patterns] of Object.entries(config.allowlists) as [Role, string[]][]) allowlists[role] = compileGlobs(patterns);
  return {
    windowMs: config.window_seconds * 1000,
    allowlists,
    isEgressGateway: compileGlobs(config.egress_gateways),
    gatewayOnlyDomains: compileGlobs(config.gateway_only_domains),
    isIngressGateway: compileGlobs(config.ingress_gateways),
  };
}
