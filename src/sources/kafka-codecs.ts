import kafkajs from 'kafkajs';
import SnappyCodec from 'kafkajs-snappy';
import { decompress } from 'lz4js';

/**
 * kafkajs decodes only gzip by itself, but shippers (Vector, Fluent Bit, librdkafka clients)
 * commonly compress with LZ4 or Snappy; without these codecs a consumer crashes on the first
 * such batch. Both are pure JavaScript (no native build). Zstandard is not supported.
 */
let registered = false;
// kafkajs is CommonJS, and Node cannot see these two as named exports.
const { CompressionCodecs, CompressionTypes } = kafkajs;

export function registerCompressionCodecs(): void {
  if (registered) return;
  registered = true;
  // Kafka's LZ4 is the LZ4 frame format, which is what lz4js reads and writes.
  CompressionCodecs[CompressionTypes.LZ4] = () => ({
    // Reading is what flowhound needs; the broker rejected lz4js's frames when tried for
    // producing, so flowhound's own producers use gzip.
    compress: async () => {
      throw new Error('flowhound does not produce LZ4; use gzip');
    },
    decompress: async (buffer: Buffer) => Buffer.from(decompress(buffer)),
  });
  CompressionCodecs[CompressionTypes.Snappy] = SnappyCodec;
}
