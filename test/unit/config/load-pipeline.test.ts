import { describe, expect, it } from 'vitest';
import { loadPipelineFile, parsePipeline } from '../../../src/config/load-pipeline.ts';
import { FlowhoundError } from '../../../src/errors.ts';

function errorOf(fn: () => unknown): FlowhoundError {
  try {
    fn();
  } catch (error) {
    if (error instanceof FlowhoundError) return error;
    throw error;
  }
  throw new Error('expected an error');
}

describe('pipeline config', () => {
  it.each(['pipelines/calico.yaml', 'pipelines/hubble.yaml', 'pipelines/files.yaml'])('%s is valid with defaults filled in', (path) => {
    const config = loadPipelineFile(path, {});
    expect(Object.keys(config.sources).length).toBeGreaterThan(0);
    expect(config.limits.max_record_bytes).toBe(1_048_576);
  });

  it('interpolates ${VAR} and ${VAR:-default} from the environment', () => {
    const config = loadPipelineFile('pipelines/calico.yaml', { KAFKA_BROKERS: 'kafka-1:9093', FLOWHOUND_CLUSTER: 'eu-1' });
    expect(config.kafka?.brokers).toEqual(['kafka-1:9093']);
    expect(config.cluster).toBe('eu-1');
    expect(config.sources.calico_flows).toMatchObject({ type: 'kafka', topics: ['calico-flows'], format: 'calico-flow', from_beginning: true });
  });

  it('names the file, the field and what was expected', () => {
    const error = errorOf(() => parsePipeline('name: calico\nsources:\n  flows:\n    type: kafka\n    topics: [t]\n    format: calico\n', 'p.yaml', {}));
    expect(error.code).toBe('FH_CONFIG_INVALID');
    expect(error.message).toContain('p.yaml: sources.flows.format: Invalid option: expected one of "calico-flow"|"calico-dns"|"hubble"|"csv"|"auto"');
  });

  it('asks for the kafka section when a source reads Kafka', () => {
    const error = errorOf(() => parsePipeline('name: x\nsources:\n  flows:\n    type: kafka\n    topics: [t]\n', 'p.yaml', {}));
    expect(error.message).toBe('p.yaml: kafka: expected a kafka: section with brokers, because source flows reads Kafka');
  });

  it('rejects unknown keys, bad brokers, YAML syntax errors and unset variables without defaults', () => {
    expect(errorOf(() => parsePipeline('name: x\nsurces: {}\nsources:\n  f: {type: file, paths: [a]}\n', 'p.yaml', {})).message).toContain('p.yaml: (top level): Unrecognized key: "surces"');
    expect(errorOf(() => parsePipeline('name: x\nkafka: {brokers: [nohost]}\nsources:\n  f: {type: file, paths: [a]}\n', 'p.yaml', {})).message).toContain('p.yaml: kafka.brokers.0: expected host:port');
    expect(errorOf(() => parsePipeline('name: x\nsources: [\n', 'p.yaml', {})).message).toMatch(/^p\.yaml: invalid YAML/);
    expect(errorOf(() => parsePipeline('name: x\nsources:\n  f: {type: file, paths: ["${INPUT}"]}\n', 'p.yaml', {})).message).toContain('p.yaml: sources.f.paths.0: environment variable INPUT is not set');
  });

  it('fills in the alert storm bounds, whether detection.alerts is given or not', () => {
    const storm = { enabled: true, max_alerts_per_group: 5, max_groups_per_detector: 10 };
    expect(parsePipeline('name: x\nsources:\n  f: {type: file, paths: [a]}\n', 'p.yaml', {}).detection.alerts.storm).toEqual(storm);
    expect(parsePipeline('name: x\nsources:\n  f: {type: file, paths: [a]}\ndetection: {alerts: {max_alerts: 5}}\n', 'p.yaml', {}).detection.alerts).toMatchObject({ max_alerts: 5, resolve_after_seconds: 1800, storm });
    expect(parsePipeline('name: x\nsources:\n  f: {type: file, paths: [a]}\ndetection: {alerts: {storm: {max_alerts_per_group: 20}}}\n', 'p.yaml', {}).detection.alerts.storm).toEqual({ ...storm, max_alerts_per_group: 20 });
    expect(errorOf(() => parsePipeline('name: x\nsources:\n  f: {type: file, paths: [a]}\ndetection: {alerts: {storm: {max_alerts_per_group: 0}}}\n', 'p.yaml', {})).message).toContain('detection.alerts.storm.max_alerts_per_group');
  });

  it('fills in the incident detectors and flap damping, and rejects an unknown detector in incident_per_workload', () => {
    const parse = (alerts: string) => parsePipeline(`name: x\nsources:\n  f: {type: file, paths: [a]}\ndetection: {alerts: ${alerts}}\n`, 'p.yaml', {}).detection.alerts;
    const defaults = parsePipeline('name: x\nsources:\n  f: {type: file, paths: [a]}\n', 'p.yaml', {}).detection.alerts;
    expect(defaults).toMatchObject({
      incident_per_workload: ['sensitive-port', 'port-scan', 'ip-sweep', 'new-east-west-edge', 'denied-burst', 'cross-environment', 'fqdn-allowlist'],
      flap_damping: { enabled: true, max_resolve_factor: 8, max_emissions_per_hour: 4 },
    });
    expect(parse('{max_alerts: 5}')).toMatchObject({ incident_per_workload: defaults.incident_per_workload, flap_damping: defaults.flap_damping });
    expect(parse('{incident_per_workload: [], flap_damping: {max_emissions_per_hour: 2}}')).toMatchObject({ incident_per_workload: [], flap_damping: { enabled: true, max_resolve_factor: 8, max_emissions_per_hour: 2 } });
    expect(errorOf(() => parse('{incident_per_workload: [port-scan, port-scn]}')).message).toContain('detection.alerts.incident_per_workload.1: unknown detector');
    expect(errorOf(() => parse('{flap_damping: {max_resolve_factor: 0}}')).message).toContain('detection.alerts.flap_damping.max_resolve_factor');
  });

  it('reports a missing file as unreadable', () => {
    expect(errorOf(() => loadPipelineFile('/nonexistent/p.yaml')).code).toBe('FH_CONFIG_UNREADABLE');
  });
});
