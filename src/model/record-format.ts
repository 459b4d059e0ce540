/**
 * Wire formats flowhound parses (each described once in src/parsers/formats.ts). `auto` in config
 * means "detect per message" (and per file for a CSV header row).
 */
export const RECORD_FORMATS = ['calico-flow', 'calico-dns', 'hubble', 'csv'] as const;
export type RecordFormat = (typeof RECORD_FORMATS)[number];

export const FORMAT_OPTIONS = [...RECORD_FORMATS, 'auto'] as const;
export type FormatOption = (typeof FORMAT_OPTIONS)[number];
