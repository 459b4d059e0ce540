/**
 * `flowhound evaluate --report` as a reader sees it: the report of a real evaluate run over the
 * shipped sample — its per-record edge-burst scores included — opened in headless Chromium
 * (Debian's package, installed when missing), its DOM checked after parsing and its screenshot
 * decoded. That screenshot is the README's:
 *
 *   REPORT_SCREENSHOT=docs/report-screenshot.png npx vitest run --project integration test/integration/report-in-chromium.test.ts
 */
import { execFile } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadLabels } from '../../src/evaluation/labels.ts';
import type { RecordRanking } from '../../src/evaluation/record-scores.ts';
import type { Evaluation } from '../../src/evaluation/score.ts';
import { colourVariety, decodePng, dumpDom, ensureChromium, screenshot } from '../harness/chromium.ts';
import { SAMPLE_FILES } from '../harness/sample.ts';

const LABELS_FILE = 'datasets/sample/labels.jsonl';

/** `<section id="ID">…</section>` of a page (the report's sections are not nested). */
function section(html: string, id: string): string {
  const match = new RegExp(`<section id="${id}"[^>]*>([\\s\\S]*?)</section>`).exec(html);
  if (match === null) throw new Error(`no section #${id} in the DOM`);
  return match[1]!;
}

const count = (text: string, pattern: RegExp) => [...text.matchAll(pattern)].length;

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
    const evaluation = JSON.parse(readFileSync(join(dir, 'evaluation.json'), 'utf8')) as Evaluation & { perRecord: RecordRanking };

    const summary = section(dom, 'summary');
    expect(summary).toContain(`<dt>alerts</dt><dd>${evaluation.alerts}</dd>`);
    expect(summary).toContain(`<dt>false alerts</dt><dd>${evaluation.falseAlerts}</dd>`);
    expect(summary).toContain(`<dd>${evaluation.falseAlertsPer100WorkloadHours.toFixed(2)}</dd>`);

    // Every flow record scored: the ROC curve drawn, its caption the evaluation's own figures.
    const roc = section(dom, 'roc');
    expect(count(roc, /<svg /g)).toBe(1);
    expect(roc).toMatch(/<path class="roc-curve" d="M[^"]{100,}"/);
    expect(roc).toContain(`ROC-AUC <strong>${evaluation.perRecord.rocAuc.toFixed(3)}</strong> · average precision <strong>${evaluation.perRecord.averagePrecision.toFixed(3)}</strong>`);

    // The time axis with every labelled episode shaded, spanning the whole day of data.
    const time = section(dom, 'score-over-time');
    expect(count(time, /<svg /g)).toBe(1);
    expect(time).toMatch(/<path class="score-line" d="M[^"]{100,}"/);
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

  it('screenshots as a picture: text, shading, axes and curves painted', async () => {
    const page = join(dir, 'report.html');
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
