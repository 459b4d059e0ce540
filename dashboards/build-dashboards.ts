/**
 * The Grafana dashboards, written as code typed by Grafana's own published types
 * (`@grafana/schema`), so `npm run typecheck` checks them against Grafana's dashboard model.
 * `npm run dashboards` regenerates the JSON files beside this script; a unit test fails if
 * they are out of date.
 */
import { writeFileSync } from 'node:fs';
import type { Dashboard, DataSourceRef, Panel, RowPanel, VariableModel } from '@grafana/schema';

const DS: DataSourceRef = { type: 'prometheus', uid: '${datasource}' };

type PanelType = 'timeseries' | 'stat' | 'table' | 'bargauge';
interface PanelSpec {
  type: PanelType;
  title: string;
  /** PromQL and legend of each query. */
  targets: [expr: string, legend: string][];
  w?: number;
  h?: number;
  unit?: string;
  description?: string;
  options?: Record<string, unknown>;
  field?: Record<string, unknown>;
}

const TIMESERIES_OPTIONS = { legend: { displayMode: 'list', placement: 'bottom', showLegend: true }, tooltip: { mode: 'multi', sort: 'desc' } };
const STAT_OPTIONS = { reduceOptions: { calcs: ['lastNotNull'], fields: '', values: false }, colorMode: 'value', graphMode: 'none', textMode: 'value_and_name', orientation: 'auto', justifyMode: 'auto' };
const BARGAUGE_OPTIONS = { orientation: 'horizontal', displayMode: 'gradient', reduceOptions: { calcs: ['lastNotNull'], fields: '', values: false }, showUnfilled: true };
const BARS = { custom: { drawStyle: 'bars', fillOpacity: 60, stacking: { mode: 'normal', group: 'A' } } };

/** Lays panels out on Grafana's 24-column grid, left to right, top to bottom. */
class Layout {
  readonly panels: (Panel | RowPanel)[] = [];
  private id = 1;
  private x = 0;
  private y = 0;
  private rowHeight = 0;

  row(title: string): void {
    this.newLine();
    this.panels.push({ id: this.id++, type: 'row', title, collapsed: false, gridPos: { x: 0, y: this.y, w: 24, h: 1 }, panels: [] });
    this.y += 1;
  }

  add(spec: PanelSpec): void {
    const w = spec.w ?? 12;
    const h = spec.h ?? 8;
    if (this.x + w > 24) this.newLine();
    const instant = spec.type === 'table' || spec.type === 'bargauge';
    this.panels.push({
      id: this.id++,
      type: spec.type,
      title: spec.title,
      description: spec.description ?? '',
      datasource: DS,
      gridPos: { x: this.x, y: this.y, w, h },
      targets: spec.targets.map(([expr, legendFormat], i) => ({ refId: String.fromCharCode(65 + i), datasource: DS, expr, legendFormat, ...(instant ? { instant: true, format: 'table' } : { range: true }) })),
      fieldConfig: { defaults: { ...(spec.unit === undefined ? {} : { unit: spec.unit }), ...(spec.field ?? {}) }, overrides: [] },
      options: spec.options ?? (spec.type === 'timeseries' ? TIMESERIES_OPTIONS : spec.type === 'stat' ? STAT_OPTIONS : spec.type === 'bargauge' ? BARGAUGE_OPTIONS : { showHeader: true }),
    });
    this.x += w;
    this.rowHeight = Math.max(this.rowHeight, h);
  }

  private newLine(): void {
    if (this.x === 0) return;
    this.x = 0;
    this.y += this.rowHeight;
    this.rowHeight = 0;
  }
}

const datasourceVariable: VariableModel = { name: 'datasource', label: 'Prometheus', type: 'datasource', query: 'prometheus', hide: 0, refresh: 1, options: [], regex: '', skipUrlSync: false };

function queryVariable(name: string, label: string, query: string): VariableModel {
  return { name, label, type: 'query', datasource: DS, query: { query, refId: `${name}-variable` }, refresh: 2, sort: 1, includeAll: true, multi: true, options: [], hide: 0, regex: '', skipUrlSync: false };
}

