/**
 * The patched parts of kafkajs (patches/kafkajs+2.2.4.patch) still do what the originals did:
 * the bytes on the wire and the grouping of messages are the protocol, not a detail.
 */
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';

const require = createRequire(import.meta.url);
const Encoder = require('kafkajs/src/protocol/encoder.js');
const Decoder = require('kafkajs/src/protocol/decoder.js');
const group = require('kafkajs/src/producer/groupMessagesPerPartition.js');

describe('kafkajs patches', () => {
  it('are applied by the install', () => {
    expect(String(Encoder.prototype.writeUVarInt)).toContain('this.buf[this.offset++]');
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
});
