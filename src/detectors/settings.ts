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

export const DEFAULT_DETECTION_SETTINGS: DetectionSettingsConfig = {
  window_seconds: 300,
  allowlists: {},
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
