import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { filesByCluster, parseFileArgument } from '../../../src/cli/file-arguments.ts';

describe('FILE@CLUSTER arguments', () => {
  it('splits the cluster off the file', () => {
    expect(parseFileArgument('data/train-eu.calico-flows.jsonl.gz@train-eu')).toEqual({ path: 'data/train-eu.calico-flows.jsonl.gz', cluster: 'train-eu' });
    expect(parseFileArgument('flows.jsonl')).toEqual({ path: 'flows.jsonl' });
    expect(parseFileArgument('-')).toEqual({ path: '-' });
  });

  it('takes an existing file whose name has an @ as it is', () => {
    const dir = mkdtempSync(join(tmpdir(), 'fh-args-'));
    const path = join(dir, 'flows@v2');
    writeFileSync(path, '');
    expect(parseFileArgument(path)).toEqual({ path });
  });

  it('rejects a suffix that is not a cluster name', () => {
    expect(() => parseFileArgument('flows.jsonl@Prod EU')).toThrow(/cluster name/);
    expect(() => parseFileArgument('flows.jsonl@')).toThrow(/cluster name/);
  });

  it('groups files by cluster in first-seen order', () => {
    const groups = filesByCluster(['a@x', 'b', 'c@y', 'd@x']);
    expect([...groups]).toEqual([['x', ['a', 'd']], [undefined, ['b']], ['y', ['c']]]);
  });
});
