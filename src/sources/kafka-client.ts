import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { isIP } from 'node:net';
import { connect as tlsConnect, type ConnectionOptions } from 'node:tls';
import {
  Kafka, logLevel,
  type Admin, type AdminConfig, type AuthenticationProviderArgs, type Authenticator, type Consumer, type ConsumerConfig,
  type KafkaConfig, type logCreator, type Mechanism, type Producer, type ProducerConfig,
} from 'kafkajs';
import type { KafkaConnectionConfig } from '../config/pipeline-schema.ts';
import { FlowhoundError } from '../errors.ts';
import type { Logger } from '../telemetry/logger.ts';
import { registerCompressionCodecs } from './kafka-codecs.ts';

type SaslConfig = NonNullable<KafkaConnectionConfig['sasl']>;
type SaslMechanismName = SaslConfig['mechanism'];

/**
 * kafkajs's own SASL providers, the ones it picks for a plain `{ mechanism, username, password }`.
 * flowhound hands kafkajs a custom mechanism that runs them (see saslMechanism).
 */
type BuiltInProvider = (sasl: { username: string; password: string }) => (args: AuthenticationProviderArgs) => Authenticator;
const require = createRequire(import.meta.url);
const BUILT_IN_PROVIDERS: Record<SaslMechanismName, BuiltInProvider> = {
  plain: require('kafkajs/src/broker/saslAuthenticator/plain.js') as BuiltInProvider,
  'scram-sha-256': require('kafkajs/src/broker/saslAuthenticator/scram256.js') as BuiltInProvider,
  'scram-sha-512': require('kafkajs/src/broker/saslAuthenticator/scram512.js') as BuiltInProvider,
};

/** Where a SASL password comes from, and the password itself, read when a connection authenticates. */
export interface SaslCredentials {
  mechanism: SaslMechanismName;
  username: string;
  /** For messages: `$NAME`, `file PATH` or `kafka.sasl.password`. Never the password. */
  source: string;
  password(): string;
}

/**
 * A kafkajs client from the pipeline's `kafka:` section (brokers, client id, TLS, SASL).
 *
 * Security failures are final, not retried: kafkajs retries a failed TLS handshake like any
 * connection error (six attempts by default, two ERROR lines each, then a stack trace), and any caller's
 * own retry loop would then start over. So the clients this returns check TLS once before their
 * first connection (a certificate the CA does not vouch for ends there), and turn a rejected
 * SASL authentication into a FlowhoundError (FH_KAFKA, not retriable, which kafkajs's retriers
 * respect): each is one line naming the broker, the user or CA file, and the reason. Network
 * errors (a broker down or restarting) are retried by kafkajs as before. The password never
 * reaches a log line or an error message.
 */
export function createKafka(config: KafkaConnectionConfig, logger: Logger, env: NodeJS.ProcessEnv = process.env): Kafka {
  registerCompressionCodecs();
  const secrets = new Secrets();
  const tls = tlsSettings(config);
  const sasl = config.sasl === undefined ? undefined : saslCredentials(config.sasl, env, logger);
  if (sasl !== undefined) secrets.add(sasl.password());
  const kafkaConfig: KafkaConfig = {
    clientId: config.client_id,
    brokers: config.brokers,
    connectionTimeout: config.connection_timeout_ms,
    logLevel: logLevel.WARN,
    logCreator: kafkaLogCreator(logger, secrets),
  };
  if (tls !== undefined) kafkaConfig.ssl = tls.options;
  if (sasl !== undefined) kafkaConfig.sasl = saslMechanism(sasl, logger, secrets);
  return new GuardedKafka(kafkaConfig, new ConnectGuard(config.brokers, tls, sasl, config.connection_timeout_ms, logger));
}

interface TlsSettings {
  /** What kafkajs is given: `true` (the system's CAs) or tls options. */
  options: true | ConnectionOptions;
  /** For messages: whose signature a broker certificate needs. */
  trusted: string;
}

