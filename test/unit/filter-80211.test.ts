/**
 * 802.11 (LINKTYPE 105) and 802.11 + radiotap (LINKTYPE 127) on hand-built frames: the
 * per-packet offsets libpcap 1.10 computes before the filter (radiotap length, 24-byte data
 * header, +2 for QoS data, Atheros DATAPAD round-up), the frame-control tests, and what is
 * left out. The differential test checks the same against tcpdump; these run without it (each
 * verdict here was also checked against tcpdump 4.99.3 / libpcap 1.10.3 on the same bytes).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { compileFilter, FilterSyntaxError } from '../../src/filter/index.js';

const hex = (s: string) => Uint8Array.from(s.replace(/\s+/g, '').match(/../g) ?? [], (b) => parseInt(b, 16));

function m(expr: string, pkt: Uint8Array, linktype: number, caplen = pkt.length): boolean {
  const f = compileFilter(expr, linktype);
  return f.match(pkt, new DataView(pkt.buffer, pkt.byteOffset, pkt.byteLength), 0, caplen, pkt.length);
}

const ADDRS = '020000000001 020000000002 020000000003'; // addr1..addr3
const SEQ = '1000';
const SNAP_IP = 'aaaa03 000000 0800'; // LLC/SNAP, Ethertype IPv4
const IP4_UDP_53 = '4500 001c 0001 0000 40 11 0000 0a000001 0a000002 c000 0035 0008 0000'; // 10.0.0.1:49152 > 10.0.0.2:53

// QoS data, to-DS: fc 0x88 0x01, duration, 3 addresses, sequence, QoS control (26-byte header).
const QOS_DATA = `8801 0000 ${ADDRS} ${SEQ} 0000 ${SNAP_IP} ${IP4_UDP_53}`;
// Plain data, from-DS: fc 0x08 0x02 (24-byte header).
const DATA = `0802 0000 ${ADDRS} ${SEQ} ${SNAP_IP} ${IP4_UDP_53}`;
// Beacon: fc 0x80 0x00.
const BEACON = `8000 0000 ffffffffffff 020000000002 020000000002 ${SEQ} 0000000000000000 6400 0104`;

test('LINKTYPE 105: QoS data frames carry 2 more header bytes before LLC/SNAP', () => {
  for (const frame of [hex(QOS_DATA), hex(DATA)]) {
    for (const e of ['ip', 'udp', 'udp port 53', 'host 10.0.0.1', 'dst host 10.0.0.2', 'net 10.0.0.0/8', 'ip proto 17',
      'ether proto 0x0800', 'llc', 'llc u', 'ip[9] = 17', 'udp[2:2] = 53', 'wlan type data', 'type data']) {
      assert.equal(m(e, frame, 105), true, `${e} on fc ${frame[0]!.toString(16)}`);
    }
    for (const e of ['ip6', 'tcp', 'arp', 'port 80', 'type mgt', 'subtype beacon', 'wlan type ctl']) assert.equal(m(e, frame, 105), false, e);
  }
  const qos = hex(QOS_DATA), data = hex(DATA);
  assert.equal(m('wlan subtype qos-data', qos, 105), true);
  assert.equal(m('wlan type data subtype qos-data', data, 105), false);
  assert.equal(m('wlan type data subtype data', data, 105), true);
  assert.equal(m('dir tods', qos, 105), true);
  assert.equal(m('wlan dir fromds', data, 105), true);
  assert.equal(m('dir nods or dir dstods', data, 105), false);
});

test('LINKTYPE 105: management frames are not data frames', () => {
  const b = hex(BEACON);
  for (const e of ['wlan type mgt', 'type management', 'subtype beacon', 'wlan type mgt subtype beacon', 'type 0 subtype 0x80',
    'subtype BEACON', 'dir nods', 'ether[0] & 0x0c = 0', 'not ip']) assert.equal(m(e, b, 105), true, e);
  for (const e of ['ip', 'llc', 'type data', 'subtype probe-req', 'wlan type ctl subtype ack']) assert.equal(m(e, b, 105), false, e);
});

test('LINKTYPE 105: the payload offset needs the frame-control byte; loads past caplen reject', () => {
  const q = hex(QOS_DATA);
  // The prologue reads byte 0 even for `ip` alone; a 26-byte capture has no LLC header.
  assert.equal(m('ip', q, 105, 0), false);
  assert.equal(m('not ip', q, 105, 0), false);
  assert.equal(m('not ip', q, 105, 26), false); // the Ethertype load at 32 is out of range
  assert.equal(m('not ip', q, 105, 34), false);
  assert.equal(m('type data', q, 105, 1), true); // frame-control tests need only byte 0
  assert.equal(m('greater 1', q, 105, 1), true); // nothing reads the variable offset: no prologue
});

/** Radiotap header: version 0, pad 0, length, presence word(s), then fields. */
function radiotap(presence: number[], fields: string): string {
  const body = hex(fields);
  const len = 4 + 4 * presence.length + body.length;
  const le = (v: number, n: number) => Array.from({ length: n }, (_, i) => ((v >>> (8 * i)) & 0xff).toString(16).padStart(2, '0')).join('');
  return `0000 ${le(len, 2)} ${presence.map((p) => le(p, 4)).join(' ')} ${fields}`;
}

