/**
 * `flowhound evaluate --report` as a reader sees it: the report of a real evaluate run over the
 * shipped sample, opened in headless Chromium (Debian's package, installed when missing), its DOM
 * checked after parsing and its screenshot decoded.
 *
 * The sample run has no per-record scores yet (no scorer is wired into the pipeline), so a second
 * report adds them here: the same run's evaluation and alerts plus the MIDAS-R edge-burst scorer
 * (src/scoring/edge-burst-scorer.ts) over the sample's labelled Arrow dataset. That report is the
 * README's screenshot:
 *
 *   REPORT_SCREENSHOT=docs/report-screenshot.png npx vitest run --project integration test/integration/report-in-chromium.test.ts
 */
import { execFile } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readArrowBatches } from '../../src/arrow/arrow-input.ts';
import { recordsOf } from '../../src/arrow/record-reader.ts';
import { evaluationReportData, renderEvaluationReport, type RecordScore } from '../../src/evaluation/html-report.ts';
import { loadLabels } from '../../src/evaluation/labels.ts';
import type { Evaluation, RaisedAlert } from '../../src/evaluation/score.ts';
import type { Alert } from '../../src/model/alert.ts';
import { eventTime } from '../../src/model/normalized-record.ts';
import { EdgeBurstScorer } from '../../src/scoring/edge-burst-scorer.ts';
import { colourVariety, decodePng, dumpDom, ensureChromium, screenshot } from '../harness/chromium.ts';
import { SAMPLE_FILES } from '../harness/sample.ts';

const LABELS_FILE = 'datasets/sample/labels.jsonl';
const SAMPLE_ARROW = 'datasets/sample/records.arrow.gz';
const SCORER = 'MIDAS-R edge-burst scorer (test harness: sample records.arrow.gz, 1-minute ticks)';

/** `<section id="ID">…</section>` of a page (the report's sections are not nested). */
function section(html: string, id: string): string {
  const match = new RegExp(`<section id="${id}"[^>]*>([\\s\\S]*?)</section>`).exec(html);
  if (match === null) throw new Error(`no section #${id} in the DOM`);
  return match[1]!;
}

const count = (text: string, pattern: RegExp) => [...text.matchAll(pattern)].length;

/**
 * Per-record scores for the sample, until the pipeline produces its own: each record of the
 * labelled Arrow dataset as an edge (initiating workload → peer workload and port, or → the DNS
 * name) scored by MIDAS-R in 1-minute ticks; attack = the record carries a label.
 */
async function sampleRecordScores(): Promise<RecordScore[]> {
  const scorer = new EdgeBurstScorer();
  const scored: RecordScore[] = [];
  for await (const batch of readArrowBatches(SAMPLE_ARROW, () => {})) {
    for (const { record, label } of recordsOf(batch)) {
      const time = eventTime(record);
      const who = record.kind === 'flow' ? record.src : record.client;
      const peer = record.kind === 'flow' ? `${record.dst.cluster}/${record.dst.namespace}/${record.dst.workload}:${record.dstPort ?? ''}` : `dns:${record.qname}`;
      scored.push({ time, score: scorer.score(`${who.cluster}/${who.namespace}/${who.workload}`, peer, Math.floor(time / 60_000)), attack: label !== undefined });
    }
  }
  return scored;
}

