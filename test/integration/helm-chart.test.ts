/**
 * deploy/helm/flowhound, checked offline by the real tools: `helm lint --strict` and `helm
 * template` over the value sets of the chart's ci/ folder, the values schema refusing bad values,
 * the core kinds validated by kubernetes-validate (the Kubernetes OpenAPI schemas it bundles), the
 * prometheus-operator kinds by @kubernetes-models/prometheus-operator, the PrometheusRule's spec by
 * promtool, and the pipeline file the chart renders by `flowhound validate`. Helm and
 * kubernetes-validate are built or installed once into ~/.cache/flowhound (test/harness/helm.ts).
 */
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { PodMonitor } from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/PodMonitor';
import { PrometheusRule } from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/PrometheusRule';
import { ServiceMonitor } from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/ServiceMonitor';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { helm, helmBinary, KUBE_VERSION, tool, validationVenv } from '../harness/helm.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const CHART = join(ROOT, 'deploy/helm/flowhound');
const RELEASE = 'fh';
const NAMESPACE = 'security';
const FULLNAME = 'fh-flowhound';
const PROMETHEUS_OPERATOR = 'monitoring.coreos.com/v1';
/** What a helm install against a cluster with kube-prometheus-stack sees. */
const WITH_CRDS = [PROMETHEUS_OPERATOR, `${PROMETHEUS_OPERATOR}/ServiceMonitor`, `${PROMETHEUS_OPERATOR}/PrometheusRule`];
const CORE_KINDS = ['ConfigMap', 'Deployment', 'NetworkPolicy', 'PodDisruptionBudget', 'Service', 'ServiceAccount'];

interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  spec?: any;
  data?: Record<string, string>;
  [key: string]: unknown;
}

const log = (line: string) => process.stderr.write(`[helm-chart] ${line}\n`);
let helmBin = '';
let venvBin = '';
let work = '';

beforeAll(() => {
  // A first run builds Helm from source (minutes on 2 loaded cores); later runs reuse the cache.
  helmBin = helmBinary(log);
  venvBin = validationVenv(log);
  work = mkdtempSync(join(tmpdir(), 'flowhound-helm-'));
}, 45 * 60_000);

afterAll(() => {
  if (work !== '') rmSync(work, { recursive: true, force: true });
});

function valuesArgs(valueFiles: string[], sets: string[]): string[] {
  return [...valueFiles.flatMap((file) => ['--values', join(CHART, file)]), ...sets.flatMap((set) => ['--set', set])];
}

function lint(valueFiles: string[] = [], sets: string[] = []) {
  return helm(helmBin, ['lint', CHART, '--strict', '--kube-version', KUBE_VERSION, '--namespace', NAMESPACE, ...valuesArgs(valueFiles, sets)]);
}

function template(valueFiles: string[] = [], sets: string[] = [], apiVersions: string[] = []) {
  return helm(helmBin, [
    'template', RELEASE, CHART, '--namespace', NAMESPACE, '--kube-version', KUBE_VERSION,
    ...apiVersions.flatMap((v) => ['--api-versions', v]), ...valuesArgs(valueFiles, sets),
  ]);
}

/** What Helm printed for each object: kubernetes-validate reads that text, not a re-serialisation. */
const renderedText = new WeakMap<K8sObject, string>();

/**
 * `helm template`, parsed as Kubernetes reads manifests: YAML 1.1, where `0440` is octal and `yes`
 * a boolean (the `yaml` package's default, 1.2, reads both differently).
 */
function render(valueFiles: string[] = [], sets: string[] = [], apiVersions: string[] = []): K8sObject[] {
  const result = template(valueFiles, sets, apiVersions);
  expect(result.status, result.stderr).toBe(0);
  const objects: K8sObject[] = [];
  for (const text of result.stdout.split(/^---[ \t]*$/m)) {
    const object = parseYaml(text, { version: '1.1' }) as K8sObject | null;
    if (object === null) continue;
    renderedText.set(object, text);
    objects.push(object);
  }
  return objects;
}

function only(objects: K8sObject[], kind: string): K8sObject {
  const found = objects.filter((o) => o.kind === kind);
  expect(found, `exactly one ${kind}`).toHaveLength(1);
  return found[0]!;
}