function tlsSettings(config: KafkaConnectionConfig): TlsSettings | undefined {
  if (config.ssl === false) return undefined;
  const systemCas = 'a CA this system trusts (kafka.ssl.ca_file names the cluster\'s own CA)';
  if (config.ssl === true) return { options: true, trusted: systemCas };
  const read = (file: string | undefined) => {
    if (file === undefined) return undefined;
    try {
      return readFileSync(file, 'utf8');
    } catch (error) {
      throw new FlowhoundError('FH_CONFIG_INVALID', `kafka.ssl: cannot read ${file}: ${(error as Error).message}`, { cause: error });
    }
  };
  return {
    options: {
      ca: read(config.ssl.ca_file),
      cert: read(config.ssl.cert_file),
      key: read(config.ssl.key_file),
      rejectUnauthorized: config.ssl.reject_unauthorized,
    },
    trusted: config.ssl.ca_file === undefined ? systemCas : `the CA in ${config.ssl.ca_file}`,
  };
}

/**
 * The SASL password from `password_env`, `password_file` or `password`. A missing variable or
 * an unreadable or empty file is a configuration error (exit 2), found when the client is made.
 * A file is read again on every authentication, so a rotated Kubernetes Secret is picked up by
 * new connections; if a later read fails, the last password read is used (and a warning logged).
 */
export function saslCredentials(sasl: SaslConfig, env: NodeJS.ProcessEnv, logger: Logger): SaslCredentials {
  const base = { mechanism: sasl.mechanism, username: sasl.username };
  if (sasl.password_env !== undefined) {
    const name = sasl.password_env;
    const value = env[name];
    if (value === undefined || value === '') throw new FlowhoundError('FH_CONFIG_INVALID', `kafka.sasl.password_env: environment variable ${name} is ${value === undefined ? 'not set' : 'empty'}`);
    return { ...base, source: `$${name}`, password: () => value };
  }
  if (sasl.password_file !== undefined) {
    const file = sasl.password_file;
    const readPassword = () => {
      let text: string;
      try {
        text = readFileSync(file, 'utf8');
      } catch (error) {
        throw new FlowhoundError('FH_CONFIG_INVALID', `kafka.sasl.password_file: cannot read ${file}: ${(error as Error).message}`, { cause: error });
      }
      // `echo secret > file` and most editors end the file with a newline; it is not part of the password.
      const password = text.replace(/(?:\r?\n)+$/, '');
      if (password === '') throw new FlowhoundError('FH_CONFIG_INVALID', `kafka.sasl.password_file: ${file} is empty`);
      return password;
    };
    let last = readPassword();
    return {
      ...base,
      source: `file ${file}`,
      password: () => {
        try {
          last = readPassword();
        } catch (error) {
          logger.warn(`${(error as Error).message}; authenticating with the password read before`);
        }
        return last;
      },
    };
  }
  const inline = sasl.password;
  if (inline === undefined) throw new FlowhoundError('FH_CONFIG_INVALID', 'kafka.sasl: expected exactly one of password_env, password_file, password');
  return { ...base, source: 'kafka.sasl.password', password: () => inline };
}

/**
 * A custom kafkajs mechanism that runs kafkajs's own provider for the mechanism with the
 * password read now, and tells a rejection apart from a network failure: the broker saying no
 * (SaslAuthenticate error, a bad server signature…) becomes a FlowhoundError, which is not
 * retriable; a connection lost mid-exchange stays the retriable kafkajs error it was.
 */
