import type { Consumer, Kafka } from 'kafkajs';
import type { AlertSink } from '../alerts/alert-sink.ts';
import { PeerGroups } from '../baseline/peer-groups.ts';
import type { Alert } from '../model/alert.ts';
import type { NormalizedRecord } from '../model/normalized-record.ts';
import type { DetectionStage, DetectionStats, DetectionView } from '../pipeline/detection-stage.ts';
import type { Logger } from '../telemetry/logger.ts';
import { DetectionTask, PendingAlerts, type CheckpointStats } from './detection-task.ts';
import { PeerGroupFeed } from './peer-group-feed.ts';
import { decodeRepartition } from './repartition-message.ts';
import type { StateTopics } from './state-topics.ts';

export interface DetectionTasksOptions {
  kafka: Kafka;
  topics: StateTopics;
  groupId: string;
  /** A fresh stage for a task: its sink, the shared role view, its part and its close gate. */
  buildStage: (task: { partition: number; sink: AlertSink; peerGroups: PeerGroups; mayClose: (bucket: number) => boolean }) => DetectionStage;
  /** Where committed alerts go (Alertmanager, files, console, metrics). */
  sinks: AlertSink[];
  alertsTopic?: string;
  checkpointIntervalMs: number;
  sessionTimeoutMs: number;
  logger: Logger;
  /** Called after each batch (late records leave as dead letters). */
  afterBatch?: () => Promise<void>;
  /** The raw input topics: each task's watermark waits for every one of their partitions. */
  inputTopics: string[];
}

const EMPTY_STATS: DetectionStats = { late: 0, windowsClosed: 0, judgingMs: 0, droppedStateBudget: 0, baselinesNotKept: 0, findings: 0, alertsEmitted: 0 };

/**
 * The detection tier: a consumer-group member of the repartition topic running one
 * DetectionTask per assigned partition. On assignment it restores each new task from Kafka
 * before processing a record of it; state moves with its partition on a rebalance. Windows are
 * judged against the role view of every task (PeerGroups: local parts live, remote ones from
 * the peer-groups topic); a task closes a window only once every task has closed the windows
 * before it, so where the tasks run does not change what they find.
 */
export class DetectionTasks implements DetectionView {
  readonly tasks = new Map<number, DetectionTask>();
  readonly peerGroups = new PeerGroups();
  readonly checkpoints: CheckpointStats = { checkpoints: 0, records: 0, bytes: 0, ms: 0 };
  readonly restores = { tasks: 0, records: 0, ms: 0 };
  /** Stats of tasks no longer here (so counters never go down). */
  private readonly retired: DetectionStats = { ...EMPTY_STATS };
  private retiredEvictions = 0;
  private readonly options: DetectionTasksOptions;
  private consumer: Consumer;
  private readonly feed: PeerGroupFeed;
  private assigned = new Set<number>();
  private restoring: Promise<void> = Promise.resolve();
  private pendingRestores = 0;
  private joined = false;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  /** `topic|partition` of every raw input partition, whoever ingests it. */
  private inputLanes: string[] = [];
  private finished: (() => void) | undefined;
  private failed: ((error: unknown) => void) | undefined;

  constructor(options: DetectionTasksOptions) {
    this.options = options;
    this.consumer = this.createConsumer();
    this.feed = new PeerGroupFeed({
      kafka: options.kafka, topic: options.topics.peerGroups, groupPrefix: options.topics.prefix, peerGroups: this.peerGroups, logger: options.logger,
      onProgress: () => void this.retryClosing().catch((error) => this.options.logger.warn(`detection: ${(error as Error).message}`)),
    });
  }

  private createConsumer(): Consumer {
    const { options } = this;
    return options.kafka.consumer({ groupId: options.groupId, sessionTimeout: options.sessionTimeoutMs, readUncommitted: false, retry: { retries: 8, restartOnFailure: async () => !this.stopped } });
  }

  /** Ready: joined the group and every assigned task restored. */
  ready(): boolean {
    return this.joined && this.pendingRestores === 0;
  }