function container(objects: K8sObject[]): any {
  return only(objects, 'Deployment').spec.template.spec.containers[0];
}

/** The pipeline file the chart puts in its ConfigMap. */
function pipelineOf(objects: K8sObject[]): any {
  const configMap = objects.find((o) => o.kind === 'ConfigMap' && o.metadata.name === FULLNAME)!;
  return parseYaml(configMap.data!['pipeline.yaml']!);
}

/**
 * kubernetes-validate --strict over core objects, against its bundled schemas of KUBE_VERSION:
 * the text Helm printed, or JSON for objects made in the test (JSON is YAML with no ambiguity).
 */
function kubernetesValidate(name: string, core: K8sObject[]) {
  const manifests = join(work, `${name}.yaml`);
  writeFileSync(manifests, core.map((o) => renderedText.get(o) ?? JSON.stringify(o)).join('\n---\n'));
  return tool(join(venvBin, 'kubernetes-validate'), ['--strict', '--kubernetes-version', KUBE_VERSION, '--quiet', manifests]);
}

/** Validates a prometheus-operator object against its CRD's schema; throws what is wrong. */
function validateCustomResource(object: K8sObject): void {
  const Model = { ServiceMonitor, PrometheusRule, PodMonitor }[object.kind as 'ServiceMonitor' | 'PrometheusRule' | 'PodMonitor'];
  if (Model === undefined) throw new Error(`no model for ${object.kind}`);
  new Model(object as any).validate();
}

/** promtool check rules over a PrometheusRule's spec (a rule file's contents). */
function promtoolCheck(name: string, rule: K8sObject) {
  const rules = join(work, `${name}-rules.yml`);
  writeFileSync(rules, JSON.stringify(rule.spec));
  return tool('promtool', ['check', 'rules', rules]);
}

/** `flowhound validate` over the chart's pipeline file, in the environment the container gets (Secrets' values made up). */
function flowhoundValidate(name: string, objects: K8sObject[]) {
  const env: Record<string, string> = { FLOWHOUND_KAFKA_SASL_USERNAME: '', FLOWHOUND_KAFKA_SASL_PASSWORD: '' };
  for (const variable of (container(objects).env ?? []) as { name: string; value?: string; valueFrom?: { secretKeyRef?: { key: string } } }[]) {
    env[variable.name] = variable.value ?? `made-up-${variable.valueFrom?.secretKeyRef?.key ?? 'value'}`;
  }
  const pipeline = join(work, `${name}-pipeline.yaml`);
  writeFileSync(pipeline, only(objects.filter((o) => o.metadata.name === FULLNAME), 'ConfigMap').data!['pipeline.yaml']!);
  try {
    return { status: 0, out: execFileSync(process.execPath, [join(ROOT, 'bin/flowhound.js'), 'validate', pipeline], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } }) };
  } catch (error) {
    const e = error as { status: number; stdout: string; stderr: string };
    return { status: e.status, out: `${e.stdout}${e.stderr}` };
  }
}

/**
 * Every check that applies to any value set: each core object valid against Kubernetes'
 * schemas, each prometheus-operator object against its CRD's, the rules accepted by promtool,
 * and the pipeline file accepted by flowhound itself.
 */
function validateAll(name: string, objects: K8sObject[]): void {
  const core = objects.filter((o) => !o.apiVersion.startsWith('monitoring.coreos.com/'));
  expect(core.map((o) => o.kind).filter((kind) => !CORE_KINDS.includes(kind))).toEqual([]);
  const validated = kubernetesValidate(name, core);
  expect(validated.status, `kubernetes-validate ${name}:\n${validated.stdout}${validated.stderr}`).toBe(0);

  for (const object of objects.filter((o) => o.apiVersion.startsWith('monitoring.coreos.com/'))) {
    expect(() => validateCustomResource(object), `${object.kind} ${object.metadata.name}`).not.toThrow();
    if (object.kind === 'PrometheusRule') {
      const checked = promtoolCheck(name, object);
      expect(checked.status, `promtool check rules:\n${checked.stdout}${checked.stderr}`).toBe(0);
      expect(checked.stdout).toMatch(/SUCCESS: 14 rules found/);
    }
  }

  const validate = flowhoundValidate(name, objects);
  expect(validate.status, `flowhound validate ${name}:\n${validate.out}`).toBe(0);
}

