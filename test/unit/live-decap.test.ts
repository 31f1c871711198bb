/**
 * Mirror decapsulation on hex bytes (one layer-stack comment per case), origin identity,
 * source config validation, and the error a machine without the libpcap addon gets.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';
import { SOURCE_TYPES } from '../../src/components/sources/index.js';
import { Decap, decapGeneve, decapGre, decapTzsp, decapVxlan, innerWireLength } from '../../src/components/sources/mirror-decap.js';
import { MirrorOrigins } from '../../src/components/sources/mirror-origins.js';
import { OuterHeaders, parseOuter } from '../../src/components/sources/outer-headers.js';
import { Problems } from '../../src/pipeline/problems.js';
import { repoRoot } from '../helpers.js';

const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ''), 'hex');
const view = (b: Buffer) => new DataView(b.buffer, b.byteOffset, b.byteLength);
/** A minimal inner Ethernet + IPv4 frame (34 bytes) announcing `total` IP bytes. */
const inner = (total = 20) => `020000000002 020000000001 0800 4500${total.toString(16).padStart(4, '0')} 00000000 4011 0000 c0a84d01 c0a84d02`;

test('vxlan: header (I flag, VNI 0x00002a) | inner Ethernet', () => {
  const b = hex(`08000000 00002a00 ${inner()}`);
  const d = new Decap();
  assert.ok(decapVxlan(b, view(b), 0, b.length, d));
  assert.equal(d.id, 42);
  assert.equal(d.inner, 8);
  assert.equal(d.linktype, 1);
  assert.ok(!decapVxlan(hex(`00000000 00002a00 ${inner()}`), view(b), 0, b.length, d), 'I flag clear');
  assert.equal(d.reason, 'malformed');
});

test('geneve: options are identity except the AWS GWLB flow cookie; OAM is control', () => {
  // ver 0, 5 option words | TEB | VNI 7 | 0x0108/1 endpoint id (8 bytes) | 0x0108/3 flow cookie (4) | Ethernet
  const gwlb = (cookie: string, endpoint: string) => hex(`05006558 00000700 0108 01 02 ${endpoint} 0108 03 01 ${cookie} ${inner()}`);
  const d = new Decap();
  const a = gwlb('11111111', '00000000000000aa');
  assert.ok(decapGeneve(a, view(a), 0, a.length, d));
  assert.equal(d.id, 7);
  assert.equal(d.inner, 8 + 20);
  const e1 = d.extra;
  const b = gwlb('22222222', '00000000000000aa');
  decapGeneve(b, view(b), 0, b.length, d);
  assert.equal(d.extra, e1, 'another flow cookie, same origin');
  const c = gwlb('11111111', '00000000000000bb');
  decapGeneve(c, view(c), 0, c.length, d);
  assert.notEqual(d.extra, e1, 'another GWLB endpoint, another origin');
  const oam = hex(`00806558 00000700 ${inner()}`);
  assert.ok(!decapGeneve(oam, view(oam), 0, oam.length, d));
  assert.equal(d.reason, 'control');
  const ip = hex(`00000800 00000700 4500001400000000401100000a0000010a000002`);
  assert.ok(decapGeneve(ip, view(ip), 0, ip.length, d));
  assert.equal(d.linktype, 101, 'IPv4 payload: raw IP link type');
});

test('tzsp: version 1, type 0, encapsulation Ethernet, padding + a tagged field + END | frame', () => {
  const b = hex(`01000001 00 0a 02 aabb 01 ${inner()}`);
  const d = new Decap();
  assert.ok(decapTzsp(b, view(b), 0, b.length, d));
  assert.equal(d.inner, 10);
  const keepalive = hex(`01040001 01`);
  assert.ok(!decapTzsp(keepalive, view(keepalive), 0, keepalive.length, d));
});

test('gre: gretap with key, ERSPAN I, II (session 100), III (egress, platform subheader)', () => {
  const d = new Decap();
  // GRE K | proto 0x6558 | key 44 | Ethernet
  const teb = hex(`2000 6558 0000002c ${inner()}`);
  assert.ok(decapGre(teb, view(teb), 0, teb.length, d));
  assert.deepEqual([d.id, d.erspan, d.inner], [44, 0, 8]);
  // GRE (no S) | 0x88be | Ethernet: ERSPAN type I
  const t1 = hex(`0000 88be ${inner()}`);
  assert.ok(decapGre(t1, view(t1), 0, t1.length, d));
  assert.deepEqual([d.id, d.erspan, d.inner], [-1, 1, 4]);
  // GRE S | 0x88be | seq | ERSPAN II ver 1, session 100 | Ethernet
  const t2 = hex(`1000 88be 00000001 10000064 00000000 ${inner()}`);
  assert.ok(decapGre(t2, view(t2), 0, t2.length, d));
  assert.deepEqual([d.id, d.erspan, d.inner, d.flags], [100, 2, 16, 0]);
  // GRE S | 0x22eb | seq | ERSPAN III session 5, D=1 (egress), O=1 | platform 8 | Ethernet
  const t3 = hex(`1000 22eb 00000001 20000005 00000000 0000 0009 0000000000000000 ${inner()}`);
  assert.ok(decapGre(t3, view(t3), 0, t3.length, d));
  assert.deepEqual([d.id, d.erspan, d.inner, d.flags], [5, 3, 8 + 12 + 8, 2]);
  const ka = hex(`0000 0000`);
  assert.ok(!decapGre(ka, view(ka), 0, ka.length, d));
  assert.equal(d.reason, 'control');
});

