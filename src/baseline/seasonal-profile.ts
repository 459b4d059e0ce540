import { TYPED_ARRAY_OVERHEAD } from './quantile-sketch.ts';

const HOURS_OF_DAY = 24;
const HOURS_OF_WEEK = 168;
const DAY_MS = 86_400_000;
/** Old peaks fade: a peak four weeks ago counts half. */
const HALF_LIFE_DAYS = 28;

export interface SeasonalProfileSnapshot {
  /** The peaks (hour of day, then hour of week), as numbers. */
  peaks: number[];
  /** Epoch day the peaks were last decayed to. */
  day: number;
  /** Epoch day of the first observation. */
  since?: number;
}

/**
 * The busiest window a workload has had at each hour of the day and each hour of the week
 * (UTC), fading with a four-week half-life: its daily and weekly rhythm in 192 floats. A
 * nightly backup makes 02:00 busy every day; a Sunday full backup makes Sunday 02:00 busier,
 * once a Sunday has been seen.
 */
export class SeasonalProfile {
  private peaks = new Float32Array(HOURS_OF_DAY + HOURS_OF_WEEK);
  private day = 0;
  private since = 0;

  /** Folds a window's volume in. */
  observe(at: number, bytes: number): void {
    const day = Math.floor(at / DAY_MS);
    if (this.since === 0) this.since = day;
    this.decayTo(day);
    const { hourOfDay, hourOfWeek } = slots(at);
    if (bytes > this.peaks[hourOfDay]!) this.peaks[hourOfDay] = bytes;
    if (bytes > this.peaks[HOURS_OF_DAY + hourOfWeek]!) this.peaks[HOURS_OF_DAY + hourOfWeek] = bytes;
  }

  /**
   * The busiest window seen at this hour of the day and at this hour of the week, or the hour
   * either side (0 when none), and the one to expect: the hour of the week's once a whole week has been seen (a
   * Sunday peak is not Wednesday's), else the hour of the day's.
   */
  peakAt(at: number): { hourOfDay: number; hourOfWeek: number; expected: number; weekSeen: boolean } {
    const day = Math.floor(at / DAY_MS);
    const fade = 0.5 ** (Math.max(0, day - this.day) / HALF_LIFE_DAYS);
    const { hourOfDay, hourOfWeek } = slots(at);
    // The hour before and after count too: a nightly job that starts at 01:55 one night and
    // 02:00 the next is the same job.
    const daily = Math.max(this.peaks[hourOfDay]!, this.peaks[(hourOfDay + 23) % HOURS_OF_DAY]!, this.peaks[(hourOfDay + 1) % HOURS_OF_DAY]!) * fade;
    const weekly = Math.max(this.peaks[HOURS_OF_DAY + hourOfWeek]!, this.peaks[HOURS_OF_DAY + ((hourOfWeek + HOURS_OF_WEEK - 1) % HOURS_OF_WEEK)]!, this.peaks[HOURS_OF_DAY + ((hourOfWeek + 1) % HOURS_OF_WEEK)]!) * fade;
    const weekSeen = this.since !== 0 && day - this.since >= 7;
    return { hourOfDay: daily, hourOfWeek: weekly, expected: weekSeen ? weekly : daily, weekSeen };
  }

  get byteLength(): number {
    return this.peaks.byteLength + TYPED_ARRAY_OVERHEAD + 40;
  }

  snapshot(): SeasonalProfileSnapshot {
    return { peaks: Array.from(this.peaks), day: this.day, since: this.since };
  }

  static restore(s: SeasonalProfileSnapshot): SeasonalProfile {
    const profile = new SeasonalProfile();
    profile.peaks.set(s.peaks.slice(0, profile.peaks.length));
    profile.day = s.day;
    profile.since = s.since ?? s.day;
    return profile;
  }

  private decayTo(day: number): void {
    if (day <= this.day) return;
    if (this.day !== 0) {
      const fade = 0.5 ** ((day - this.day) / HALF_LIFE_DAYS);
      for (let i = 0; i < this.peaks.length; i++) this.peaks[i]! *= fade;
    }
    this.day = day;
  }
}

function slots(at: number): { hourOfDay: number; hourOfWeek: number } {
  const date = new Date(at);
  const hourOfDay = date.getUTCHours();
  return { hourOfDay, hourOfWeek: date.getUTCDay() * HOURS_OF_DAY + hourOfDay };
}