/**
 * NOTES.txt as `helm install` prints it. Only install renders it, and install needs a cluster even
 * with --dry-run=client, so a copy of the chart renders it as a ConfigMap through `tpl`.
 */
function notes(valueFiles: string[] = [], sets: string[] = [], apiVersions: string[] = []): string {
  const copy = join(work, 'notes-chart');
  if (!existsSync(copy)) {
    cpSync(CHART, copy, { recursive: true });
    mkdirSync(join(copy, 'notes'));
    cpSync(join(CHART, 'templates/NOTES.txt'), join(copy, 'notes/NOTES.txt'));
    writeFileSync(join(copy, 'templates/notes-as-configmap.yaml'), 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: notes}\ndata:\n  notes: {{ tpl (.Files.Get "notes/NOTES.txt") . | quote }}\n');
  }
  const result = helm(helmBin, [
    'template', RELEASE, copy, '--namespace', NAMESPACE, '--kube-version', KUBE_VERSION, '--show-only', 'templates/notes-as-configmap.yaml',
    ...apiVersions.flatMap((v) => ['--api-versions', v]), ...valuesArgs(valueFiles, sets),
  ]);
  expect(result.status, result.stderr).toBe(0);
  return (parseYaml(result.stdout) as K8sObject).data!.notes!;
}

