import type { EventEmitter } from 'node:events';
import type { Logger } from '../telemetry/logger.ts';

/** Kubernetes' default terminationGracePeriodSeconds is 30: finish (or give up) well before the SIGKILL. */
export const DEFAULT_SHUTDOWN_TIMEOUT_SECONDS = 20;

/** The exit code of a stop that was cut short (the deadline, a second signal): main's EXIT.failure. */
const EXIT_CUT_SHORT = 1;

export interface ShutdownOptions {
  /** How long the graceful stop may take after the first signal, in ms. */
  timeoutMs: number;
  logger: Logger;
  /** Starts the graceful stop; called once, on the first signal. Finish it with `exit()`. */
  onStop: (signal: NodeJS.Signals) => void;
  /** Last words before the process goes (the summary); called exactly once, however it ends. */
  onExit?: (code: number) => void;
  /** Ends the process. Default: `flushAndExit` (stdout and stderr flushed, then process.exit). */
  exit?: (code: number) => void | Promise<void>;
  /** Default SIGTERM (Kubernetes) and SIGINT (Ctrl-C). */
  signals?: readonly NodeJS.Signals[];
  /** Where the signals come from; `process` by default (tests pass an EventEmitter). */
  emitter?: EventEmitter;
}

/**
 * A bounded stop for long-running commands. The first signal starts the graceful stop (the
 * pipeline finishes its batch in flight and commits) and arms a deadline; `exit()` ends the
 * process once the graceful path is done. When the deadline passes first, the parts of the
 * graceful path still pending (see `track`) are logged and the process exits with 1; a second
 * signal exits at once. Every ending goes through `process.exit`: kafkajs restarts crashed
 * consumers on timers of its own (even after `disconnect()` when a join was in flight), so
 * "nothing left to do" is never a safe way for the process to end.
 */
export class Shutdown {
  private readonly options: ShutdownOptions;
  private readonly emitter: EventEmitter;
  private readonly signals: readonly NodeJS.Signals[];
  private readonly pending = new Map<number, { name: string; since: number }>();
  private nextStep = 0;
  private deadline: NodeJS.Timeout | undefined;
  /** When the deadline was armed: parts tracked before it count as pending from then on. */
  private armedAt = Number.NaN;
  private stopSignal: NodeJS.Signals | undefined;
  private exiting: Promise<void> | undefined;
  private readonly onSignal = (signal: NodeJS.Signals) => this.signal(signal);

  constructor(options: ShutdownOptions) {
    this.options = options;
    this.emitter = options.emitter ?? process;
    this.signals = options.signals ?? ['SIGTERM', 'SIGINT'];
  }

  /** Listens for the signals (until the process exits). */
  install(): this {
    for (const signal of this.signals) this.emitter.on(signal, this.onSignal);
    return this;
  }

  /** Whether a stop has begun (a signal arrived). */
  get stopping(): boolean {
    return this.stopSignal !== undefined;
  }

  /** The names of the tracked parts that have not settled yet, oldest first. */
  pendingParts(): string[] {
    return [...this.pending.values()].map((part) => part.name);
  }

  /**
   * Names a part of the graceful path (`promise`), so that the deadline can say what was still
   * pending. Returns `promise` unchanged; a settled part, resolved or rejected, is forgotten.
   */
  track<T>(name: string, promise: Promise<T>): Promise<T> {
    const step = this.nextStep++;
    this.pending.set(step, { name, since: Date.now() });
    const forget = () => { this.pending.delete(step); };
    promise.then(forget, forget);
    return promise;
  }

  /**
   * Arms the deadline without a signal (idempotent): for a process that is ending on its own
   * and has some closing left to do that must not hang it either.
   */
  armDeadline(): void {
    if (this.deadline !== undefined || this.exiting !== undefined) return;
    this.armedAt = Date.now();
    // Not unref'd: this timer is what guarantees the exit, even when nothing else is scheduled.
    this.deadline = setTimeout(() => this.cutShort(), this.options.timeoutMs);
  }

  /**
   * Ends the process with `code` (after `onExit`). Idempotent: the first ending wins, later
   * calls (the graceful path finishing just after the deadline) return the same promise.
   */
  exit(code: number): Promise<void> {
    if (this.exiting !== undefined) return this.exiting;
    clearTimeout(this.deadline);
    try {
      this.options.onExit?.(code);
    } catch (error) {
      this.options.logger.error(`shutdown: ${(error as Error).message}`);
    }
    this.exiting = Promise.resolve((this.options.exit ?? flushAndExit)(code));
    return this.exiting;
  }

  private signal(signal: NodeJS.Signals): void {
    if (this.exiting !== undefined) return;
    if (this.stopSignal !== undefined) {
      this.options.logger.warn(`shutdown: second signal (${signal}), exiting now${this.describePending()}`);
      void this.exit(EXIT_CUT_SHORT);
      return;
    }
    this.stopSignal = signal;
    this.armDeadline();
    try {
      this.options.onStop(signal);
    } catch (error) {
      this.options.logger.error(`shutdown: the graceful stop failed to start: ${(error as Error).message}`);
      void this.exit(EXIT_CUT_SHORT);
    }
  }

  private cutShort(): void {
    const seconds = Math.round(this.options.timeoutMs / 100) / 10;
    this.options.logger.error(`shutdown: the graceful stop did not finish within ${seconds} s${this.describePending()}; exiting with code ${EXIT_CUT_SHORT}`);
    void this.exit(EXIT_CUT_SHORT);
  }

  private describePending(): string {
    if (this.pending.size === 0) return '';
    const now = Date.now();
    // How long each part has held up the stop (a part that began with the run counts from the stop).
    const parts = [...this.pending.values()].map((part) => {
      const since = Number.isNaN(this.armedAt) ? part.since : Math.max(part.since, this.armedAt);
      return `${part.name} (for ${((now - since) / 1000).toFixed(1)} s)`;
    });
    return `; still pending: ${parts.join('; ')}`;
  }
}

/**
 * process.exit(code) once stdout and stderr have written what they hold (waiting at most
 * `timeoutMs`: a reader that stopped reading must not hang the exit). process.exit alone can
 * drop the end of a summary written to a pipe, whose writes are asynchronous.
 */
export async function flushAndExit(code: number, timeoutMs = 2_000): Promise<void> {
  // A write's callback runs once it and every write before it have been handed to the OS.
  const flushed = (stream: NodeJS.WriteStream) => new Promise<void>((resolve) => {
    if (stream.destroyed || !stream.writable) resolve();
    else stream.write('', () => resolve());
  });
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<void>((resolve) => { timer = setTimeout(resolve, timeoutMs); });
  await Promise.race([Promise.all([flushed(process.stdout), flushed(process.stderr)]), timeout]);
  clearTimeout(timer);
  process.exit(code);
}
