import { readFileSync } from 'node:fs';
import { Kafka, logLevel, type KafkaConfig, type logCreator, type SASLOptions } from 'kafkajs';
import type { KafkaConnectionConfig } from '../config/pipeline-schema.ts';
import { FlowhoundError } from '../errors.ts';
import type { Logger } from '../telemetry/logger.ts';
import { registerCompressionCodecs } from './kafka-codecs.ts';

/** A kafkajs client from the pipeline's `kafka:` section (brokers, client id, TLS, SASL). */
export function createKafka(config: KafkaConnectionConfig, logger: Logger): Kafka {
  registerCompressionCodecs();
  const kafkaConfig: KafkaConfig = {
    clientId: config.client_id,
    brokers: config.brokers,
    connectionTimeout: config.connection_timeout_ms,
    logLevel: logLevel.WARN,
    logCreator: kafkaLogCreator(logger),
  };
  if (config.ssl !== false) {
    if (config.ssl === true) kafkaConfig.ssl = true;
    else {
      const read = (file: string | undefined) => {
        if (file === undefined) return undefined;
        try {
          return readFileSync(file, 'utf8');
        } catch (error) {
          throw new FlowhoundError('FH_CONFIG_INVALID', `kafka.ssl: cannot read ${file}: ${(error as Error).message}`, { cause: error });
        }
      };
      kafkaConfig.ssl = {
        ca: read(config.ssl.ca_file),
        cert: read(config.ssl.cert_file),
        key: read(config.ssl.key_file),
        rejectUnauthorized: config.ssl.reject_unauthorized,
      };
    }
  }
  if (config.sasl !== undefined) {
    kafkaConfig.sasl = { mechanism: config.sasl.mechanism, username: config.sasl.username, password: config.sasl.password } as SASLOptions;
  }
  return new Kafka(kafkaConfig);
}

/** Routes kafkajs's own log lines into flowhound's logger. */
function kafkaLogCreator(logger: Logger): logCreator {
  return () => ({ level, log }) => {
    const { message, ...extra } = log;
    const text = `kafkajs ${log.namespace ?? ''}: ${message}`;
    if (level <= logLevel.ERROR) logger.error(text, extra);
    else if (level === logLevel.WARN) logger.warn(text, extra);
    else logger.debug(text, extra);
  };
}
