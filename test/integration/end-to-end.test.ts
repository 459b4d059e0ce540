/**
 * The whole stack, real servers only: Kafka, flowhound, Prometheus (scraping flowhound every
 * second, evaluating the shipped rules) and Alertmanager (routing to a webhook inside this
 * test). The shipped sample, with some malformed records, goes through Kafka; then the
 * metrics are read back through Prometheus' HTTP API, the alerts through Alertmanager's, and
 * every PromQL expression of every dashboard panel and rule is run against Prometheus.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { DASHBOARDS } from '../../dashboards/build-dashboards.ts';
import { validatePipeline } from '../../src/config/load-pipeline.ts';
import { loadLabels } from '../../src/evaluation/labels.ts';
import { buildPipeline, type BuiltPipeline } from '../../src/pipeline/build-pipeline.ts';
import { silentLogger } from '../../src/telemetry/logger.ts';
import { startTelemetry, type Telemetry } from '../../src/telemetry/otel.ts';
import { PipelineMetrics } from '../../src/telemetry/pipeline-metrics.ts';
import { tickLine } from '../harness/flowhound-member.ts';
import { sampleDataEnd } from '../harness/sample.ts';
import { createTopics, produceWithKcat } from '../harness/kcat.ts';
import { sampleLinesInEventTime } from '../harness/sample.ts';
import { startService, type Service } from '../harness/service.ts';
import { fixture } from '../unit/fixture.ts';

const brokers = inject('kafkaBrokers');
const BAD = ['{"start_time": 17', '{"hello":"world"}', fixture('hubble/dns-request.json'), fixture('hubble/lost-events.json')];

/** Cut a little after the last labelled attack ends, so its alerts still fire when the test looks. */
function sampleInEventTime(): string[] {
  return sampleLinesInEventTime(Math.max(...loadLabels('datasets/sample/labels.jsonl').map((l) => l.endMs)) + 10 * 60_000);
}

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

interface PromResult { metric: Record<string, string>; value: [number, string] }