describe('the Helm chart deploy/helm/flowhound', () => {
  it('keeps copies of the shipped rules and dashboards identical to the originals', () => {
    // Helm reads only files inside the chart; the copies (not symlinks) must not drift.
    const hint = 'copy it again: cp deploy/prometheus/flowhound.rules.yml deploy/helm/flowhound/files/ && cp dashboards/*.json deploy/helm/flowhound/dashboards/';
    expect(readFileSync(join(CHART, 'files/flowhound.rules.yml'), 'utf8'), hint).toBe(readFileSync(join(ROOT, 'deploy/prometheus/flowhound.rules.yml'), 'utf8'));
    const originals = readdirSync(join(ROOT, 'dashboards')).filter((f) => f.endsWith('.json')).sort();
    expect(readdirSync(join(CHART, 'dashboards')).sort(), hint).toEqual(originals);
    for (const file of originals) expect(readFileSync(join(CHART, 'dashboards', file), 'utf8'), `${file}: ${hint}`).toBe(readFileSync(join(ROOT, 'dashboards', file), 'utf8'));
  });

  it('passes helm lint --strict with the defaults and with every ci/ value set', () => {
    const sets = [[], ...readdirSync(join(CHART, 'ci')).filter((f) => f.endsWith('-values.yaml')).sort().map((f) => [`ci/${f}`])];
    expect(sets.length).toBeGreaterThanOrEqual(5);
    for (const files of sets) {
      const result = lint(files);
      expect(result.status, `helm lint --strict ${files.join(' ')}:\n${result.stdout}${result.stderr}`).toBe(0);
      expect(result.stdout).toMatch(/1 chart\(s\) linted, 0 chart\(s\) failed/);
      expect(result.stdout).not.toMatch(/\[(WARNING|ERROR)\]/);
    }
  });

  it('renders a restricted, probed, gracefully stopping consumer-group member with the defaults', () => {
    const objects = render();
    validateAll('defaults', objects);
    expect(objects.map((o) => o.kind).sort()).toEqual([
      'ConfigMap', 'ConfigMap', 'ConfigMap', 'ConfigMap', 'Deployment', 'NetworkPolicy', 'PodDisruptionBudget', 'Service', 'ServiceAccount',
    ]);
    // No prometheus-operator CRDs in the cluster: no ServiceMonitor, no PrometheusRule.
    expect(objects.some((o) => o.apiVersion.startsWith('monitoring.coreos.com/'))).toBe(false);

    const deployment = only(objects, 'Deployment');
    expect(deployment.metadata.namespace).toBe(NAMESPACE);
    expect(deployment.spec.replicas).toBe(1);
    const pod = deployment.spec.template.spec;
    const main = container(objects);
    expect(main.command).toBeUndefined(); // the image's entry point: node bin/flowhound.js
    expect(main.args).toEqual(['run', '--pipeline', '/etc/flowhound/pipeline.yaml', '--shutdown-timeout', '20', '--log-level', 'info']);
    expect(pod.terminationGracePeriodSeconds).toBeGreaterThan(20);
    expect(main.ports).toEqual([{ name: 'metrics', containerPort: 9464, protocol: 'TCP' }]);
    expect(main.livenessProbe.httpGet).toEqual({ path: '/healthz', port: 'metrics' });
    expect(main.readinessProbe.httpGet).toEqual({ path: '/readyz', port: 'metrics' });
    expect(main.resources.requests).toBeDefined();
    expect(main.resources.limits.memory).toBeDefined();

    // Pod Security Standard "restricted".
    expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } });
    expect(main.securityContext).toEqual({
      runAsNonRoot: true, readOnlyRootFilesystem: true, allowPrivilegeEscalation: false,
      capabilities: { drop: ['ALL'] }, seccompProfile: { type: 'RuntimeDefault' },
    });
    expect(pod.automountServiceAccountToken).toBe(false);
    expect(main.volumeMounts).toContainEqual({ name: 'tmp', mountPath: '/tmp' });
    expect(pod.volumes).toContainEqual({ name: 'tmp', emptyDir: { sizeLimit: '256Mi' } });
    expect(main.volumeMounts).toContainEqual({ name: 'pipeline', mountPath: '/etc/flowhound/pipeline.yaml', subPath: 'pipeline.yaml', readOnly: true });
    expect(pod.volumes).toContainEqual({ name: 'pipeline', configMap: { name: FULLNAME } });
    expect(main.env).toBeUndefined();

    // The default pipeline with the chart's connection and metrics settings.
    const pipeline = pipelineOf(objects);
    expect(pipeline).toMatchObject({
      name: 'calico',
      kafka: { brokers: ['kafka:9092'], client_id: 'flowhound', connection_timeout_ms: 10000 },
      metrics: { enabled: true, host: '0.0.0.0', port: 9464, top_workloads: 50 },
      sources: { calico_flows: { type: 'kafka', format: 'calico-flow' }, calico_dns: { type: 'kafka', format: 'calico-dns' } },
    });
    expect(pipeline.kafka.ssl).toBeUndefined();
    expect(pipeline.kafka.sasl).toBeUndefined();
    expect(Object.keys(pipeline.sinks)).toEqual(['siem']);

    const service = only(objects, 'Service');
    expect(service.spec.ports).toEqual([{ name: 'metrics', port: 9464, targetPort: 'metrics', protocol: 'TCP' }]);
    expect(service.spec.selector).toEqual(deployment.spec.selector.matchLabels);

    const pdb = only(objects, 'PodDisruptionBudget');
    expect(pdb.spec).toEqual({ selector: { matchLabels: deployment.spec.selector.matchLabels }, maxUnavailable: 1 });

    // Ingress: the metrics port, from the scrapers only. Egress: Kafka's ports and DNS, nothing else.
    const policy = only(objects, 'NetworkPolicy');
    expect(policy.spec.podSelector).toEqual({ matchLabels: deployment.spec.selector.matchLabels });
    expect(policy.spec.policyTypes).toEqual(['Ingress', 'Egress']);
    expect(policy.spec.ingress).toEqual([{
      ports: [{ port: 'metrics', protocol: 'TCP' }],
      from: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'monitoring' } }, podSelector: { matchLabels: { 'app.kubernetes.io/name': 'prometheus' } } }],
    }]);
    expect(policy.spec.egress).toEqual([
      { ports: [{ port: 9092, protocol: 'TCP' }] },
      {
        ports: [{ port: 53, protocol: 'UDP' }, { port: 53, protocol: 'TCP' }],
        to: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'kube-system' } }, podSelector: { matchLabels: { 'k8s-app': 'kube-dns' } } }],
      },
    ]);

    const said = notes();
    expect(said).toMatch(/deployment\/fh-flowhound/);
    expect(said).toMatch(/no prometheus-operator CRDs/);
    expect(said).toMatch(/No alertmanager\.urls: alerts go only to the pipeline's own sinks \(siem\)/);

    // One ConfigMap per dashboard for the Grafana sidecar, holding the shipped JSON unchanged.
    const dashboards = objects.filter((o) => o.kind === 'ConfigMap' && o.metadata.labels?.grafana_dashboard === '1');
    expect(dashboards.map((d) => d.metadata.name).sort()).toEqual([`${FULLNAME}-dashboard-pipeline`, `${FULLNAME}-dashboard-security`, `${FULLNAME}-dashboard-workload`]);
    for (const dashboard of dashboards) {
      const [file, json] = Object.entries(dashboard.data!)[0]!;
      expect(JSON.parse(json)).toEqual(JSON.parse(readFileSync(join(ROOT, 'dashboards', file), 'utf8')));
      expect(dashboard.metadata.namespace).toBe(NAMESPACE);
    }
  });

  it('rolls the pods when the pipeline changes, and only then', () => {
    const checksum = (sets: string[]) => only(render([], sets), 'Deployment').spec.template.metadata.annotations['checksum/pipeline'] as string;
    const base = checksum([]);
    expect(base).toMatch(/^[0-9a-f]{64}$/);
    expect(checksum(['replicaCount=2'])).toBe(base);
    expect(checksum(['kafka.brokers[0]=kafka.kafka:9092'])).not.toBe(base);
    expect(checksum(['alertmanager.urls[0]=http://alertmanager:9093'])).not.toBe(base);
  });

  it('renders a ServiceMonitor and the shipped rules as a PrometheusRule when the prometheus-operator CRDs are there', () => {
    // Only the group/version, as `--api-versions monitoring.coreos.com/v1` or an older cluster gives it.
    expect(render([], [], [PROMETHEUS_OPERATOR]).filter((o) => o.apiVersion === PROMETHEUS_OPERATOR).map((o) => o.kind).sort()).toEqual(['PrometheusRule', 'ServiceMonitor']);
    expect(render([], ['serviceMonitor.enabled=false', 'prometheusRule.enabled=false'], WITH_CRDS).some((o) => o.apiVersion === PROMETHEUS_OPERATOR)).toBe(false);

    const objects = render(['ci/kube-prometheus-stack-values.yaml'], [], WITH_CRDS);
    validateAll('kube-prometheus-stack', objects);
    const service = only(objects, 'Service');
    const monitor = only(objects, 'ServiceMonitor');
    expect(monitor.metadata.labels).toMatchObject({ release: 'kube-prometheus-stack' });
    expect(monitor.spec.selector.matchLabels).toEqual(service.spec.selector);
    expect(monitor.spec.namespaceSelector).toEqual({ matchNames: [NAMESPACE] });
    expect(monitor.spec.endpoints).toEqual([{
      port: 'metrics', path: '/metrics', interval: '15s', scrapeTimeout: '10s',
      relabelings: [{ action: 'replace', targetLabel: 'job', replacement: 'flowhound' }],
    }]);
    // Every label of the Service selector is on the Service itself, as the ServiceMonitor needs.
    expect(service.metadata.labels).toMatchObject(monitor.spec.selector.matchLabels);

    const rule = only(objects, 'PrometheusRule');
    expect(rule.metadata.labels).toMatchObject({ release: 'kube-prometheus-stack' });
    // The rules reach Prometheus exactly as shipped: Helm did not touch their {{ $labels }} templates.
    expect(rule.spec).toEqual(parseYaml(readFileSync(join(ROOT, 'deploy/prometheus/flowhound.rules.yml'), 'utf8')));
    // up{job="flowhound"} in FlowhoundDown matches the job label the ServiceMonitor sets.
    expect(JSON.stringify(rule.spec)).toContain('up{job=\\"flowhound\\"}');

    // Both Alertmanagers of the HA pair get the alerts; the NetworkPolicy lets the pods reach them.
    const pipeline = pipelineOf(objects);
    expect(pipeline.sinks.alertmanager).toEqual({
      type: 'alertmanager', resend_interval_seconds: 60, labels: { team: 'security' },
      urls: [
        'http://alertmanager-kube-prometheus-stack-alertmanager-0.alertmanager-operated.monitoring:9093',
        'http://alertmanager-kube-prometheus-stack-alertmanager-1.alertmanager-operated.monitoring:9093',
      ],
    });
    expect(pipeline.sinks.siem).toEqual({ type: 'kafka', topic: 'flowhound-alerts' });
    expect(only(objects, 'NetworkPolicy').spec.egress).toContainEqual({ ports: [{ port: 9093, protocol: 'TCP' }] });

    const dashboards = objects.filter((o) => o.metadata.labels?.grafana_dashboard === '1');
    expect(dashboards).toHaveLength(3);
    for (const dashboard of dashboards) {
      expect(dashboard.metadata.namespace).toBe('monitoring');
      expect(dashboard.metadata.annotations).toEqual({ grafana_folder: 'flowhound' });
    }
    const said = notes(['ci/kube-prometheus-stack-values.yaml'], [], WITH_CRDS);
    expect(said).toMatch(/through the ServiceMonitor fh-flowhound \(labels: release=kube-prometheus-stack \)/);
    expect(said).not.toMatch(/No alertmanager\.urls/);
    // The sidecar's label is configurable.
    const relabelled = render([], ['dashboards.label=grafana_dashboard_flowhound', 'dashboards.labelValue=yes']).filter((o) => o.metadata.labels?.grafana_dashboard_flowhound === 'yes');
    expect(relabelled).toHaveLength(3);
  });

  it('takes Kafka SASL credentials and TLS material from existing Secrets, never into the ConfigMap', () => {
    const objects = render(['ci/sasl-tls-values.yaml']);
    validateAll('sasl-tls', objects);
    const main = container(objects);
    const pod = only(objects, 'Deployment').spec.template.spec;
    expect(main.env).toEqual([
      { name: 'FLOWHOUND_KAFKA_SASL_USERNAME', valueFrom: { secretKeyRef: { name: 'flowhound-kafka-user', key: 'username' } } },
      { name: 'FLOWHOUND_KAFKA_SASL_PASSWORD', valueFrom: { secretKeyRef: { name: 'flowhound-kafka-user', key: 'password' } } },
    ]);
    expect(pod.volumes).toContainEqual({ name: 'kafka-tls', secret: { secretName: 'kafka-cluster-ca-cert', defaultMode: 0o440 } }); // 288
    expect(main.volumeMounts).toContainEqual({ name: 'kafka-tls', mountPath: '/etc/flowhound/kafka-tls', readOnly: true });

    const pipeline = pipelineOf(objects);
    expect(pipeline.kafka).toEqual({
      brokers: ['kafka-0.kafka-brokers.kafka.svc:9093', 'kafka-1.kafka-brokers.kafka.svc:9093', 'kafka-2.kafka-brokers.kafka.svc:9093'],
      client_id: 'flowhound-prod',
      connection_timeout_ms: 10000,
      ssl: { ca_file: '/etc/flowhound/kafka-tls/ca.crt', cert_file: '/etc/flowhound/kafka-tls/user.crt', key_file: '/etc/flowhound/kafka-tls/user.key', reject_unauthorized: true },
      // flowhound replaces ${VAR} in pipeline strings from its environment.
      sasl: { mechanism: 'scram-sha-512', username: '${FLOWHOUND_KAFKA_SASL_USERNAME}', password_env: 'FLOWHOUND_KAFKA_SASL_PASSWORD' },
    });
    // Egress to the brokers: their namespace, the bootstrap port and the extra listener port.
    expect(only(objects, 'NetworkPolicy').spec.egress[0]).toEqual({
      ports: [{ port: 9093, protocol: 'TCP' }, { port: 9094, protocol: 'TCP' }],
      to: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'kafka' } } }],
    });

    // A user name given in the values; TLS with the system CAs (no Secret).
    const plain = render([], ['kafka.sasl.enabled=true', 'kafka.sasl.existingSecret=kafka-password', 'kafka.sasl.username=flowhound', 'kafka.sasl.mechanism=plain', 'kafka.tls.enabled=true']);
    expect(container(plain).env[0]).toEqual({ name: 'FLOWHOUND_KAFKA_SASL_USERNAME', value: 'flowhound' });
    expect(pipelineOf(plain).kafka.ssl).toBe(true);
    expect(only(plain, 'Deployment').spec.template.spec.volumes.map((v: { name: string }) => v.name)).toEqual(['pipeline', 'tmp']);
    validateAll('sasl-plain', plain);
  });

  it('renders no NetworkPolicy or PodDisruptionBudget when they are off', () => {
    const objects = render(['ci/no-network-policy-values.yaml']);
    validateAll('no-network-policy', objects);
    expect(objects.some((o) => o.kind === 'NetworkPolicy' || o.kind === 'PodDisruptionBudget')).toBe(false);
    expect(container(objects).args).toContain('45');
    expect(only(objects, 'Deployment').spec.template.spec.terminationGracePeriodSeconds).toBe(60);
    expect(pipelineOf(objects).sinks.alertmanager.urls).toEqual(['http://alertmanager.monitoring.svc']);
    // With the policy back on, the Alertmanager's port is the http default.
    const policy = only(render(['ci/no-network-policy-values.yaml'], ['networkPolicy.enabled=true']), 'NetworkPolicy');
    expect(policy.spec.egress).toContainEqual({ ports: [{ port: 80, protocol: 'TCP' }] });
  });

  it('runs three members of a Hubble pipeline, spread and disruption-budgeted', () => {
    const objects = render(['ci/three-replicas-values.yaml']);
    validateAll('three-replicas', objects);
    const deployment = only(objects, 'Deployment');
    expect(deployment.spec.replicas).toBe(3);
    expect(deployment.spec.strategy).toEqual({ type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } });
    expect(deployment.spec.template.spec.topologySpreadConstraints).toHaveLength(1);
    expect(only(objects, 'PodDisruptionBudget').spec.minAvailable).toBe(2);
    expect(only(objects, 'PodDisruptionBudget').spec.maxUnavailable).toBeUndefined();
    // The value `pipeline` replaces the default pipeline as a whole (no Calico sources left over).
    const pipeline = pipelineOf(objects);
    expect(Object.keys(pipeline.sources)).toEqual(['hubble']);
    expect(pipeline).toMatchObject({ name: 'hubble', cluster: 'prod-eu', metrics: { enabled: true, port: 9464, top_workloads: 100 } });
    expect(pipeline.sinks).toBeUndefined();
    // NOTES warn when there are more members than detection tasks.
    expect(notes(['ci/three-replicas-values.yaml'], ['replicaCount=8'])).toMatch(/WARNING: replicaCount 8 is more than pipeline.state.partitions \(6\)/);
    expect(notes(['ci/three-replicas-values.yaml'])).not.toMatch(/WARNING/);
  });

  it('checks with validators that do refuse broken manifests', () => {
    // The same checks over deliberately broken copies of what the chart renders: each must fail.
    const objects = render(['ci/kube-prometheus-stack-values.yaml'], [], WITH_CRDS);
    const broken = structuredClone(objects);
    const brokenContainer = container(broken);
    brokenContainer.securityContext.readOnlyRootFilesystem = 'yes';
    const deployment = kubernetesValidate('broken-deployment', broken.filter((o) => o.kind === 'Deployment'));
    expect(deployment.status).not.toBe(0);
    expect(deployment.stdout + deployment.stderr).toMatch(/readOnlyRootFilesystem: 'yes' is not of type 'boolean'/);
    delete brokenContainer.securityContext.readOnlyRootFilesystem;
    brokenContainer.securityContext.readOnlyRootFS = true; // --strict: no unknown fields
    expect(kubernetesValidate('unknown-field', broken.filter((o) => o.kind === 'Deployment')).status).not.toBe(0);

    const monitor = structuredClone(only(objects, 'ServiceMonitor'));
    monitor.spec.endpoints[0].interval = 'every 15 seconds';
    expect(() => validateCustomResource(monitor)).toThrow(/interval/);
    const rule = structuredClone(only(objects, 'PrometheusRule'));
    rule.spec.groups[0].rules[0].expr = 'sum by (source) (rate(flowhound_records_received_total[5m])';
    expect(() => validateCustomResource(rule)).not.toThrow(); // the CRD schema does not parse PromQL...
    expect(promtoolCheck('broken-rule', rule).status).not.toBe(0); // ...promtool does

    const badPipeline = structuredClone(objects);
    const configMap = badPipeline.find((o) => o.kind === 'ConfigMap' && o.metadata.name === FULLNAME)!;
    configMap.data!['pipeline.yaml'] = configMap.data!['pipeline.yaml']!.replace('format: calico-flow', 'format: netflow');
    const validate = flowhoundValidate('broken-pipeline', badPipeline);
    expect(validate.status).toBe(2);
    expect(validate.out).toMatch(/sources\.calico_flows\.format/);
  });

  it('refuses bad values at install time', () => {
    const schema: [string[], string][] = [
      [['replicaCount=three'], "at '/replicaCount': got string, want integer"],
      [['replicaCount=-1'], "at '/replicaCount': minimum"],
      [['metrics.port=70000'], "at '/metrics/port': maximum"],
      [['kafka.brokers[0]=no-port'], "at '/kafka/brokers/0'"],
      [['kafka.sasl.mechanism=gssapi'], "at '/kafka/sasl/mechanism'"],
      [['logLevel=verbose'], "at '/logLevel'"],
      [['serviceMonitor.interval=30 seconds'], "at '/serviceMonitor/interval'"],
      [['alertmanager.urls[0]=alertmanager:9093'], "at '/alertmanager/urls/0'"],
      [['pipeline.kafka.brokers[0]=kafka:9092', 'pipeline.name=x', 'pipeline.sources.a.type=kafka'], "additional properties 'kafka' not allowed"],
      [['pipeline.name=Calico Flows', 'pipeline.sources.a.type=kafka'], "at '/pipeline/name'"],
      [['pipeline.name=calico'], "missing property 'sources'"],
      [['pipeline.name=x', 'pipeline.sources.a.type=kinesis'], "at '/pipeline/sources/a/type'"],
      [['image.pullPolicy=Sometimes'], "at '/image/pullPolicy'"],
      [['podDisruptionBudget.minAvailable=half'], "at '/podDisruptionBudget/minAvailable'"],
      [['unknownValue=1'], "additional properties 'unknownValue' not allowed"],
    ];
    for (const [sets, message] of schema) {
      const result = template([], sets);
      expect(result.status, `helm template --set ${sets.join(' --set ')} was accepted`).not.toBe(0);
      expect(result.stderr, sets.join(' ')).toContain("values don't meet the specifications of the schema");
      expect(result.stderr, sets.join(' ')).toContain(message);
    }
    // Relations between values, which the templates check.
    const templates: [string[], RegExp][] = [
      [['terminationGracePeriodSeconds=20'], /terminationGracePeriodSeconds \(20\) must be more than shutdownTimeoutSeconds \(20\)/],
      [['kafka.sasl.enabled=true'], /kafka\.sasl\.enabled needs kafka\.sasl\.existingSecret/],
      [['kafka.tls.enabled=true', 'kafka.tls.existingSecret=ca', 'kafka.tls.certKey=tls.crt'], /set both certKey and keyKey/],
    ];
    for (const [sets, message] of templates) {
      const result = template([], sets);
      expect(result.status, `helm template --set ${sets.join(' --set ')} was accepted`).not.toBe(0);
      expect(result.stderr, sets.join(' ')).toMatch(message);
    }
    // And lint says the same about a values file.
    const bad = join(work, 'bad-values.yaml');
    writeFileSync(bad, 'replicaCount: 2\nkafka:\n  brokers: []\n');
    const linted = helm(helmBin, ['lint', CHART, '--strict', '--kube-version', KUBE_VERSION, '--values', bad]);
    expect(linted.status).not.toBe(0);
    expect(linted.stdout + linted.stderr).toContain("at '/kafka/brokers': minItems");
  });
});
