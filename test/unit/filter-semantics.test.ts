/**
 * libpcap's semantics on hand-built packets (hex, with the layer stack in a comment): the
 * surprises users meet (802.1Q is not looked through, `vlan` shifts what follows, fragments
 * have no ports), BPF's reject-on-out-of-range-load, and the link types with a direction.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BatchBuilder } from '../../src/core/batch.js';
import { compileFilter } from '../../src/filter/index.js';

const hex = (s: string) => Uint8Array.from(s.replace(/\s+/g, '').match(/../g)!.map((b) => parseInt(b, 16)));
const ETH = 'ffffffffffff 020000000001'; // dst broadcast, src 02:00:00:00:00:01
const IP4_TCP = '4500 0028 0001 0000 40 06 0000 0a000001 0a000002'; // 10.0.0.1 -> 10.0.0.2, TCP
const TCP_SYN_80 = 'c000 0050 00000001 00000000 5002 ffff 0000 0000'; // 49152 -> 80, SYN

function m(expr: string, pkt: Uint8Array, linktype = 1, wirelen = pkt.length): boolean {
  const f = compileFilter(expr, linktype);
  return f.match(pkt, new DataView(pkt.buffer, pkt.byteOffset, pkt.byteLength), 0, pkt.length, wirelen);
}

test('plain Ethernet / IPv4 / TCP SYN to port 80', () => {
  // eth | ipv4 10.0.0.1 > 10.0.0.2 | tcp 49152 > 80 [S]
  const p = hex(`${ETH} 0800 ${IP4_TCP} ${TCP_SYN_80}`);
  for (const e of ['tcp', 'ip', 'tcp port 80', 'dst port http', 'src host 10.0.0.1', 'net 10.0.0.0/8', 'net 10.0 mask 255.0.0.0',
    'tcp[tcpflags] & tcp-syn != 0', 'tcp[13] == 2', 'ip[6:2] & 0x1fff = 0', 'ether broadcast', 'ip proto \\tcp',
    'ether src 02:00:00:00:00:01', 'portrange 79-81', 'len = 54', 'less 54', 'greater 54', 'ether proto 0x0800',
    'host 10.0.0.1 and host 10.0.0.2', 'src and dst net 10.0.0.0/24', 'tcp[((tcp[12:1] & 0xf0) >> 2):1] = 0']) {
    assert.equal(m(e, p), e !== 'tcp[((tcp[12:1] & 0xf0) >> 2):1] = 0', e); // the last one reads past the end
  }
  for (const e of ['udp', 'ip6', 'vlan', 'src port 80', 'tcp[tcpflags] & tcp-ack != 0', 'less 53', 'ip multicast', 'arp']) {
    assert.equal(m(e, p), false, e);
  }
});

test('802.1Q: `tcp` does not look past the tag; `vlan` shifts everything after it', () => {
  // eth | 802.1Q vid 100 | ipv4 | tcp
  const p = hex(`${ETH} 8100 0064 0800 ${IP4_TCP} ${TCP_SYN_80}`);
  assert.equal(m('tcp', p), false);
  assert.equal(m('host 10.0.0.1', p), false);
  assert.equal(m('vlan and tcp port 80', p), true);
  assert.equal(m('vlan 100 and host 10.0.0.1', p), true);
  assert.equal(m('vlan 101', p), false);
  // The shift also applies in an `or` branch, after the vlan test failed or not.
  assert.equal(m('vlan 7 or tcp', p), true);
  // Two shifts: the second vlan looks for a second tag.
  assert.equal(m('vlan and vlan', p), false);
  // ether[] is never shifted.
  assert.equal(m('vlan and ether[12:2] = 0x8100', p), true);
});

test('MPLS and PPPoE shift the network layer', () => {
  // eth | mpls label 17, bottom of stack | ipv4 | tcp
  const mpls = hex(`${ETH} 8847 00011140 ${IP4_TCP} ${TCP_SYN_80}`); // label 17 << 12 | S 1 << 8 | ttl 0x40
  assert.equal(m('mpls 17 and tcp port 80', mpls), true);
  assert.equal(m('mpls 18', mpls), false);
  assert.equal(m('mpls and mpls', mpls), false); // bottom-of-stack bit set: no second label
  assert.equal(m('ip', mpls), false);
  // eth | pppoe session 0x3b | ppp ip | ipv4 | tcp
  const pppoe = hex(`${ETH} 8864 1100 003b 002a 0021 ${IP4_TCP} ${TCP_SYN_80}`);
  assert.equal(m('pppoes 0x3b and tcp port 80', pppoe), true);
  assert.equal(m('pppoes 1', pppoe), false);
  assert.equal(m('pppoes and ip6', pppoe), false);
});

test('fragments: a non-first fragment has no ports, and port tests do not match it', () => {
  // eth | ipv4 with fragment offset 8 (MF clear) | bytes that would read as port 80
  const frag = hex(`${ETH} 0800 4500 0028 0001 0001 40 06 0000 0a000001 0a000002 ${TCP_SYN_80}`);
  assert.equal(m('tcp', frag), true);
  assert.equal(m('tcp port 80', frag), false);
  assert.equal(m('tcp[13] = 2', frag), false);
  assert.equal(m('ip[6:2] & 0x1fff != 0', frag), true);
});

test('IPv6: a fragment header before TCP counts for `tcp`; ports are read at 40 without walking', () => {
  const v6 = '6000 0000 0014 06 40 20010db8000000000000000000000001 20010db8000000000000000000000002';
  const p = hex(`${ETH} 86dd ${v6} ${TCP_SYN_80}`);
  assert.equal(m('ip6 and tcp dst port 80', p), true);
  assert.equal(m('host 2001:db8::1', p), true);
  assert.equal(m('net 2001:db8::/32', p), true);
  assert.equal(m('ip6 protochain 6', p), true);
  // Same with a fragment header (next header 44) in front of TCP.
  const withFrag = hex(`${ETH} 86dd ${v6.replace('0014 06', '001c 2c')} 0600 0000 00000001 ${TCP_SYN_80}`);
  assert.equal(m('tcp', withFrag), true);
  assert.equal(m('tcp port 80', withFrag), false); // libpcap reads the fragment header as ports
  assert.equal(m('ip6 protochain 6', withFrag), true);
});

test('BPF out-of-range load: the whole filter rejects, even inside `or` and `not`', () => {
  const p = hex(`${ETH} 0800 ${IP4_TCP} ${TCP_SYN_80}`);
  assert.equal(m('tcp[100] = 1 or tcp', p), false);
  assert.equal(m('not tcp[100] = 1', p), false);
  assert.equal(m('tcp or tcp[100] = 1', p), true); // short-circuit: never loaded
  // Truncated capture: caplen 20 of a 54-byte packet.
  const f = compileFilter('ip', 1);
  assert.equal(f.match(p, new DataView(p.buffer), 0, 20, 54), true);
  assert.equal(compileFilter('host 10.0.0.1', 1).match(p, new DataView(p.buffer), 0, 20, 54), false);
  assert.equal(compileFilter('greater 50', 1).match(p, new DataView(p.buffer), 0, 20, 54), true); // len is the wire length
});

test('link types with a direction: inbound / outbound on Linux cooked captures', () => {
  // sll: packet type 4 (outgoing) | arphrd 1 | addr len 6 | addr | pad | proto 0x0800 | ipv4
  const out = hex(`0004 0001 0006 020000000001 0000 0800 ${IP4_TCP}`);
  const inb = hex(`0000 0001 0006 020000000001 0000 0800 ${IP4_TCP}`);
  assert.equal(m('outbound and ip', out, 113), true);
  assert.equal(m('inbound', out, 113), false);
  assert.equal(m('inbound and host 10.0.0.2', inb, 113), true);
});

test('other link types: NULL (BSD AF values), RAW, IPv4, PPP', () => {
  // BSD loopback, little-endian AF 30 (Darwin AF_INET6) | ipv6
  const v6 = '6000 0000 0000 3b 40 00000000000000000000000000000001 00000000000000000000000000000001';
  assert.equal(m('ip6', hex(`1e000000 ${v6}`), 0), true);
  assert.equal(m('ip', hex(`02000000 ${IP4_TCP}`), 0), true);
  assert.equal(m('ip and tcp', hex(IP4_TCP), 101), true);
  assert.equal(m('ip6', hex(v6), 101), true);
  assert.equal(m('tcp', hex(IP4_TCP), 228), true);
  // PPP in HDLC framing: ff 03 | protocol 0x0021 (IP) | ipv4
  assert.equal(m('ip and host 10.0.0.2', hex(`ff03 0021 ${IP4_TCP}`), 9), true);
});

test('geneve: the rest of the expression reads the inner frame', () => {
  // eth | ipv4 udp | udp 12345 > 6081 | geneve vni 10, proto 0x6558 | inner eth | ipv4 tcp
  const inner = `${ETH} 0800 ${IP4_TCP.replace('0a000001 0a000002', 'c0a80001 c0a80002')} ${TCP_SYN_80}`;
  const outerIp = '4500 0064 0001 0000 40 11 0000 0a000001 0a000002';
  const p = hex(`${ETH} 0800 ${outerIp} 3039 17c1 0050 0000 0000 6558 00000a00 ${inner}`);
  assert.equal(m('geneve', p), true);
  assert.equal(m('geneve 10 and host 192.168.0.1 and tcp port 80', p), true);
  assert.equal(m('geneve 11', p), false);
  assert.equal(m('geneve and host 10.0.0.1', p), false);
  assert.equal(m('udp dst port 6081 and host 10.0.0.1', p), true);
});

test('matchBatch writes verdicts and counts kept packets', () => {
  const b = new BatchBuilder(4);
  b.add(hex(`${ETH} 0800 ${IP4_TCP} ${TCP_SYN_80}`));
  b.add(hex(`${ETH} 86dd 6000000000003b40 ${'00'.repeat(32)}`));
  b.add(hex(`${ETH} 0800 ${IP4_TCP} ${TCP_SYN_80}`));
  const v = new Uint8Array(4);
  assert.equal(compileFilter('ip', 1).matchBatch(b.batch, v), 2);
  assert.deepEqual(Array.from(v.subarray(0, 3)), [1, 0, 1]);
});

test('a 5,000-host or-chain compiles (balanced, no stack overflow) and matches', () => {
  const expr = Array.from({ length: 5000 }, (_, i) => `host 10.${i >> 8}.${i & 255}.1`).join(' or ');
  const f = compileFilter(expr, 1);
  const hit = hex(`${ETH} 0800 ${IP4_TCP.replace('0a000001', '0a130401')} ${TCP_SYN_80}`); // 10.19.4.1 = host #4868
  const miss = hex(`${ETH} 0800 ${IP4_TCP.replace('0a000001', '0a130402').replace('0a000002', '0a130403')} ${TCP_SYN_80}`);
  assert.equal(f.match(hit, new DataView(hit.buffer), 0, hit.length, hit.length), true);
  assert.equal(f.match(miss, new DataView(miss.buffer), 0, miss.length, miss.length), false);
});