test('LINKTYPE 127: the radiotap length (little-endian at 2-3) moves every 802.11 offset', () => {
  // 8-byte radiotap header without fields, then the QoS data frame.
  const p = hex(`${radiotap([0], '')} ${QOS_DATA}`);
  for (const e of ['ip', 'udp port 53', 'host 10.0.0.1', 'wlan type data', 'subtype qos-data', 'dir tods', 'link[0] = 0x88', 'radio[2] = 8']) {
    assert.equal(m(e, p, 127), true, e);
  }
  assert.equal(m('type mgt', p, 127), false);
  // A capture shorter than the length field rejects whatever the expression (the prologue reads it).
  assert.equal(m('type data or len > 0', p, 127, 3), false);
  assert.equal(m('len > 0', p, 127, 3), true); // no 802.11 offset used: no prologue
  assert.equal(m('radio[0] = 0', p, 127, 1), true); // radiotap loads are from the packet start
  assert.throws(() => compileFilter('radio[0] = 0', 105), /radio information not present in capture/);
});

test('LINKTYPE 127: Atheros DATAPAD rounds the payload offset up to a multiple of 4', () => {
  // Flags field present (bit 1), no TSFT: flags byte at 8 = 0x20 (DATAPAD); radiotap length 9.
  // Plain data frame: 9 + 24 = 33, rounded to 36: 3 pad bytes between header and LLC.
  const padded = hex(`${radiotap([0x02], '20')} ${DATA.replace(SNAP_IP, `000000 ${SNAP_IP}`)}`);
  assert.equal(m('ip', padded, 127), true);
  assert.equal(m('udp port 53', padded, 127), true);
  // The same frame with DATAPAD clear: libpcap reads the LLC header at 33, inside the pad.
  const flagsClear = Uint8Array.from(padded);
  flagsClear[8] = 0x00;
  assert.equal(m('ip', flagsClear, 127), false);
  assert.equal(m('link[24:2] = 0', flagsClear, 127), true); // pad bytes, read through the 802.11 header
  // TSFT (bit 0, 8 bytes) before the flags: the flags byte is at 16. QoS data: 18 + 26 = 44, no pad needed.
  const tsft = hex(`${radiotap([0x03], '0102030405060708 20 00')} ${QOS_DATA}`);
  assert.equal(m('ip', tsft, 127), true);
  // TSFT + flags with DATAPAD, plain data: 18 + 24 = 42 -> 44 (2 pad bytes).
  const tsftPad = hex(`${radiotap([0x03], '0102030405060708 20 00')} ${DATA.replace(SNAP_IP, `0000 ${SNAP_IP}`)}`);
  assert.equal(m('ip and udp port 53', tsftPad, 127), true);
  // An extension presence word (bit 31) makes libpcap ignore DATAPAD: no round-up, LLC read in the pad.
  const ext = hex(`${radiotap([0x80000003, 0], '0102030405060708 20 00')} ${DATA.replace(SNAP_IP, `0000 ${SNAP_IP}`)}`);
  assert.equal(m('ip', ext, 127), false);
  // DATAPAD only applies to data frames; the flags word is read only for them, and past caplen it rejects.
  assert.equal(m('ip', padded, 127, 7), false);
  assert.equal(m('wlan type data', padded, 127, 10), true); // the frame-control test alone needs no flags
});

