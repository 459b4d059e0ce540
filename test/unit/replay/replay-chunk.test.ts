import { describe, expect, it } from 'vitest';
import { packChunk } from '../../../src/replay/replay-chunk.ts';
import type { ReplayItem } from '../../../src/replay/replay-items.ts';

const lines = (chunk: ReturnType<typeof packChunk>) => {
  const out: string[] = [];
  let start = 0;
  for (const end of chunk.ends) {
    out.push(Buffer.from(chunk.bytes.subarray(start, end)).toString('utf8'));
    start = end;
  }
  return out;
};

describe('packChunk', () => {
  it('keeps every line, in order, whether text, adjacent views of one buffer or views out of order', () => {
    const column = new TextEncoder().encode('aaa' + 'bbbb' + 'cc' + 'dé');
    const view = (start: number, end: number) => column.subarray(start, end);
    const items: ReplayItem[] = [
      { value: view(0, 3), key: 'k1', format: 'calico-flow', time: 1 },
      { value: view(3, 7), key: 'k2', format: 'hubble', time: 2 },
      { value: 'text ünï', key: null, format: undefined, time: 2 },
      { value: view(7, 9), key: 'k1', format: 'calico-dns', time: 3 },
      { value: view(0, 3), key: 'k1', format: 'calico-flow', time: 4 }, // not adjacent: a new run
      { value: view(9, column.length), key: 'k3', format: 'calico-flow', time: 5 },
      { value: view(3, 7), key: 'k2', format: 'hubble', time: 6 },
      { value: new TextEncoder().encode('other buffer'), key: 'k2', format: 'hubble', time: 7 },
    ];
    const chunk = packChunk(items, 42);
    expect(lines(chunk)).toEqual(items.map((item) => (typeof item.value === 'string' ? item.value : Buffer.from(item.value).toString('utf8'))));
    expect(chunk.bytes.byteLength).toBe(chunk.ends.at(-1));
    expect([...chunk.times]).toEqual(items.map((item) => item.time));
    expect([...chunk.formats]).toEqual([0, 2, -1, 1, 0, 0, 2, 2]);
    expect(chunk.bytesRead).toBe(42);
  });

  it('sends each distinct key once, with an index per line (-1 when unkeyed)', () => {
    const items: ReplayItem[] = ['a', 'b', null, 'a', 'c', 'b'].map((key, i) => ({ value: `l${i}`, key, format: key === null ? undefined : 'hubble', time: i }));
    const chunk = packChunk(items, 0);
    expect(chunk.keys).toEqual(['a', 'b', 'c']);
    expect([...chunk.keyIndex].map((k) => (k < 0 ? null : chunk.keys[k]))).toEqual(['a', 'b', null, 'a', 'c', 'b']);
  });
});