  async run(): Promise<void> {
    const { options } = this;
    const done = new Promise<void>((resolve, reject) => {
      this.finished = resolve;
      this.failed = reject;
    });
    this.inputLanes = await this.lanesOf(options.inputTopics);
    await this.feed.start();
    this.timer = setInterval(() => void this.checkpointDue().catch((error) => options.logger.warn(`detection: ${(error as Error).message}`)), Math.max(50, Math.floor(options.checkpointIntervalMs / 2)));
    await this.session(0);
    return done;
  }

  /** After a crash kafkajs will not restart from: the tasks go (their state is on Kafka) and a new consumer joins. */
  private restart(attempt: number): void {
    this.joined = false;
    setTimeout(() => {
      if (this.stopped) return;
      void (async () => {
        for (const p of [...this.tasks.keys()]) await this.drop(p);
        this.assigned = new Set();
        this.consumer = this.createConsumer();
        await this.session(attempt + 1);
      })().catch((error) => {
        this.options.logger.error(`detection: ${(error as Error).message}; trying again`);
        void this.consumer.disconnect().catch(() => {});
        this.restart(attempt + 1);
      });
    }, Math.min(30_000, 1_000 * 2 ** attempt));
  }

  private async session(attempt: number): Promise<void> {
    const { consumer, options } = this;
    consumer.on(consumer.events.CRASH, (event) => {
      const { error, restart } = event.payload;
      options.logger.error(`detection: consumer crashed${restart ? ', restarting' : this.stopped ? '' : ', starting a new one'}: ${error.message}`);
      if (restart || this.stopped) return;
      void consumer.disconnect().catch(() => {});
      this.restart(attempt);
    });
    consumer.on(consumer.events.GROUP_JOIN, (event) => {
      attempt = 0;
      const partitions = event.payload.memberAssignment[options.topics.repartition] ?? [];
      this.onAssignment(new Set(partitions));
    });
    await consumer.connect();
    await consumer.subscribe({ topics: [options.topics.repartition], fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      // Tasks are independent (each its own lock, producer and transaction): their checkpoints'
      // round trips overlap instead of queueing.
      partitionsConsumedConcurrently: Math.min(4, options.topics.partitions),
      eachBatch: async ({ batch, resolveOffset, heartbeat, isRunning, isStale }) => {
        const partition = batch.partition;
        // Restores run outside kafkajs' loop; keep the session alive meanwhile.
        for (let waited = false; !waited;) {
          waited = await Promise.race([this.restoring.then(() => true, () => true), new Promise<boolean>((r) => setTimeout(() => r(false), 1_000))]);
          if (!waited) await heartbeat();
        }
        const task = this.tasks.get(partition);
        if (task === undefined) return; // not ours (any more): the owner resumes from its state
        await task.exclusive(async () => {
          if (this.tasks.get(partition) !== task) return;
          // The group's committed offset and the state's are committed in one transaction, so
          // the group's is never ahead; it can be behind (fetched while the previous owner's
          // last transaction was completing): process() skips what the state already holds.
          await this.process(task, batch.messages, resolveOffset, () => isRunning() && !isStale());
          if (Date.now() - task.lastCheckpoint >= options.checkpointIntervalMs || batch.offsetLag() === '0') await this.checkpoint(task);
        });
        await this.retryClosing();
        await options.afterBatch?.();
        await heartbeat();
      },
    });
  }

  private async lanesOf(topics: string[]): Promise<string[]> {
    const admin = this.options.kafka.admin();
    await admin.connect();
    try {
      const metadata = await admin.fetchTopicMetadata({ topics });
      return metadata.topics.flatMap((t) => t.partitions.map((p) => `${t.name}|${p.partitionId}`));
    } finally {
      await admin.disconnect();
    }
  }

