import { describe, expect, it } from 'vitest';
import { evaluationReportData, MAX_PLOT_POINTS, renderEvaluationReport, type EvaluationReportData, type RecordScore } from '../../../src/evaluation/html-report.ts';
import type { Label } from '../../../src/evaluation/labels.ts';
import { averagePrecision, rocAuc, rocCurve } from '../../../src/evaluation/ranking.ts';
import { score, type RaisedAlert } from '../../../src/evaluation/score.ts';
import type { Alert, Category } from '../../../src/model/alert.ts';
import { prng } from '../prng.ts';

const T0 = Date.parse('2026-11-01T00:00:00Z');
const MIN = 60_000;

function label(scenario: string, category: Category, workload: string, startMin: number, endMin: number): Label {
  const start = new Date(T0 + startMin * MIN).toISOString();
  const end = new Date(T0 + endMin * MIN).toISOString();
  return { scenario, category, cluster: 'prod-eu', namespace: 'ml', workload, start, end, startMs: Date.parse(start), endMs: Date.parse(end) };
}

function alert(id: string, detector: string, workload: string, startMin: number, overrides: Partial<Alert> = {}): Alert {
  return {
    id, fingerprint: id, detector, category: 'exfiltration', technique: 'T1048', severity: 'critical', score: 0.9,
    workload: { cluster: 'prod-eu', namespace: 'ml', name: workload, role: 'ml/' + workload }, peer: 'pub',
    startsAt: new Date(T0 + startMin * MIN).toISOString(), endsAt: new Date(T0 + (startMin + 5) * MIN).toISOString(),
    status: 'firing', count: 1, summary: `${detector} on ${workload}`, evidence: {}, ...overrides,
  };
}

const LABELS = [
  label('egress-spike', 'exfiltration', 'trainer', 120, 150),
  label('port-scan', 'discovery', 'notebook', 300, 310),
  label('<img src=x onerror=alert(1)>', 'impact', 'missed', 600, 620),
];

const RAISED: RaisedAlert[] = [
  { alert: alert('a1', 'egress-spike', 'trainer', 125), raisedAt: T0 + 130 * MIN },
  // An update of a1: counted once, at its first emission.
  { alert: alert('a1', 'egress-spike', 'trainer', 125, { count: 2 }), raisedAt: T0 + 135 * MIN },
  { alert: alert('a2', 'port-scan', 'notebook', 302), raisedAt: T0 + 305 * MIN },
  { alert: alert('a3', 'port-scan', 'web', 800), raisedAt: T0 + 805 * MIN },
  { alert: alert('a4', 'egress-spike', 'backup', 1000), raisedAt: T0 + 1005 * MIN },
  // Resolved only (never seen firing): not an alert, as score counts them.
  { alert: alert('a5', 'dns-tunnel', 'trainer', 130, { status: 'resolved' }), raisedAt: T0 + 140 * MIN },
];

/** Scores that run high inside the episodes (noisily), over 24 h. */
function records(n: number, seed = 1): RecordScore[] {
  const random = prng(seed);
  return Array.from({ length: n }, (_, i) => {
    const time = T0 + Math.floor((i / n) * 24 * 60 * MIN);
    const attack = LABELS.some((l) => time >= l.startMs && time <= l.endMs) && random() < 0.5;
    return { time, score: (attack ? 3 : 0) + random() * 5, attack };
  });
}

function data(extra: Partial<EvaluationReportData> = {}): EvaluationReportData {
  const evaluation = score(LABELS, RAISED, 240);
  return { ...evaluationReportData(evaluation, LABELS, RAISED, { labelsFile: 'labels.jsonl', dataFiles: ['a.jsonl.gz', 'b.jsonl.gz'], generatedAt: '2026-11-02T00:00:00.000Z' }), ...extra };
}

/** The text of `<section id="ID">…</section>` (sections are not nested). */
function section(html: string, id: string): string {
  const match = new RegExp(`<section id="${id}">([\\s\\S]*?)</section>`).exec(html);
  if (match === null) throw new Error(`no section #${id}`);
  return match[1]!;
}

const occurrences = (text: string, pattern: RegExp) => [...text.matchAll(pattern)].length;

