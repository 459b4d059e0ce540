import type { InvalidReason } from '../errors.ts';

/**
 * Typed reads of JSON fields for the parsers. A bad field throws a `FieldError`, which the
 * parser's entry point turns into an `invalid` outcome: the happy path stays branch-light and
 * the (rare) error path pays for the throw.
 */
export class FieldError extends Error {
  readonly reason: InvalidReason;
  constructor(reason: InvalidReason, detail: string) {
    super(detail);
    this.reason = reason;
  }
}

export type JsonObject = Record<string, unknown>;

/** Largest counter accepted (2^50 ≈ 1.1e15): beyond any real 5-minute flow aggregate. */
export const MAX_COUNTER = 2 ** 50;

export function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function requireObject(obj: JsonObject, key: string, path: string): JsonObject {
  const value = obj[key];
  if (value === undefined || value === null) throw new FieldError('missing-field', `${path}${key} is required`);
  if (!isObject(value)) throw new FieldError('invalid-field', `${path}${key} must be an object`);
  return value;
}

export function optionalObject(obj: JsonObject, key: string, path: string): JsonObject | undefined {
  const value = obj[key];
  if (value === undefined || value === null) return undefined;
  if (!isObject(value)) throw new FieldError('invalid-field', `${path}${key} must be an object`);
  return value;
}

export function requireString(obj: JsonObject, key: string, path = ''): string {
  const value = obj[key];
  if (typeof value === 'string') return value;
  if (value === undefined || value === null) throw new FieldError('missing-field', `${path}${key} is required`);
  throw new FieldError('invalid-field', `${path}${key} must be a string, got ${typeName(value)}`);
}

/** A string field where Calico writes `-` (or nothing) for "not applicable". */
export function optionalString(obj: JsonObject, key: string, path = ''): string | undefined {
  const value = obj[key];
  if (value === undefined || value === null || value === '-' || value === '') return undefined;
  if (typeof value === 'string') return value;
  throw new FieldError('invalid-field', `${path}${key} must be a string, got ${typeName(value)}`);
}

/** A non-negative integer counter (bytes, packets, flows). */
export function requireCount(obj: JsonObject, key: string, path = ''): number {
  const value = obj[key];
  if (value === undefined || value === null) throw new FieldError('missing-field', `${path}${key} is required`);
  return checkCount(value, key, path);
}

export function optionalCount(obj: JsonObject, key: string, fallback: number, path = ''): number {
  const value = obj[key];
  if (value === undefined || value === null) return fallback;
  return checkCount(value, key, path);
}

function checkCount(value: unknown, key: string, path: string): number {
  if (typeof value !== 'number') throw new FieldError('invalid-field', `${path}${key} must be a number, got ${typeName(value)}`);
  if (!Number.isInteger(value) || value < 0 || value > MAX_COUNTER) {
    throw new FieldError('out-of-range', `${path}${key} must be an integer in [0, 2^50], got ${value}`);
  }
  return value;
}

/** A TCP/UDP port, or undefined when absent, null or 0 (Calico writes 0 / null when aggregated). */
export function optionalPort(obj: JsonObject, key: string, path = ''): number | undefined {
  const value = obj[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'number') throw new FieldError('invalid-field', `${path}${key} must be a number, got ${typeName(value)}`);
  if (!Number.isInteger(value) || value < 0 || value > 65535) {
    throw new FieldError('out-of-range', `${path}${key} must be a port in [0, 65535], got ${value}`);
  }
  return value === 0 ? undefined : value;
}

/** UNIX seconds (integer or fractional) → epoch milliseconds. */
export function requireEpochSeconds(obj: JsonObject, key: string, path = ''): number {
  const value = obj[key];
  if (value === undefined || value === null) throw new FieldError('missing-field', `${path}${key} is required`);
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw new FieldError('invalid-field', `${path}${key} must be UNIX seconds, got ${typeName(value)}`);
  }
  return checkEpochMs(Math.round(value * 1000), key, path);
}

/** RFC 3339 timestamp (Hubble writes nanoseconds; Date.parse keeps milliseconds) → epoch ms. */
export function requireRfc3339(obj: JsonObject, key: string, path = ''): number {
  const text = requireString(obj, key, path);
  const ms = parseRfc3339(text);
  if (Number.isNaN(ms)) throw new FieldError('invalid-field', `${path}${key} must be an RFC 3339 time, got ${JSON.stringify(text.slice(0, 40))}`);
  return checkEpochMs(ms, key, path);
}

/**
 * `Date.parse` for RFC 3339 times, with a fast path for the form Hubble writes,
 * `YYYY-MM-DDTHH:MM:SS[.fraction]Z` (a valid date, a fraction of up to 9 digits cut to
 * milliseconds, as Date.parse does); any other text goes to Date.parse itself.
 */
export function parseRfc3339(text: string): number {
  const n = text.length;
  if (n < 20 || text.charCodeAt(n - 1) !== 90 /* Z */ || text.charCodeAt(4) !== 45 || text.charCodeAt(7) !== 45 || text.charCodeAt(10) !== 84 /* T */ || text.charCodeAt(13) !== 58 || text.charCodeAt(16) !== 58) return Date.parse(text);
  const year = digits(text, 0, 4);
  const month = digits(text, 5, 2);
  const day = digits(text, 8, 2);
  const hour = digits(text, 11, 2);
  const minute = digits(text, 14, 2);
  const second = digits(text, 17, 2);
  // Date.UTC would read years 0–99 as 1900–1999.
  if (year < 100 || month < 1 || month > 12 || day < 1 || day > daysIn(year, month) || hour < 0 || hour > 23 || minute < 0 || minute > 59 || second < 0 || second > 59) return Date.parse(text);
  let ms = 0;
  if (n > 20) {
    // `.` and 1 to 9 digits before the Z (Date.parse reads longer fractions its own way).
    if (text.charCodeAt(19) !== 46 || n < 22 || n > 30) return Date.parse(text);
    for (let i = 20; i < n - 1; i++) {
      const d = text.charCodeAt(i) - 48;
      if (d < 0 || d > 9) return Date.parse(text);
      if (i < 23) ms += d * (i === 20 ? 100 : i === 21 ? 10 : 1);
    }
  }
  return Date.UTC(year, month - 1, day, hour, minute, second, ms);
}

/** The decimal number in text[start, start + length), or -1 when not all digits. */
function digits(text: string, start: number, length: number): number {
  let value = 0;
  for (let i = start; i < start + length; i++) {
    const d = text.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return -1;
    value = value * 10 + d;
  }
  return value;
}

function daysIn(year: number, month: number): number {
  if (month === 2) return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

/**
 * 1970-01-01, the epoch: any year from it on is accepted, so replayed history of any age (a 1998
 * dataset) reads; a unit mistake (milliseconds in a seconds field) lands far in the future and
 * is caught by checkNotFuture instead.
 */
export const EARLIEST_MS = 0;

export function checkEpochMs(ms: number, key: string, path = ''): number {
  if (ms < EARLIEST_MS) throw new FieldError('out-of-range', `${path}${key} is before 1970 (${ms} ms)`);
  return ms;
}

/** Rejects an event time that lies further in the future than the configured skew allows. */
export function checkNotFuture(eventMs: number, nowMs: number, maxSkewMs: number, key: string): void {
  if (eventMs - nowMs > maxSkewMs) {
    throw new FieldError('future-time', `${key} is ${Math.round((eventMs - nowMs) / 1000)} s ahead of the clock (limit ${Math.round(maxSkewMs / 1000)} s)`);
  }
}

export function typeName(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  return typeof value;
}