  private async process(task: DetectionTask, messages: { offset: string; value: Buffer | null }[], resolveOffset: (offset: string) => void, running: () => boolean): Promise<void> {
    let records: NormalizedRecord[] = [];
    let sides: number[] = [];
    let lane = '';
    const flush = async () => {
      if (records.length === 0) return;
      await task.stage.process(records, lane, undefined, Uint8Array.from(sides));
      records = [];
      sides = [];
    };
    // Offsets grow: only the first messages of a batch can be ones the state already holds.
    let skipBelow = task.nextOffset === null ? undefined : BigInt(task.nextOffset);
    let last: string | undefined;
    for (const message of messages) {
      if (!running()) break;
      if (skipBelow !== undefined) {
        if (BigInt(message.offset) < skipBelow) continue;
        skipBelow = undefined;
      }
      let decoded;
      try {
        decoded = decodeRepartition(message.value);
      } catch (error) {
        this.options.logger.warn(`detection: skipping repartition message ${task.partition}@${message.offset}: ${(error as Error).message}`);
        decoded = undefined;
      }
      if (decoded !== undefined) {
        if (decoded.l !== lane) await flush();
        lane = decoded.l;
        if ('p' in decoded) {
          await flush();
          await task.stage.progress(decoded.l, decoded.p);
        } else {
          records.push(decoded.r);
          sides.push(decoded.s);
        }
      }
      last = message.offset;
    }
    await flush();
    if (last !== undefined) {
      task.nextOffset = (BigInt(last) + 1n).toString();
      task.changed = true;
      resolveOffset(last);
    }
  }

  /** A task is allowed to close `bucket` once every other task has closed the windows before it. */
  private mayClose(self: number, bucket: number): boolean {
    const freshMs = Math.max(30_000, 5 * this.options.checkpointIntervalMs);
    const now = Date.now();
    for (let p = 0; p < this.options.topics.partitions; p++) {
      if (p === self) continue;
      const local = this.tasks.get(p);
      if (local !== undefined) {
        if (local.stage.watermark < bucket) return false;
        continue;
      }
      // Assigned here but still restoring: it will say soon.
      if (this.assigned.has(p)) return false;
      const remote = this.feed.closedUpTo(p, freshMs, now);
      if (remote !== undefined && remote < bucket) return false;
    }
    return true;
  }

  /** Lets every held-back task close what it may now, until none moves (each may wait on the others). */
  private async retryClosing(): Promise<void> {
    for (let moved = true; moved;) {
      moved = false;
      for (const task of this.tasks.values()) {
        const before = task.stage.watermark;
        await task.exclusive(() => task.stage.retryClose());
        if (task.stage.watermark !== before) {
          moved = true;
          task.changed = true;
        }
      }
    }
  }

  private onAssignment(partitions: Set<number>): void {
    this.joined = true;
    const previous = this.restoring;
    const revoked = [...this.tasks.keys()].filter((p) => !partitions.has(p));
    const kept = [...this.tasks.keys()].filter((p) => partitions.has(p));
    const added = [...partitions].filter((p) => !this.tasks.has(p));
    this.assigned = partitions;
    this.pendingRestores += added.length;
    this.restoring = (async () => {
      await previous.catch(() => {});
      for (const p of revoked) await this.drop(p);
      // A partition kept across a rebalance may have had another owner meanwhile (this member
      // was out of the group for a while): then its committed offset moved, and the state here
      // is stale — restore it like a new one.
      const stale = await this.movedOnRetrying(kept, partitions);
      for (const p of stale) await this.drop(p);
      this.pendingRestores += stale.length;
      await Promise.all([...added, ...stale].map((p) => this.restore(p)));
      // Restored tasks may close what they held back, without waiting for a record.
      await this.retryClosing();
    })();
    this.restoring.catch((error) => {
      this.options.logger.error(`detection: restoring tasks failed: ${(error as Error).message}`);
      this.failed?.(error);
    });
  }

