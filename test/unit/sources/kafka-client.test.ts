/**
 * The kafka: section's security settings: where the SASL password comes from (environment
 * variable, file, inline), how a refused authentication and a TLS failure become one
 * non-retriable error line, and that no password reaches a log line. The real broker side is
 * test/integration/sasl-ssl.test.ts.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parsePipeline } from '../../../src/config/load-pipeline.ts';
import type { KafkaConnectionConfig } from '../../../src/config/pipeline-schema.ts';
import { FlowhoundError } from '../../../src/errors.ts';
import { createKafka, saslCredentials, saslMechanism, tlsFailure } from '../../../src/sources/kafka-client.ts';
import { createLogger, silentLogger } from '../../../src/telemetry/logger.ts';

const dir = mkdtempSync(join(tmpdir(), 'flowhound-kafka-client-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function kafkaSection(yaml: string, env: NodeJS.ProcessEnv = {}): KafkaConnectionConfig {
  return parsePipeline(`name: p\nkafka:\n${yaml}\nsources:\n  s: { type: kafka, topics: [t] }\n`, 'p.yaml', env).kafka!;
}

function errorOf(fn: () => unknown): FlowhoundError {
  try {
    fn();
  } catch (error) {
    if (error instanceof FlowhoundError) return error;
    throw error;
  }
  throw new Error('expected an error');
}

async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection');
}

/** A logger that keeps its lines. */
function capture(level: 'debug' | 'info' = 'debug') {
  const lines: string[] = [];
  return { lines, logger: createLogger(level, (line) => lines.push(line)) };
}

describe('kafka.sasl in the pipeline schema', () => {
  it('takes the password from exactly one of password_env, password_file, password', () => {
    expect(kafkaSection('  brokers: [k:9093]\n  sasl: { mechanism: scram-sha-512, username: u, password_env: FLOWHOUND_KAFKA_PASSWORD }').sasl)
      .toEqual({ mechanism: 'scram-sha-512', username: 'u', password_env: 'FLOWHOUND_KAFKA_PASSWORD' });
    expect(kafkaSection('  brokers: [k:9093]\n  sasl: { mechanism: plain, username: u, password_file: /run/secrets/kafka }').sasl?.password_file).toBe('/run/secrets/kafka');
    expect(kafkaSection('  brokers: [k:9093]\n  sasl: { mechanism: plain, username: u, password: "${PW}" }', { PW: 'pw-1' }).sasl?.password).toBe('pw-1');
    for (const sasl of ['{ mechanism: plain, username: u }', '{ mechanism: plain, username: u, password: x, password_env: X }', '{ mechanism: plain, username: u, password_env: X, password_file: /f }']) {
      expect(errorOf(() => kafkaSection(`  brokers: [k:9093]\n  sasl: ${sasl}`)).message).toBe('p.yaml: kafka.sasl: expected exactly one of password_env, password_file, password');
    }
    expect(errorOf(() => kafkaSection('  brokers: [k:9093]\n  sasl: { mechanism: plain, username: u, password_env: "$PW" }')).message).toBe('p.yaml: kafka.sasl.password_env: expected the name of an environment variable');
  });

  it('takes the CA from ssl.ca_file', () => {
    expect(kafkaSection('  brokers: [k:9093]\n  ssl: { ca_file: /etc/flowhound/kafka-ca.pem }').ssl).toEqual({ ca_file: '/etc/flowhound/kafka-ca.pem', reject_unauthorized: true });
  });
});