function dashboard(uid: string, title: string, description: string, layout: Layout, variables: VariableModel[], tags: string[]): Dashboard {
  return {
    uid, title, description, tags: ['flowhound', ...tags], timezone: 'browser', editable: true, graphTooltip: 1,
    // 39: the v1 model every Grafana from 10.x on imports and migrates forward.
    schemaVersion: 39, version: 1, refresh: '30s', time: { from: 'now-6h', to: 'now' }, timepicker: {}, fiscalYearStartMonth: 0, liveNow: false, weekStart: '',
    annotations: { list: [{ builtIn: 1, datasource: { type: 'grafana', uid: '-- Grafana --' }, enable: true, hide: true, iconColor: 'rgba(0, 211, 255, 1)', name: 'Annotations & Alerts', type: 'dashboard' }] },
    links: [{ title: 'flowhound dashboards', type: 'dashboards', tags: ['flowhound'], asDropdown: true, icon: 'external link', includeVars: false, keepTime: true, targetBlank: false, tooltip: '', url: '' }],
    templating: { list: variables },
    panels: layout.panels,
  };
}

function pipelineHealth(): Dashboard {
  const l = new Layout();
  l.row('Throughput');
  l.add({ type: 'timeseries', title: 'Messages received / s', unit: 'short', description: 'Messages read from each source (Kafka topics, files).', targets: [['sum by (source) (rate(flowhound_records_received_total[$__rate_interval]))', '{{source}}']] });
  l.add({ type: 'timeseries', title: 'Records parsed / s', unit: 'short', description: 'Normalised flow and DNS records by wire format.', targets: [['sum by (format, kind) (rate(flowhound_records_parsed_total[$__rate_interval]))', '{{format}} {{kind}}']] });
  l.add({ type: 'timeseries', title: 'Rejected records / s by reason', unit: 'short', description: 'Each rejected message is dead-lettered with its reason.', targets: [['sum by (reason) (rate(flowhound_records_invalid_total[$__rate_interval]))', '{{reason}}']] });
  l.add({ type: 'stat', title: 'Dead-lettered in range', w: 6, unit: 'short', targets: [['sum(increase(flowhound_records_dead_lettered_total[$__range]))', 'dead-lettered']] });
  l.add({ type: 'stat', title: 'Skipped in range', w: 6, unit: 'short', description: 'Well-formed records deliberately not counted twice (Hubble DNS requests, L7 duplicates).', targets: [['sum(increase(flowhound_records_skipped_total[$__range]))', 'skipped']] });
  l.row('Latency and lag');
  l.add({ type: 'timeseries', title: 'Consumer lag (messages)', unit: 'short', description: 'Messages between the committed offset and the partition high watermark.', targets: [['sum by (topic) (flowhound_consumer_lag_messages)', '{{topic}}']] });
  l.add({ type: 'timeseries', title: 'Event-time lag', unit: 's', description: 'How far behind real time the analysed traffic is.', targets: [['max(flowhound_event_time_lag_seconds)', 'wall clock − newest event']] });
  l.add({ type: 'timeseries', title: 'Batch duration', unit: 's', targets: [
    ['histogram_quantile(0.95, sum by (le) (rate(flowhound_batch_duration_seconds_bucket[$__rate_interval])))', 'p95'],
    ['histogram_quantile(0.5, sum by (le) (rate(flowhound_batch_duration_seconds_bucket[$__rate_interval])))', 'p50'],
  ] });
  l.add({ type: 'timeseries', title: 'Late and dropped records / s', unit: 'short', description: 'Late: older than the watermark, counted, not judged. Dropped (state_budget): sides of records of workloads without a baseline while detection.max_state_mb had no room for another open window.', targets: [['sum(rate(flowhound_records_late_total[$__rate_interval]))', 'late'], ['sum by (reason) (rate(flowhound_records_dropped_total[$__rate_interval]))', 'dropped {{reason}}']] });
  l.row('State and sinks');
  l.add({ type: 'timeseries', title: 'Workload baselines', unit: 'short', description: 'Bounded by detection.max_state_mb (bytes) and detection.max_workloads (count); evictions, least recently active first, mean more workloads than the bounds, or key churn.', targets: [['sum(flowhound_baselines)', 'held'], ['sum(rate(flowhound_baseline_evictions_total[$__rate_interval]))', 'evicted / s'], ['sum(rate(flowhound_baselines_not_kept_total[$__rate_interval]))', 'not kept / s'], ['sum(flowhound_baselines_learning)', 'learning']] });
  l.add({ type: 'timeseries', title: 'Detection state memory', unit: 'bytes', description: 'Bytes held by workload baselines against the detection.max_state_mb budget; at the budget, the least recently active workloads are evicted.', targets: [['sum(flowhound_state_bytes)', 'held'], ['max(flowhound_state_budget_bytes)', 'budget']] });
  l.add({ type: 'timeseries', title: 'Workload windows judged / s', unit: 'short', targets: [['sum(rate(flowhound_windows_judged_total[$__rate_interval]))', 'windows']] });
  l.add({ type: 'timeseries', title: 'Alert deliveries / s', unit: 'short', targets: [['sum by (sink, result) (rate(flowhound_sink_deliveries_total[$__rate_interval]))', '{{sink}} {{result}}']] });
  l.add({ type: 'timeseries', title: 'Alerts buffered and dropped', unit: 'short', description: 'Alerts waiting for an unreachable sink; dropped ones overflowed the bounded buffer.', targets: [['sum by (sink) (flowhound_sink_buffered)', '{{sink}} buffered'], ['sum by (sink) (increase(flowhound_sink_dropped_total[$__rate_interval]))', '{{sink}} dropped']] });
  l.row('Durable state');
  l.add({ type: 'timeseries', title: 'Checkpoints', unit: 'short', description: 'Each detection task commits its state, alerts and input offsets in one Kafka transaction every state.checkpoint_interval_ms; bytes are what it wrote to the changelog and peer-groups topics.', targets: [['sum(rate(flowhound_state_checkpoints_total[$__rate_interval]))', 'checkpoints / s'], ['sum(rate(flowhound_state_checkpoint_bytes_total[$__rate_interval]))', 'bytes / s'], ['sum(rate(flowhound_state_checkpoint_seconds_total[$__rate_interval]))', 'busy (s / s)']] });
  l.add({ type: 'timeseries', title: 'Detection tasks and restores', unit: 'short', description: 'Tasks (repartition partitions) per member; restores happen on start, on a rebalance and after a failed checkpoint.', targets: [['sum by (instance) (flowhound_detection_tasks)', 'tasks {{instance}}'], ['sum(increase(flowhound_state_restores_total[$__rate_interval]))', 'restores']] });
  return dashboard('flowhound-pipeline', 'flowhound / Pipeline health', 'Is flowhound keeping up, losing nothing, delivering its alerts?', l, [datasourceVariable], ['pipeline']);
}

