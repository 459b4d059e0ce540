/**
 * `flowhound evaluate --report FILE.html`: one self-contained page (no scripts, no network, no
 * fonts to fetch; inline SVG drawn here) with the ROC curve of per-record scores, the score over
 * event time with the labelled attack episodes shaded, every detector's alerts on a timeline,
 * the per-scenario table and the summary figures.
 */
import type { Label } from './labels.ts';
import { averagePrecision, rocAuc, rocCurve, type RocPoint } from './ranking.ts';
import { score, type Evaluation, type RaisedAlert } from './score.ts';

/** One record's anomaly score (higher = more anomalous) and whether it is labelled attack traffic. */
export interface RecordScore {
  /** Event time, epoch ms. */
  time: number;
  score: number;
  attack: boolean;
}

/** A labelled attack episode, shaded on the time axes. */
export interface ReportEpisode {
  scenario: string;
  category: string;
  /** `cluster/namespace/workload`. */
  workload: string;
  startMs: number;
  endMs: number;
  detected: boolean;
}

/** One alert (its first emission), placed at its start. */
export interface ReportAlert {
  detector: string;
  category: string;
  /** `cluster/namespace/name`. */
  workload: string;
  peer: string;
  /** The alert's `startsAt`, epoch ms. */
  startMs: number;
  /** Matches a labelled episode (the same rule `score` counts true alerts by). */
  truePositive: boolean;
  summary: string;
}

export interface EvaluationReportData {
  title: string;
  /** When the report was made (ISO 8601): printed, never read back. */
  generatedAt: string;
  /** What was evaluated, as given on the command line. */
  inputs: { labels: string; data: string[] };
  evaluation: Evaluation;
  /** The labels, in the labels file's order (the order of `evaluation.scenarios`). */
  episodes: ReportEpisode[];
  alerts: ReportAlert[];
  /**
   * Per-record scores against per-record labels. The ROC curve (with ROC-AUC and average
   * precision) and the score-over-time plot appear only when these exist; without them the
   * page says so in their place and the time axis still shows the episodes.
   */
  records?: RecordScore[];
  /** What produced `records` (e.g. "MIDAS-R edge-burst scorer"), named in the ROC caption. */
  scorer?: string;
  /** The event time the data covers, epoch ms; the time axes span it and whatever else is plotted. */
  span?: { startMs: number; endMs: number };
}

/**
 * The report's data from what `evaluate` has: its Evaluation, the labels it scored against,
 * the alerts it raised (each counted at its first firing emission, as `score` does) and,
 * when a per-record scorer ran, the records' scores.
 */
export function evaluationReportData(
  evaluation: Evaluation,
  labels: Label[],
  raised: RaisedAlert[],
  options: { labelsFile: string; dataFiles: string[]; generatedAt?: string; title?: string; records?: RecordScore[]; scorer?: string; span?: { startMs: number; endMs: number } },
): EvaluationReportData {
  const first = new Map<string, RaisedAlert>();
  for (const r of raised) if (!first.has(r.alert.id) && r.alert.status === 'firing') first.set(r.alert.id, r);
  const alerts: ReportAlert[] = [...first.values()].map(({ alert }) => ({
    detector: alert.detector, category: alert.category,
    workload: `${alert.workload.cluster}/${alert.workload.namespace}/${alert.workload.name}`,
    peer: alert.peer, startMs: Date.parse(alert.startsAt), summary: alert.summary,
    // `score` is the one definition of a true alert: asked about this alert alone.
    truePositive: score(labels, [{ alert, raisedAt: 0 }], 0).falseAlerts === 0,
  }));
  const data: EvaluationReportData = {
    title: options.title ?? 'flowhound evaluation',
    generatedAt: options.generatedAt ?? new Date().toISOString(),
    inputs: { labels: options.labelsFile, data: options.dataFiles },
    evaluation,
    episodes: labels.map((label, i) => ({
      scenario: label.scenario, category: label.category, workload: `${label.cluster}/${label.namespace}/${label.workload}`,
      startMs: label.startMs, endMs: label.endMs, detected: evaluation.scenarios[i]?.detected ?? false,
    })),
    alerts,
  };
  if (options.records !== undefined) data.records = options.records;
  if (options.scorer !== undefined) data.scorer = options.scorer;
  if (options.span !== undefined && Number.isFinite(options.span.startMs) && Number.isFinite(options.span.endMs)) data.span = options.span;
  return data;
}