describe('SASL credentials', () => {
  it('reads password_env when the client is made; a missing or empty variable is a configuration error naming it', () => {
    const credentials = saslCredentials({ mechanism: 'scram-sha-512', username: 'u', password_env: 'KAFKA_PW' }, { KAFKA_PW: 's3cret-env' }, silentLogger);
    expect(credentials.password()).toBe('s3cret-env');
    expect(credentials.source).toBe('$KAFKA_PW');
    for (const env of [{}, { KAFKA_PW: '' }]) {
      const error = errorOf(() => createKafka(kafkaSection('  brokers: [k:9093]\n  sasl: { mechanism: plain, username: u, password_env: KAFKA_PW }'), silentLogger, env));
      expect(error.code).toBe('FH_CONFIG_INVALID');
      expect(error.message).toBe(`kafka.sasl.password_env: environment variable KAFKA_PW is ${'KAFKA_PW' in env ? 'empty' : 'not set'}`);
    }
  });

  it('reads password_file without its trailing newline, again on every authentication (a rotated Secret), and keeps the last password when the file goes missing', () => {
    const file = join(dir, 'password');
    writeFileSync(file, 'first-password\n');
    const { lines, logger } = capture();
    const credentials = saslCredentials({ mechanism: 'plain', username: 'u', password_file: file }, {}, logger);
    expect(credentials.password()).toBe('first-password');
    expect(credentials.source).toBe(`file ${file}`);
    writeFileSync(file, 'second-password\r\n');
    expect(credentials.password()).toBe('second-password');
    rmSync(file);
    expect(credentials.password()).toBe('second-password');
    expect(lines.join('')).toMatch(/WARN kafka\.sasl\.password_file: cannot read .*password: ENOENT.*; authenticating with the password read before/);
    expect(lines.join('')).not.toContain('second-password');
  });

  it('an unreadable or empty password_file is a configuration error when the client is made', () => {
    const missing = errorOf(() => createKafka(kafkaSection(`  brokers: [k:9093]\n  sasl: { mechanism: plain, username: u, password_file: ${join(dir, 'nope')} }`), silentLogger, {}));
    expect(missing.code).toBe('FH_CONFIG_INVALID');
    expect(missing.message).toMatch(/^kafka\.sasl\.password_file: cannot read .*nope: ENOENT/);
    const empty = join(dir, 'empty');
    writeFileSync(empty, '\n');
    expect(errorOf(() => createKafka(kafkaSection(`  brokers: [k:9093]\n  sasl: { mechanism: plain, username: u, password_file: ${empty} }`), silentLogger, {})).message).toBe(`kafka.sasl.password_file: ${empty} is empty`);
  });
});

describe('the SASL mechanism handed to kafkajs', () => {
  const args = (saslAuthenticate: (request: { request: { encode(): Buffer | Promise<Buffer> } }) => Promise<unknown>) => ({
    host: 'kafka-0.kafka', port: 9093, logger: { info() {}, warn() {}, error() {}, debug() {}, namespace() { return this; }, setLogLevel() {} }, saslAuthenticate,
  }) as unknown as Parameters<ReturnType<typeof saslMechanism>['authenticationProvider']>[0];

  it('authenticates with kafkajs\'s own provider and the password read at that moment', async () => {
    const file = join(dir, 'rotating');
    writeFileSync(file, 'old-password');
    const mechanism = saslMechanism(saslCredentials({ mechanism: 'plain', username: 'flowhound', password_file: file }, {}, silentLogger), silentLogger);
    expect(mechanism.mechanism).toBe('plain');
    const sent: string[] = [];
    const authenticate = () => mechanism.authenticationProvider(args(async ({ request }) => {
      sent.push(Buffer.from(await request.encode()).toString('latin1'));
    })).authenticate();
    await authenticate();
    writeFileSync(file, 'new-password');
    await authenticate();
    // SASL/PLAIN: authzid NUL user NUL password.
    expect(sent.map((bytes) => bytes.split('\0').slice(-2))).toEqual([['flowhound', 'old-password'], ['flowhound', 'new-password']]);
  });

  it('a refusal by the broker is one non-retriable FlowhoundError naming user, mechanism, password source and broker, without the password', async () => {
    const { lines, logger } = capture('info');
    const mechanism = saslMechanism(saslCredentials({ mechanism: 'scram-sha-512', username: 'flowhound', password_env: 'PW' }, { PW: 'wrong-secret' }, logger), logger);
    const refusal = Object.assign(new Error('Authentication failed during authentication due to invalid credentials with SASL mechanism SCRAM-SHA-512'), { name: 'KafkaJSProtocolError', type: 'SASL_AUTHENTICATION_FAILED', retriable: false });
    const error = await rejectionOf(mechanism.authenticationProvider(args(async () => { throw refusal; })).authenticate());
    expect(error).toBeInstanceOf(FlowhoundError);
    expect(error).toMatchObject({ code: 'FH_KAFKA', retriable: false });
    expect((error as Error).message).toBe('kafka: SASL authentication failed for user "flowhound" (SCRAM-SHA-512, password from $PW) at kafka-0.kafka:9093: Authentication failed during authentication due to invalid credentials with SASL mechanism SCRAM-SHA-512');
    // kafkajs's own ERROR line for it is kept for --log-level debug; at info the error is said once, by the CLI.
    expect(lines).toEqual([]);
  });

  it('a connection lost during the exchange stays the retriable kafkajs error it was', async () => {
    const mechanism = saslMechanism(saslCredentials({ mechanism: 'scram-sha-256', username: 'u', password: 'pw-inline' }, {}, silentLogger), silentLogger);
    const lost = Object.assign(new Error('Connection closed by the server'), { name: 'KafkaJSConnectionError', retriable: true });
    expect(await rejectionOf(mechanism.authenticationProvider(args(async () => { throw lost; })).authenticate())).toBe(lost);
  });
});

