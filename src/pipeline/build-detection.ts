import type { AlertSink } from '../alerts/alert-sink.ts';
import type { DetectionConfig } from '../config/pipeline-schema.ts';
import { defaultStateBudgetMb } from '../baseline/state-budget.ts';
import { OPEN_WINDOW_BYTES } from '../baseline/window-stats.ts';
import { DETECTORS } from '../detectors/registry.ts';
import { compileSettings, DEFAULT_DETECTION_SETTINGS } from '../detectors/settings.ts';
import { WorkloadResolver } from '../enrich/workload-resolver.ts';
import { DetectionStage, type DetectionStageOptions, type EnabledDetector } from './detection-stage.ts';

/** The detection stage described by a pipeline's `detection:` section. */
export type DetectionHooks = Pick<DetectionStageOptions, 'onLate' | 'onWindow' | 'onFindings' | 'onScore' | 'clock' | 'idleLaneMs' | 'peerGroups' | 'part' | 'mayClose' | 'trackChanges'> & {
  /** Overrides detection.max_state_mb (a detection task gets its share of the member's). */
  maxStateMb?: number;
};

export function buildDetection(config: DetectionConfig, sinks: AlertSink[], { maxStateMb, ...hooks }: DetectionHooks = {}): DetectionStage {
  const detectors: EnabledDetector[] = [];
  for (const detector of DETECTORS) {
    const overrides = config.detectors[detector.name] ?? {};
    if (overrides.enabled === false) continue;
    const { enabled: _enabled, ...params } = overrides;
    detectors.push({ detector, params: { ...detector.defaults, ...params } });
  }
  const settings = compileSettings({
    window_seconds: config.window_seconds,
    learning_hours: config.learning_hours,
    allowlists: config.allowlists ?? DEFAULT_DETECTION_SETTINGS.allowlists,
    egress_gateways: config.egress_gateways ?? DEFAULT_DETECTION_SETTINGS.egress_gateways,
    ...(config.egress_gateway_clusters === undefined ? {} : { egress_gateway_clusters: config.egress_gateway_clusters }),
    gateway_only_domains: config.gateway_only_domains ?? DEFAULT_DETECTION_SETTINGS.gateway_only_domains,
    ingress_gateways: config.ingress_gateways ?? DEFAULT_DETECTION_SETTINGS.ingress_gateways,
    known_services: config.known_services ?? DEFAULT_DETECTION_SETTINGS.known_services,
  });
  const lifecycle = {
    resolveAfterMs: config.alerts.resolve_after_seconds * 1000,
    cooldownMs: config.alerts.cooldown_seconds * 1000,
    suppress: config.suppress,
    maxAlerts: config.alerts.max_alerts,
    ...(config.alerts.storm.enabled ? { storm: { maxAlertsPerGroup: config.alerts.storm.max_alerts_per_group, maxGroupsPerDetector: config.alerts.storm.max_groups_per_detector } } : {}),
    incidentPerWorkload: config.alerts.incident_per_workload,
    ...(config.alerts.flap_damping.enabled ? { flap: { maxResolveFactor: config.alerts.flap_damping.max_resolve_factor, maxEmissionsPerHour: config.alerts.flap_damping.max_emissions_per_hour } } : {}),
  };
  const maxStateBytes = (maxStateMb ?? config.max_state_mb ?? defaultStateBudgetMb()) * 1024 * 1024;
  const options = {
    detectors,
    settings,
    // Scored when the detector runs or something reads the scores (`--scores-out`).
    ...(detectors.some((d) => d.detector.name === 'edge-burst') || hooks.onScore !== undefined ? { edgeBurst: config.edge_burst } : {}),
    resolver: new WorkloadResolver({
      roles: config.roles.map(({ role, ...rule }) => ({ value: role, ...rule })),
      environments: config.environments.map(({ env, ...rule }) => ({ value: env, ...rule })),
    }),
    lifecycle,
    sinks,
    allowedLatenessMs: config.allowed_lateness_seconds * 1000,
    learningMs: config.learning_hours * 3600_000,
    learningWindows: config.learning_windows,
    maxWorkloads: config.max_workloads,
    maxStateBytes,
    // A quarter of the budget for windows still open (a few kB each: see OPEN_WINDOW_BYTES).
    maxOpenWindows: Math.max(10_000, Math.floor(maxStateBytes / 4 / OPEN_WINDOW_BYTES)),
  };
  return new DetectionStage({ ...options, ...hooks });
}
