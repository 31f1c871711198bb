/**
 * Zeek connection semantics on hand-made packets: history letters and their case,
 * conn_state, sequence-number byte counts, role flips, checksum handling, UDP and ICMP keys.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BatchBuilder } from '../../src/core/batch.js';
import { decodePacket } from '../../src/decode/decode.js';
import { FlowAnalyzer, type FlowAnalyzerOptions } from '../../src/flow/analyzer.js';
import type { FlowRecord } from '../../src/flow/record.js';

const A = [10, 0, 0, 1];
const B = [10, 0, 0, 2];

function sum16(b: number[], init = 0): number {
  let s = init;
  for (let i = 0; i + 1 < b.length; i += 2) s += (b[i] << 8) | b[i + 1];
  if (b.length % 2) s += b[b.length - 1] << 8;
  while (s > 0xffff) s = (s & 0xffff) + (s >>> 16);
  return s;
}

/** Ethernet + IPv4 + (TCP | UDP | ICMP) with correct checksums unless `badSum`. */
function frame(proto: 6 | 17 | 1, src: number[], dst: number[], l4: number[], opts: { badSum?: boolean } = {}): Uint8Array {
  const total = 20 + l4.length;
  const ip = [0x45, 0, total >> 8, total & 0xff, 0, 1, 0, 0, 64, proto, 0, 0, ...src, ...dst];
  const ipSum = ~sum16(ip) & 0xffff;
  ip[10] = ipSum >> 8;
  ip[11] = ipSum & 0xff;
  const seg = l4.slice();
  const ck = proto === 6 ? 16 : proto === 17 ? 6 : 2;
  seg[ck] = 0;
  seg[ck + 1] = 0;
  const pseudo = proto === 1 ? 0 : sum16([...src, ...dst, 0, proto, seg.length >> 8, seg.length & 0xff]);
  let s = ~sum16(seg, pseudo) & 0xffff;
  if (opts.badSum) s ^= 0x5555;
  seg[ck] = s >> 8;
  seg[ck + 1] = s & 0xff;
  return new Uint8Array([...[2, 0, 0, 0, 0, 2], ...[2, 0, 0, 0, 0, 1], 0x08, 0x00, ...ip, ...seg]);
}

const F = { FIN: 1, SYN: 2, RST: 4, PSH: 8, ACK: 16 } as const;

function tcp(sport: number, dport: number, seq: number, ack: number, flags: number, payload = 0, win = 8192): number[] {
  return [sport >> 8, sport & 0xff, dport >> 8, dport & 0xff, seq >>> 24, (seq >>> 16) & 0xff, (seq >>> 8) & 0xff, seq & 0xff, ack >>> 24, (ack >>> 16) & 0xff, (ack >>> 8) & 0xff, ack & 0xff, 0x50, flags, win >> 8, win & 0xff, 0, 0, 0, 0, ...new Array(payload).fill(0x61)];
}

function udp(sport: number, dport: number, payload: number): number[] {
  const len = 8 + payload;
  return [sport >> 8, sport & 0xff, dport >> 8, dport & 0xff, len >> 8, len & 0xff, 0, 0, ...new Array(payload).fill(0x62)];
}

type Pkt = { from: 'A' | 'B'; l4: number[]; proto?: 6 | 17 | 1; bad?: boolean };

function run(pkts: Pkt[], opts: FlowAnalyzerOptions = {}): FlowRecord[] {
  const bb = new BatchBuilder();
  pkts.forEach((p, i) => {
    const [s, d] = p.from === 'A' ? [A, B] : [B, A];
    bb.add(frame(p.proto ?? 6, s, d, p.l4, { badSum: p.bad }), { tsSec: 1000, tsNsec: (i + 1) * 1_000_000 });
  });
  const out: FlowRecord[] = [];
  const a = new FlowAnalyzer((r) => out.push(r), { decode: decodePacket, ...opts });
  a.addBatch(bb.batch);
  a.flush();
  return out;
}

test('full handshake, data both ways, FIN both ways: ShADdFf SF', () => {
  const [r] = run([
    { from: 'A', l4: tcp(40000, 80, 100, 0, F.SYN) },
    { from: 'B', l4: tcp(80, 40000, 500, 101, F.SYN | F.ACK) },
    { from: 'A', l4: tcp(40000, 80, 101, 501, F.ACK) },
    { from: 'A', l4: tcp(40000, 80, 101, 501, F.ACK | F.PSH, 10) },
    { from: 'B', l4: tcp(80, 40000, 501, 111, F.ACK | F.PSH, 20) },
    { from: 'A', l4: tcp(40000, 80, 111, 521, F.ACK | F.FIN) },
    { from: 'B', l4: tcp(80, 40000, 521, 112, F.ACK | F.FIN) },
    { from: 'A', l4: tcp(40000, 80, 112, 522, F.ACK) },
  ]);
  assert.equal(r.history, 'ShADdFf'); // the responder never sent a pure ACK: no 'a'
  assert.equal(r.connState, 'SF');
  assert.equal(r.origH, '10.0.0.1');
  assert.equal(r.respP, 80);
  assert.equal(r.origBytes, 10);
  assert.equal(r.respBytes, 20);
  assert.equal(r.origPkts, 5);
  assert.equal(r.respPkts, 3);
  assert.equal(r.origIpBytes, 5 * 40 + 10);
  // duration stops at the last packet before both sides closed (the final ACK is not counted)
  assert.ok(Math.abs(r.duration - 0.006) < 1e-9);
});