describe('end to end: Kafka → flowhound → Prometheus and Alertmanager', () => {
  let alertmanager: Service;
  let prometheus: Service;
  let telemetry: Telemetry;
  let pipeline: BuiltPipeline;
  let running: Promise<void>;
  let webhook: Server;
  const notifications: { status: string; alerts: { status: string; labels: Record<string, string> }[] }[] = [];
  let produced = 0;

  async function query(expr: string): Promise<PromResult[]> {
    const response = await fetch(`${prometheus.url}/api/v1/query?query=${encodeURIComponent(expr)}`);
    const body = await response.json() as { status: string; error?: string; data: { result: PromResult[] } };
    if (body.status !== 'success') throw new Error(`${expr}: ${body.error}`);
    return body.data.result;
  }

  beforeAll(async () => {
    webhook = createServer((request, response) => {
      let body = '';
      request.on('data', (chunk) => { body += chunk; });
      request.on('end', () => {
        notifications.push(JSON.parse(body));
        response.end('ok');
      });
    });
    await new Promise<void>((resolve) => webhook.listen(0, '127.0.0.1', resolve));
    const webhookPort = (webhook.address() as { port: number }).port;

    alertmanager = await startService('prometheus-alertmanager', (dir, port) => {
      writeFileSync(join(dir, 'alertmanager.yml'), [
        'route:',
        '  receiver: test',
        '  group_by: [alertname, cluster, namespace, workload, peer]',
        // At once: at replay speed an alert can fire and resolve within a second of wall time.
        '  group_wait: 0s',
        '  group_interval: 1s',
        '  repeat_interval: 1h',
        'receivers:',
        '  - name: test',
        '    webhook_configs:',
        `      - url: http://127.0.0.1:${webhookPort}/`,
        '        send_resolved: true',
      ].join('\n'));
      return [`--config.file=${join(dir, 'alertmanager.yml')}`, `--storage.path=${dir}`, `--web.listen-address=127.0.0.1:${port}`, '--cluster.listen-address='];
    }, '/-/ready');

    telemetry = await startTelemetry({ host: '127.0.0.1', port: 0 });
    const flowhoundTarget = new URL(telemetry.url).host;
    prometheus = await startService('prometheus', (dir, port) => {
      writeFileSync(join(dir, 'flowhound.rules.yml'), readFileSync('deploy/prometheus/flowhound.rules.yml'));
      writeFileSync(join(dir, 'prometheus.yml'), [
        'global: { scrape_interval: 1s, evaluation_interval: 1s }',
        'rule_files: [flowhound.rules.yml]',
        'scrape_configs:',
        `  - { job_name: flowhound, static_configs: [{ targets: ["${flowhoundTarget}"] }] }`,
      ].join('\n'));
      return [`--config.file=${join(dir, 'prometheus.yml')}`, `--storage.tsdb.path=${join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`];
    }, '/-/ready');

    const topic = `e2e-${randomUUID().slice(0, 8)}`;
    await createTopics(brokers, [topic], 1);
    // A live stream never ends: a later record moves event time past the sample's last window.
    const lines = [...BAD, ...sampleInEventTime(), tickLine(sampleDataEnd() + 3_600_000)];
    produced = lines.length;
    await produceWithKcat(brokers, topic, lines);
    const config = validatePipeline({
      name: 'e2e', cluster: 'prod-eu',
      kafka: { brokers: [brokers] },
      sources: { sample: { type: 'kafka', topics: [topic], format: 'auto', group_id: `g-${topic}` } },
      dead_letter: { topic: `${topic}-dead` },
      state: { topic_prefix: `fh-${topic}` },
      sinks: { alertmanager: { type: 'alertmanager', urls: [alertmanager.url], resend_interval_seconds: 5 } },
    }, 'e2e');
    pipeline = buildPipeline(config, { logger: silentLogger, metrics: new PipelineMetrics(telemetry.meter, { topWorkloads: 50 }) });
    running = pipeline.run();
    await until('all records consumed', async () => (pipeline.ingest.stats.total(pipeline.ingest.stats.received) >= produced ? true : undefined), 120_000);
  });

  afterAll(async () => {
    await pipeline?.stop();
    await running;
    await telemetry?.shutdown();
    await prometheus?.stop();
    await alertmanager?.stop();
    await new Promise((resolve) => webhook?.close(resolve));
  });

  it('exposes the pipeline and security metrics to Prometheus with sane values', async () => {
    const received = await until('the final scrape', async () => {
      const result = await query('sum(flowhound_records_received_total{job="flowhound"})');
      return result.length > 0 && Number(result[0]!.value[1]) === produced ? result : undefined;
    });
    expect(Number(received[0]!.value[1])).toBe(produced);
    const invalid = await query('sum by (reason) (flowhound_records_invalid_total)');
    expect(Object.fromEntries(invalid.map((r) => [r.metric.reason, Number(r.value[1])]))).toEqual({ 'malformed-json': 1, 'unknown-format': 1 });
    expect(Number((await query('sum(flowhound_records_dead_lettered_total)'))[0]!.value[1])).toBe(2);
    const skipped = await query('sum by (reason) (flowhound_records_skipped_total)');
    expect(skipped.map((r) => r.metric.reason).sort()).toEqual(['hubble-dns-request', 'hubble-not-a-flow']);
    // The lag is set after each chunk's commit, a moment after its records were counted.
    await until('consumer lag 0', async () => {
      const lag = await query('sum(flowhound_consumer_lag_messages)');
      return lag.length > 0 && Number(lag[0]!.value[1]) === 0 ? true : undefined;
    }, 30_000);
    expect(Number((await query('sum(flowhound_baselines)'))[0]!.value[1])).toBeGreaterThan(15);
    // Alerts reach the metrics once the detection task's checkpoint commits them: a moment after the input is consumed.
    const alerts = await until('alerts of every category', async () => {
      const result = await query('sum by (category) (flowhound_alerts_total)');
      return result.length >= 7 ? result : undefined;
    }, 60_000);
    expect(alerts.map((r) => r.metric.category).sort()).toEqual(['command-and-control', 'credential-access', 'discovery', 'exfiltration', 'impact', 'lateral-movement', 'policy-violation']);
    const egress = await query('topk(1, sum by (workload) (flowhound_workload_bytes_total{direction="egress"}))');
    expect(egress[0]!.metric.workload).toBe('llm-finetune');
    expect(Number((await query('sum(flowhound_batch_duration_seconds_count)'))[0]!.value[1])).toBeGreaterThan(0);
    // Bounded labels: no pod, IP, FQDN or port anywhere.
    const labels = await (await fetch(`${prometheus.url}/api/v1/labels?match[]={job="flowhound"}`)).json() as { data: string[] };
    expect(labels.data.filter((l) => ['pod', 'ip', 'src_ip', 'dst_ip', 'fqdn', 'port', 'peer', 'qname'].includes(l))).toEqual([]);
  });

  it('delivers alerts to Alertmanager with the expected labels, and resolves them', async () => {
    const active = await until('alerts in Alertmanager', async () => {
      const response = await fetch(`${alertmanager.url}/api/v2/alerts`);
      const list = await response.json() as { labels: Record<string, string>; annotations: Record<string, string>; status: { state: string } }[];
      return list.length > 0 ? list : undefined;
    });
    for (const alert of active) {
      expect(Object.keys(alert.labels)).toEqual(expect.arrayContaining(['alertname', 'severity', 'category', 'technique', 'cluster', 'namespace', 'workload', 'detector']));
      expect(alert.labels.alertname).toMatch(/^Flowhound[A-Z]/);
      expect(alert.annotations.summary).toBeTruthy();
      expect(alert.annotations.description).toContain('Evidence:');
      expect(alert.annotations.runbook_url).toContain(alert.labels.detector!);
    }
    const resolved = await until('a resolved notification at the webhook', async () => {
      const found = notifications.flatMap((n) => n.alerts).filter((a) => a.status === 'resolved');
      return found.length > 0 ? found : undefined;
    });
    expect(resolved[0]!.labels.source).toBe('flowhound');
    // Each detection task hands its alerts over at its checkpoint: they arrive within a second or so.
    const categories = await until('firing alerts of all seven categories', async () => {
      const firing = notifications.flatMap((n) => n.alerts).filter((a) => a.status === 'firing');
      const seen = new Set(firing.map((a) => a.labels.category));
      return seen.size >= 7 ? seen : undefined;
    });
    expect(categories.size).toBe(7);
  });

  it('runs every PromQL expression of every dashboard panel and rule, each returning data', async () => {
    // rate() and increase() need two scrapes of a series: wait for them.
    await until('two scrapes', async () => ((await query('sum(rate(flowhound_alerts_total[1m]))')).length > 0 ? true : undefined));
    // Grafana variables → values Prometheus understands.
    const substitute = (expr: string) => expr
      .replaceAll('$__rate_interval', '1m').replaceAll('$__range', '10m').replaceAll('$__interval', '15s')
      .replaceAll('$cluster', '.*').replaceAll('$namespace', '.*').replaceAll('$workload', '.*');
    const expressions: { where: string; expr: string }[] = [];
    for (const [file, dashboard] of Object.entries(DASHBOARDS)) {
      for (const panel of dashboard.panels ?? []) {
        for (const target of (panel as { targets?: { expr: string }[] }).targets ?? []) expressions.push({ where: `${file}: ${panel.title}`, expr: substitute(target.expr) });
      }
      for (const variable of dashboard.templating?.list ?? []) {
        const text = typeof variable.query === 'object' ? String((variable.query as { query: string }).query) : '';
        const labelValues = /^label_values\((.+), (\w+)\)$/.exec(text);
        if (labelValues !== null) expressions.push({ where: `${file}: $${variable.name}`, expr: `count by (${labelValues[2]}) (${substitute(labelValues[1]!)})` });
      }
    }
    const rules = parseYaml(readFileSync('deploy/prometheus/flowhound.rules.yml', 'utf8')) as { groups: { rules: { record?: string; alert?: string; expr: string }[] }[] };
    for (const rule of rules.groups.flatMap((g) => g.rules)) {
      // An alerting rule returns data only while it fires; its signal (left of the threshold) must always.
      expressions.push({ where: `rule ${rule.record ?? rule.alert}`, expr: rule.alert === undefined ? rule.expr : signalOf(rule.expr) });
      if (rule.alert !== undefined) await query(rule.expr); // and the whole expression must parse
    }
    const empty: string[] = [];
    for (const { where, expr } of expressions) if ((await query(expr)).length === 0) empty.push(`${where}: ${expr}`);
    expect(empty).toEqual([]);
    expect(expressions.length).toBeGreaterThan(40);
  });
});

/** `A > 0 and B == 0` → `A`: the part of an alerting expression before its first top-level comparison. */
function signalOf(expr: string): string {
  let depth = 0;
  for (let i = 0; i < expr.length; i++) {
    const c = expr[i]!;
    if (c === '(' || c === '[' || c === '{') depth++;
    else if (c === ')' || c === ']' || c === '}') depth--;
    else if (depth === 0 && /^ (==|!=|>=|<=|>|<) /.test(expr.slice(i, i + 4))) return expr.slice(0, i).trim();
  }
  return expr;
}