/** Most points a plotted series gets (score over time: bucket maxima; the ROC curve: thinned). */
export const MAX_PLOT_POINTS = 2_000;

// Layout, in SVG user units (the SVGs scale to the page width).
const WIDTH = 1100;
const LEFT = 190;
const RIGHT = 44;
const PLOT_W = WIDTH - LEFT - RIGHT;

const COLOURS = {
  episode: 'rgba(230, 159, 0, 0.22)',
  episodeMissed: 'rgba(213, 94, 0, 0.30)',
  episodeText: '#8a5a00',
  score: '#4a6fa5',
  attack: '#d55e00',
  trueAlert: '#0072b2',
  falseAlert: '#d55e00',
  grid: '#e3e6ea',
  axis: '#59616b',
};

export function renderEvaluationReport(data: EvaluationReportData): string {
  const e = data.evaluation;
  const records = (data.records ?? []).filter((r) => Number.isFinite(r.time) && !Number.isNaN(r.score));
  const hasRecords = data.records !== undefined && records.length > 0;
  const scores = records.map((r) => r.score);
  const labels = records.map((r) => r.attack);
  const auc = hasRecords ? rocAuc(scores, labels) : Number.NaN;
  const ap = hasRecords ? averagePrecision(scores, labels) : Number.NaN;
  const range = timeRange(data, records);
  const detected = e.scenarios.filter((s) => s.detected).length;

  const cards: [string, string, string?][] = [
    ['scenarios detected', `${detected} / ${e.scenarios.length}`],
    ['alerts', count(e.alerts)],
    ['false alerts', count(e.falseAlerts)],
    ['false alerts / 100 workload-hours', e.falseAlertsPer100WorkloadHours.toFixed(2), `over ${e.workloadHours.toLocaleString('en-US', { maximumFractionDigits: 1 })} workload-hours`],
  ];
  if (hasRecords) {
    cards.push(['ROC-AUC (per record)', fixed(auc, 3)], ['average precision', fixed(ap, 3)]);
  }

  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(data.title)}</title>
