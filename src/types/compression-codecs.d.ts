// The two pure-JS codec packages ship no type declarations; these are the parts flowhound uses.
declare module 'lz4js' {
  export function decompress(src: Uint8Array, maxSize?: number): Uint8Array;
}

declare module 'kafkajs-snappy' {
  const createCodec: () => { compress(encoder: { buffer: Buffer }): Promise<Buffer>; decompress(buffer: Buffer): Promise<Buffer> };
  export default createCodec;
}