describe('rocCurve', () => {
  it('runs from (0, 0) to (1, 1), one point per distinct score, ties together', () => {
    // Scores 0.9 (positive), 0.8 (negative), 0.5 twice (one of each), 0.1 (negative).
    const curve = rocCurve([0.9, 0.8, 0.5, 0.5, 0.1], [true, false, true, false, false]);
    expect(curve.map((p) => [p.fpr, p.tpr])).toEqual([[0, 0], [0, 0.5], [1 / 3, 0.5], [2 / 3, 1], [1, 1]]);
    expect(curve.map((p) => p.threshold)).toEqual([Number.POSITIVE_INFINITY, 0.9, 0.8, 0.5, 0.1]);
  });

  it('has the area rocAuc reports (trapezoids: ties are diagonals)', () => {
    const random = prng(7);
    const labels = Array.from({ length: 5_000 }, () => random() < 0.2);
    // Rounded scores: many ties.
    const scores = labels.map((l) => Math.round((l ? 1 : 0) + random() * 4) / 2);
    const curve = rocCurve(scores, labels);
    let area = 0;
    for (let i = 1; i < curve.length; i++) area += (curve[i]!.fpr - curve[i - 1]!.fpr) * (curve[i]!.tpr + curve[i - 1]!.tpr) / 2;
    expect(area).toBeCloseTo(rocAuc(scores, labels), 12);
    expect(curve.at(-1)).toMatchObject({ fpr: 1, tpr: 1 });
  });

  it('is empty without both classes', () => {
    expect(rocCurve([0.1, 0.2], [true, true])).toEqual([]);
    expect(rocCurve([0.1, 0.2], [false, false])).toEqual([]);
    expect(rocCurve([], [])).toEqual([]);
  });
});

describe('evaluationReportData', () => {
  it('takes each alert once at its first firing emission and calls it true or false as score does', () => {
    const d = data();
    expect(d.alerts.map((a) => [a.detector, a.workload, a.truePositive])).toEqual([
      ['egress-spike', 'prod-eu/ml/trainer', true],
      ['port-scan', 'prod-eu/ml/notebook', true],
      ['port-scan', 'prod-eu/ml/web', false],
      ['egress-spike', 'prod-eu/ml/backup', false],
    ]);
    expect(d.alerts.filter((a) => !a.truePositive)).toHaveLength(d.evaluation.falseAlerts);
    expect(d.episodes.map((e) => [e.scenario, e.detected, e.startMs])).toEqual(LABELS.map((l, i) => [l.scenario, i < 2, l.startMs]));
    expect(d.records).toBeUndefined();
  });
});

