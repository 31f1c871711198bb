/**
 * conn.log TSV lines written as bytes (ConnLogWriter) must be exactly the UTF-8 of the lines
 * Zeek's ASCII writer prints. The reference below builds the line as a string, field by
 * field, the straightforward way; random records (large counts, times that round up to the
 * next second, escapes, IPv6, tunnel parents, optional columns) must agree byte for byte.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConnLogWriter, connLogLine, fixed6, type ConnLogOptions } from '../../src/formats/zeek-log.js';
import { EndReason } from '../../src/flow/constants.js';
import type { FlowRecord } from '../../src/flow/record.js';
import { seededRandom } from '../helpers.js';

function escapeTsv(s: string): string {
  if (s === '') return '(empty)';
  let out = '';
  for (const ch of s) {
    const c = ch.charCodeAt(0);
    out += c === 9 || c === 10 || c === 92 || c < 32 || c > 126 ? '\\x' + c.toString(16).padStart(2, '0') : ch;
  }
  return out === '-' ? '\\x2d' : out;
}

function reference(r: FlowRecord, opts: ConnLogOptions): string {
  const hasBytes = r.duration > 0 && r.origBytes !== null;
  const f = [
    fixed6(r.ts), r.uid, r.origH, String(r.origP), r.respH, String(r.respP), r.proto, '-',
    r.duration > 0 ? fixed6(r.duration) : '-',
    hasBytes ? String(r.origBytes) : '-',
    hasBytes ? String(r.respBytes) : '-',
    r.connState, '-', '-', String(r.missedBytes),
    r.history === '' ? '-' : escapeTsv(r.history),
    String(r.origPkts), String(r.origIpBytes), String(r.respPkts), String(r.respIpBytes),
    r.tunnelParents.length ? r.tunnelParents.join(',') : '-',
    String(r.ipProto),
  ];
  if (opts.vlan) f.push(r.vlan ? String(r.vlan) : '-', r.innerVlan ? String(r.innerVlan) : '-');
  if (opts.communityId) f.push(r.communityId || '-');
  return f.join('\t') + '\n';
}

function randomRecord(rnd: () => number): FlowRecord {
  const pick = <T>(xs: T[]): T => xs[Math.floor(rnd() * xs.length)];
  const count = () => pick([0, 1, 9, 10, 99, 1e9 - 1, 1e9, 4294967295, 4294967296, 2 ** 53 - 1, Math.floor(rnd() * 1e6), Math.floor(rnd() * 2 ** 40)]);
  const time = () => pick([0, 0.0000004, 0.9999996, 1300475168.85, 1300475168.9999996, 1700000000 + rnd() * 1e6, rnd() * 10, 4294967295.5]);
  return {
    ts: time(),
    uid: 'C' + Math.floor(rnd() * 1e12).toString(36),
    origH: pick(['10.0.0.1', '255.255.255.255', '2001:db8::1', '::ffff:1.2.3.4', 'fe80::a:b:c:d']),
    origP: Math.floor(rnd() * 65536),
    respH: pick(['192.168.1.1', '::', '2001:db8:0:1::']),
    respP: Math.floor(rnd() * 65536),
    proto: pick(['tcp', 'udp', 'icmp', 'unknown_transport']),
    ipProto: pick([6, 17, 1, 58, 47, 132]),
    ipVersion: 4,
    duration: pick([0, time(), 0.000001, 59.9999999]),
    origBytes: pick([null, count()]),
    respBytes: count(),
    connState: pick(['SF', 'S0', 'REJ', 'RSTOS0', 'OTH']),
    missedBytes: count(),
    history: pick(['', 'ShADadFf', '^hADTt', '-', 'a\tb', 'x\\y', 'caf\u00e9', '\u0100z', 'C'.repeat(40)]),
    origPkts: count(),
    origIpBytes: count(),
    respPkts: count(),
    respIpBytes: count(),
    tunnelParents: pick([[], ['CabcDEF'], ['C1', 'C2', 'C3', 'C4']]),
    communityId: pick(['', '1:LQU9qZlK+B5F3KDmev6m5PMibrg=']),
    vlan: pick([0, 1, 4095]),
    innerVlan: pick([0, 7]),
    tunnelId: 0,
    origTcpFlags: 0,
    respTcpFlags: 0,
    origFirst: 0,
    origLast: 0,
    respFirst: 0,
    respLast: 0,
    endReason: EndReason.idleTimeout,
    origAddr: new Uint8Array(4),
    respAddr: new Uint8Array(4),
  };
}

test('ConnLogWriter writes the bytes of the reference line for random records', () => {
  const rnd = seededRandom(0x2eec);
  // A small buffer that must grow, and lines appended one after another.
  const w = new ConnLogWriter(256);
  let expected = '';
  for (let k = 0; k < 3000; k++) {
    const r = randomRecord(rnd);
    const opts: ConnLogOptions = { vlan: k % 3 === 0, communityId: k % 2 === 0 };
    const ref = reference(r, opts);
    assert.equal(connLogLine(r, opts), ref, JSON.stringify(r));
    w.ensure(ConnLogWriter.bound(r));
    w.line(r, opts);
    expected += ref;
  }
  assert.equal(Buffer.from(w.buf.subarray(0, w.pos)).toString('utf8'), expected);
  assert.deepEqual(Buffer.from(w.buf.subarray(0, w.pos)), Buffer.from(expected, 'utf8'));
});
