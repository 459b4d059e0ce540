/**
 * Why an input record was rejected. A closed list, so each code is safe as a metric label and
 * stable for whoever reads the dead-letter destination.
 */
export const INVALID_REASONS = [
  'oversized', // larger than limits.max_record_bytes; not even parsed
  'malformed-json', // JSON.parse failed
  'malformed-csv', // a CSV row with an unterminated quote, or not as many fields as its header
  'not-an-object', // valid JSON, but not a JSON object
  'unknown-format', // `auto` could not tell which format this is
  'missing-field', // a required field is absent or null
  'invalid-field', // a field has the wrong type or an unknown value
  'out-of-range', // negative counters, ports > 65535, windows that end before they start…
  'future-time', // event time further ahead of the clock than limits.max_future_skew allows
  'late', // arrived after its event-time window closed (detection.allowed_lateness_seconds)
] as const;
export type InvalidReason = (typeof INVALID_REASONS)[number];

/**
 * Records that are well-formed but deliberately not turned into a normalised record. Counted,
 * never dead-lettered: they are not errors.
 */
export const SKIP_REASONS = [
  'hubble-dns-request', // the matching DNS response carries the answer; counting both would double it
  'hubble-l7-other', // HTTP/Kafka L7 events duplicate the L3/L4 flow they ride on
  'hubble-not-a-flow', // exporter lines such as node_status or lost_events
  'calico-dns-unlogged', // type UNLOGGED: Calico hit its per-node limit and logged only a count
] as const;
export type SkipReason = (typeof SKIP_REASONS)[number];

/** Codes of errors that stop a command (bad config, unreadable file, unreachable broker). */
export const ERROR_CODES = [
  'FH_CONFIG_INVALID',
  'FH_CONFIG_UNREADABLE',
  'FH_INPUT_UNREADABLE',
  'FH_KAFKA',
  'FH_SINK',
  'FH_USAGE',
] as const;
export type ErrorCode = (typeof ERROR_CODES)[number];

/** The one error class flowhound throws. `retriable` tells retry loops whether to try again. */
export class FlowhoundError extends Error {
  readonly code: ErrorCode;
  readonly retriable: boolean;

  constructor(code: ErrorCode, message: string, options: { cause?: unknown; retriable?: boolean } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'FlowhoundError';
    this.code = code;
    this.retriable = options.retriable ?? false;
  }
}