export function saslMechanism(credentials: SaslCredentials, logger: Logger, secrets = new Secrets()): Mechanism {
  const mechanism = credentials.mechanism.toUpperCase();
  const namespace = `SaslAuthenticator-${mechanism}`;
  return {
    mechanism: credentials.mechanism,
    authenticationProvider: (args) => ({
      authenticate: async () => {
        const password = credentials.password();
        secrets.add(password);
        let exchangeError: unknown;
        const provider = BUILT_IN_PROVIDERS[credentials.mechanism]({ username: credentials.username, password })({
          ...args,
          // The provider logs its failure at ERROR; flowhound reports it once, as the error it throws.
          logger: { ...args.logger, error: (message: string, extra?: object) => logger.debug(secrets.redact(`kafkajs ${namespace}: ${message}`), extra as Record<string, unknown>) },
          saslAuthenticate: async (request) => {
            try {
              return await args.saslAuthenticate(request);
            } catch (error) {
              exchangeError = error;
              throw error;
            }
          },
        });
        try {
          await provider.authenticate();
        } catch (error) {
          const broker = `${args.host}:${args.port}`;
          const failed = exchangeError ?? error;
          const kafkaError = failed as { name?: string; type?: string; message?: string };
          // Not an answer from the broker (connection closed, request timed out): kafkajs retries those.
          if (exchangeError !== undefined && kafkaError.name !== 'KafkaJSProtocolError') throw exchangeError;
          // kafkajs rebuilds the connection pool for this one and tries again.
          if (kafkaError.type === 'ILLEGAL_SASL_STATE') throw exchangeError;
          const reason = (kafkaError.message ?? String(failed)).replace(/^SASL [\w -]+ failed: /, '');
          throw new FlowhoundError('FH_KAFKA', secrets.redact(saslFailure(credentials, broker, reason)), { cause: failed });
        }
      },
    }),
  };
}

function saslFailure(credentials: Pick<SaslCredentials, 'username' | 'mechanism' | 'source'>, where: string, reason: string): string {
  return `kafka: SASL authentication failed for user ${JSON.stringify(credentials.username)} (${credentials.mechanism.toUpperCase()}, password from ${credentials.source}) at ${where}: ${reason}`;
}

/** A kafkajs client whose admin, producer and consumer connect through a ConnectGuard. */
class GuardedKafka extends Kafka {
  private readonly guard: ConnectGuard;

  constructor(config: KafkaConfig, guard: ConnectGuard) {
    super(config);
    this.guard = guard;
  }

  override admin(config?: AdminConfig): Admin {
    return this.guard.wrap(super.admin(config));
  }

  override producer(config?: ProducerConfig): Producer {
    return this.guard.wrap(super.producer(config));
  }

  override consumer(config: ConsumerConfig): Consumer {
    return this.guard.wrap(super.consumer(config));
  }
}

/** Node's codes for a broker certificate that no trusted CA signed. */
const UNTRUSTED_CERTIFICATE = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'UNABLE_TO_GET_ISSUER_CERT', 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'SELF_SIGNED_CERT_IN_CHAIN', 'DEPTH_ZERO_SELF_SIGNED_CERT',
]);
/** ...and for one that is signed but not good for this broker (expired, another name, …). */
const REJECTED_CERTIFICATE = new Set([
  'CERT_HAS_EXPIRED', 'CERT_NOT_YET_VALID', 'CERT_REVOKED', 'CERT_REJECTED', 'CERT_UNTRUSTED', 'CERT_SIGNATURE_FAILURE',
  'CERT_CHAIN_TOO_LONG', 'INVALID_CA', 'INVALID_PURPOSE', 'PATH_LENGTH_EXCEEDED', 'UNABLE_TO_DECRYPT_CERT_SIGNATURE',
  'UNABLE_TO_DECODE_ISSUER_PUBLIC_KEY', 'HOSTNAME_MISMATCH', 'ERR_TLS_CERT_ALTNAME_INVALID', 'ERR_TLS_CERT_ALTNAME_FORMAT',
]);