test('truncated mirror packets: the inner IP length tells the original size', () => {
  const b = hex(inner(1400));
  assert.equal(innerWireLength(1, b, view(b), 0, b.length), 14 + 1400);
  const ok = hex(inner(20));
  assert.equal(innerWireLength(1, ok, view(ok), 0, ok.length), 34);
  const arp = hex(`ffffffffffff 020000000001 0806 0001080006040001`);
  assert.equal(innerWireLength(1, arp, view(arp), 0, arp.length), -1);
});

test('outer headers: Ethernet + VLAN + IPv4 + UDP, and Linux cooked v2 (the any device)', () => {
  const o = new OuterHeaders();
  const eth = hex(`020000000002 020000000001 8100 0064 0800 45000030 00000000 4011 0000 0a000001 0a000002 12b512b5 001c 0000`);
  assert.ok(parseOuter(1, eth, view(eth), 0, eth.length, o));
  assert.deepEqual([o.ipOff, o.proto, o.l4Off, o.srcKey, o.fragment], [18, 17, 38, 0x0a000001, false]);
  const sll2 = hex(`0800 0000 00000002 0001 06 0 0 020000000001 0000 45000030 00002000 402f 0000 0a000001 0a000002`.replace(/ 0 0 /, ' 00 '));
  assert.ok(parseOuter(276, sll2, view(sll2), 0, sll2.length, o));
  assert.equal(o.proto, 47);
  assert.equal(o.fragment, true, 'MF set: a fragment');
});

test('origins: one interface entry per (id, outer source, options), named by the sessions map', () => {
  const m = new MirrorOrigins(new Map([[100, 'web']]));
  assert.equal(m.lookup(100, 1, 0), -1);
  const a = m.add(100, 1, 0, 1, { tunnel: 'vxlan', idLabel: 'vni', src: '10.0.0.1' });
  const b = m.add(200, 1, 0, 1, { tunnel: 'vxlan', idLabel: 'vni', src: '10.0.0.1' });
  assert.equal(m.lookup(100, 1, 0), a);
  assert.equal(m.lookup(200, 1, 0), b);
  assert.equal(m.lookup(100, 2, 0), -1);
  assert.deepEqual(m.interfaces.map((i) => [i.name, i.description]), [['web', 'vxlan vni=100 src=10.0.0.1 session=web'], ['vni-200', 'vxlan vni=200 src=10.0.0.1']]);
  const only = new MirrorOrigins(new Map([[100, 'web']]), true);
  assert.equal(only.lookup(300, 1, 0), -2);
});

test('source configs: every problem named with its path', () => {
  const p = new Problems();
  SOURCE_TYPES.vxlan.validate({ type: 'vxlan', listen: 'x:99999', receive: 'magic', sessions: { abc: 5 }, health_check: 'nope', bogus: 1 }, 'sources.m', p);
  SOURCE_TYPES.interface.validate({ type: 'interface', direction: 'sideways' }, 'sources.i', p);
  SOURCE_TYPES.gre.validate({ type: 'gre', only_sessions: true }, 'sources.g', p);
  SOURCE_TYPES.pcap_over_ip.validate({ type: 'pcap_over_ip' }, 'sources.p', p);
  const text = p.list.join('\n');
  for (const re of [/sources\.m\.bogus: unknown key/, /sources\.m\.listen: port must be/, /sources\.m\.receive: must be one of socket, pcap/, /sources\.m\.sessions\.abc: key must be a vni number/, /sources\.m\.sessions\.abc: must be a name/, /sources\.m\.health_check/, /sources\.i\.interface: must name an interface/, /sources\.i\.direction: must be one of/, /sources\.g\.only_sessions: needs a sessions map/, /sources\.p\.connect: is required/]) {
    assert.match(text, re);
  }
  const ok = new Problems();
  SOURCE_TYPES.geneve.validate({ type: 'geneve', listen: '0.0.0.0:6081', sessions: { 7: 'gwlb' }, health_check: 8080, buffer_size: '64M' }, 'sources.g', ok);
  assert.deepEqual(ok.list, []);
});

test('without the addon, live capture fails with a message naming libpcap-dev and npm rebuild', () => {
  const script = `import('${repoRoot}/dist/src/live/capture.js').then((m) => { try { new m.LiveCapture('lo'); } catch (e) { console.log(e.code + ' ' + e.message); } })`;
  const r = spawnSync(process.execPath, ['-e', script], { env: { ...process.env, TAPWIRE_PCAP_ADDON: '/nonexistent/tapwire_pcap.node' }, encoding: 'utf8' });
  assert.match(r.stdout, /^E_UNSUPPORTED /);
  assert.match(r.stdout, /apt-get install libpcap-dev/);
  assert.match(r.stdout, /npm rebuild/);
});
