import { randomUUID } from 'node:crypto';
import type { Kafka, Message, Producer } from 'kafkajs';
import type { AlertSink } from '../alerts/alert-sink.ts';
import type { PeerGroups } from '../baseline/peer-groups.ts';
import type { Alert } from '../model/alert.ts';
import type { DetectionStage } from '../pipeline/detection-stage.ts';
import { latestPerKey, type ChangelogRecord } from '../pipeline/detection-state.ts';
import type { Logger } from '../telemetry/logger.ts';
import { MARKER_KEY, readUntilMarkers } from './changelog-reader.ts';
import { PROGRESS_KEY } from './peer-group-feed.ts';
import { sendChunked } from './transactions.ts';
import type { StateTopics } from './state-topics.ts';

/**
 * Buffers a task's alerts until the checkpoint that commits them, in the batches the stage
 * emitted them in (one per closed window): the sinks then get them as they would have live, so
 * an alert that opened and resolved between two checkpoints still reaches Alertmanager firing.
 */
export class PendingAlerts implements AlertSink {
  batches: Alert[][] = [];
  async write(alerts: Alert[]): Promise<void> {
    if (alerts.length > 0) this.batches.push(alerts);
  }
  async close(): Promise<void> {}
}

export interface DetectionTaskOptions {
  kafka: Kafka;
  topics: StateTopics;
  /** The detection consumer group (its offsets are committed in the task's transactions). */
  groupId: string;
  partition: number;
  stage: DetectionStage;
  pending: PendingAlerts;
  peerGroups: PeerGroups;
  /** Kafka alerts topic written in the checkpoint's transaction (the `type: kafka` sink). */
  alertsTopic?: string;
  logger: Logger;
}

/** What a checkpoint cost. */
export interface CheckpointStats {
  checkpoints: number;
  records: number;
  bytes: number;
  ms: number;
}

/**
 * One detection task: the detection state of one repartition partition, and the transactional
 * producer that commits it. A checkpoint writes, in ONE Kafka transaction, the state that
 * changed (changelog), the task's part of the role view and its progress (peer-groups topic),
 * the alerts raised since the last checkpoint (alerts topic), and the partition's input offset
 * (sendOffsets). Either all of it is visible to read-committed readers, or none of it: the
 * state on Kafka always corresponds to exactly the input before that offset.
 *
 * The transactional id is the partition's, so whoever restores the partition fences the
 * previous owner first (a zombie cannot commit afterwards); then the restore reads everything
 * up to a marker it wrote itself, so nothing committed before the takeover is missed.
 */
export class DetectionTask {
  readonly partition: number;
  readonly stage: DetectionStage;
  /** Next input offset of the partition the state corresponds to (null: from the group's committed offset). */
  nextOffset: string | null = null;
  /** The offset the last committed state corresponds to (what the group's committed offset must be while this task owns it). */
  committedOffset: string | null = null;
  /** Alerts committed but not yet handed to the sinks, in their emission batches. */
  private undelivered: Alert[][] = [];
  private readonly options: DetectionTaskOptions;
  private producer: Producer | undefined;
  private queue: Promise<unknown> = Promise.resolve();
  lastCheckpoint = Date.now();
  /** Input consumed since the last checkpoint. */
  changed = false;

  constructor(options: DetectionTaskOptions) {
    this.options = options;
    this.partition = options.partition;
    this.stage = options.stage;
  }

  /** Runs `work` after everything queued before it (batches, checkpoints and retries never interleave). */
  exclusive<T>(work: () => Promise<T>): Promise<T> {
    const run = this.queue.then(work, work);
    this.queue = run.catch(() => {});
    return run;
  }

