/**
 * Link, L2.5, network and transport decoding on hand-written frames: hex per header with the
 * expected layer stack in a comment.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BatchBuilder } from '../../src/core/batch.js';
import { LinkType } from '../../src/core/linktypes.js';
import { decodePacket } from '../../src/decode/decode.js';
import { DecodeRecord, Layer, LayerFlag } from '../../src/decode/record.js';
import { Anomaly } from '../../src/decode/anomalies.js';
import { protocolPathString } from '../../src/decode/protocol-path.js';
import { compileFieldList } from '../../src/decode/fields.js';
import { TcpOption, findTcpOption } from '../../src/protocols/tcp.js';

const h = (...parts: string[]): Uint8Array => Uint8Array.from(Buffer.from(parts.join('').replace(/\s+/g, ''), 'hex'));

function decode(bytes: Uint8Array, linktype: number = LinkType.ETHERNET) {
  const bb = new BatchBuilder(2, 4096);
  bb.add(bytes, { linktype });
  const rec = new DecodeRecord();
  decodePacket(bb.batch, 0, rec);
  const field = (name: string): string => compileFieldList([name]).format(bb.batch, 0, rec);
  return { batch: bb.batch, rec, path: protocolPathString(bb.batch, 0, rec), field };
}

const ETH = (type: string): string => `000000000002 000000000001 ${type}`;
// IPv4 10.0.0.1 > 10.0.0.2 / UDP 1234 > 53 / 4 bytes: 32 bytes
const IPV4_UDP = '4500 0020 0000 0000 40 11 0000 0a000001 0a000002' + '04d2 0035 000c 0000' + '01020304';
// TCP SYN 40000 > 80 with MSS option (24-byte header), and IPv4 / that segment
const TCP_SYN = '9c40 0050 00000064 00000000 6002 ffff 0000 0000' + '020405b4';
const IPV4_TCP = '4500 002c 0000 4000 40 06 0000 0a000001 0a000002' + TCP_SYN;

test('Ethernet / IPv4 / TCP with options: eth:ethertype:ip:tcp', () => {
  const d = decode(h(ETH('0800'), IPV4_TCP));
  assert.equal(d.path, 'eth:ethertype:ip:tcp');
  assert.equal(d.rec.layerEnd[d.rec.l4] - d.rec.layerStart[d.rec.l4], 24);
  assert.equal(d.field('tcp.flags'), '0x0002');
  assert.equal(d.field('tcp.len'), '0');
  assert.equal(d.rec.payloadLength, 0);
});

test('Ethernet padding after the IP datagram is not payload', () => {
  const d = decode(h(ETH('0800'), IPV4_TCP, '000000000000'));
  assert.equal(d.path, 'eth:ethertype:ip:tcp');
});

test('IPv4 with options (IHL 6) / UDP', () => {
  const d = decode(h(ETH('0800'), '4600 0024 0000 0000 40 11 0000 0a000001 0a000002 01010100', '04d2 0035 000c 0000 01020304'));
  assert.equal(d.path, 'eth:ethertype:ip:udp:data');
  assert.equal(d.rec.layerEnd[d.rec.l3] - d.rec.layerStart[d.rec.l3], 24);
  assert.equal(d.rec.payloadLength, 4);
});

test('IPv4 fragments: the first is decoded to UDP, a later one stops at IP', () => {
  const first = decode(h(ETH('0800'), '4500 0020 0001 2000 40 11 0000 0a000001 0a000002', '04d2 0035 0018 0000 01020304'));
  assert.equal(first.path, 'eth:ethertype:ip:udp:data');
  assert.ok(first.rec.layerFlags[first.rec.l3] & LayerFlag.FIRST_FRAGMENT);
  const later = decode(h(ETH('0800'), '4500 0020 0001 0001 40 11 0000 0a000001 0a000002', '0102030405060708 01020304'));
  assert.equal(later.path, 'eth:ethertype:ip:data');
  assert.equal(later.rec.l4, -1);
  assert.ok(later.rec.layerFlags[later.rec.l3] & LayerFlag.FRAGMENT);
  assert.equal(later.field('ip.frag_offset'), '1');
});

test('802.1ad + 802.1Q (QinQ): eth:ethertype:ieee8021ad:ethertype:vlan:ethertype:ip:udp:data', () => {
  const d = decode(h(ETH('88a8'), '0064 8100', '20c8 0800', IPV4_UDP)); // S-tag 100, C-tag 200 PCP 1
  assert.equal(d.path, 'eth:ethertype:ieee8021ad:ethertype:vlan:ethertype:ip:udp:data');
  assert.equal(d.field('vlan.id'), '200'); // tshark keeps service tags out of vlan.*
  assert.equal(d.field('ieee8021ad.id'), '100');
  assert.equal(d.field('vlan.priority'), '1');
  assert.equal(d.field('eth.type'), '0x88a8');
});

test('three stacked tags (0x9100, 0x8100, 0x8100)', () => {
  const d = decode(h(ETH('9100'), '000a 8100', '000b 8100', '000c 0800', IPV4_UDP));
  assert.equal(d.path, 'eth:ethertype:vlan:ethertype:vlan:ethertype:vlan:ethertype:ip:udp:data');
  assert.equal(d.field('vlan.id'), '10,11,12');
  assert.equal(d.field('vlan.etype'), '0x8100,0x8100,0x0800');
});

test('MPLS label stack with IPv4 below: eth:ethertype:mpls:ip:udp:data', () => {
  const d = decode(h(ETH('8847'), '00010040', '00011140', IPV4_UDP)); // labels 16, 17 (bottom)
  assert.equal(d.path, 'eth:ethertype:mpls:ip:udp:data');
  assert.equal(d.field('mpls.label'), '16,17');
  assert.equal(d.field('mpls.bottom'), '0,1');
});

test('MPLS pseudowire with control word and Ethernet inside', () => {
  const d = decode(h(ETH('8847'), '00012140', '00000000', ETH('0800'), IPV4_UDP)); // label 18 bottom, CW
  assert.equal(d.path, 'eth:ethertype:mpls:pwethcw:eth:ethertype:ip:udp:data');
});

test('PPPoE session carrying IPv4: eth:ethertype:pppoes:ppp:ip:udp:data', () => {
  const d = decode(h(ETH('8864'), '11 00 1234 0022 0021', IPV4_UDP)); // session 0x1234, length 34
  assert.equal(d.path, 'eth:ethertype:pppoes:ppp:ip:udp:data');
  assert.equal(d.field('pppoe.session_id'), '0x1234');
});

test('802.3 length + LLC/SNAP carrying IPv4', () => {
  const d = decode(h('000000000002 000000000001 0028', 'aaaa03 000000 0800', IPV4_UDP)); // length 40
  assert.equal(d.path, 'eth:llc:ip:udp:data');
  const stp = decode(h('0180c2000000 000000000001 0026', '424203', '0000000000000000000000000000000000000000000000000000000000000000000000'));
  assert.equal(stp.path, 'eth:llc:data');
});

test('ARP request', () => {
  const d = decode(h('ffffffffffff 000000000001 0806', '0001 0800 06 04 0001 000000000001 0a000001 000000000000 0a000002', '00'.repeat(18)));
  assert.equal(d.path, 'eth:ethertype:arp');
  assert.equal(d.field('arp.dst.proto_ipv4'), '10.0.0.2');
});

test('IPv6 with hop-by-hop, routing, destination options and fragment headers', () => {
  const d = decode(
    h(
      ETH('86dd'),
      '6000 0000 0030 00 40 20010db8000000000000000000000001 20010db8000000000000000000000002', // IPv6, plen 48, HBH
      '2b00 0104 00000000', // hop-by-hop: next routing, PadN
      '3c00 0000 00000000', // routing type 0: next destination options
      '2c00 0104 00000000', // destination options: next fragment
      '1100 0000 00001234', // fragment offset 0, M=0: next UDP
      '04d2 0035 0010 0000 0102030405060708', // UDP, 8 bytes of data
    ),
  );
  assert.equal(d.path, 'eth:ethertype:ipv6:ipv6.hopopts:ipv6.routing:ipv6.dstopts:ipv6.fraghdr:udp:data');
  assert.equal(d.field('ipv6.src'), '2001:db8::1');
  assert.equal(d.rec.layerType[d.rec.l4], Layer.UDP);
});

test('IPv6 non-first fragment stops after the fragment header', () => {
  const d = decode(h(ETH('86dd'), '6000 0000 0010 2c 40 20010db8000000000000000000000001 20010db8000000000000000000000002', '1100 0009 00001234', '0102030405060708'));
  assert.equal(d.path, 'eth:ethertype:ipv6:ipv6.fraghdr:data');
  assert.equal(d.rec.l4, -1);
});

test('IPv6 AH then UDP; ESP stops decoding', () => {
  const ah = decode(
    h(ETH('86dd'), '6000 0000 0024 33 40 20010db8000000000000000000000001 20010db8000000000000000000000002', '1104 0000 00000100 00000001 000000000000000000000000', '04d2 0035 000c 0000 01020304'),
  );
  assert.equal(ah.path, 'eth:ethertype:ipv6:ah:udp:data');
  const esp = decode(h(ETH('86dd'), '6000 0000 0010 32 40 20010db8000000000000000000000001 20010db8000000000000000000000002', '00000100 00000001 0102030405060708'));
  assert.equal(esp.path, 'eth:ethertype:ipv6:data');
});

test('ICMP time exceeded quotes the original datagram: ip.src shows outer then quoted', () => {
  const d = decode(
    h(
      ETH('0800'),
      '4500 0038 0000 0000 ff 01 0000 0a050001 0c040404', // IPv4 10.5.0.1 > 12.4.4.4, ICMP
      '0b00 0000 00000000', // ICMP time exceeded
      '4500 0028 0000 0000 01 11 0000 0c040404 0c010101', // quoted IPv4 12.4.4.4 > 12.1.1.1, UDP
      'a54b 829b 0014 0000', // quoted UDP 42315 > 33435
    ),
  );
  assert.equal(d.path, 'eth:ethertype:ip:icmp:ip:udp');
  assert.equal(d.field('ip.src'), '10.5.0.1,12.4.4.4');
  assert.equal(d.field('udp.srcport'), '42315');
  // The flow view (l3/l4) stays on the ICMP message itself.
  assert.equal(d.rec.layerStart[d.rec.l3], 14);
  assert.equal(d.rec.layerType[d.rec.l4], Layer.ICMP);
});

test('ICMP error quoting only the first 8 bytes of a TCP header is not an anomaly', () => {
  const d = decode(h(ETH('0800'), '4500 0038 0000 0000 40 01 0000 0a000001 0a000002', '0303 0000 00000000', '4500 0028 0000 0000 40 06 0000 0a000002 0a000001', '0050 9c40 00000064'));
  assert.equal(d.rec.anomaly, 0);
  assert.equal(d.path, 'eth:ethertype:ip:icmp:ip:tcp');
  assert.equal(d.field('tcp.srcport'), '80');
  assert.equal(d.field('tcp.flags'), '');
});

test('ICMPv6 echo request and SCTP common header', () => {
  const icmp6 = decode(h(ETH('86dd'), '6000 0000 000c 3a 40 20010db8000000000000000000000001 20010db8000000000000000000000002', '8000 0000 0001 0001 01020304'));
  assert.equal(icmp6.path, 'eth:ethertype:ipv6:icmpv6:data');
  assert.equal(icmp6.field('icmpv6.type'), '128');
  const sctp = decode(h(ETH('0800'), '4500 0030 0000 0000 40 84 0000 0a000001 0a000002', '0b59 0b59 00000001 00000000', '01000010 00000000 00000000 00000000'));
  assert.equal(sctp.path, 'eth:ethertype:ip:sctp');
  assert.equal(sctp.field('sctp.dstport'), '2905');
});

test('link layers: SLL, SLL2, NULL (both byte orders), LOOP, RAW, PPP, C-HDLC', () => {
  assert.equal(decode(h('0000 0001 0006 000000000001 0000 0800', IPV4_UDP), LinkType.LINUX_SLL).path, 'sll:ethertype:ip:udp:data');
  assert.equal(decode(h('0800 0000 00000002 0001 00 06 000000000001 0000', IPV4_UDP), LinkType.LINUX_SLL2).path, 'sll:ethertype:ip:udp:data');
  assert.equal(decode(h('02000000', IPV4_UDP), LinkType.NULL).path, 'null:ip:udp:data');
  assert.equal(decode(h('00000002', IPV4_UDP), LinkType.NULL).path, 'null:ip:udp:data');
  assert.equal(decode(h('00000002', IPV4_UDP), LinkType.LOOP).path, 'null:ip:udp:data');
  assert.equal(decode(h(IPV4_UDP), LinkType.RAW).path, 'raw:ip:udp:data');
  assert.equal(decode(h(IPV4_UDP), LinkType.IPV4).path, 'ip:udp:data'); // tshark: no 'raw' for LINKTYPE_IPV4
  assert.equal(decode(h('ff03 0021', IPV4_UDP), LinkType.PPP).path, 'ppp:ip:udp:data');
  assert.equal(decode(h('0281', '00011140', IPV4_UDP), LinkType.PPP).path, 'ppp:mpls:ip:udp:data');
  assert.equal(decode(h('0f00 0800', IPV4_UDP), LinkType.C_HDLC).path, 'chdlc:ip:udp:data');
  const unknown = decode(h(IPV4_UDP), 147);
  assert.equal(unknown.rec.anomaly, Anomaly.unknown_linktype);
  assert.equal(unknown.rec.layerCount, 0);
});

test('truncations and bad fields stop decoding with a reason', () => {
  const cases: Array<[string, Uint8Array, number, string]> = [
    ['short Ethernet', h('0000000000020000'), Anomaly.ethernet_truncated, ''],
    ['IPv4 cut inside its header', h(ETH('0800'), '4500 0020 0000 0000 40'), Anomaly.ipv4_truncated_header, 'eth:ethertype'],
    ['IPv4 IHL below 5', h(ETH('0800'), '4400 0020 0000 0000 40 11 0000 0a000001 0a000002 04d2 0035 000c 0000'), Anomaly.ipv4_bad_ihl, 'eth:ethertype'],
    ['IPv4 options cut off', h(ETH('0800'), '4f00 0040 0000 0000 40 11 0000 0a000001 0a000002 0101'), Anomaly.ipv4_truncated_header, 'eth:ethertype'],
    ['IPv4 total length below its header', h(ETH('0800'), '4500 0010 0000 0000 40 11 0000 0a000001 0a000002'), Anomaly.ipv4_bad_total_length, 'eth:ethertype:ip'],
    ['IPv4 version 5', h(ETH('0800'), '5500 0020 0000 0000 40 11 0000 0a000001 0a000002'), Anomaly.ipv4_bad_version, 'eth:ethertype'],
    ['TCP data offset 3', h(ETH('0800'), '4500 0028 0000 0000 40 06 0000 0a000001 0a000002', '9c40 0050 00000064 00000000 3002 ffff 0000 0000'), Anomaly.tcp_bad_data_offset, 'eth:ethertype:ip'],
    ['TCP header cut', h(ETH('0800'), '4500 0028 0000 0000 40 06 0000 0a000001 0a000002', '9c40 0050 0000'), Anomaly.tcp_truncated_header, 'eth:ethertype:ip'],
    ['UDP length 5', h(ETH('0800'), '4500 0020 0000 0000 40 11 0000 0a000001 0a000002', '04d2 0035 0005 0000 01020304'), Anomaly.udp_bad_length, 'eth:ethertype:ip:udp'],
    ['IPv6 header cut', h(ETH('86dd'), '6000 0000 0008 11 40 2001'), Anomaly.ipv6_truncated_header, 'eth:ethertype'],
    ['IPv6 extension cut', h(ETH('86dd'), '6000 0000 0010 00 40 20010db8000000000000000000000001 20010db8000000000000000000000002', '1102 0000'), Anomaly.ipv6_ext_truncated, 'eth:ethertype:ipv6'],
    ['VLAN tag cut', h(ETH('8100'), '00'), Anomaly.vlan_truncated, 'eth:ethertype'],
    ['GRE version 2', h(ETH('0800'), '4500 0020 0000 0000 40 2f 0000 0a000001 0a000002', '0002 0800 00000000'), Anomaly.gre_bad_version, 'eth:ethertype:ip'],
  ];
  for (const [name, bytes, anomaly, path] of cases) {
    const d = decode(bytes);
    assert.equal(d.rec.anomaly, anomaly, name);
    assert.equal(d.path, path, name);
  }
});

test('a label stack deeper than MAX_LAYERS is cut with too_many_layers', () => {
  const d = decode(h(ETH('8847'), '00010040'.repeat(100), '00011140', IPV4_UDP));
  assert.equal(d.rec.anomaly, Anomaly.too_many_layers);
  assert.equal(d.rec.layerCount, 64);
});

test('TCP options are reachable with findTcpOption (MSS 1460)', () => {
  const d = decode(h(ETH('0800'), IPV4_TCP));
  const s = d.rec.layerStart[d.rec.l4];
  const o = findTcpOption(d.batch.data, s, d.rec.layerEnd[d.rec.l4], TcpOption.MSS);
  assert.equal(o, s + 20);
  assert.equal(d.batch.view.getUint16(o + 2), 1460);
  assert.equal(findTcpOption(d.batch.data, s, d.rec.layerEnd[d.rec.l4], TcpOption.TIMESTAMP), -1);
});

test('AH after IPv4, IP-in-IP and MPLS over UDP (RFC 7510)', () => {
  // eth / IPv4 proto 51 / AH (next TCP, 24 bytes) / TCP
  const ah = decode(h(ETH('0800'), '4500 0044 0000 0000 40 33 0000 0a000001 0a000002', '0604 0000 00000100 00000001 000000000000000000000000', TCP_SYN));
  assert.equal(ah.path, 'eth:ethertype:ip:ah:tcp');
  // eth / IPv4 proto 4 / IPv4 / UDP
  const ipip = decode(h(ETH('0800'), '4500 0034 0000 0000 40 04 0000 0a000001 0a000002', IPV4_UDP));
  assert.equal(ipip.path, 'eth:ethertype:ip:ip:udp:data');
  assert.equal(ipip.field('ip.src'), '10.0.0.1,10.0.0.1');
  // eth / IPv4 / UDP > 6635 / MPLS 21 (bottom) / IPv4 / UDP
  const mplsUdp = decode(h(ETH('0800'), '4500 0040 0000 0000 40 11 0000 0a000001 0a000002', 'c000 19eb 002c 0000', '00015140', IPV4_UDP));
  assert.equal(mplsUdp.path, 'eth:ethertype:ip:udp:mpls:ip:udp:data');
  assert.equal(mplsUdp.field('mpls.label'), '21');
});

test('GRE with RFC 1701 routing entries', () => {
  // GRE R flag: checksum/offset word, one SRE (AF 0x0800, length 4), the NULL SRE, then IPv4
  const d = decode(h(ETH('0800'), '4500 0048 0000 0000 40 2f 0000 0a000001 0a000002', '4000 0800 00000000', '0800 00 04 0a000003', '0000 00 00', IPV4_UDP));
  assert.equal(d.path, 'eth:ethertype:ip:gre:ip:udp:data');
  const bad = decode(h(ETH('0800'), '4500 0030 0000 0000 40 2f 0000 0a000001 0a000002', '4000 0800 00000000', '0800 00 40 0a000003'));
  assert.equal(bad.rec.anomaly, Anomaly.gre_bad_routing);
});

// 802.11 QoS data header (26 bytes: to-DS, QoS control) and LLC/SNAP carrying IPv4.
const WLAN_QOS = '8801 0000 000000000002 000000000001 000000000003 0000 0000';
const SNAP_IPV4 = 'aaaa03 000000 0800';

test('802.11 data frame (LINKTYPE 105) and behind radiotap: wlan:llc:ip:udp', () => {
  assert.equal(decode(h(WLAN_QOS, SNAP_IPV4, IPV4_UDP), LinkType.IEEE802_11).path, 'wlan:llc:ip:udp:data');
  const rt = decode(h('00000800 00000000', WLAN_QOS, SNAP_IPV4, IPV4_UDP), LinkType.IEEE802_11_RADIOTAP);
  assert.equal(rt.path, 'radiotap:wlan_radio:wlan:llc:ip:udp:data');
  // A protected frame's body is data; a management frame is one layer to its end.
  assert.equal(decode(h('8841', WLAN_QOS.slice(4), 'deadbeef'), LinkType.IEEE802_11).path, 'wlan:data');
  assert.equal(decode(h('8000 0000', '00'.repeat(30)), LinkType.IEEE802_11).path, 'wlan');
  // Protocol version 1 is not 802.11 as we know it: one opaque layer, as tshark shows it.
  assert.equal(decode(h('8901', WLAN_QOS.slice(4), SNAP_IPV4, IPV4_UDP), LinkType.IEEE802_11).path, 'wlan');
});

test('radiotap DATAPAD pads the 802.11 header to 4 bytes; the FCS is cut only where it was captured', () => {
  // present: flags (bit 1); flags byte 0x20 (DATAPAD), then 3 bytes to the 12-byte header.
  const padded = decode(h('00000c00 02000000 20000000', WLAN_QOS, '0000', SNAP_IPV4, IPV4_UDP), LinkType.IEEE802_11_RADIOTAP);
  assert.equal(padded.path, 'radiotap:wlan_radio:wlan:llc:ip:udp:data');
  assert.equal(padded.field('udp.dstport'), '53');
  // flags 0x10: the frame ends with a 4-byte FCS.
  const withFcs = h('00000c00 02000000 10000000', WLAN_QOS, SNAP_IPV4, IPV4_UDP, 'aabbccdd');
  const whole = decode(withFcs, LinkType.IEEE802_11_RADIOTAP);
  assert.equal(whole.field('ip.len'), '32');
  assert.equal(whole.rec.payloadLength, 4, 'the FCS is not UDP payload');
  // Snapped before the FCS: nothing more is cut.
  const bb = new BatchBuilder(2, 4096);
  bb.add(withFcs.subarray(0, withFcs.length - 4), { linktype: LinkType.IEEE802_11_RADIOTAP, wirelen: withFcs.length });
  const rec = new DecodeRecord();
  decodePacket(bb.batch, 0, rec);
  assert.equal(rec.anomaly, Anomaly.none);
  assert.equal(rec.payloadLength, 4);
});

test('FabricPath, VN-Tag and 802.1ah as tshark names them', () => {
  const inner = ETH('0800') + IPV4_UDP;
  assert.equal(decode(h('000000000012 000000000011 8903 0401', inner)).path, 'eth:cfp:eth:ethertype:ip:udp:data');
  assert.equal(decode(h(ETH('8926'), '80010002 0800', IPV4_UDP)).path, 'eth:ethertype:vntag:ethertype:ip:udp:data');
  // A length after VN-Tag bounds an LLC frame, as after a VLAN tag.
  assert.equal(decode(h(ETH('8926'), '80010002 0006', '424203 000000', '00'.repeat(20))).path, 'eth:ethertype:vntag:llc:data');
  const isid = '00000064 000000000022 000000000021';
  assert.equal(decode(h(ETH('8100'), '0fd3 88e7', isid, '0800', IPV4_UDP)).path, 'eth:ethertype:vlan:ethertype:ieee8021ah:ethertype:ip:udp:data');
  // After an 802.1ad service tag (the standard B-tag), tshark counts the I-tag in ieee8021ad.
  assert.equal(decode(h(ETH('88a8'), '0fd3 88e7', isid, '0800', IPV4_UDP)).path, 'eth:ethertype:ieee8021ad:ethertype:ip:udp:data');
  // A FabricPath frame too short for its inner Ethernet header keeps its outer one.
  const cut = decode(h('000000000012 000000000011 8903 0401', '000000000002'));
  assert.equal(cut.path, 'eth:ethertype');
  assert.equal(cut.rec.anomaly, Anomaly.fabricpath_truncated);
});
