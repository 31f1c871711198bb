/**
 * Tunnel decoding on hand-written frames. Each frame is hex, one line per header, with the
 * expected layer stack in the comment above it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BatchBuilder } from '../../src/core/batch.js';
import { decodePacket, type DecodeOptions } from '../../src/decode/decode.js';
import { DecodeRecord, Layer } from '../../src/decode/record.js';
import { Anomaly } from '../../src/decode/anomalies.js';
import { protocolPathString } from '../../src/decode/protocol-path.js';
import { compileFieldList } from '../../src/decode/fields.js';
import {
  awsGwlbAttachmentId,
  awsGwlbEndpointId,
  awsGwlbFlowCookie,
  erspanDirectionAt,
  erspanSessionIdAt,
  erspanTypeAt,
  geneveOptionsAt,
  greKeyAt,
  greSequenceAt,
  innermostVni,
  originIdentity,
  outerAddressesAt,
  tunnelIndex,
  vniAt,
} from '../../src/decode/tunnels.js';

const h = (...parts: string[]): Uint8Array => Uint8Array.from(Buffer.from(parts.join('').replace(/\s+/g, ''), 'hex'));

function decode(bytes: Uint8Array, linktype = 1, opts?: DecodeOptions) {
  const bb = new BatchBuilder(2, 4096);
  bb.add(bytes, { linktype });
  const rec = new DecodeRecord();
  decodePacket(bb.batch, 0, rec, opts);
  const field = (name: string): string => compileFieldList([name]).format(bb.batch, 0, rec);
  return { batch: bb.batch, rec, path: protocolPathString(bb.batch, 0, rec), field };
}

// Inner frame used by every tunnel: eth / IPv4 192.168.0.1 > 192.168.0.2 / ICMP echo / 4 data bytes (46 bytes)
const INNER = [
  '02000000000b 02000000000a 0800',
  '4500 0020 0001 0000 40 01 0000 c0a80001 c0a80002',
  '0800 0000 0001 0001',
  'deadbeef',
].join('');
const OUTER_ETH = '000000000002 000000000001 0800';

test('VXLAN on UDP 4789: eth:ethertype:ip:udp:vxlan:eth:ethertype:ip:icmp:data', () => {
  const f = h(
    OUTER_ETH,
    '4500 0052 0000 0000 40 11 0000 0a000001 0a000002', // IPv4 10.0.0.1 > 10.0.0.2, total 82, UDP
    'c000 12b5 003e 0000', // UDP 49152 > 4789, length 62
    '08000000 00006400', // VXLAN I flag, VNI 100
    INNER,
  );
  const d = decode(f);
  assert.equal(d.path, 'eth:ethertype:ip:udp:vxlan:eth:ethertype:ip:icmp:data');
  assert.equal(d.rec.anomaly, 0);
  assert.equal(d.rec.tunnelCount, 1);
  const k = tunnelIndex(d.rec);
  assert.equal(d.rec.layerType[k], Layer.VXLAN);
  assert.equal(vniAt(d.batch, d.rec, k), 100);
  assert.equal(innermostVni(d.batch, d.rec), 100);
  assert.deepEqual(outerAddressesAt(d.batch, d.rec, k), { src: '10.0.0.1', dst: '10.0.0.2' });
  assert.equal(originIdentity(d.batch, d.rec), 'vxlan vni=100 src=10.0.0.1');
  // l3/l4 point at the innermost (tenant) headers.
  assert.equal(d.rec.layerType[d.rec.l3], Layer.IPV4);
  assert.equal(d.rec.layerStart[d.rec.l3], 14 + 20 + 8 + 8 + 14);
  assert.equal(d.rec.layerType[d.rec.l4], Layer.ICMP);
  assert.equal(d.field('ip.src'), '10.0.0.1,192.168.0.1');
  assert.equal(d.field('vxlan.vni'), '100');
});

test('VXLAN on a configured port (vxlanPorts)', () => {
  const f = h(OUTER_ETH, '4500 0052 0000 0000 40 11 0000 0a000001 0a000002', 'c000 2118 003e 0000', '08000000 00006400', INNER);
  assert.equal(decode(f).path, 'eth:ethertype:ip:udp:data');
  assert.equal(decode(f, 1, { vxlanPorts: [8472] }).path, 'eth:ethertype:ip:udp:vxlan:eth:ethertype:ip:icmp:data');
});

test('GENEVE with AWS Gateway Load Balancer options (class 0x0108, types 1-3)', () => {
  const f = h(
    OUTER_ETH,
    '4500 0072 0000 0000 40 11 0000 0a000001 0a000002', // IPv4, total 114, UDP
    'c001 17c1 005e 0000', // UDP 49153 > 6081, length 94
    '08 00 6558 000abc 00', // GENEVE, options 8 words, proto TEB, VNI 0xabc
    '0108 01 02 1122334455667788', //   option 0x0108/1 GWLB endpoint id
    '0108 02 02 99aabbccddeeff00', //   option 0x0108/2 attachment id
    '0108 03 01 cafef00d', //   option 0x0108/3 flow cookie
    INNER,
  );
  // eth:ethertype:ip:udp:geneve:eth:ethertype:ip:icmp:data
  const d = decode(f);
  assert.equal(d.path, 'eth:ethertype:ip:udp:geneve:eth:ethertype:ip:icmp:data');
  const k = tunnelIndex(d.rec);
  assert.equal(vniAt(d.batch, d.rec, k), 0xabc);
  assert.equal(awsGwlbEndpointId(d.batch, d.rec, k), 0x1122334455667788n);
  assert.equal(awsGwlbAttachmentId(d.batch, d.rec, k), 0x99aabbccddeeff00n);
  assert.equal(awsGwlbFlowCookie(d.batch, d.rec, k), 0xcafef00d);
  const opts = geneveOptionsAt(d.batch, d.rec, k);
  assert.deepEqual(
    opts.map((o) => [o.cls, o.type, o.data.length]),
    [
      [0x108, 1, 8],
      [0x108, 2, 8],
      [0x108, 3, 4],
    ],
  );
  assert.equal(d.field('geneve.vni'), '0x000abc');
  assert.equal(originIdentity(d.batch, d.rec), 'geneve vni=2748 gwlbe=0x1122334455667788 attachment=0x99aabbccddeeff00 cookie=0xcafef00d src=10.0.0.1');
});

test('GENEVE whose option length overruns the header is an anomaly', () => {
  const f = h(OUTER_ETH, '4500 0032 0000 0000 40 11 0000 0a000001 0a000002', 'c001 17c1 001e 0000', '01 00 6558 000001 00', '0108 01 05 11223344', INNER.slice(0, 8));
  const d = decode(f);
  assert.equal(d.rec.anomaly, Anomaly.geneve_bad_option);
  assert.equal(d.path, 'eth:ethertype:ip:udp');
});

test('GRE with key and sequence carrying IPv4: eth:ethertype:ip:gre:ip:icmp:data', () => {
  const f = h(
    OUTER_ETH,
    '4500 0040 0000 0000 40 2f 0000 0a000001 0a000002', // IPv4, total 64, GRE
    '3000 0800 0000002a 00000007', // GRE K+S, proto IPv4, key 42, seq 7
    '4500 0020 0001 0000 40 01 0000 c0a80001 c0a80002', // inner IPv4
    '0800 0000 0001 0001 deadbeef', // ICMP echo + data
  );
  const d = decode(f);
  assert.equal(d.path, 'eth:ethertype:ip:gre:ip:icmp:data');
  const k = tunnelIndex(d.rec);
  assert.equal(greKeyAt(d.batch, d.rec, k), 42);
  assert.equal(greSequenceAt(d.batch, d.rec, k), 7);
  assert.equal(d.field('gre.proto'), '0x0800');
  assert.equal(d.field('gre.key'), '0x0000002a');
  assert.equal(originIdentity(d.batch, d.rec), 'gre key=0x2a src=10.0.0.1');
});

test('GRE with checksum and transparent Ethernet bridging (0x6558)', () => {
  const f = h(OUTER_ETH, '4500 004a 0000 0000 40 2f 0000 0a000001 0a000002', '8000 6558 0000 0000', INNER); // IPv4 total 74; GRE C flag, checksum + reserved
  assert.equal(decode(f).path, 'eth:ethertype:ip:gre:eth:ethertype:ip:icmp:data');
});

test('ERSPAN type I (GRE 0x88be without sequence): empty ERSPAN layer, then Ethernet', () => {
  const f = h(OUTER_ETH, '4500 0046 0000 0000 40 2f 0000 0a000001 0a000002', '0000 88be', INNER);
  const d = decode(f);
  assert.equal(d.path, 'eth:ethertype:ip:gre:erspan:eth:ethertype:ip:icmp:data');
  const k = tunnelIndex(d.rec, 1);
  assert.equal(erspanTypeAt(d.rec, k), 1);
  assert.equal(erspanSessionIdAt(d.batch, d.rec, k), -1);
});

test('ERSPAN type II: session id 100', () => {
  const f = h(
    OUTER_ETH,
    '4500 0052 0000 0000 40 2f 0000 0a000001 0a000002', // IPv4, total 82, GRE
    '1000 88be 00000001', // GRE S, proto ERSPAN, seq 1
    '1000 0064 00000000', // ERSPAN II, VLAN 0, session 100
    INNER,
  );
  const d = decode(f);
  assert.equal(d.path, 'eth:ethertype:ip:gre:erspan:eth:ethertype:ip:icmp:data');
  const k = tunnelIndex(d.rec, 1);
  assert.equal(erspanTypeAt(d.rec, k), 2);
  assert.equal(erspanSessionIdAt(d.batch, d.rec, k), 100);
  assert.equal(erspanDirectionAt(d.batch, d.rec, k), -1);
  assert.equal(d.field('erspan.spanid'), '100');
  assert.equal(originIdentity(d.batch, d.rec), 'gre src=10.0.0.1 / erspan2 session=100');
});

test('ERSPAN type III with platform subheader, egress', () => {
  const f = h(
    OUTER_ETH,
    '4500 005e 0000 0000 40 2f 0000 0a000001 0a000002', // IPv4, total 94, GRE
    '1000 22eb 00000001', // GRE S, proto ERSPAN III
    '2000 0005 00000000 0000 0009', // ERSPAN III, session 5, FT 0, D=1 (egress), O=1
    '0000000000000000', // platform specific subheader
    INNER,
  );
  const d = decode(f);
  assert.equal(d.path, 'eth:ethertype:ip:gre:erspan:eth:ethertype:ip:icmp:data');
  const k = tunnelIndex(d.rec, 1);
  assert.equal(erspanTypeAt(d.rec, k), 3);
  assert.equal(erspanSessionIdAt(d.batch, d.rec, k), 5);
  assert.equal(erspanDirectionAt(d.batch, d.rec, k), 1);
  assert.equal(d.rec.layerEnd[k] - d.rec.layerStart[k], 20);
});

test('ERSPAN III without its version nibble is an anomaly', () => {
  const f = h(OUTER_ETH, '4500 005e 0000 0000 40 2f 0000 0a000001 0a000002', '1000 22eb 00000001', '1000 0005 00000000 0000 0000', INNER);
  assert.equal(decode(f).rec.anomaly, Anomaly.erspan_bad_version);
});

test('TZSP on UDP 37008 with an Ethernet frame', () => {
  const f = h(
    OUTER_ETH,
    '4500 004f 0000 0000 40 11 0000 0a000001 0a000002', // IPv4, total 79, UDP
    'c002 9090 003b 0000', // UDP > 37008, length 59
    '01 00 0001 01', // TZSP v1, received, encapsulation Ethernet, END tag
    INNER,
  );
  const d = decode(f);
  assert.equal(d.path, 'eth:ethertype:ip:udp:tzsp:eth:ethertype:ip:icmp:data');
  assert.equal(originIdentity(d.batch, d.rec), 'tzsp src=10.0.0.1');
});

test('TZSP with a tagged field running past the datagram is an anomaly', () => {
  const f = h(OUTER_ETH, '4500 0024 0000 0000 40 11 0000 0a000001 0a000002', 'c002 9090 0010 0000', '01 00 0001 0a 20 0000');
  assert.equal(decode(f).rec.anomaly, Anomaly.tzsp_bad_tag);
});

test('VXLAN in VXLAN decodes both; maxTunnelDepth bounds the nesting', () => {
  const inner2 = h(
    '02000000000b 02000000000a 0800',
    '4500 0052 0000 0000 40 11 0000 ac100001 ac100002', // IPv4 172.16.0.1 > .2, UDP
    'c000 12b5 003e 0000',
    '08000000 0000c800', // VNI 200
    INNER,
  );
  const f = h(OUTER_ETH, '4500 0084 0000 0000 40 11 0000 0a000001 0a000002', 'c000 12b5 0070 0000', '08000000 00006400', Buffer.from(inner2).toString('hex'));
  const d = decode(f);
  assert.equal(d.path, 'eth:ethertype:ip:udp:vxlan:eth:ethertype:ip:udp:vxlan:eth:ethertype:ip:icmp:data');
  assert.equal(d.rec.tunnelCount, 2);
  assert.equal(innermostVni(d.batch, d.rec), 200);
  assert.equal(originIdentity(d.batch, d.rec), 'vxlan vni=100 src=10.0.0.1 / vxlan vni=200 src=172.16.0.1');
  assert.equal(d.field('vxlan.vni'), '100,200');
  const limited = decode(f, 1, { maxTunnelDepth: 1 });
  assert.equal(limited.rec.anomaly, Anomaly.tunnel_depth_exceeded);
  assert.equal(limited.path, 'eth:ethertype:ip:udp:vxlan:eth:ethertype:ip:udp');
});

test('a truncated VXLAN header is an anomaly, the outer layers stay', () => {
  const f = h(OUTER_ETH, '4500 0020 0000 0000 40 11 0000 0a000001 0a000002', 'c000 12b5 000c 0000', '0800 0000');
  const d = decode(f);
  assert.equal(d.rec.anomaly, Anomaly.vxlan_truncated);
  assert.equal(d.path, 'eth:ethertype:ip:udp');
  assert.equal(d.rec.layerType[d.rec.l4], Layer.UDP);
});