describe('renderEvaluationReport', () => {
  const withScores = renderEvaluationReport(data({ records: records(100_000), scorer: 'test scorer' }));
  const without = renderEvaluationReport(data());

  it('is one self-contained page: no scripts, stylesheets, fonts, images or URLs to fetch', () => {
    for (const html of [withScores, without]) {
      expect(html.startsWith('<!DOCTYPE html>')).toBe(true);
      expect(html).not.toMatch(/<script|<link|<img|<iframe|<object|<embed|@import|@font-face|url\(|https?:/i);
      // No attribute that loads anything (the escaped label text below says `src=` outside any tag).
      expect(html).not.toMatch(/<[^>]*\s(?:src|href|srcset|xlink:href)=/i);
    }
  });

  it('has the summary figures', () => {
    const summary = section(without, 'summary');
    expect(summary).toContain('<dt>scenarios detected</dt><dd>2 / 3</dd>');
    expect(summary).toContain('<dt>alerts</dt><dd>4</dd>');
    expect(summary).toContain('<dt>false alerts</dt><dd>2</dd>');
    // 2 false alerts over 240 workload-hours.
    expect(summary).toContain('<dt>false alerts / 100 workload-hours</dt><dd>0.83</dd>');
    expect(summary).toContain('over 240 workload-hours');
  });

  it('draws the ROC curve with ROC-AUC and average precision in its caption, thinned to the point budget', () => {
    const rs = records(100_000);
    const auc = rocAuc(rs.map((r) => r.score), rs.map((r) => r.attack));
    const ap = averagePrecision(rs.map((r) => r.score), rs.map((r) => r.attack));
    const roc = section(withScores, 'roc');
    expect(roc).toContain('<svg class="roc"');
    expect(roc).toMatch(new RegExp(`<figcaption>ROC-AUC <strong>${auc.toFixed(3)}</strong> · average precision <strong>${ap.toFixed(3)}</strong>`));
    expect(roc).toContain('100,000 records');
    expect(roc).toContain('scores: test scorer');
    const d = /<path class="roc-curve" d="([^"]+)"/.exec(roc)![1]!;
    const points = occurrences(d, /[ML]/g);
    expect(points).toBeGreaterThan(100);
    expect(points).toBeLessThanOrEqual(MAX_PLOT_POINTS);
    expect(d.startsWith('M44,')).toBe(true);
    expect(section(withScores, 'summary')).toContain(`<dt>ROC-AUC (per record)</dt><dd>${auc.toFixed(3)}</dd>`);
  });

  it('plots the score over time in at most MAX_PLOT_POINTS points, with every episode shaded and numbered', () => {
    const plot = section(withScores, 'score-over-time');
    const line = /<path class="score-line" d="([^"]+)"/.exec(plot)![1]!;
    const dots = occurrences(plot, /<circle /g);
    expect(occurrences(line, /[ML]/g) + dots).toBeLessThanOrEqual(MAX_PLOT_POINTS);
    expect(occurrences(line, /[ML]/g)).toBe(MAX_PLOT_POINTS / 2);
    expect(dots).toBeGreaterThan(0);
    expect(occurrences(plot, /<g class="episode">/g)).toBe(LABELS.length);
    expect(plot).toContain('<text class="episode-label"');
    // The missed episode's tooltip says so.
    expect(plot).toContain('NOT detected');
  });

  it('puts each detector on its own timeline row, true and false alerts drawn differently', () => {
    const timeline = section(without, 'alert-timeline');
    expect(occurrences(timeline, /<g class="detector-row"/g)).toBe(2);
    expect(timeline).toContain('data-detector="egress-spike"');
    expect(timeline).toContain('egress-spike (2, 1 false)');
    expect(occurrences(timeline, /class="alert true-alert"/g)).toBe(2);
    expect(occurrences(timeline, /class="alert false-alert"/g)).toBe(2);
  });

  it('folds alerts on the same pixel into one mark, so a noisy run stays small', () => {
    const many: RaisedAlert[] = Array.from({ length: 20_000 }, (_, i) => ({ alert: alert(`n${i}`, `detector-${i % 4}`, 'noisy', 700 + (i % 500) / 100), raisedAt: 0 }));
    const evaluation = score(LABELS, many, 100);
    const html = renderEvaluationReport(evaluationReportData(evaluation, LABELS, many, { labelsFile: 'l', dataFiles: ['d'] }));
    const timeline = section(html, 'alert-timeline');
    expect(occurrences(timeline, /<g class="detector-row"/g)).toBe(4);
    expect(occurrences(timeline, /class="alert false-alert"/g)).toBeLessThan(100);
    expect(timeline).toMatch(/<title>\d+ alerts, first: FALSE alert/);
  });

  it('tabulates every scenario, escaping what the labels say', () => {
    const table = section(without, 'scenarios');
    expect(occurrences(table, /<tbody>[\s\S]*<\/tbody>/g)).toBe(1);
    const body = /<tbody>([\s\S]*)<\/tbody>/.exec(table)![1]!;
    expect(occurrences(body, /<tr /g)).toBe(LABELS.length);
    expect(body).toContain('<td>egress-spike</td><td>exfiltration</td><td><code>prod-eu/ml/trainer</code></td><td>2026-11-01 02:00</td><td><span class="yes">yes</span></td>');
    // Raised 10 min after the episode's start (the watermark then), not at the alert's start.
    expect(body).toContain('<td class="num">10 min</td><td>egress-spike</td>');
    expect(body).toContain('<tr class="missed">');
    expect(body).toContain('&lt;img src=x onerror=alert(1)&gt;');
    expect(without).not.toContain('<img');
  });

  it('says where the ROC curve and score plot would be when there are no per-record scores', () => {
    const roc = section(without, 'roc');
    expect(roc).not.toContain('<svg');
    expect(roc).toContain('class="no-data"');
    expect(roc).toContain('No per-record scores');
    const plot = section(without, 'score-over-time');
    expect(plot).toContain('<svg class="score-over-time"');
    expect(plot).not.toContain('score-line');
    expect(plot).toContain('no per-record scores in this run');
    expect(occurrences(plot, /<g class="episode">/g)).toBe(LABELS.length);
    expect(section(without, 'summary')).not.toContain('ROC-AUC');
  });

  it('needs both classes for a ROC curve', () => {
    const html = renderEvaluationReport(data({ records: records(100).map((r) => ({ ...r, attack: false })) }));
    expect(section(html, 'roc')).toContain('needs both attack and benign records');
    expect(section(html, 'score-over-time')).toContain('score-line');
  });

  it('spans the time axes over the data when told its span', () => {
    const html = renderEvaluationReport(data({ span: { startMs: T0, endMs: T0 + 48 * 60 * MIN } }));
    // Two days: ticks every 6 hours, the day boundaries dated.
    expect(section(html, 'alert-timeline')).toContain('>11-02 00:00</text>');
    expect(section(html, 'alert-timeline')).toContain('>06:00</text>');
  });

  it('is a pure function of its data', () => {
    const d = data({ records: records(1_000) });
    expect(renderEvaluationReport(d)).toBe(renderEvaluationReport(structuredClone(d)));
  });
});