test('port reuse found through the recent-flows cache: the new connection keeps its own key', () => {
  // The closed connection's packets fill the recent-flows cache; the UDP datagram between
  // leaves another flow's key in the analyzer's scratch key. The new SYN hits the cache, so
  // its key is never built from the packet: the reuse path must take it from the table.
  const out = run([
    { from: 'A', l4: tcp(40000, 80, 100, 0, F.SYN) },
    { from: 'B', l4: tcp(80, 40000, 500, 101, F.SYN | F.ACK) },
    { from: 'A', l4: tcp(40000, 80, 101, 501, F.ACK | F.FIN) },
    { from: 'B', l4: tcp(80, 40000, 501, 102, F.ACK | F.FIN) },
    { from: 'A', l4: tcp(40000, 80, 102, 502, F.ACK) },
    { from: 'A', proto: 17, l4: udp(5353, 53, 12) },
    { from: 'A', l4: tcp(40000, 80, 9000, 0, F.SYN) },
    { from: 'B', l4: tcp(80, 40000, 7000, 9001, F.SYN | F.ACK) },
  ]);
  const rows = out.map((r) => `${r.proto} ${r.origP}>${r.respP} ${r.connState} ${r.history} ${r.origPkts}/${r.respPkts}`).sort();
  assert.deepEqual(rows, ['tcp 40000>80 S1 Sh 1/1', 'tcp 40000>80 SF ShFfA 3/2', 'udp 5353>53 S0 D 1/0']);
});

test('SYN answered by RST: Sr REJ', () => {
  const [r] = run([
    { from: 'A', l4: tcp(40001, 81, 7, 0, F.SYN) },
    { from: 'B', l4: tcp(81, 40001, 0, 8, F.RST | F.ACK) },
  ]);
  assert.equal(r.history, 'Sr');
  assert.equal(r.connState, 'REJ');
});

test('unanswered SYN: S S0, retransmission with the same sequence adds no letter', () => {
  const [r] = run([
    { from: 'A', l4: tcp(40002, 22, 7, 0, F.SYN) },
    { from: 'A', l4: tcp(40002, 22, 7, 0, F.SYN) },
  ]);
  assert.equal(r.history, 'S');
  assert.equal(r.connState, 'S0');
  assert.equal(r.origPkts, 2);
});

test('first packet is the SYN-ACK from a server port: roles flipped (^h...)', () => {
  const [r] = run([
    { from: 'B', l4: tcp(80, 40003, 500, 101, F.SYN | F.ACK) },
    { from: 'A', l4: tcp(40003, 80, 101, 501, F.ACK) },
  ]);
  assert.equal(r.history, '^hA');
  assert.equal(r.origH, '10.0.0.1');
  assert.equal(r.origP, 40003);
  assert.equal(r.respP, 80);
});

test('bad TCP checksum: C in history, packet not counted; -C accepts it', () => {
  const [r] = run([{ from: 'A', l4: tcp(40004, 80, 1, 0, F.SYN), bad: true }]);
  assert.equal(r.history, 'C');
  assert.equal(r.origPkts, 0);
  assert.equal(r.connState, 'OTH');
  const [c] = run([{ from: 'A', l4: tcp(40004, 80, 1, 0, F.SYN), bad: true }], { ignoreChecksums: true });
  assert.equal(c.history, 'S');
  assert.equal(c.origPkts, 1);
});

test('data retransmission: T (logarithmic, once for 1..9)', () => {
  const pk: Pkt[] = [
    { from: 'A', l4: tcp(40005, 80, 100, 0, F.SYN) },
    { from: 'B', l4: tcp(80, 40005, 500, 101, F.SYN | F.ACK) },
    { from: 'A', l4: tcp(40005, 80, 101, 501, F.ACK | F.PSH, 5) },
  ];
  for (let i = 0; i < 3; i++) pk.push({ from: 'A', l4: tcp(40005, 80, 101, 501, F.ACK | F.PSH, 5) });
  const [r] = run(pk);
  assert.equal(r.history, 'ShDT');
});

test('UDP: request/response Dd SF; reply-only from a server port is flipped', () => {
  const [r] = run([
    { from: 'A', proto: 17, l4: udp(5555, 53, 30) },
    { from: 'B', proto: 17, l4: udp(53, 5555, 60) },
  ]);
  assert.equal(r.history, 'Dd');
  assert.equal(r.connState, 'SF');
  assert.equal(r.origBytes, 30);
  assert.equal(r.respBytes, 60);
  const [f] = run([{ from: 'B', proto: 17, l4: udp(53, 5556, 60) }]);
  assert.equal(f.history, '^d');
  assert.equal(f.origP, 5556);
  assert.equal(f.connState, 'SHR');
});

test('ICMP echo request and reply are one flow (type 8 -> 0)', () => {
  const echo = (type: number) => [type, 0, 0, 0, 0, 1, 0, 1, 1, 2, 3, 4];
  const rs = run([
    { from: 'A', proto: 1, l4: echo(8) },
    { from: 'B', proto: 1, l4: echo(0) },
  ]);
  assert.equal(rs.length, 1);
  assert.equal(rs[0].proto, 'icmp');
  assert.equal(rs[0].origP, 8);
  assert.equal(rs[0].respP, 0);
  assert.equal(rs[0].origBytes, 4);
  assert.equal(rs[0].respPkts, 1);
});

test('community_id of a known flow (Zeek baseline value)', async () => {
  const { communityId } = await import('../../src/flow/community-id.js');
  assert.equal(communityId(new Uint8Array([141, 142, 228, 5]), new Uint8Array([192, 150, 187, 43]), 6, 59856, 80), '1:yvyB8h+3dnggTZW0UEITWCst97w=');
  // direction does not matter
  assert.equal(communityId(new Uint8Array([192, 150, 187, 43]), new Uint8Array([141, 142, 228, 5]), 6, 80, 59856), '1:yvyB8h+3dnggTZW0UEITWCst97w=');
});
