/**
 * Output helpers: -T fields printer, text lines, JSON, protocol hierarchy stats and the
 * anomaly counters.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BatchBuilder } from '../../src/core/batch.js';
import { decodePacket } from '../../src/decode/decode.js';
import { DecodeRecord } from '../../src/decode/record.js';
import { ANOMALY_NAMES, Anomaly, AnomalyCounters } from '../../src/decode/anomalies.js';
import { FIELD_NAMES, compileFieldList } from '../../src/decode/fields.js';
import { formatTextLine } from '../../src/decode/text.js';
import { formatJson } from '../../src/decode/json.js';
import { ProtocolStats } from '../../src/decode/stats.js';

const h = (...parts: string[]): Uint8Array => Uint8Array.from(Buffer.from(parts.join('').replace(/\s+/g, ''), 'hex'));

// eth / IPv4 10.0.0.1 > 10.0.0.2 / TCP 40000 > 80 SYN-ACK, seq 100, ack 1, 4 payload bytes
const TCP = h('000000000002 000000000001 0800', '4500 002c 0000 4000 40 06 0000 0a000001 0a000002', '9c40 0050 00000064 00000001 5012 ffff 0000 0000', '01020304');
// eth / IPv4 / UDP 49152 > 4789 / VXLAN vni 100 / eth / ARP request
const VXLAN_ARP = h(
  '000000000002 000000000001 0800',
  '4500 004e 0000 0000 40 11 0000 c0a8cb01 c0a8ca01',
  'c000 12b5 003a 0000',
  '08000000 00006400',
  'ffffffffffff 00163e37f604 0806',
  '0001 0800 06 04 0001 00163e37f604 c0a8cb03 000000000000 c0a8cb05',
);

function batchOf(...frames: Uint8Array[]) {
  const bb = new BatchBuilder(8, 8192);
  for (const f of frames) bb.add(f, { tsSec: 1368908504, tsNsec: 837063000 });
  return bb.batch;
}

test('fields: tshark formats and comma-joined repeated fields', () => {
  const b = batchOf(TCP, VXLAN_ARP);
  const rec = new DecodeRecord();
  const p = compileFieldList(['frame.number', 'frame.time_epoch', 'frame.protocols', 'eth.type', 'ip.src', 'tcp.flags', 'tcp.len', 'tcp.seq_raw', 'vxlan.vni', 'frame.interface_id']);
  decodePacket(b, 0, rec);
  assert.equal(p.format(b, 0, rec), '1\t1368908504.837063000\teth:ethertype:ip:tcp:data\t0x0800\t10.0.0.1\t0x0012\t4\t100\t\t');
  decodePacket(b, 1, rec);
  assert.equal(p.format(b, 1, rec), '2\t1368908504.837063000\teth:ethertype:ip:udp:vxlan:eth:ethertype:arp\t0x0800,0x0806\t192.168.203.1\t\t\t\t100\t');
  assert.equal(compileFieldList(['frame.interface_id'], { format: 'pcapng' }).format(b, 1, rec), '0');
  const late = compileFieldList(['frame.interface_id']);
  late.captureFormat = 'pcapng';
  assert.equal(late.format(b, 1, rec), '0');
});

test('fields: an unknown name throws and lists the valid ones', () => {
  assert.throws(() => compileFieldList(['ip.src', 'ip.sauce']), (e: Error) => e.message.includes("'ip.sauce'") && e.message.includes('ip.dst'));
});

test('fields: every oracle column except dns/http/tls is supported', () => {
  const oracle =
    'frame.number frame.time_epoch frame.len frame.cap_len frame.interface_id frame.protocols eth.src eth.dst eth.type vlan.id vlan.etype mpls.label ip.src ip.dst ip.proto ip.len ip.ttl ip.flags.mf ip.frag_offset ipv6.src ipv6.dst ipv6.nxt ipv6.plen tcp.srcport tcp.dstport tcp.flags tcp.seq_raw tcp.len udp.srcport udp.dstport udp.length icmp.type icmp.code icmpv6.type gre.proto erspan.spanid vxlan.vni geneve.vni'.split(
      ' ',
    );
  for (const f of oracle) assert.ok(FIELD_NAMES.includes(f), f);
});

test('text: tcpdump-like lines, tunnels outer then inner', () => {
  const b = batchOf(TCP, VXLAN_ARP);
  const rec = new DecodeRecord();
  decodePacket(b, 0, rec);
  assert.equal(formatTextLine(b, 0, rec), '20:21:44.837063 IP 10.0.0.1.40000 > 10.0.0.2.80: Flags [S.], seq 100, ack 1, win 65535, length 4');
  decodePacket(b, 1, rec);
  assert.equal(
    formatTextLine(b, 1, rec),
    '20:21:44.837063 IP 192.168.203.1.49152 > 192.168.202.1.4789: VXLAN, flags [I] (0x08), vni 100: ARP, Request who-has 192.168.203.5 tell 192.168.203.3, length 28',
  );
});

test('text: an anomaly ends the line with [|reason]', () => {
  const b = batchOf(h('000000000002 000000000001 0800', '4500 0028 0000 0000 40 06 0000 0a000001 0a000002', '9c40 0050 0000'));
  const rec = new DecodeRecord();
  decodePacket(b, 0, rec);
  assert.match(formatTextLine(b, 0, rec), /\[\|tcp_truncated_header\]$/);
});

test('json: layers, tunnel identity and anomaly name', () => {
  const b = batchOf(VXLAN_ARP);
  const rec = new DecodeRecord();
  decodePacket(b, 0, rec);
  const o = JSON.parse(formatJson(b, 0, rec));
  assert.equal(o.frame, 1);
  assert.equal(o.ts, '1368908504.837063000');
  assert.equal(o.protocols, 'eth:ethertype:ip:udp:vxlan:eth:ethertype:arp');
  assert.deepEqual(
    o.layers.map((l: { type: string }) => l.type),
    ['eth', 'ip', 'udp', 'vxlan', 'eth', 'arp'],
  );
  assert.equal(o.layers[3].vni, 100);
  assert.equal(o.tunnel, 'vxlan vni=100 src=192.168.203.1');
  assert.equal(o.anomaly, undefined);
});

test('stats: protocol hierarchy and anomaly counts', () => {
  const bad = h('000000000002 000000000001 0800', '4400 0020 0000 0000 40 11 0000 0a000001 0a000002');
  const b = batchOf(TCP, VXLAN_ARP, TCP, bad);
  const rec = new DecodeRecord();
  const s = new ProtocolStats();
  for (let i = 0; i < b.count; i++) {
    decodePacket(b, i, rec);
    s.add(b, i, rec);
  }
  assert.equal(s.framesAt(''), 4);
  assert.equal(s.framesAt('eth:ethertype'), 4);
  assert.equal(s.framesAt('eth:ethertype:ip:tcp'), 2);
  assert.equal(s.framesAt('eth:ethertype:ip:udp:vxlan:eth:ethertype:arp'), 1);
  const out = s.format();
  assert.match(out, /Protocol Hierarchy Statistics/);
  assert.match(out, /\n {6}ip +frames:3 bytes:208\n/);
  assert.match(out, /ipv4_bad_ihl\s+1/);
});

test('anomaly names and counters', () => {
  assert.equal(ANOMALY_NAMES[Anomaly.ipv4_truncated_header], 'ipv4_truncated_header');
  assert.equal(ANOMALY_NAMES[Anomaly.tunnel_depth_exceeded], 'tunnel_depth_exceeded');
  assert.equal(new Set(ANOMALY_NAMES).size, ANOMALY_NAMES.length);
  const c = new AnomalyCounters();
  c.add(0);
  c.add(Anomaly.tcp_bad_data_offset);
  c.add(Anomaly.tcp_bad_data_offset);
  c.add(Anomaly.udp_bad_length);
  assert.equal(c.total(), 3);
  assert.deepEqual(c.entries(), [
    { name: 'tcp_bad_data_offset', count: 2 },
    { name: 'udp_bad_length', count: 1 },
  ]);
});