describe('evaluate --report, rendered by headless Chromium', () => {
  let chromium: string;
  let dir: string;
  let stdout: string;
  const labels = loadLabels(LABELS_FILE);

  beforeAll(async () => {
    chromium = ensureChromium((line) => process.stderr.write(`[chromium] ${line}\n`));
    dir = mkdtempSync(join(tmpdir(), 'flowhound-report-'));
    ({ stdout } = await promisify(execFile)(process.execPath, [
      'src/cli/main.ts', 'evaluate', '--labels', LABELS_FILE, ...SAMPLE_FILES, '--cluster', 'prod-eu',
      '--report', join(dir, 'report.html'), '--json', join(dir, 'evaluation.json'), '--alerts-out', join(dir, 'alerts.jsonl'),
      '--dead-letter', '/dev/null', '--log-level', 'warn',
    ], { maxBuffer: 64 << 20 }));
  });

  afterAll(() => {
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  });

  it('writes a report of the sample run whose DOM has the summary, the time axes, the alert timeline and one table row per scenario', async () => {
    expect(stdout).toContain(`report: ${join(dir, 'report.html')}`);
    const dom = await dumpDom(chromium, join(dir, 'report.html'));
    const evaluation = JSON.parse(readFileSync(join(dir, 'evaluation.json'), 'utf8')) as Evaluation;

    const summary = section(dom, 'summary');
    expect(summary).toContain(`<dt>alerts</dt><dd>${evaluation.alerts}</dd>`);
    expect(summary).toContain(`<dt>false alerts</dt><dd>${evaluation.falseAlerts}</dd>`);
    expect(summary).toContain(`<dd>${evaluation.falseAlertsPer100WorkloadHours.toFixed(2)}</dd>`);

    // No per-record scores in this run: a note where the ROC curve goes, and none drawn.
    const roc = section(dom, 'roc');
    expect(roc).toContain('class="no-data"');
    expect(roc).not.toContain('<svg');

    // The time axis with every labelled episode shaded, spanning the whole day of data.
    const time = section(dom, 'score-over-time');
    expect(count(time, /<svg /g)).toBe(1);
    expect(count(time, /<g class="episode">/g)).toBe(labels.length);
    expect(time).toContain('>02:00</text>');

    // One row per detector that alerted, a mark per alert (the sample's alerts are all true).
    const timeline = section(dom, 'alert-timeline');
    expect(count(timeline, /<svg /g)).toBe(1);
    const detectors = new Set(evaluation.scenarios.flatMap((s) => s.detectors));
    expect(count(timeline, /<g class="detector-row"/g)).toBeGreaterThanOrEqual(detectors.size);
    expect(count(timeline, /class="alert (?:true|false)-alert"/g)).toBeGreaterThan(0);

    const table = section(dom, 'scenarios');
    const body = /<tbody>([\s\S]*?)<\/tbody>/.exec(table)![1]!;
    expect(count(body, /<tr[ >]/g)).toBe(labels.length);
    expect(count(body, /<tr[ >]/g)).toBe(evaluation.scenarios.length);
    for (const s of evaluation.scenarios) expect(body).toContain(`<td>${s.scenario}</td>`);
  });

  it('draws the ROC curve and the score over time once per-record scores are there, and screenshots as a picture', async () => {
    const evaluation = JSON.parse(readFileSync(join(dir, 'evaluation.json'), 'utf8')) as Evaluation;
    // The report only reads the alerts' own times; raisedAt (the watermark) is in the evaluation already.
    const raised: RaisedAlert[] = readFileSync(join(dir, 'alerts.jsonl'), 'utf8').split('\n').filter((l) => l !== '').map((l) => ({ alert: JSON.parse(l) as Alert, raisedAt: 0 }));
    const records = await sampleRecordScores();
    expect(records.some((r) => r.attack) && records.some((r) => !r.attack)).toBe(true);
    const page = join(dir, 'report-with-scores.html');
    writeFileSync(page, renderEvaluationReport(evaluationReportData(evaluation, labels, raised, { labelsFile: LABELS_FILE, dataFiles: SAMPLE_FILES, records, scorer: SCORER })));

    const dom = await dumpDom(chromium, page);
    const roc = section(dom, 'roc');
    expect(count(roc, /<svg /g)).toBe(1);
    expect(roc).toMatch(/<path class="roc-curve" d="M[^"]{100,}"/);
    expect(roc).toMatch(/ROC-AUC <strong>0\.\d{3}<\/strong> · average precision <strong>0\.\d{3}<\/strong>/);
    const time = section(dom, 'score-over-time');
    expect(time).toMatch(/<path class="score-line" d="M[^"]{100,}"/);
    expect(count(time, /<circle /g)).toBeGreaterThan(0);
    expect(count(section(dom, 'scenarios'), /<tr class="(?:detected|missed)"/g)).toBe(labels.length);

    const png = join(dir, 'report.png');
    await screenshot(chromium, page, png, { width: 1200, height: 1600 });
    const image = decodePng(png);
    expect([image.width, image.height]).toEqual([1200, 1600]);
    const { colours, nonBackground } = colourVariety(image);
    // Text, shading, axes and curves: many colours and a good share of the page not white.
    expect(colours).toBeGreaterThan(50);
    expect(nonBackground).toBeGreaterThan(0.05);
    // The SVGs were painted: pixels in the ROC curve's and true alerts' blue (#0072b2).
    let blue = 0;
    for (let i = 0; i < image.pixels.length; i += image.channels) {
      if (Math.abs(image.pixels[i]! - 0x00) < 24 && Math.abs(image.pixels[i + 1]! - 0x72) < 24 && Math.abs(image.pixels[i + 2]! - 0xb2) < 24) blue++;
    }
    expect(blue).toBeGreaterThan(500);

    const keep = process.env.REPORT_SCREENSHOT?.trim();
    if (keep) {
      copyFileSync(png, keep);
      process.stderr.write(`[report] screenshot saved to ${keep}\n`);
    }
  });
});
