/**
 * Checks for reading a snapshot back (a checkpoint from Kafka): each returns the value with its
 * type, or throws an Error naming the snapshot, the field and what was wrong. A state restored
 * wrong would judge, page or name flows wrong, silently; a clear error on restore does not.
 */
export function snapshotReader(what: string) {
  const malformed = (where: string, problem: string): never => {
    throw new Error(`${what}: ${where} ${problem}`);
  };
  const object = (value: unknown, where: string): Record<string, unknown> => {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) malformed(where, 'must be an object');
    return value as Record<string, unknown>;
  };
  const list = (value: unknown, where: string): unknown[] => {
    if (!Array.isArray(value)) malformed(where, 'must be an array');
    return value as unknown[];
  };
  const tuple = (value: unknown, length: number, where: string): unknown[] => {
    const items = list(value, where);
    if (items.length !== length) malformed(where, `must have ${length} items, not ${items.length}`);
    return items;
  };
  const finite = (value: unknown, where: string): number => {
    if (typeof value !== 'number' || !Number.isFinite(value)) malformed(where, `must be a finite number, not ${JSON.stringify(value)}`);
    return value as number;
  };
  const count = (value: unknown, where: string): number => {
    if (!Number.isSafeInteger(value) || (value as number) < 0) malformed(where, `must be a count, not ${JSON.stringify(value)}`);
    return value as number;
  };
  const text = (value: unknown, where: string): string => {
    if (typeof value !== 'string') malformed(where, `must be a string, not ${JSON.stringify(value)}`);
    return value as string;
  };
  const flag = (value: unknown, where: string): boolean => {
    if (typeof value !== 'boolean') malformed(where, 'must be true or false');
    return value as boolean;
  };
  const member = <T extends string>(value: unknown, values: readonly T[], where: string): T => {
    if (!values.includes(value as T)) malformed(where, `must be one of ${values.join(', ')}, not ${JSON.stringify(value)}`);
    return value as T;
  };
  /** An ISO time (read back with Date.parse). */
  const time = (value: unknown, where: string): string => {
    if (!Number.isFinite(Date.parse(text(value, where)))) malformed(where, `must be an ISO time, not ${JSON.stringify(value)}`);
    return value as string;
  };
  return { malformed, object, list, tuple, finite, count, text, flag, member, time };
}