  /** movedOn, tried again with backoff while this assignment stands (the broker may be restarting). */
  private async movedOnRetrying(kept: number[], assignment: Set<number>): Promise<number[]> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.movedOn(kept);
      } catch (error) {
        if (this.stopped || this.assigned !== assignment) return [];
        const delayMs = Math.min(10_000, 500 * 2 ** attempt);
        this.options.logger.warn(`detection: reading the group's committed offsets failed (${(error as Error).message}); trying again in ${delayMs / 1000} s`);
        await new Promise((resolve) => setTimeout(resolve, delayMs));
      }
    }
  }

  /** Of `partitions`, those whose committed offset is not the one their task here last committed. */
  private async movedOn(partitions: number[]): Promise<number[]> {
    if (partitions.length === 0) return [];
    const admin = this.options.kafka.admin();
    await admin.connect();
    try {
      const [committed] = await admin.fetchOffsets({ groupId: this.options.groupId, topics: [this.options.topics.repartition] });
      return partitions.filter((p) => {
        const offset = committed?.partitions.find((c) => c.partition === p)?.offset;
        const mine = this.tasks.get(p)?.committedOffset ?? null;
        return offset !== undefined && offset !== '-1' && offset !== mine;
      });
    } finally {
      await admin.disconnect();
    }
  }

  /**
   * Restores a task, trying again with backoff while its partition is still assigned here: a
   * broker that is restarting must not leave the partition without a task until the next
   * rebalance (its records would wait unprocessed and every window after them stay open).
   */
  private async restore(partition: number): Promise<void> {
    try {
      for (let attempt = 0; !this.stopped && this.assigned.has(partition); attempt++) {
        try {
          await this.restoreOnce(partition);
          return;
        } catch (error) {
          const delayMs = Math.min(10_000, 500 * 2 ** attempt);
          this.options.logger.warn(`detection: restoring task ${partition} failed (${(error as Error).message}); trying again in ${delayMs / 1000} s`);
          await new Promise((resolve) => setTimeout(resolve, delayMs));
        }
      }
    } finally {
      this.pendingRestores--;
    }
  }

  private async restoreOnce(partition: number): Promise<void> {
    const { options } = this;
    const pending = new PendingAlerts();
    this.feed.own(partition);
    const stage = options.buildStage({ partition, sink: pending, peerGroups: this.peerGroups, mayClose: (bucket) => this.mayClose(partition, bucket) });
    const task = new DetectionTask({ kafka: options.kafka, topics: options.topics, groupId: options.groupId, partition, stage, pending, peerGroups: this.peerGroups, logger: options.logger, ...(options.alertsTopic === undefined ? {} : { alertsTopic: options.alertsTopic }) });
    let restored;
    try {
      restored = await task.restore();
    } catch (error) {
      await task.close();
      throw error;
    }
    // Until every input partition has said how far it is, the watermark waits for it (or
    // for it to stay silent for idle_lane time): its records must not arrive late.
    task.stage.expectLanes(this.inputLanes);
    this.restores.tasks++;
    this.restores.records += restored.records;
    this.restores.ms += restored.ms;
    options.logger.info(`detection: task ${partition} restored (${restored.records} state records, ${task.stage.baselines.size} baselines, ${Math.round(restored.ms)} ms)`);
    if (!this.assigned.has(partition) || this.stopped) {
      await task.close();
      return;
    }
    this.tasks.set(partition, task);
    // Committed before the takeover but perhaps never delivered; Alertmanager also gets
    // what is firing again (it de-duplicates by labels), so a restart leaves no gap.
    for (const batch of restored.undelivered) for (const sink of options.sinks) await sink.write(batch);
    const active = task.stage.activeAlerts();
    for (const sink of options.sinks) await sink.resume?.(active);
  }

  private async drop(partition: number): Promise<void> {
    const task = this.tasks.get(partition);
    this.tasks.delete(partition);
    this.feed.release(partition);
    if (task === undefined) return;
    await task.exclusive(async () => {
      addStats(this.retired, task.stage.stats);
      this.retiredEvictions += task.stage.baselines.evictions;
      await task.close();
    });
  }

  private async checkpoint(task: DetectionTask): Promise<void> {
    try {
      await task.checkpoint(this.options.sinks, this.checkpoints);
    } catch (error) {
      this.options.logger.warn(`detection: checkpoint of task ${task.partition} failed (${(error as Error).message}); restoring it from its last checkpoint`);
      if (this.tasks.get(task.partition) !== task) return;
      this.tasks.delete(task.partition);
      await task.close();
      this.pendingRestores++;
      const previous = this.restoring;
      this.restoring = previous.catch(() => {}).then(() => this.restore(task.partition));
      // Processing resumes from the restored state's offset.
      this.restoring.then(() => {
        const restored = this.tasks.get(task.partition);
        if (restored?.nextOffset != null) this.consumer.seek({ topic: this.options.topics.repartition, partition: task.partition, offset: restored.nextOffset });
      }).catch((error) => this.options.logger.warn(`detection: resuming task ${task.partition} after its restore: ${(error as Error).message}`));
    }
  }

  private async checkpointDue(): Promise<void> {
    const now = Date.now();
    for (const task of this.tasks.values()) {
      if (!task.changed || now - task.lastCheckpoint < this.options.checkpointIntervalMs) continue;
      await task.exclusive(async () => {
        if (this.tasks.get(task.partition) === task && task.changed) await this.checkpoint(task);
      });
    }
  }

  /** Stops consuming after a last checkpoint of every task. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    if (this.timer !== undefined) clearInterval(this.timer);
    await this.consumer.stop().catch(() => {});
    for (const task of [...this.tasks.values()]) {
      await task.exclusive(async () => {
        if (task.changed) await this.checkpoint(task);
      });
    }
    await this.consumer.disconnect().catch(() => {});
    for (const p of [...this.tasks.keys()]) await this.drop(p);
    await this.feed.stop();
    this.finished?.();
  }

  // The read side the metrics and the summary use, summed over tasks.
  get stats(): DetectionStats {
    const total = { ...this.retired };
    for (const task of this.tasks.values()) addStats(total, task.stage.stats);
    return total;
  }

  get baselines(): { size: number; evictions: number } {
    let size = 0;
    let evictions = this.retiredEvictions;
    for (const task of this.tasks.values()) {
      size += task.stage.baselines.size;
      evictions += task.stage.baselines.evictions;
    }
    return { size, evictions };
  }

  get stateBudgetBytes(): number {
    let n = 0;
    for (const task of this.tasks.values()) n += task.stage.stateBudgetBytes;
    return n;
  }

  get lifecycle(): { rolledUp: Map<string, number>; damped: Map<string, number> } {
    return { rolledUp: this.rolledUp, damped: this.damped };
  }

  get stateBytes(): number {
    let n = 0;
    for (const task of this.tasks.values()) n += task.stage.stateBytes;
    return n;
  }

  get newestEventTime(): number {
    let t = Number.NEGATIVE_INFINITY;
    for (const task of this.tasks.values()) t = Math.max(t, task.stage.newestEventTime);
    return t;
  }

  get watermark(): number {
    let t = Number.POSITIVE_INFINITY;
    for (const task of this.tasks.values()) t = Math.min(t, task.stage.watermark);
    return t === Number.POSITIVE_INFINITY ? Number.NEGATIVE_INFINITY : t;
  }

  activeAlerts(): Alert[] {
    return [...this.tasks.values()].flatMap((task) => task.stage.activeAlerts());
  }

  learningBaselines(): number {
    let n = 0;
    for (const task of this.tasks.values()) n += task.stage.learningBaselines();
    return n;
  }

  get rolledUp(): Map<string, number> {
    const total = new Map<string, number>();
    for (const task of this.tasks.values()) for (const [detector, n] of task.stage.lifecycle.rolledUp) total.set(detector, (total.get(detector) ?? 0) + n);
    return total;
  }

  /** Alert emissions damped (flap damping), per detector, over every task. */
  get damped(): Map<string, number> {
    const total = new Map<string, number>();
    for (const task of this.tasks.values()) for (const [detector, n] of task.stage.lifecycle.damped) total.set(detector, (total.get(detector) ?? 0) + n);
    return total;
  }
}

function addStats(total: DetectionStats, stats: DetectionStats): void {
  for (const key of Object.keys(total) as (keyof DetectionStats)[]) total[key] += stats[key];
}
