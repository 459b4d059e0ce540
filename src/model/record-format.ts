/** Wire formats flowhound parses. `auto` in config means "detect per message". */
export const RECORD_FORMATS = ['calico-flow', 'calico-dns', 'hubble', 'csv'] as const;
export type RecordFormat = (typeof RECORD_FORMATS)[number];

export const FORMAT_OPTIONS = [...RECORD_FORMATS, 'auto'] as const;
export type FormatOption = (typeof FORMAT_OPTIONS)[number];
