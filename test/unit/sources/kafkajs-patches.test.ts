/**
 * The patched parts of kafkajs (patches/kafkajs+2.2.4.patch) still do what the originals did:
 * the bytes on the wire and the grouping of messages are the protocol, not a detail.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';

const require = createRequire(import.meta.url);
const Encoder = require('kafkajs/src/protocol/encoder.js');
const Decoder = require('kafkajs/src/protocol/decoder.js');
const group = require('kafkajs/src/producer/groupMessagesPerPartition.js');
const produceRequest = require('kafkajs/src/protocol/requests/produce/v3/request.js');
const Record = require('kafkajs/src/protocol/recordBatch/record/v0/index.js');
const { RecordBatch } = require('kafkajs/src/protocol/recordBatch/v0/index.js');
const RecordBatchDecoder = require('kafkajs/src/protocol/recordBatch/v0/decoder.js');
const { Types: Compression } = require('kafkajs/src/protocol/message/compression/index.js');

type Message = { key?: string | Buffer | null; value: string | Buffer | null; timestamp: number; headers?: Record<string, string> };

/** The record batch (first offset, length, batch) of a one-partition produce request, as the (patched) request encodes it. */
async function batchOfRequest(messages: Message[], compression: number): Promise<Buffer> {
  const request = produceRequest({ acks: -1, timeout: 1000, compression, topicData: [{ topic: 't', partitions: [{ partition: 0, messages }] }] });
  const decoder = new Decoder((await request.encode()).buffer);
  decoder.readString(); // transactional id
  decoder.readInt16(); // acks
  decoder.readInt32(); // timeout
  decoder.readInt32(); // topics
  decoder.readString(); // topic
  decoder.readInt32(); // partitions
  decoder.readInt32(); // partition
  return decoder.readBytes();
}

/** The same batch built the original way: one Record Encoder per message. */
async function batchOfRecords(messages: Message[], compression: number): Promise<Buffer> {
  const times = messages.map((m) => m.timestamp).sort();
  const records = messages.map((m, i) => Record({ ...m, offsetDelta: i, timestampDelta: m.timestamp - times[0]! }));
  const batch = await RecordBatch({ compression, records, firstTimestamp: times[0], maxTimestamp: times.at(-1), lastOffsetDelta: records.length - 1 });
  return batch.buffer;
}

describe('kafkajs patches', () => {
  it('are applied by the install', () => {
    expect(String(Encoder.prototype.writeUVarInt)).toContain('this.buf[this.offset++]');
    expect(readFileSync(require.resolve('kafkajs/src/protocol/requests/produce/v3/request.js'), 'utf8')).toContain('encodeRecordsWithoutHeaders');
  });

  it('encode varints and varlongs that decode to the same numbers, with the sizes the encoder reports', () => {
    const values = [0, 1, -1, 63, 64, -64, -65, 127, 128, 300, -300, 2 ** 20, -(2 ** 20), 2 ** 30 - 1, -(2 ** 30), 2 ** 30, 2 ** 31, -(2 ** 31) - 5, 1e12, -1e12, Date.now()];
    for (let v = -70_000; v < 70_000; v += 13) values.push(v);
    for (const v of values) {
      const long = new Encoder().writeVarLong(v).buffer;
      expect(new Decoder(long).readVarLong().toString()).toBe(String(v));
      expect(Encoder.sizeOfVarLong(v)).toBe(long.length);
      const int = v | 0;
      const encoded = new Encoder().writeVarInt(int).buffer;
      expect(new Decoder(encoded).readVarInt()).toBe(int);
      expect(Encoder.sizeOfVarInt(int)).toBe(encoded.length);
    }
  });

  it('expose only written bytes from unzeroed buffers', () => {
    const encoder = new Encoder(4).writeInt32(7).writeString('flowhound').writeVarIntBytes(Buffer.from('x'.repeat(3000)));
    const decoder = new Decoder(encoder.buffer);
    expect([decoder.readInt32(), decoder.readString(), decoder.readVarIntBytes().length, decoder.canReadBytes(1)]).toEqual([7, 'flowhound', 3000, false]);
  });

  it('group messages per partition in their order', () => {
    const messages = Array.from({ length: 1000 }, (_, i) => ({ value: `m${i}`, partition: i % 3 }));
    const grouped = group({ topic: 't', partitionMetadata: [{}, {}, {}], messages, partitioner: ({ message }: { message: { partition: number } }) => message.partition });
    expect(Object.keys(grouped).sort()).toEqual(['0', '1', '2']);
    for (const p of [0, 1, 2]) expect(grouped[p]).toEqual(messages.filter((m) => m.partition === p));
  });

  it('write records without headers into one buffer with the bytes the per-record encoders wrote', async () => {
    const t0 = 1_793_491_200_000;
    const messages: Message[] = [
      { key: 'prod-eu/ml/trainer', value: '{"a":1}', timestamp: t0 + 5 },
      { key: null, value: Buffer.from('not json'), timestamp: t0 },
      { key: Buffer.from('prod-eu/ml/ünïcode'), value: 'ε'.repeat(200), timestamp: t0 + 2 ** 32 },
      { value: 'x'.repeat(70_000), timestamp: t0 + 1, headers: {} },
      ...Array.from({ length: 300 }, (_, i) => ({ key: `k${i % 7}`, value: `line ${i}`, timestamp: t0 + i * 1000 })),
    ];
    // Each request after the first reuses the records buffer of an earlier one (stale bytes and all); the last is smaller.
    const requests: [Message[], number][] = [[messages, Compression.None], [messages, Compression.GZIP], [messages.slice(4, 40), Compression.None]];
    for (const [batch, compression] of requests) {
      const patched = await batchOfRequest(batch, compression);
      expect(patched.equals(await batchOfRecords(batch, compression))).toBe(true);
      const decoded = await RecordBatchDecoder(new Decoder(patched));
      expect(decoded.records.map((r: { key: Buffer | null; value: Buffer }) => [r.key?.toString() ?? null, r.value.toString()])).toEqual(
        batch.map((m) => [m.key == null ? null : m.key.toString(), m.value!.toString()]),
      );
    }
  });

  it('still encode messages with headers one record at a time', async () => {
    const messages: Message[] = [
      { key: 'a', value: 'v1', timestamp: 10, headers: { source: 'calico' } },
      { key: 'b', value: 'v2', timestamp: 11 },
    ];
    const patched = await batchOfRequest(messages, Compression.None);
    expect(patched.equals(await batchOfRecords(messages, Compression.None))).toBe(true);
    const decoded = await RecordBatchDecoder(new Decoder(patched));
    expect(decoded.records[0].headers.source.toString()).toBe('calico');
  });
});