/** The FlowhoundError for a TLS failure that trying again cannot fix, or undefined for any other error. */
export function tlsFailure(broker: string, error: { code?: unknown; message?: unknown; reason?: unknown }, trusted: string): FlowhoundError | undefined {
  const code = typeof error.code === 'string' ? error.code : '';
  const reason = typeof error.reason === 'string' ? error.reason : tlsReason(String(error.message ?? ''));
  if (UNTRUSTED_CERTIFICATE.has(code)) return new FlowhoundError('FH_KAFKA', `kafka: TLS: certificate of ${broker} is not signed by ${trusted} (${reason})`);
  if (REJECTED_CERTIFICATE.has(code)) return new FlowhoundError('FH_KAFKA', `kafka: TLS: certificate of ${broker} rejected: ${reason}`);
  if (code.startsWith('ERR_SSL_')) {
    const hint = code === 'ERR_SSL_WRONG_VERSION_NUMBER' || code === 'ERR_SSL_PACKET_LENGTH_TOO_LONG' ? ` (is ${broker} a TLS listener?)` : '';
    return new FlowhoundError('FH_KAFKA', `kafka: TLS handshake with ${broker} failed: ${reason}${hint}`);
  }
  return undefined;
}

/** The readable part of a TLS error message (kafkajs's prefix, OpenSSL's codes and Node's advice dropped). */
function tlsReason(message: string): string {
  const text = message.replace(/^Connection error: /, '');
  // OpenSSL: `40DD…:error:0A00010B:SSL routines:tls_validate_record_header:wrong version number:../deps/…`
  const openssl = /^[0-9A-F]+:error:[0-9A-F]+:[^:]*:[^:]*:([^:]+)/.exec(text);
  if (openssl !== null) return openssl[1]!;
  // Node adds advice about --use-system-ca after a semicolon; the reason is what comes before.
  return text.split('; ')[0]!;
}

/**
 * What every client of one GuardedKafka does before and around its first connection: a TLS
 * handshake with the seed brokers (once it has succeeded, never again), and errors of the
 * security set-up turned into FlowhoundErrors.
 */
class ConnectGuard {
  private readonly brokers: string[];
  private readonly tls: TlsSettings | undefined;
  private readonly sasl: SaslCredentials | undefined;
  private readonly timeoutMs: number;
  private readonly logger: Logger;
  private tlsVerified = false;
  private checking: Promise<void> | undefined;

  constructor(brokers: string[], tls: TlsSettings | undefined, sasl: SaslCredentials | undefined, timeoutMs: number, logger: Logger) {
    this.brokers = brokers;
    this.tls = tls;
    this.sasl = sasl;
    this.timeoutMs = timeoutMs;
    this.logger = logger;
  }

  wrap<T extends { connect(): Promise<void> }>(client: T): T {
    const connect = client.connect;
    client.connect = async () => {
      await this.checkTls();
      try {
        await connect.call(client);
      } catch (error) {
        throw this.translate(error);
      }
    };
    return client;
  }

  /** Resolves once a seed broker completed a handshake, or none answered (kafkajs then retries as usual). */
  private async checkTls(): Promise<void> {
    if (this.tls === undefined || this.tlsVerified) return;
    this.checking ??= this.handshake().finally(() => (this.checking = undefined));
    await this.checking;
  }

  private async handshake(): Promise<void> {
    const tls = this.tls!;
    const options = tls.options === true ? {} : tls.options;
    for (const broker of this.brokers) {
      const at = broker.lastIndexOf(':');
      const host = broker.slice(0, at);
      const port = Number(broker.slice(at + 1));
      // The options kafkajs's default socket factory uses.
      const outcome = await tlsHandshake({ host, port, ...(isIP(host) === 0 ? { servername: host } : {}), ...options }, this.timeoutMs);
      this.logger.debug(`TLS check of ${broker}: ${typeof outcome === 'string' ? outcome : `${outcome.code}: ${outcome.message}`}`);
      if (outcome === 'ok') {
        this.tlsVerified = true;
        return;
      }
      if (outcome === 'unreachable') continue;
      const failure = tlsFailure(broker, outcome, tls.trusted);
      if (failure !== undefined) throw failure;
    }
  }