  /**
   * Fences the partition's previous owner, then reads its state and its part of the role view
   * up to the markers. Returns the alerts that were committed but perhaps never delivered.
   */
  async restore(): Promise<{ undelivered: Alert[][]; records: number; ms: number }> {
    const started = performance.now();
    const { kafka, topics, partition, logger } = this.options;
    const producer = kafka.producer({ transactionalId: `${topics.prefix}-task-${partition}`, idempotent: true, maxInFlightRequests: 1, transactionTimeout: 60_000, allowAutoTopicCreation: false });
    // connect() initialises the transactional id: the old owner's open transaction is aborted.
    await producer.connect();
    this.producer = producer;
    const nonce = randomUUID();
    const transaction = await producer.transaction();
    try {
      await transaction.send({ topic: topics.changelog, acks: -1, messages: [{ partition, key: MARKER_KEY, value: nonce }] });
      await transaction.send({ topic: topics.peerGroups, acks: -1, messages: [{ partition, key: MARKER_KEY, value: nonce }] });
      await transaction.commit();
    } catch (error) {
      await transaction.abort().catch(() => {});
      throw error;
    }
    const markers = new Map([[partition, nonce]]);
    const state: ChangelogRecord[] = [];
    const peers: ChangelogRecord[] = [];
    const groupPrefix = topics.prefix;
    await Promise.all([
      readUntilMarkers(kafka, topics.changelog, markers, (e) => state.push({ key: e.key, value: e.value }), { groupPrefix, logger }),
      readUntilMarkers(kafka, topics.peerGroups, markers, (e) => peers.push({ key: e.key, value: e.value }), { groupPrefix, logger }),
    ]);
    const latest = latestPerKey(state);
    const restored = this.stage.state.restore(latest, Date.now());
    // The part is rebuilt from what was committed (a re-restore drops what was not).
    this.options.peerGroups.parts.delete(partition);
    const fresh = this.options.peerGroups.part(partition);
    for (const { key, value } of latestPerKey(peers)) if (key !== PROGRESS_KEY && value !== null) fresh.apply(key, value);
    this.stage.state.peers = fresh;
    this.nextOffset = restored.offset;
    this.committedOffset = restored.offset;
    this.undelivered = restored.undelivered;
    return { undelivered: restored.undelivered, records: latest.length, ms: performance.now() - started };
  }

  /**
   * Commits what changed since the last checkpoint (see the class comment), then hands the
   * committed alerts to the sinks. Throws if the transaction failed: the caller drops the task
   * and restores it, so the state is again exactly the committed one.
   */
  async checkpoint(sinks: AlertSink[], stats: CheckpointStats): Promise<void> {
    const producer = this.producer;
    if (producer === undefined) throw new Error(`task ${this.partition} checkpoint before restore`);
    const started = performance.now();
    const { topics, partition, groupId, alertsTopic } = this.options;
    const batches = this.options.pending.batches;
    this.options.pending.batches = [];
    const undelivered = this.undelivered.concat(batches);
    const alerts = batches.flat();
    const changes = this.stage.state.takeChanges(this.nextOffset, undelivered);
    const changelog: Message[] = changes.map(({ key, value }) => ({ partition, key, value: value === null ? null : JSON.stringify(value) }));
    const peers: Message[] = this.stage.state.peers.takeDirty().map(({ key, value }) => ({ partition, key, value: JSON.stringify(value) }));
    const closed = this.stage.watermark;
    peers.push({ partition, key: PROGRESS_KEY, value: JSON.stringify(Number.isFinite(closed) ? closed : null) });
    const transaction = await producer.transaction();
    try {
      await sendChunked(transaction, topics.changelog, changelog);
      await sendChunked(transaction, topics.peerGroups, peers);
      if (alertsTopic !== undefined) await sendChunked(transaction, alertsTopic, alerts.map((a) => ({ key: a.fingerprint, value: JSON.stringify(a), headers: { status: a.status, detector: a.detector } })));
      if (this.nextOffset !== null) {
        await transaction.sendOffsets({ consumerGroupId: groupId, topics: [{ topic: topics.repartition, partitions: [{ partition, offset: this.nextOffset }] }] });
      }
      await transaction.commit();
    } catch (error) {
      await transaction.abort().catch(() => {});
      throw error;
    }
    this.committedOffset = this.nextOffset;
    stats.checkpoints++;
    stats.records += changelog.length + peers.length;
    for (const m of changelog) stats.bytes += typeof m.value === 'string' ? Buffer.byteLength(m.value) : 0;
    for (const m of peers) stats.bytes += typeof m.value === 'string' ? Buffer.byteLength(m.value) : 0;
    stats.ms += performance.now() - started;
    this.lastCheckpoint = Date.now();
    this.changed = false;
    // Committed: now the sinks may have them. Until the next checkpoint records that they were
    // handed over, a crash re-sends them (the sinks see them at least once).
    this.undelivered = undelivered;
    if (undelivered.length > 0) {
      for (const batch of undelivered) for (const sink of sinks) await sink.write(batch);
      this.undelivered = [];
      // The next checkpoint records the hand-over (meta without them).
      this.changed = true;
    }
  }

  async close(): Promise<void> {
    await this.producer?.disconnect().catch(() => {});
    this.producer = undefined;
  }
}