function securityOverview(): Dashboard {
  const l = new Layout();
  l.row('Alerts');
  l.add({ type: 'stat', title: 'Alerts in range by severity', w: 8, unit: 'short', targets: [['sum by (severity) (increase(flowhound_alerts_total[$__range]))', '{{severity}}']],
    options: { ...STAT_OPTIONS, colorMode: 'background' }, field: { color: { mode: 'thresholds' }, thresholds: { mode: 'absolute', steps: [{ color: 'green', value: null }, { color: 'red', value: 1 }] } } });
  l.add({ type: 'stat', title: 'Firing now', w: 16, unit: 'short', targets: [['sum by (category) (flowhound_alerts_active)', '{{category}}']] });
  l.add({ type: 'timeseries', title: 'New alerts by category', unit: 'short', field: BARS, targets: [['sum by (category) (increase(flowhound_alerts_total[$__rate_interval]))', '{{category}}']] });
  l.add({ type: 'table', title: 'Alerts in range by detector and technique', unit: 'short', targets: [['sum by (detector, category, technique) (increase(flowhound_alerts_total[$__range]))', '']] });
  l.add({ type: 'timeseries', title: 'Findings rolled up in alert storms', w: 12, h: 6, unit: 'short', field: BARS,
    description: 'Findings that would have opened an alert of their own but were folded into a roll-up alert (workload "*"): many workloads tripped one detector in one window (detection.alerts.storm).',
    targets: [['sum by (detector) (increase(flowhound_alerts_rolled_up_total[$__rate_interval]))', '{{detector}}']] });
  l.add({ type: 'timeseries', title: 'Alert emissions damped (flapping)', w: 12, h: 6, unit: 'short', field: BARS,
    description: 'Re-openings and escalations of one alert past detection.alerts.flap_damping.max_emissions_per_hour: the alert stays held and up to date, Alertmanager is not told again.',
    targets: [['sum by (detector) (increase(flowhound_alerts_damped_total[$__rate_interval]))', '{{detector}}']] });
  l.row('Workloads');
  l.add({ type: 'bargauge', title: 'Top egress workloads (bytes/s)', unit: 'Bps', targets: [['topk(10, sum by (cluster, namespace, workload) (rate(flowhound_workload_bytes_total{direction="egress"}[$__range])))', '{{cluster}}/{{namespace}}/{{workload}}']] });
  l.add({ type: 'bargauge', title: 'Top east-west workloads (bytes/s)', unit: 'Bps', targets: [['topk(10, sum by (cluster, namespace, workload) (rate(flowhound_workload_bytes_total{direction="east_west"}[$__range])))', '{{cluster}}/{{namespace}}/{{workload}}']] });
  l.add({ type: 'table', title: 'Top new edges (lateral-movement findings by workload)', unit: 'short', targets: [['topk(10, sum by (cluster, namespace, workload, detector) (increase(flowhound_workload_findings_total{detector=~"new-east-west-edge|cross-environment|sensitive-port|metadata-api"}[$__range])))', '']] });
  l.add({ type: 'timeseries', title: 'DNS anomalies', unit: 'short', field: BARS, targets: [['sum by (detector) (increase(flowhound_findings_total{detector=~"dns-tunnel|nxdomain-burst|fqdn-allowlist"}[$__rate_interval]))', '{{detector}}']] });
  l.add({ type: 'table', title: 'Highest anomaly scores', w: 24, unit: 'percentunit', targets: [['topk(15, max by (cluster, namespace, workload, detector) (flowhound_anomaly_score))', '']] });
  return dashboard('flowhound-security', 'flowhound / Security overview', 'Lateral movement and exfiltration found in the flow logs, by category, severity and workload.', l, [datasourceVariable], ['security']);
}

