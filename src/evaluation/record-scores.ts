import { averagePrecision, rocAuc } from './ranking.ts';
import { grown } from '../model/typed-arrays.ts';

/** Whether a record belongs to a labelled attack episode (labels.ts; the rule `convert --labels` writes Arrow labels with). */
export { episodeOf } from './labels.ts';

/** Per-record ranking quality of a replay: ROC-AUC and average precision, with the counts behind them. */
export interface RecordRanking {
  records: number;
  attacks: number;
  rocAuc: number;
  averagePrecision: number;
  /** Where the per-record labels came from. */
  labelledBy: 'records' | 'episodes';
}

/**
 * Every scored record's event time, score and label, in typed arrays that grow by doubling
 * (16 bytes a record: an evaluation holds them until it ranks them, as any AUC needs).
 */
export class RecordScores {
  times = new Float64Array(1024);
  scores = new Float64Array(1024);
  attacks = new Uint8Array(1024);
  length = 0;
  /** Records whose own label said what they are (CSV `label`, Arrow's label column). */
  selfLabelled = 0;

  add(time: number, score: number, attack: boolean, selfLabelled: boolean): void {
    if (this.length === this.scores.length) this.grow();
    const i = this.length++;
    this.times[i] = time;
    this.scores[i] = score;
    this.attacks[i] = attack ? 1 : 0;
    if (selfLabelled) this.selfLabelled++;
  }

  /** ROC-AUC and AP over the records (NaN without both classes). */
  ranking(): RecordRanking {
    const scores = this.scores.subarray(0, this.length);
    const labels = Array.from(this.attacks.subarray(0, this.length), (a) => a === 1);
    let attacks = 0;
    for (const a of labels) if (a) attacks++;
    return {
      records: this.length, attacks, rocAuc: rocAuc(scores, labels), averagePrecision: averagePrecision(scores, labels),
      labelledBy: this.selfLabelled * 2 >= this.length && this.length > 0 ? 'records' : 'episodes',
    };
  }

  private grow(): void {
    const n = this.scores.length * 2;
    this.times = grown(this.times, n);
    this.scores = grown(this.scores, n);
    this.attacks = grown(this.attacks, n);
  }
}
