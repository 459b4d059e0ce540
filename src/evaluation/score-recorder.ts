import type { FlowRecord } from '../model/flow-record.ts';
import { isAttackLabel } from '../model/flow-record.ts';
import { ScoresFile } from '../sinks/scores-file.ts';
import type { Label } from './labels.ts';
import { episodeOf, RecordScores, type RecordRanking } from './record-scores.ts';

/**
 * What a replay or an evaluation does with each flow record's edge-burst score: writes it to
 * `--scores-out` (row and score, per input file) and, when evaluating, keeps it with the
 * record's label — the record's own (`label` column) or else whether it falls in a labelled
 * episode — for ROC-AUC and average precision.
 */
export class ScoreRecorder {
  readonly scores: RecordScores | undefined;
  private readonly file: ScoresFile | undefined;
  private readonly labels: Label[];

  constructor(options: { scoresOut?: string; inputs: string[]; labels?: Label[] }) {
    this.file = options.scoresOut === undefined ? undefined : new ScoresFile(options.scoresOut, options.inputs);
    this.labels = options.labels ?? [];
    this.scores = options.labels === undefined ? undefined : new RecordScores();
  }

  readonly onScore = (flow: FlowRecord, score: number): void => {
    this.file?.write(flow.input ?? 0, flow.row ?? 0, score);
    if (this.scores === undefined) return;
    const own = flow.label !== undefined;
    this.scores.add(flow.windowEnd, score, own ? isAttackLabel(flow.label) : episodeOf(flow, this.labels) !== undefined, own);
  };

  /** Closes the scores file; the ranking when evaluating. */
  close(): RecordRanking | undefined {
    this.file?.close();
    return this.scores?.ranking();
  }

  get written(): number {
    return this.file?.lines ?? 0;
  }
}

/** `per-record ranking: ROC-AUC 0.9991, average precision 0.98 over 290,532 records (6,494 attacks; labels from the records)`. */
export function formatRanking(r: RecordRanking): string {
  const figure = (x: number) => (Number.isNaN(x) ? 'n/a' : x.toFixed(4));
  const source = r.labelledBy === 'records' ? 'the records\' own labels' : 'the labelled episodes';
  return `per-record ranking (edge-burst score): ROC-AUC ${figure(r.rocAuc)}, average precision ${figure(r.averagePrecision)} over ${r.records.toLocaleString('en-US')} flow records (${r.attacks.toLocaleString('en-US')} attack records, from ${source})\n`;
}