function workloadDrillDown(): Dashboard {
  const sel = 'cluster=~"$cluster", namespace=~"$namespace", workload=~"$workload"';
  const l = new Layout();
  l.row('Volumes');
  l.add({ type: 'timeseries', title: 'Bytes sent by direction', unit: 'Bps', targets: [[`sum by (direction) (rate(flowhound_workload_bytes_total{${sel}}[$__rate_interval]))`, '{{direction}}']] });
  l.add({ type: 'timeseries', title: 'Connections by direction', unit: 'short', targets: [[`sum by (direction) (rate(flowhound_workload_connections_total{${sel}}[$__rate_interval]))`, '{{direction}}']] });
  l.add({ type: 'timeseries', title: 'External bytes per window: observed vs baseline', unit: 'decbytes', description: "The last closed 5-minute window against the workload's own median and p95.", targets: [[`max by (stat) (flowhound_workload_egress_window_bytes{${sel}})`, '{{stat}}']] });
  l.add({ type: 'timeseries', title: 'Known peers in baseline', unit: 'short', targets: [[`max(flowhound_workload_known_peers{${sel}})`, 'peers']] });
  l.add({ type: 'timeseries', title: 'Learning progress', unit: 'percentunit', field: { min: 0, max: 1 }, description: 'How far the baseline is through its learning period (detection.learning_hours, learning_windows); below 1 it is judged against its role, once the role has learned.', targets: [[`max(flowhound_workload_learning_progress{${sel}})`, 'learned']] });
  l.row('Findings');
  l.add({ type: 'timeseries', title: 'Anomaly score by detector', unit: 'percentunit', field: { min: 0, max: 1 }, targets: [[`max by (detector) (flowhound_anomaly_score{${sel}})`, '{{detector}}']] });
  l.add({ type: 'timeseries', title: 'Findings by detector', unit: 'short', field: BARS, targets: [[`sum by (detector) (increase(flowhound_workload_findings_total{${sel}}[$__rate_interval]))`, '{{detector}}']] });
  return dashboard('flowhound-workload', 'flowhound / Workload drill-down', 'One workload: its traffic against its baseline, its peers and what the detectors found.', l, [
    datasourceVariable,
    queryVariable('cluster', 'Cluster', 'label_values(flowhound_workload_bytes_total, cluster)'),
    queryVariable('namespace', 'Namespace', 'label_values(flowhound_workload_bytes_total{cluster=~"$cluster"}, namespace)'),
    queryVariable('workload', 'Workload', 'label_values(flowhound_workload_bytes_total{cluster=~"$cluster", namespace=~"$namespace"}, workload)'),
  ], ['workload']);
}

export const DASHBOARDS: Record<string, Dashboard> = {
  'flowhound-pipeline.json': pipelineHealth(),
  'flowhound-security.json': securityOverview(),
  'flowhound-workload.json': workloadDrillDown(),
};

export function dashboardJson(dashboard: Dashboard): string {
  return JSON.stringify(dashboard, null, 2) + '\n';
}

if (process.argv[1] !== undefined && process.argv[1].endsWith('build-dashboards.ts')) {
  for (const [file, dashboard] of Object.entries(DASHBOARDS)) writeFileSync(new URL(file, import.meta.url), dashboardJson(dashboard));
}