<style>${STYLE}</style>
</head>
<body>
<header>
<h1>${esc(data.title)}</h1>
<p class="meta">labels <code>${esc(data.inputs.labels)}</code> · data ${data.inputs.data.map((d) => `<code>${esc(d)}</code>`).join(' ')} · generated ${esc(data.generatedAt)} · times in UTC</p>
</header>
<main>
<div class="top">
<section id="summary">
<h2>Summary</h2>
<dl class="cards">
${cards.map(([name, value, note]) => `<div class="card"><dt>${esc(name)}</dt><dd>${esc(value)}</dd>${note === undefined ? '' : `<dd class="note">${esc(note)}</dd>`}</div>`).join('\n')}
</dl>
${categoryTable(e)}
</section>
<section id="roc">
<h2>ROC curve</h2>
${hasRecords ? rocFigure(records, scores, labels, auc, ap, data.scorer) : `<p class="no-data">No per-record scores in this run: the ROC curve, ROC-AUC and average precision appear when a per-record scorer's scores (and the records' labels) are part of the evaluation.</p>`}
</section>
</div>
<section id="score-over-time">
<h2>Score over event time</h2>
${scoreFigure(data, records, hasRecords, range)}
</section>
<section id="alert-timeline">
<h2>Alerts per detector</h2>
${timelineFigure(data, range)}
</section>
<section id="scenarios">
<h2>Scenarios</h2>
${scenarioTable(data)}
</section>
${falseAlertsSection(e)}
</main>
</body>
</html>
`;
}

const STYLE = `
:root { color-scheme: light; }
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.4 system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", "Liberation Sans", sans-serif; color: #1d2329; background: #fff; }
header { padding: 14px 24px 8px; border-bottom: 1px solid #dde1e6; background: #f6f8fa; }
h1 { margin: 0 0 2px; font-size: 22px; }
h2 { margin: 0 0 8px; font-size: 16px; }
.meta { margin: 0; color: #59616b; font-size: 12px; }
code { font: 12px ui-monospace, "DejaVu Sans Mono", monospace; }
main { padding: 12px 24px 24px; max-width: 1200px; }
section { margin: 0 0 18px; }
.top { display: flex; gap: 24px; align-items: flex-start; }
.top #summary { flex: 1 1 auto; }
.top #roc { flex: 0 0 400px; }
.cards { display: grid; grid-template-columns: repeat(3, minmax(0, 1fr)); gap: 8px; margin: 0 0 12px; }
.card { border: 1px solid #dde1e6; border-radius: 6px; padding: 6px 10px; }
.card dt { color: #59616b; font-size: 12px; }
.card dd { margin: 0; font-size: 22px; font-weight: 600; }
.card dd.note { font-size: 11px; font-weight: normal; color: #59616b; }
table { border-collapse: collapse; width: 100%; font-size: 13px; }
th, td { text-align: left; padding: 3px 8px; border-bottom: 1px solid #e3e6ea; vertical-align: top; }
th { background: #f6f8fa; font-weight: 600; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
tr.missed td { background: #fdecea; }
.yes { color: #0b6b2b; font-weight: 600; }
.no { color: #b3261e; font-weight: 700; }
figure { margin: 0; }
figcaption { font-size: 12px; color: #3b434c; margin-top: 2px; }
svg { display: block; width: 100%; height: auto; font-family: inherit; }
svg text { font-size: 11px; fill: #3b434c; }
.no-data { border: 1px dashed #b8c0c8; border-radius: 6px; padding: 12px; color: #59616b; background: #fafbfc; margin: 0 0 6px; }
.legend { font-size: 12px; color: #3b434c; margin: 2px 0 0; }
.swatch { display: inline-block; width: 12px; height: 12px; vertical-align: -2px; margin: 0 4px 0 12px; border-radius: 2px; }
details { margin-top: 6px; }
`;

// ---------------------------------------------------------------- summary and tables

function categoryTable(e: Evaluation): string {
  const rows = Object.entries(e.perCategory).sort(([a], [b]) => a.localeCompare(b));
  if (rows.length === 0) return '';
  return `<table class="categories">
<thead><tr><th>category</th><th class="num">scenarios</th><th class="num">recall</th><th class="num">alerts</th><th class="num">precision</th></tr></thead>
<tbody>
${rows.map(([category, b]) => `<tr><td>${esc(category)}</td><td class="num">${b.detected}/${b.scenarios}</td><td class="num">${b.recall.toFixed(2)}</td><td class="num">${b.alerts}</td><td class="num">${b.precision.toFixed(2)}</td></tr>`).join('\n')}
</tbody>
</table>`;
}

function scenarioTable(data: EvaluationReportData): string {
  const rows = data.evaluation.scenarios.map((s, i) => `<tr class="${s.detected ? 'detected' : 'missed'}"><td class="num">${i + 1}</td><td>${esc(s.scenario)}</td><td>${esc(s.category)}</td><td><code>${esc(s.workload)}</code></td><td>${esc(formatIso(s.start))}</td><td>${s.detected ? '<span class="yes">yes</span>' : '<span class="no">NO</span>'}</td><td class="num">${s.timeToDetectSeconds === undefined ? '–' : esc(duration(s.timeToDetectSeconds))}</td><td>${esc(s.detectors.join(', '))}</td></tr>`);
  return `<table class="scenarios">
<thead><tr><th class="num">#</th><th>scenario</th><th>category</th><th>workload</th><th>start</th><th>detected</th><th class="num">time to detect</th><th>detectors</th></tr></thead>
<tbody>
${rows.join('\n')}
</tbody>
</table>
<p class="legend">The number is the episode's mark on the time axes above. Time to detect: event time from the attack's start to the first matching alert.</p>`;
}

function falseAlertsSection(e: Evaluation): string {
  if (e.falseAlertSamples.length === 0) return '';
  const byDetector = Object.entries(e.falseAlertsByDetector).map(([d, n]) => `${esc(d)} ${n}`).join(', ');
  const shown = e.falseAlertSamples.slice(0, 100);
  return `<section id="false-alerts">
<h2>False alerts</h2>
<p>By detector: ${byDetector}.</p>
<details><summary>The first ${shown.length} of ${count(e.falseAlerts)}</summary>
<table>
<thead><tr><th>starts</th><th>detector</th><th>workload</th><th>peer</th><th>summary</th></tr></thead>
<tbody>
${shown.map((f) => `<tr><td>${esc(formatIso(f.startsAt))}</td><td>${esc(f.detector)}</td><td><code>${esc(f.workload)}</code></td><td><code>${esc(f.peer)}</code></td><td>${esc(f.summary)}</td></tr>`).join('\n')}
</tbody>
</table>
</details>
</section>`;
}

// ---------------------------------------------------------------- ROC

function rocFigure(records: RecordScore[], scores: number[], labels: boolean[], auc: number, ap: number, scorer: string | undefined): string {
  const positives = labels.filter(Boolean).length;
  const about = `${count(records.length)} records, ${count(positives)} labelled attack${scorer === undefined ? '' : `; scores: ${scorer}`}`;
  const curve = rocCurve(scores, labels);
  if (curve.length === 0) {
    return `<p class="no-data">The ROC curve needs both attack and benign records; this run's ${esc(about)}.</p>`;
  }
  const size = 360;
  const pad = { left: 44, top: 10, right: 12, bottom: 36 };
  const inner = size - pad.left - pad.right;
  const innerH = size - pad.top - pad.bottom;
  const x = (v: number) => round(pad.left + v * inner);
  const y = (v: number) => round(pad.top + (1 - v) * innerH);
  const ticks = [0, 0.2, 0.4, 0.6, 0.8, 1];
  const points = thinRoc(curve, MAX_PLOT_POINTS);
  const path = points.map((p, i) => `${i === 0 ? 'M' : 'L'}${x(p.fpr)},${y(p.tpr)}`).join('');
  return `<figure>
<svg class="roc" viewBox="0 0 ${size} ${size}" role="img" aria-label="ROC curve, AUC ${fixed(auc, 3)}">
<title>ROC curve: true-positive rate against false-positive rate, records ranked by score</title>
${ticks.map((t) => `<line x1="${x(t)}" y1="${y(0)}" x2="${x(t)}" y2="${y(1)}" stroke="${COLOURS.grid}"/><line x1="${x(0)}" y1="${y(t)}" x2="${x(1)}" y2="${y(t)}" stroke="${COLOURS.grid}"/>`).join('')}
${ticks.map((t) => `<text x="${x(t)}" y="${y(0) + 14}" text-anchor="middle">${t}</text><text x="${x(0) - 6}" y="${y(t) + 4}" text-anchor="end">${t}</text>`).join('')}
<text x="${x(0.5)}" y="${size - 4}" text-anchor="middle">false-positive rate</text>
<text transform="translate(12 ${y(0.5)}) rotate(-90)" text-anchor="middle">true-positive rate</text>
<line x1="${x(0)}" y1="${y(0)}" x2="${x(1)}" y2="${y(1)}" stroke="${COLOURS.axis}" stroke-dasharray="4 4" stroke-width="1"/>
<rect x="${x(0)}" y="${y(1)}" width="${inner}" height="${innerH}" fill="none" stroke="${COLOURS.axis}"/>
<path class="roc-curve" d="${path}" fill="none" stroke="${COLOURS.trueAlert}" stroke-width="2"/>
</svg>
<figcaption>ROC-AUC <strong>${fixed(auc, 3)}</strong> · average precision <strong>${fixed(ap, 3)}</strong> (chance: ${fixed(positives / records.length, 3)}) · ${esc(about)}</figcaption>
</figure>`;
}

/** At most `max` points of a ROC curve: a point is kept once it is 1/max away (in FPR + TPR) from the last kept; the ends always. */
function thinRoc(curve: RocPoint[], max: number): RocPoint[] {
  if (curve.length <= max) return curve;
  const step = 2 / (max - 2);
  const kept: RocPoint[] = [curve[0]!];
  for (let i = 1; i < curve.length - 1; i++) {
    const last = kept[kept.length - 1]!;
    if (Math.abs(curve[i]!.fpr - last.fpr) + Math.abs(curve[i]!.tpr - last.tpr) >= step) kept.push(curve[i]!);
  }
  kept.push(curve[curve.length - 1]!);
  return kept;
}

// ---------------------------------------------------------------- time axes

interface TimeRange { start: number; end: number }

function timeRange(data: EvaluationReportData, records: RecordScore[]): TimeRange {
  let start = Number.POSITIVE_INFINITY;
  let end = Number.NEGATIVE_INFINITY;
  const see = (t: number) => {
    if (!Number.isFinite(t)) return;
    if (t < start) start = t;
    if (t > end) end = t;
  };
  if (data.span !== undefined) { see(data.span.startMs); see(data.span.endMs); }
  for (const r of records) see(r.time);
  for (const a of data.alerts) see(a.startMs);
  for (const ep of data.episodes) { see(ep.startMs); see(ep.endMs); }
  if (!Number.isFinite(start)) return { start: 0, end: 3_600_000 };
  if (end - start < 60_000) end = start + 60_000;
  return { start, end };
}

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const TICK_STEPS = [MINUTE, 5 * MINUTE, 15 * MINUTE, 30 * MINUTE, HOUR, 2 * HOUR, 3 * HOUR, 6 * HOUR, 12 * HOUR, DAY, 2 * DAY, 7 * DAY, 14 * DAY, 28 * DAY];

function timeScale(range: TimeRange): (t: number) => number {
  return (t) => round(LEFT + ((t - range.start) / (range.end - range.start)) * PLOT_W);
}

/** Vertical grid lines and UTC labels under a plot spanning `top`…`bottom`. */
function timeAxis(range: TimeRange, top: number, bottom: number): string {
  const x = timeScale(range);
  const span = range.end - range.start;
  const step = TICK_STEPS.find((s) => span / s <= 12) ?? 28 * DAY;
  const parts: string[] = [];
  for (let t = Math.ceil(range.start / step) * step; t <= range.end; t += step) {
    const iso = new Date(t).toISOString();
    const label = step >= DAY || t % DAY === 0 ? `${iso.slice(5, 10)} ${iso.slice(11, 16)}` : iso.slice(11, 16);
    parts.push(`<line x1="${x(t)}" y1="${top}" x2="${x(t)}" y2="${bottom}" stroke="${COLOURS.grid}"/><text x="${x(t)}" y="${bottom + 14}" text-anchor="middle">${label}</text>`);
  }
  parts.push(`<line x1="${LEFT}" y1="${bottom}" x2="${LEFT + PLOT_W}" y2="${bottom}" stroke="${COLOURS.axis}"/>`);
  return parts.join('');
}

/**
 * The episodes as shaded bands over `top`…`bottom`, each numbered as in the scenario table;
 * numbers that would overlap are stacked in lanes above the plot (`labels` = true).
 */
function episodeBands(data: EvaluationReportData, range: TimeRange, top: number, bottom: number, labels: boolean): string {
  const x = timeScale(range);
  const laneEnds: number[] = [];
  return data.episodes.map((ep, i) => {
    const x0 = x(ep.startMs);
    const w = Math.max(2, x(ep.endMs) - x0);
    const tip = `${i + 1}. ${ep.scenario} (${ep.category}) ${ep.workload}, ${formatMs(ep.startMs)}–${formatMs(ep.endMs)}${ep.detected ? '' : ' — NOT detected'}`;
    let label = '';
    if (labels) {
      const text = String(i + 1);
      const width = 7 * text.length + 4;
      let lane = laneEnds.findIndex((endX) => endX <= x0);
      if (lane === -1) { lane = laneEnds.length; laneEnds.push(0); }
      laneEnds[lane] = x0 + width;
      label = `<text class="episode-label" x="${x0 + 1}" y="${top - 4 - lane * 12}" fill="${COLOURS.episodeText}" style="fill:${COLOURS.episodeText};font-weight:600">${text}</text>`;
    }
    return `<g class="episode"><title>${esc(tip)}</title><rect x="${x0}" y="${top}" width="${round(w)}" height="${bottom - top}" fill="${ep.detected ? COLOURS.episode : COLOURS.episodeMissed}"/>${label}</g>`;
  }).join('\n');
}

/** Lanes of episode numbers that `episodeBands` will use (to reserve the space above a plot). */
function episodeLanes(data: EvaluationReportData, range: TimeRange): number {
  const x = timeScale(range);
  const laneEnds: number[] = [];
  data.episodes.forEach((ep, i) => {
    const x0 = x(ep.startMs);
    let lane = laneEnds.findIndex((endX) => endX <= x0);
    if (lane === -1) { lane = laneEnds.length; laneEnds.push(0); }
    laneEnds[lane] = x0 + 7 * String(i + 1).length + 4;
  });
  return laneEnds.length;
}

// ---------------------------------------------------------------- score over time

function scoreFigure(data: EvaluationReportData, records: RecordScore[], hasRecords: boolean, range: TimeRange): string {
  const top = 14 + 12 * episodeLanes(data, range);
  const plotH = hasRecords ? 220 : 40;
  const bottom = top + plotH;
  const height = bottom + 34;
  const parts: string[] = [timeAxis(range, top, bottom), episodeBands(data, range, top, bottom, true)];
  let caption: string;
  if (hasRecords) {
    const { series, attackSeries, buckets, yOf, yTicks } = scoreSeries(records, range, top, bottom);
    for (const t of yTicks) parts.push(`<line x1="${LEFT}" y1="${t.y}" x2="${LEFT + PLOT_W}" y2="${t.y}" stroke="${COLOURS.grid}"/><text x="${LEFT - 6}" y="${t.y + 4}" text-anchor="end">${t.label}</text>`);
    parts.push(`<line x1="${LEFT}" y1="${top}" x2="${LEFT}" y2="${bottom}" stroke="${COLOURS.axis}"/>`);
    parts.push(`<text transform="translate(${LEFT - 52} ${round((top + bottom) / 2)}) rotate(-90)" text-anchor="middle">max score per bucket${yOf.log ? ' (log)' : ''}</text>`);
    parts.push(`<path class="score-line" d="${series}" fill="none" stroke="${COLOURS.score}" stroke-width="1.2"/>`);
    parts.push(`<g class="attack-points" fill="${COLOURS.attack}">${attackSeries}</g>`);
    caption = `Each point is the highest score in a bucket of ${duration(Math.round((range.end - range.start) / buckets / 1000))} (${count(buckets)} buckets over ${count(records.length)} records); <span class="swatch" style="background:${COLOURS.score}"></span>all records <span class="swatch" style="background:${COLOURS.attack}"></span>records labelled attack <span class="swatch" style="background:${COLOURS.episode}"></span>labelled episode (numbered as in the table)`;
  } else {
    parts.push(`<text x="${LEFT + PLOT_W / 2}" y="${top + plotH / 2 + 4}" text-anchor="middle" style="font-size:12px">no per-record scores in this run</text>`);
    caption = `<span class="swatch" style="background:${COLOURS.episode}"></span>labelled episodes (numbered as in the table). The score over time appears when the evaluation has per-record scores.`;
  }
  return `<figure>
<svg class="score-over-time" viewBox="0 0 ${WIDTH} ${height}" role="img" aria-label="score over event time with labelled attack episodes">
${parts.join('\n')}
</svg>
<figcaption>${caption}</figcaption>
</figure>`;
}

/**
 * The records' scores as at most MAX_PLOT_POINTS points: half as many time buckets, each drawn
 * at its highest score (a line, broken where a bucket is empty) and at its highest attack
 * record's score (a dot). A log scale when non-negative scores span more than 3 decades.
 */
function scoreSeries(records: RecordScore[], range: TimeRange, top: number, bottom: number) {
  const buckets = Math.max(1, Math.min(MAX_PLOT_POINTS / 2, records.length));
  const width = (range.end - range.start) / buckets;
  const all = new Float64Array(buckets).fill(Number.NEGATIVE_INFINITY);
  const attack = new Float64Array(buckets).fill(Number.NEGATIVE_INFINITY);
  let min = Number.POSITIVE_INFINITY;
  let max = Number.NEGATIVE_INFINITY;
  for (const r of records) {
    const b = Math.min(buckets - 1, Math.max(0, Math.floor((r.time - range.start) / width)));
    const s = Number.isFinite(r.score) ? r.score : r.score > 0 ? Number.MAX_VALUE : -Number.MAX_VALUE;
    if (s > all[b]!) all[b] = s;
    if (r.attack && s > attack[b]!) attack[b] = s;
    if (s < min) min = s;
    if (s > max) max = s;
  }
  const log = min >= 0 && max > 1000;
  const lo = log ? 0 : Math.min(0, min);
  const hi = log ? Math.log10(1 + max) : max > lo ? max : lo + 1;
  const yOf = Object.assign((s: number) => {
    const v = log ? Math.log10(1 + s) : s;
    return round(bottom - ((v - lo) / (hi - lo)) * (bottom - top));
  }, { log });
  const yTicks: { y: number; label: string }[] = [];
  if (log) {
    yTicks.push({ y: yOf(0), label: '0' });
    for (let k = 1; 10 ** k <= max; k += Math.max(1, Math.ceil(Math.log10(max) / 6))) yTicks.push({ y: yOf(10 ** k), label: k < 4 ? String(10 ** k) : `1e${k}` });
  } else {
    for (const v of niceTicks(lo, hi)) yTicks.push({ y: yOf(v), label: compact(v) });
  }
  const xOf = (b: number) => round(LEFT + ((b + 0.5) / buckets) * PLOT_W);
  let series = '';
  let open = false;
  const dots: string[] = [];
  for (let b = 0; b < buckets; b++) {
    if (all[b] === Number.NEGATIVE_INFINITY) { open = false; continue; }
    series += `${open ? 'L' : 'M'}${xOf(b)},${yOf(all[b]!)}`;
    open = true;
    if (attack[b] !== Number.NEGATIVE_INFINITY) dots.push(`<circle cx="${xOf(b)}" cy="${yOf(attack[b]!)}" r="2"/>`);
  }
  return { series, attackSeries: dots.join(''), buckets, yOf, yTicks };
}

function niceTicks(lo: number, hi: number): number[] {
  const raw = (hi - lo) / 5;
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * magnitude).find((s) => s >= raw) ?? 10 * magnitude;
  const ticks: number[] = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) ticks.push(Number(v.toPrecision(12)));
  return ticks;
}

// ---------------------------------------------------------------- alert timeline

function timelineFigure(data: EvaluationReportData, range: TimeRange): string {
  const detectors = [...new Set(data.alerts.map((a) => a.detector))].sort();
  const rowH = 22;
  const top = 8;
  const bottom = top + Math.max(1, detectors.length) * rowH;
  const height = bottom + 34;
  const x = timeScale(range);
  const parts: string[] = [timeAxis(range, top, bottom), episodeBands(data, range, top, bottom, false)];
  detectors.forEach((detector, row) => {
    const mid = top + row * rowH + rowH / 2;
    const alerts = data.alerts.filter((a) => a.detector === detector);
    const falses = alerts.filter((a) => !a.truePositive).length;
    parts.push(`<g class="detector-row" data-detector="${esc(detector)}">`);
    parts.push(`<line x1="${LEFT}" y1="${mid}" x2="${LEFT + PLOT_W}" y2="${mid}" stroke="${COLOURS.grid}" stroke-dasharray="2 3"/>`);
    parts.push(`<text x="${LEFT - 8}" y="${mid + 4}" text-anchor="end">${esc(detector)} (${alerts.length}${falses > 0 ? `, ${falses} false` : ''})</text>`);
    // Alerts that land on the same pixel share one mark (its tooltip counts them): the page stays small whatever the run.
    const marks = new Map<string, ReportAlert[]>();
    for (const a of alerts) {
      if (!Number.isFinite(a.startMs)) continue;
      const key = `${Math.round(x(a.startMs))}:${a.truePositive}`;
      const group = marks.get(key);
      if (group === undefined) marks.set(key, [a]);
      else group.push(a);
    }
    for (const group of marks.values()) {
      const a = group[0]!;
      const cx = x(a.startMs);
      const tip = `${group.length > 1 ? `${group.length} alerts, first: ` : ''}${a.truePositive ? 'true' : 'FALSE'} alert ${formatMs(a.startMs)} ${a.workload} → ${a.peer}: ${a.summary}`;
      parts.push(a.truePositive
        ? `<circle class="alert true-alert" cx="${cx}" cy="${mid}" r="5" fill="${COLOURS.trueAlert}"><title>${esc(tip)}</title></circle>`
        : `<path class="alert false-alert" d="M${round(cx - 5)},${round(mid - 5)}L${round(cx + 5)},${round(mid + 5)}M${round(cx - 5)},${round(mid + 5)}L${round(cx + 5)},${round(mid - 5)}" stroke="${COLOURS.falseAlert}" stroke-width="2.2"><title>${esc(tip)}</title></path>`);
    }
    parts.push('</g>');
  });
  if (detectors.length === 0) parts.push(`<text x="${LEFT + PLOT_W / 2}" y="${top + rowH / 2 + 4}" text-anchor="middle">no alerts</text>`);
  return `<figure>
<svg class="alert-timeline" viewBox="0 0 ${WIDTH} ${height}" role="img" aria-label="alerts per detector over event time">
${parts.join('\n')}
</svg>
<figcaption>One row per detector, a mark at each alert's start: <span class="swatch" style="background:${COLOURS.trueAlert};border-radius:6px"></span>true alert (matches a labelled episode) <span style="color:${COLOURS.falseAlert};font-weight:700;margin-left:12px">✕</span> false alert <span class="swatch" style="background:${COLOURS.episode}"></span>labelled episode</figcaption>
</figure>`;
}

// ---------------------------------------------------------------- formatting

function esc(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

function round(v: number): number {
  return Math.round(v * 10) / 10;
}

function count(n: number): string {
  return n.toLocaleString('en-US');
}

function fixed(v: number, digits: number): string {
  return Number.isFinite(v) ? v.toFixed(digits) : 'n/a';
}

function compact(v: number): string {
  const a = Math.abs(v);
  if (a >= 1e6) return `${Number((v / 1e6).toPrecision(3))}M`;
  if (a >= 1e3) return `${Number((v / 1e3).toPrecision(3))}k`;
  return String(Number(v.toPrecision(3)));
}

function formatMs(ms: number): string {
  if (!Number.isFinite(ms)) return '?';
  const iso = new Date(ms).toISOString();
  return `${iso.slice(0, 10)} ${iso.slice(11, 16)}`;
}

function formatIso(text: string): string {
  const ms = Date.parse(text);
  return Number.isNaN(ms) ? text : formatMs(ms);
}

/** 45 s, 5 min, 1 h 5 min, 2 d 3 h. */
function duration(seconds: number): string {
  if (seconds < 60) return `${seconds} s`;
  const minutes = Math.round(seconds / 60);
  if (minutes < 60) return `${minutes} min`;
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return minutes % 60 === 0 ? `${hours} h` : `${hours} h ${minutes % 60} min`;
  return `${Math.floor(hours / 24)} d ${hours % 24} h`;
}
