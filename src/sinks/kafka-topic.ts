import type { Kafka } from 'kafkajs';
import type { Logger } from '../telemetry/logger.ts';

/** Creates `topic` when it is missing. Lacking the right to is not fatal: an operator may have created it. */
export async function ensureTopic(kafka: Kafka, topic: string, partitions: number, replicationFactor: number, logger: Logger): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const topics = await admin.listTopics();
    if (!topics.includes(topic)) {
      await admin.createTopics({ waitForLeaders: true, topics: [{ topic, numPartitions: partitions, replicationFactor }] });
      logger.info(`created topic ${topic}`);
    }
  } catch (error) {
    logger.warn(`could not check or create topic ${topic}: ${(error as Error).message}`);
  } finally {
    await admin.disconnect();
  }
}
