import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** Reads `test/fixtures/<path>` as text (one record per fixture file). */
export function fixture(path: string): string {
  return readFileSync(fileURLToPath(new URL(`../fixtures/${path}`, import.meta.url)), 'utf8').trim();
}

export function fixtureObject(path: string): Record<string, unknown> {
  return JSON.parse(fixture(path)) as Record<string, unknown>;
}