test('arithmetic reusing the payload-offset register overwrites it, as in libpcap 1.10', () => {
  // `link[4:4] = 8` frees scratch slots 0-2; the payload offset then gets slot 2, which that
  // relation's code sets to 8: `ip` reads the Ethertype at 8 + 6 instead of 26 + 8 + 6 - 8.
  const q = hex(QOS_DATA);
  assert.equal(m('ip', q, 105), true);
  assert.equal(m('link[4:4] != 8 and ip', q, 105), false);
  assert.equal(m('ip and link[4:4] != 8', q, 105), true); // offset register taken first: no clash
  // Same with the radiotap length: `len > 100 or type ctl` reads the frame control at byte 100.
  const p = hex(`${radiotap([0], '')} ${BEACON}`);
  assert.equal(m('type mgt', p, 127), true);
  assert.equal(m('len > 1000 or type mgt', p, 127), false); // byte 1000 is past the end
});

test('wlan type/subtype/dir: names, numbers and libpcap 1.10 errors', () => {
  const err = (e: string, lt = 105) => {
    try { compileFilter(e, lt); } catch (x) { assert.ok(x instanceof FilterSyntaxError); return x.message; }
    return 'compiled';
  };
  assert.equal(err('wlan type 16'), 'invalid 802.11 type value 0x10');
  assert.equal(err('wlan type 0 subtype 0xff'), 'invalid 802.11 subtype value 0xff');
  assert.match(err('wlan subtype 0'), /syntax error/);
  assert.equal(err('wlan type ctl subtype beacon'), 'unknown 802.11 subtype name "beacon"');
  assert.equal(err('wlan type 12 subtype beacon'), 'unknown 802.11 type');
  assert.equal(err('wlan subtype nosuch'), 'unknown 802.11 type name');
  assert.equal(err('wlan type nosuch'), 'unknown 802.11 type name "nosuch"');
  assert.equal(err('dir sideways'), 'unknown 802.11 direction');
  assert.equal(err('dir 4'), 'invalid 802.11 direction value 4'); // newer libpcap; 1.10 never matches
  assert.equal(err('type mgt', 1), '802.11 link-layer types supported only on 802.11');
  assert.equal(err('dir tods', 1), 'frame direction supported only with 802.11 headers');
  assert.equal(err('mpls', 127), 'no MPLS support for 802.11 plus radiotap header');
  assert.equal(err('protochain 6'), "'protochain' not supported with variable length headers");
  assert.equal(err('type data and type ctl'), 'expression rejects all packets');
  assert.equal(err('type mgt and type ctl'), 'compiled'); // 1.10's optimiser does not fold a 0-compare
  assert.equal(err('ip and not ip'), 'compiled'); // the payload offset turns libpcap's optimiser off
  // Left out (gen_wlanhostop and its users, pppoes/geneve behind radiotap): a clear refusal.
  for (const e of ['wlan host 02:00:00:00:00:01', 'ether src 02:00:00:00:00:01', 'broadcast', 'ether multicast']) {
    assert.match(err(e), /on 802\.11 is not supported by the filter compiler/, e);
  }
  assert.match(err('geneve', 127), /'geneve' on 802\.11 plus radiotap header is not supported/);
  assert.match(err('pppoes', 127), /'pppoes' on 802\.11 plus radiotap header is not supported/);
  assert.equal(compileFilter('wlan type mgt subtype assoc-req', 105).normalized, 'wlan type mgt subtype assoc-req');
});
