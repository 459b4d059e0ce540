import { describe, expect, it } from 'vitest';
import { isAttackLabel, type FlowRecord } from '../../../src/model/flow-record.ts';
import { keyOf } from '../../../src/model/workload.ts';
import { csvLayout, epochMs, isoMs, looksLikeCsvHeader, splitCsvLine, cellText, type CsvColumnMapping, type CsvLayout } from '../../../src/parsers/csv-flow.ts';
import { fileHead, HeaderError } from '../../../src/parsers/formats.ts';
import type { ParseContext } from '../../../src/parsers/parse-context.ts';
import { decodeMessage, routeMessage, type DecodeResult } from '../../../src/parsers/record-decoder.ts';

const NOW = Date.parse('2026-11-23T00:00:00Z');

function layoutOf(header: string, columns?: CsvColumnMapping): CsvLayout {
  const head = fileHead(header, 1, 'csv', { csv: { columns } });
  expect(head.isHeader).toBe(true);
  return head.csv!;
}

/** Decodes data rows under a header (line 1), each at its line (row i is line i + 1). */
function decode(header: string, rows: string[], columns?: CsvColumnMapping): DecodeResult[] {
  const ctx: ParseContext = { cluster: 'c1', now: NOW, maxFutureSkewMs: 3600_000, csv: layoutOf(header, columns), line: undefined };
  return rows.map((row, i) => {
    ctx.line = i + 2;
    return decodeMessage(row, 'csv', ctx, 1 << 20);
  });
}

function record(header: string, row: string, columns?: CsvColumnMapping): FlowRecord {
  const [result] = decode(header, [row], columns);
  if (result!.status !== 'ok') throw new Error(`not ok: ${JSON.stringify(result)}`);
  return result!.record as FlowRecord;
}

const HEADER = 'time,src_ip,dst_ip,src_port,dst_port,protocol,bytes_out,bytes_in,packets_out,packets_in,connections,action,label';

describe('CSV flows: header', () => {
  it('recognises a CSV flow header by its endpoint columns, after the mapping, and never a JSON line', () => {
    expect(looksLikeCsvHeader(HEADER, undefined)).toBe(true);
    expect(looksLikeCsvHeader('\uFEFFTime , SRC_IP, dst_ip', undefined)).toBe(true); // BOM, case and spaces
    expect(looksLikeCsvHeader('time,src_workload,dst_ip', undefined)).toBe(true);
    expect(looksLikeCsvHeader('ts,sa,da,sp,dp', undefined)).toBe(false);
    expect(looksLikeCsvHeader('ts,sa,da,sp,dp', { src_ip: 'sa', dst_ip: 'da' })).toBe(true);
    expect(looksLikeCsvHeader('{"src_ip":"1.2.3.4","dst_ip":"x"}', undefined)).toBe(false);
    expect(looksLikeCsvHeader('a,b,c', undefined)).toBe(false);
  });

  it('decides per file under auto: a CSV header is taken off, JSON lines stay JSON', () => {
    expect(fileHead(HEADER, 3, 'auto', {})).toMatchObject({ format: 'csv', isHeader: true, csv: { headerLine: 3, fields: 13 } });
    expect(fileHead('{"flow":{}}', 1, 'auto', {})).toEqual({ format: 'auto', csv: undefined, isHeader: false });
    expect(fileHead('not,a,flow,header', 1, 'auto', {})).toEqual({ format: 'auto', csv: undefined, isHeader: false });
    expect(fileHead(HEADER, 1, 'hubble', {})).toEqual({ format: 'hubble', csv: undefined, isHeader: false });
    // A configured header (Kafka, headerless files): every line is a row.
    expect(fileHead('1,10.0.0.1,10.0.0.2', 1, 'csv', { csv: { header: ['time', 'src_ip', 'dst_ip'] } })).toMatchObject({ format: 'csv', isHeader: false, csv: { headerLine: 0, fields: 3 } });
  });

  it('says what a header lacks, naming the mapping', () => {
    expect(() => fileHead('src_ip,dst_ip,bytes', 1, 'csv', {})).toThrow(HeaderError);
    expect(() => fileHead('src_ip,dst_ip,bytes', 1, 'auto', {})).toThrow(/has no time column \(time, start_time or end_time\)/);
    expect(() => fileHead('ts,sa,da', 1, 'csv', { csv: { columns: { src_ip: 'sa', dst_ip: 'dst' } } })).toThrow(/no column "dst" \(mapped to dst_ip\)/);
    expect(csvLayout(['time', 'src_ip'], undefined, 1)).toEqual({ problem: expect.stringContaining('no destination column (dst_ip or dst_workload)') });
  });

  it('maps another tool’s columns (nfdump -o csv) and ignores the rest', () => {
    const nfdump = 'ts,te,td,sa,da,sp,dp,pr,flg,fwd,stos,ipkt,ibyt,opkt,obyt';
    const columns: CsvColumnMapping = { start_time: 'ts', end_time: 'te', src_ip: 'sa', dst_ip: 'da', src_port: 'sp', dst_port: 'dp', protocol: 'pr', packets_out: 'ipkt', bytes_out: 'ibyt', packets_in: 'opkt', bytes_in: 'obyt' };
    const r = record(nfdump, '2024-03-01 10:00:00.250,2024-03-01 10:00:05.000,4.750,10.1.2.3,93.184.216.34,51000,443,TCP,.AP.SF,0,0,12,9000,10,50000', columns);
    expect(r).toMatchObject({
      format: 'csv', windowStart: Date.parse('2024-03-01T10:00:00.250Z'), windowEnd: Date.parse('2024-03-01T10:00:05Z'),
      srcPort: 51000, dstPort: 443, protocol: 'tcp', packetsToDst: 12, bytesToDst: 9000, packetsToSrc: 10, bytesToSrc: 50000,
    });
  });
});