  /** A security error in `error`'s causes as one FlowhoundError; any other error as it is. */
  private translate(error: unknown): unknown {
    for (let e: unknown = error, depth = 0; e !== null && typeof e === 'object' && depth < 8; e = (e as { cause?: unknown }).cause, depth++) {
      if (e instanceof FlowhoundError) return e;
      const { name, type, code, broker, message } = e as { name?: string; type?: string; code?: unknown; broker?: string; message?: string };
      if (name === 'KafkaJSConnectionError' && this.tls !== undefined) {
        const failure = tlsFailure(broker ?? this.brokers.join(','), { code, message }, this.tls.trusted);
        if (failure !== undefined) return failure;
      }
      const saslRefused = name === 'KafkaJSSASLAuthenticationError' || type === 'UNSUPPORTED_SASL_MECHANISM' || type === 'SASL_AUTHENTICATION_FAILED';
      if (saslRefused && this.sasl !== undefined) return new FlowhoundError('FH_KAFKA', saslFailure(this.sasl, this.brokers.join(','), message ?? String(e)), { cause: error });
    }
    return error;
  }
}

/** One TLS handshake: 'ok', 'unreachable' (refused, reset, timed out) or the TLS error. */
function tlsHandshake(options: ConnectionOptions, timeoutMs: number): Promise<'ok' | 'unreachable' | NodeJS.ErrnoException> {
  return new Promise((resolve) => {
    const socket = tlsConnect(options);
    const done = (outcome: 'ok' | 'unreachable' | NodeJS.ErrnoException) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(outcome);
    };
    const timer = setTimeout(() => done('unreachable'), timeoutMs);
    socket.once('secureConnect', () => done('ok'));
    socket.on('error', (error: NodeJS.ErrnoException) => {
      const tlsError = typeof error.code === 'string' && (UNTRUSTED_CERTIFICATE.has(error.code) || REJECTED_CERTIFICATE.has(error.code) || error.code.startsWith('ERR_SSL_'));
      done(tlsError ? error : 'unreachable');
    });
  });
}

/** Passwords seen, for scrubbing log lines and messages (short strings are left alone: they would blank out words). */
export class Secrets {
  private readonly values = new Set<string>();

  add(secret: string): void {
    if (secret.length >= 4) this.values.add(secret);
  }

  /** A log line's context with any secret in it scrubbed (as text, if scrubbing broke its JSON). */
  redactContext(context: Record<string, unknown>): Record<string, unknown> {
    if (this.values.size === 0) return context;
    let json: string;
    try {
      json = JSON.stringify(context) ?? '';
    } catch {
      return context;
    }
    const clean = this.redact(json);
    if (clean === json) return context;
    try {
      return JSON.parse(clean) as Record<string, unknown>;
    } catch {
      return { context: clean };
    }
  }

  redact(text: string): string {
    let out = text;
    for (const secret of this.values) {
      out = out.replaceAll(secret, '***');
      // The same secret inside JSON (quotes and backslashes escaped).
      const escaped = JSON.stringify(secret).slice(1, -1);
      if (escaped !== secret) out = out.replaceAll(escaped, '***');
    }
    return out;
  }
}

/**
 * Routes kafkajs's own log lines into flowhound's logger. Lines that only repeat a security
 * failure flowhound reports itself as one error (the broker's SASL answer; kafkajs re-logging
 * the FlowhoundError it got, whose message starts with `kafka: `) go to debug.
 */
function kafkaLogCreator(logger: Logger, secrets: Secrets): logCreator {
  return () => ({ namespace, level, log }) => {
    const { message, ...extra } = log;
    const text = secrets.redact(`kafkajs${namespace ? ` ${namespace}` : ''}: ${message}`);
    const context = secrets.redactContext(extra);
    const repeated = message.startsWith('kafka: ') || (namespace === 'Connection' && /^Response Sasl(Authenticate|Handshake)\b/.test(message));
    if (repeated) logger.debug(text, context);
    else if (level <= logLevel.ERROR) logger.error(text, context);
    else if (level === logLevel.WARN) logger.warn(text, context);
    else logger.debug(text, context);
  };
}