describe('TLS failures', () => {
  it('a certificate no trusted CA signed names the broker and the CA file; other rejections and handshake failures say what they are; network errors are not TLS failures', () => {
    expect(tlsFailure('127.0.0.1:9093', { code: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE', message: 'unable to verify the first certificate; if the root CA is installed locally, try running Node.js with --use-system-ca' }, 'the CA in /etc/ca.pem')?.message)
      .toBe('kafka: TLS: certificate of 127.0.0.1:9093 is not signed by the CA in /etc/ca.pem (unable to verify the first certificate)');
    expect(tlsFailure('k:9093', { code: 'SELF_SIGNED_CERT_IN_CHAIN', message: 'Connection error: self-signed certificate in certificate chain' }, 'the CA in /ca.pem')?.message)
      .toBe('kafka: TLS: certificate of k:9093 is not signed by the CA in /ca.pem (self-signed certificate in certificate chain)');
    expect(tlsFailure('k:9093', { code: 'CERT_HAS_EXPIRED', message: 'certificate has expired' }, 'x')?.message).toBe('kafka: TLS: certificate of k:9093 rejected: certificate has expired');
    expect(tlsFailure('k:9093', { code: 'ERR_SSL_WRONG_VERSION_NUMBER', message: 'Connection error: 40DD06DAEA7F0000:error:0A00010B:SSL routines:tls_validate_record_header:wrong version number:../deps/openssl/openssl/ssl/record/methods/tlsany_meth.c:77:\n' }, 'x')?.message)
      .toBe('kafka: TLS handshake with k:9093 failed: wrong version number (is k:9093 a TLS listener?)');
    const failure = tlsFailure('k:9093', { code: 'DEPTH_ZERO_SELF_SIGNED_CERT', message: 'self-signed certificate' }, 'x');
    expect(failure).toMatchObject({ code: 'FH_KAFKA', retriable: false });
    for (const code of ['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', undefined]) expect(tlsFailure('k:9093', { code, message: 'x' }, 'x')).toBeUndefined();
  });

  it('a client checks TLS before kafkajs connects: a listener that does not speak TLS fails at once, with no kafkajs connection attempt', async () => {
    // Answers the ClientHello with something that is not TLS, as an HTTP port would.
    const server: Server = createServer((socket) => socket.once('data', () => socket.end('HTTP/1.1 400 Bad Request\r\n\r\n')));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as { port: number }).port;
    try {
      const { lines, logger } = capture();
      const kafka = createKafka(kafkaSection(`  brokers: [127.0.0.1:${port}]\n  ssl: true\n  connection_timeout_ms: 2000`), logger);
      const error = await rejectionOf(kafka.admin().connect());
      expect(error).toBeInstanceOf(FlowhoundError);
      expect((error as Error).message).toBe(`kafka: TLS handshake with 127.0.0.1:${port} failed: wrong version number (is 127.0.0.1:${port} a TLS listener?)`);
      expect(lines.filter((l) => l.includes('TLS check of'))).toHaveLength(1);
      expect(lines.filter((l) => l.includes('kafkajs'))).toEqual([]);
    } finally {
      server.close();
    }
  });
});

describe('kafkajs log lines', () => {
  it('carry their namespace, never the password, and lines that repeat a reported security failure go to debug', () => {
    const { lines, logger } = capture('info');
    const kafka = createKafka(kafkaSection('  brokers: [k:9093]\n  sasl: { mechanism: scram-sha-512, username: u, password_env: PW }'), logger, { PW: 'hunter2-secret' });
    const root = kafka.logger();
    root.namespace('Connection').error('Response Metadata(key: 3, version: 6)', { error: 'echo hunter2-secret', broker: 'k:9093' });
    root.namespace('Connection').error('Response SaslAuthenticate(key: 36, version: 1)', { error: 'Authentication failed' });
    root.namespace('BrokerPool').error('kafka: SASL authentication failed for user "u" (SCRAM-SHA-512, password from $PW) at k:9093: …');
    root.namespace('Consumer').warn('hunter2-secret in a message');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/ ERROR kafkajs Connection: Response Metadata\(key: 3, version: 6\) \{.*"error":"echo \*\*\*"/);
    expect(lines[1]).toMatch(/ WARN kafkajs Consumer: \*\*\* in a message/);
    expect(lines.join('')).not.toContain('hunter2-secret');
  });
});