describe('CSV flows: rows', () => {
  it('makes a FlowRecord: address-only endpoints public/private named by their IP, defaults filled', () => {
    const r = record('time,src_ip,dst_ip', '1700000000,10.0.3.7,34.117.59.81');
    expect(r).toEqual({
      kind: 'flow', format: 'csv', windowStart: 1_700_000_000_000, windowEnd: 1_700_000_000_000,
      src: { cluster: '', namespace: '', workload: '10.0.3.7', labels: {}, kind: 'private', ip: '10.0.3.7' },
      dst: { cluster: '', namespace: '', workload: '34.117.59.81', labels: {}, kind: 'public', ip: '34.117.59.81' },
      dstFqdns: [], protocol: 'other', action: 'allow', reporter: 'unknown',
      bytesToDst: 0, bytesToSrc: 0, packetsToDst: 0, packetsToSrc: 0, connections: 1, connectionsStarted: 0, connectionsCompleted: 0,
      row: 1,
    });
    expect(keyOf(r)).toBe('//10.0.3.7');
    expect(record('time,src_ip,dst_ip', '1700000000,fd00::1,2001:db8::2')).toMatchObject({ src: { kind: 'private', workload: 'fd00::1' }, dst: { kind: 'public' } });
  });

  it('makes pods of endpoints with a namespace and workload, in the row’s cluster or the source’s', () => {
    const header = 'time,cluster,src_namespace,src_workload,src_ip,dst_namespace,dst_workload,dst_ip,dst_port';
    const r = record(header, '1700000000,prod-eu,ml,trainer,10.0.0.5,data,postgres,,5432');
    expect(r.src).toEqual({ cluster: 'prod-eu', namespace: 'ml', workload: 'trainer', labels: {}, kind: 'pod', ip: '10.0.0.5' });
    expect(r.dst).toMatchObject({ cluster: 'prod-eu', namespace: 'data', workload: 'postgres', kind: 'pod' });
    expect(r.dst.ip).toBeUndefined();
    expect(record(header, '1700000000,,ml,trainer,,,,1.1.1.1,53').src.cluster).toBe('c1');
    expect(keyOf(r)).toBe('prod-eu/ml/trainer');
  });

  it('reads protocols by name or IANA number, actions by their usual spellings, and counts', () => {
    const header = 'time,src_ip,dst_ip,protocol,action,bytes_out,packets_in,connections';
    const rows = ['tcp,allow', 'UDP,ACCEPT', '6,deny', '17,drop', '1,REJECT', 'icmp,', 'sctp,pass', '132,blocked', 'gre,-'];
    const records = decode(header, rows.map((r) => `1700000000,10.0.0.1,10.0.0.2,${r},5,7,3`)).map((d) => (d as { record: FlowRecord }).record);
    expect(records.map((r) => r.protocol)).toEqual(['tcp', 'udp', 'tcp', 'udp', 'icmp', 'icmp', 'sctp', 'sctp', 'other']);
    expect(records.map((r) => r.action)).toEqual(['allow', 'allow', 'deny', 'deny', 'deny', 'allow', 'allow', 'deny', 'allow']);
    expect(records[0]).toMatchObject({ bytesToDst: 5, packetsToSrc: 7, connections: 3 });
  });

  it('reads epoch seconds, milliseconds, microseconds, nanoseconds and ISO 8601 times, any year from 1970', () => {
    const at = Date.parse('1998-06-01T08:00:00Z');
    const forms = [
      '896688000', '896688000.000', '896688000000', '896688000000000', '896688000000000000',
      '1998-06-01T08:00:00Z', '1998-06-01T08:00:00.000Z', '1998-06-01 08:00:00', '1998-06-01T08:00:00', '1998-06-01T10:00:00+02:00', '"1998-06-01 08:00:00"',
    ];
    for (const time of forms) expect(record('time,src_ip,dst_ip', `${time},10.0.0.1,10.0.0.2`).windowEnd, time).toBe(at);
    expect(record('time,src_ip,dst_ip', '1998-06-01,10.0.0.1,10.0.0.2').windowEnd).toBe(Date.parse('1998-06-01T00:00:00Z'));
    expect(record('time,src_ip,dst_ip', '1331901000.123456,10.0.0.1,10.0.0.2').windowEnd).toBe(1_331_901_000_123); // Zeek ts
    expect(record('time,src_ip,dst_ip', '0,10.0.0.1,10.0.0.2').windowEnd).toBe(0);
    expect(epochMs(99_999_999_999)).toBe(99_999_999_999_000);
    expect(epochMs(100_000_000_000)).toBe(100_000_000_000);
    expect(isoMs('June 1, 1998')).toBeNaN();
    expect(isoMs('1998-06-01X08:00')).toBeNaN();
  });

  it('takes start_time and end_time as the window (one of them as an instant)', () => {
    expect(record('start_time,end_time,src_ip,dst_ip', '100,160,10.0.0.1,10.0.0.2')).toMatchObject({ windowStart: 100_000, windowEnd: 160_000 });
    expect(record('start_time,src_ip,dst_ip', '100,10.0.0.1,10.0.0.2')).toMatchObject({ windowStart: 100_000, windowEnd: 100_000 });
    expect(record('end_time,src_ip,dst_ip', '160,10.0.0.1,10.0.0.2')).toMatchObject({ windowStart: 160_000, windowEnd: 160_000 });
  });

  it('reads RFC 4180 quoted fields: commas, "" escapes, empty quotes', () => {
    const header = 'time,src_ip,dst_ip,note,label';
    const r = record(header, '1700000000,"10.0.0.1",10.0.0.2,"a, ""quoted"", note","scan, slow"');
    expect(r.label).toBe('scan, slow');
    expect(r.src.ip).toBe('10.0.0.1');
    expect(record(header, '1700000000,10.0.0.1,10.0.0.2,"",""').label).toBe('');
    expect(splitCsvLine('a,"b,c",,"d""e"')).toBe(4);
    expect([0, 1, 2, 3].map(cellText)).toEqual(['a', 'b,c', '', 'd"e']);
    expect(splitCsvLine('a,"b')).toBe(-1);
    expect(splitCsvLine('a,"b"c')).toBe(-1);
    expect(splitCsvLine('')).toBe(1);
  });

  it('carries the label and the row; isAttackLabel tells benign markers from attacks', () => {
    const results = decode('time,src_ip,dst_ip,label', ['1,10.0.0.1,10.0.0.2,normal', '2,10.0.0.1,10.0.0.2,neptune', '3,10.0.0.1,10.0.0.2,']);
    expect(results.map((r) => (r as { record: FlowRecord }).record.label)).toEqual(['normal', 'neptune', '']);
    expect(results.map((r) => (r as { record: FlowRecord }).record.row)).toEqual([1, 2, 3]);
    expect(record('time,src_ip,dst_ip', '1,10.0.0.1,10.0.0.2').label).toBeUndefined();
    for (const benign of [undefined, '', '0', 'benign', 'Normal', ' BENIGN ', 'normal.']) expect(isAttackLabel(benign), String(benign)).toBe(false);
    for (const attack of ['1', 'neptune', 'DoS', 'smurf.', 'portsweep']) expect(isAttackLabel(attack)).toBe(true);
  });

  it('dead-letters a bad row with its row number and what is wrong, never throwing', () => {
    const rows = [
      '1700000000,10.0.0.1,10.0.0.2,1234,abc,tcp,1,2,3,4,1,allow,x', // row 1
      '1700000000,10.0.0.1,10.0.0.2,1234,80,tcp,1,2', // 2: too few fields
      '1700000000,10.0.0.1,"10.0.0.2,1234,80,tcp,1,2,3,4,1,allow,x', // 3: unterminated quote
      'yesterday,10.0.0.1,10.0.0.2,1234,80,tcp,1,2,3,4,1,allow,x', // 4
      '1700000000,10.0.0.999,10.0.0.2,1234,80,tcp,1,2,3,4,1,allow,x', // 5
      '1700000000,10.0.0.1,10.0.0.2,1234,70000,tcp,1,2,3,4,1,allow,x', // 6
      '1700000000,10.0.0.1,10.0.0.2,1234,80,tcp,-5,2,3,4,1,allow,x', // 7
      '1700000000,10.0.0.1,10.0.0.2,1234,80,tcp,1,2,3,4,1,maybe,x', // 8
      '1700000000,,10.0.0.2,1234,80,tcp,1,2,3,4,1,allow,x', // 9
      ',10.0.0.1,10.0.0.2,1234,80,tcp,1,2,3,4,1,allow,x', // 10
      '4102444800,10.0.0.1,10.0.0.2,1234,80,tcp,1,2,3,4,1,allow,x', // 11: 2100, ahead of the clock
      '1969-12-31T23:59:59Z,10.0.0.1,10.0.0.2,1234,80,tcp,1,2,3,4,1,allow,x', // 12
      '1700000000,10.0.0.1,10.0.0.2,1234,80,tcp,1.5,2,3,4,1,allow,x', // 13
    ];
    const results = decode(HEADER, rows);
    expect(results.map((r) => (r.status === 'invalid' ? [r.reason, r.detail] : r.status))).toEqual([
      ['invalid-field', 'csv row 1: dst_port "abc" is not a port'],
      ['malformed-csv', 'csv row 2: 8 fields, the header has 13'],
      ['malformed-csv', 'csv row 3: a quoted field is not closed, or text follows its closing quote'],
      ['invalid-field', 'csv row 4: time "yesterday" is not a time (epoch seconds or milliseconds, or ISO 8601)'],
      ['invalid-field', 'csv row 5: src_ip "10.0.0.999" is neither an IP address nor a node name'],
      ['out-of-range', 'csv row 6: dst_port 70000 is not a port (0 – 65535)'],
      ['out-of-range', 'csv row 7: bytes_out -5 is not an integer in [0, 2^50]'],
      ['invalid-field', 'csv row 8: action "maybe" is not allow or deny (nor accept, drop, reject…)'],
      ['missing-field', 'csv row 9: src_ip and src_workload are both empty: the source needs one'],
      ['missing-field', 'csv row 10: no time: time, start_time and end_time are all empty'],
      ['future-time', expect.stringMatching(/^csv row 11: the row's time is \d+ s ahead of the clock/)],
      ['out-of-range', expect.stringMatching(/^csv row 12: time is before 1970/)],
      ['out-of-range', 'csv row 13: bytes_out 1.5 is not an integer in [0, 2^50]'],
    ]);
    expect(results.every((r) => r.format === 'csv')).toBe(true);
  });

  it('counts rows from the header line, wherever it is', () => {
    const ctx: ParseContext = { cluster: 'c1', now: NOW, maxFutureSkewMs: 0, csv: fileHead('time,src_ip,dst_ip', 4, 'csv', {}).csv, line: 9 };
    expect(decodeMessage('1,10.0.0.1,b@d', 'csv', ctx, 1 << 20)).toMatchObject({ status: 'invalid', detail: 'csv row 5: dst_ip "b@d" is neither an IP address nor a node name' });
    ctx.line = undefined; // a Kafka message: no row
    expect(decodeMessage('1,10.0.0.1,b@d', 'csv', ctx, 1 << 20)).toMatchObject({ detail: 'csv: dst_ip "b@d" is neither an IP address nor a node name' });
    expect((decodeMessage('1,10.0.0.1,10.0.0.2', 'csv', ctx, 1 << 20) as { record: FlowRecord }).record.row).toBeUndefined();
  });

  it('rejects a row without a header (a Kafka source without csv.header) clearly', () => {
    const ctx: ParseContext = { cluster: 'c1', now: NOW, maxFutureSkewMs: 0 };
    expect(decodeMessage('1,10.0.0.1,10.0.0.2', 'csv', ctx, 1 << 20)).toMatchObject({ status: 'invalid', reason: 'missing-field', detail: expect.stringContaining('needs csv.header') });
    // Under auto, without a header, a CSV line is simply not JSON.
    expect(decodeMessage('1,10.0.0.1,10.0.0.2', 'auto', ctx, 1 << 20)).toMatchObject({ status: 'invalid', reason: 'malformed-json', format: undefined });
  });

  it('routes a row (replay --to kafka) with the decoded record’s event time and key', () => {
    const header = 'time,src_namespace,src_workload,src_ip,dst_ip,dst_port';
    const ctx: ParseContext = { cluster: 'c1', now: NOW, maxFutureSkewMs: 3600_000, csv: layoutOf(header), line: 2 };
    for (const row of ['1700000000,ml,trainer,10.0.0.1,8.8.8.8,53', '1700000000,,,203.0.113.9,10.0.0.2,22', '1700000000,,,10.0.0.1,x,1']) {
      const decoded = decodeMessage(row, 'auto', ctx, 1 << 20);
      const routed = routeMessage(row, ctx);
      if (decoded.status === 'ok') expect(routed).toEqual({ status: 'ok', format: 'csv', route: { time: (decoded.record as FlowRecord).windowEnd, key: keyOf(decoded.record) } });
      else expect(routed).toEqual({ status: 'invalid', format: 'csv' });
    }
  });
});
