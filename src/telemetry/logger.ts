/**
 * Plain log lines on stderr (stdout stays free for summaries and piped output). One line per
 * event, `time level message {context}`, so `grep` and log shippers both cope.
 */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
const ORDER: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export interface Logger {
  debug(message: string, context?: Record<string, unknown>): void;
  info(message: string, context?: Record<string, unknown>): void;
  warn(message: string, context?: Record<string, unknown>): void;
  error(message: string, context?: Record<string, unknown>): void;
}

export function createLogger(level: LogLevel = 'info', write: (line: string) => void = (line) => process.stderr.write(line)): Logger {
  const min = ORDER[level];
  const emit = (at: LogLevel, message: string, context?: Record<string, unknown>) => {
    if (ORDER[at] < min) return;
    const extra = context !== undefined && Object.keys(context).length > 0 ? ` ${safeJson(context)}` : '';
    write(`${new Date().toISOString()} ${at.toUpperCase()} ${message}${extra}\n`);
  };
  return {
    debug: (m, c) => emit('debug', m, c),
    info: (m, c) => emit('info', m, c),
    warn: (m, c) => emit('warn', m, c),
    error: (m, c) => emit('error', m, c),
  };
}

function safeJson(value: unknown): string {
  try {
    return JSON.stringify(value);
  } catch {
    return '[unserialisable]';
  }
}

export const silentLogger: Logger = { debug() {}, info() {}, warn() {}, error() {} };
