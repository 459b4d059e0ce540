import { describe, expect, it } from 'vitest';
import { PeerTable } from '../../../src/baseline/peer-table.ts';
import { SeasonalProfile } from '../../../src/baseline/seasonal-profile.ts';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
/** A Monday, 00:00 UTC. */
const MONDAY = Date.parse('2026-11-02T00:00:00Z');

describe('SeasonalProfile', () => {
  it('expects the hour of the day until a week has been seen, then the hour of the week', () => {
    const profile = new SeasonalProfile();
    for (let day = 0; day < 6; day++) profile.observe(MONDAY + day * DAY + 2 * HOUR, 400);
    profile.observe(MONDAY + 6 * DAY + 2 * HOUR, 2_400); // Sunday
    // Day 8 (Tuesday) 02:00: a week seen, Tuesdays took 400 while the hour of the day took 2,400.
    const tuesday = profile.peakAt(MONDAY + 8 * DAY + 2 * HOUR);
    expect(tuesday.weekSeen).toBe(true);
    expect(tuesday.expected).toBeCloseTo(tuesday.hourOfWeek, 6);
    expect(tuesday.hourOfWeek).toBeLessThan(400);
    expect(tuesday.hourOfDay).toBeGreaterThan(2_000);
    // Day 6 (the first Sunday) itself, before a week: the hour of the day.
    expect(profile.peakAt(MONDAY + 6 * DAY + 2 * HOUR + 1).weekSeen).toBe(false);
  });

  it('counts the neighbouring hours (a job that starts at 01:55 one night and 02:00 the next)', () => {
    const profile = new SeasonalProfile();
    profile.observe(MONDAY + 2 * HOUR, 500);
    expect(profile.peakAt(MONDAY + DAY + HOUR + 55 * 60_000).hourOfDay).toBeGreaterThan(450);
    expect(profile.peakAt(MONDAY + DAY + 3 * HOUR).hourOfDay).toBeGreaterThan(450);
    expect(profile.peakAt(MONDAY + DAY + 4 * HOUR).hourOfDay).toBe(0);
    // Midnight wraps: 23:00 is next to 00:00.
    profile.observe(MONDAY + 23 * HOUR, 300);
    expect(profile.peakAt(MONDAY + DAY).hourOfDay).toBeGreaterThan(290);
  });

  it('fades old peaks with a four-week half-life and survives a snapshot', () => {
    const profile = new SeasonalProfile();
    profile.observe(MONDAY + 2 * HOUR, 1_000);
    expect(profile.peakAt(MONDAY + 28 * DAY + 2 * HOUR).hourOfDay).toBeCloseTo(500, 0);
    const copy = SeasonalProfile.restore(JSON.parse(JSON.stringify(profile.snapshot())));
    expect(copy.peakAt(MONDAY + 7 * DAY + 2 * HOUR)).toEqual(profile.peakAt(MONDAY + 7 * DAY + 2 * HOUR));
  });
});

describe('PeerTable busiest window', () => {
  it('keeps each edge’s busiest window, and guesses the average for snapshots without it', () => {
    const table = new PeerTable(16);
    table.remember('s3|443|tcp', MONDAY, MONDAY + 300_000, 100);
    table.remember('s3|443|tcp', MONDAY + 300_000, MONDAY + 600_000, 5_000);
    table.remember('s3|443|tcp', MONDAY + 600_000, MONDAY + 900_000, 200);
    expect(table.get('s3|443|tcp')).toMatchObject({ windows: 3, bytesOut: 5_300, peakBytesOut: 5_000 });
    expect(PeerTable.restore(table.snapshot(), 16).get('s3|443|tcp')?.peakBytesOut).toBe(5_000);
    const { peak: _peak, ...older } = table.snapshot();
    expect(PeerTable.restore(older, 16).get('s3|443|tcp')?.peakBytesOut).toBeCloseTo(5_300 / 3, 0);
  });
});
