/**
 * The byte-level pieces of the targets: record boundaries of the stream encoder, the bounded
 * queue, the synthetic Ethernet header for non-Ethernet packets and the ERSPAN II frame.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { test } from 'node:test';
import { BatchBuilder } from '../../src/core/batch.js';
import { LinkType } from '../../src/core/linktypes.js';
import { ByteQueue } from '../../src/components/targets/byte-queue.js';
import { encodeErspanFrame, ErspanHeader } from '../../src/components/targets/gre.js';
import { ethernetShape, FrameShape, writeInnerFrame } from '../../src/components/targets/inner-frame.js';
import { StreamEncoder } from '../../src/components/targets/stream-encoder.js';
import { geneveHeader } from '../../src/components/targets/geneve.js';
import { vxlanHeader } from '../../src/components/targets/vxlan.js';
import { parseCaptureBytes } from '../../src/formats/index.js';
import { encodePcapRecord } from '../../src/formats/pcap.js';
import { fixture } from '../helpers.js';
import { TARGET_TYPES } from '../../src/components/targets/index.js';
import { ctxFor } from '../integration/target-helpers.js';

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

test('stream encoder: record ends, counted bytes, whole-record prefixes, link type drops', () => {
  const b = new BatchBuilder(8);
  b.add(new Uint8Array(60).fill(1));
  b.add(new Uint8Array(100).fill(2), { linktype: LinkType.RAW });
  b.add(new Uint8Array(70).fill(3));
  const enc = new StreamEncoder({ format: 'pcap', snaplen: 64, nanos: true, linktype: undefined });
  enc.encode(b.batch, null, ctxFor());
  assert.equal(enc.count, 2);
  assert.equal(enc.linktypeDropped, 1);
  assert.equal(enc.linktypeDroppedBytes, 100);
  assert.deepEqual([...enc.ends.subarray(0, 2)], [16 + 60, 16 + 60 + 16 + 64]); // snaplen cuts the second
  assert.equal(enc.bytesOf(0, 2), 130); // counted as received, before the cut
  assert.equal(enc.fitting(0, 75), 0);
  assert.equal(enc.fitting(0, 76), 1);
  assert.equal(enc.fitting(0, 1000), 2);
  const file = Buffer.concat([enc.fileHeader() as Uint8Array, enc.buf.subarray(0, enc.pos)]);
  const back = parseCaptureBytes(file);
  assert.equal(back.batch.count, 2);
  assert.equal(back.batch.wirelen[1], 70);
});

test('stream encoder: records read from a microsecond pcap are copied verbatim, in runs, and equal a fresh encoding', () => {
  const file = fs.readFileSync(fixture('captures', 'wikipedia.pcap'));
  const { batch } = parseCaptureBytes(file);
  const ctx = ctxFor({ names: () => ({ tsResolution: 6 }) });
  // Kept packets in runs and gaps; one packet sliced, so its header no longer matches.
  const keep = new Uint8Array(batch.count).map((_, i) => (i % 7 === 3 || i % 11 === 0 ? 0 : 1));
  batch.caplen[5] = 20;
  const enc = new StreamEncoder({ format: 'pcap', snaplen: 262144, nanos: undefined, linktype: undefined });
  enc.encode(batch, keep, ctx);
  assert.equal(enc.nanos, false, 'precision follows the source');
  const expected = new Uint8Array(file.length);
  const view = new DataView(expected.buffer);
  let pos = 0;
  for (let i = 0; i < batch.count; i++) if (keep[i]) pos = encodePcapRecord(expected, view, pos, batch, i, false, 262144);
  assert.equal(enc.pos, pos);
  assert.equal(hex(enc.buf.subarray(0, enc.pos)), hex(expected.subarray(0, pos)));
  // The next chunk goes to the other buffer: the last one stays intact for a write in flight.
  const last = enc.buf;
  enc.encode(batch, null, ctx);
  assert.notEqual(enc.buf, last);
  assert.equal(hex(last.subarray(0, pos)), hex(expected.subarray(0, pos)));
});

test('pcapng: new interfaces at the head of the chunk, all of them in a later file header', () => {
  const b = new BatchBuilder(8);
  b.add(new Uint8Array(60), { iface: 3 });
  b.add(new Uint8Array(60), { iface: 5 });
  const enc = new StreamEncoder({ format: 'pcapng', snaplen: 262144, nanos: true, linktype: undefined });
  enc.encode(b.batch, null, ctxFor({ names: (i) => ({ name: `tap${i}`, description: `origin ${i}` }) }));
  assert.ok(enc.headLen > 0);
  assert.equal(enc.startOf(0), enc.headLen);
  // A reader that gets the head and no record, then a new file's header and the records.
  const f = Buffer.concat([enc.fileHeader() as Uint8Array, enc.buf.subarray(enc.headLen, enc.pos)]);
  const back = parseCaptureBytes(f);
  assert.deepEqual(back.interfaces.map((i) => `${i.name}/${i.description}`), ['tap3/origin 3', 'tap5/origin 5']);
  assert.deepEqual([...back.batch.iface.subarray(0, 2)], [0, 1]);
});

test('byte queue: bounded by bytes, counts what a clear loses', () => {
  const q = new ByteQueue(100);
  assert.ok(q.push(new Uint8Array(60), 3, 50));
  assert.ok(!q.push(new Uint8Array(60), 2, 40));
  assert.ok(q.push(new Uint8Array(60), 2, 40, true));
  assert.equal(q.advance(30), null);
  assert.equal(q.size, 90);
  assert.equal(q.advance(30)?.packets, 3);
  assert.deepEqual(q.clear(), { packets: 2, packetBytes: 40 });
  assert.equal(q.length, 0);
});

test('inner frames: Ethernet as is, cooked and raw IP get a synthetic Ethernet header, others are refused', () => {
  const b = new BatchBuilder(8);
  // Linux cooked v1: packet type, ARPHRD, addr len, addr(8), protocol 0x0800, then IPv4.
  const sll = Buffer.from('0000000100060000000000000000' + '0800' + '4500001c', 'hex');
  b.add(sll, { linktype: LinkType.LINUX_SLL });
  b.add(Buffer.from('6000000000000000', 'hex'), { linktype: LinkType.RAW });
  b.add(new Uint8Array(20), { linktype: 105 }); // 802.11
  const s = new FrameShape();
  const out = new Uint8Array(64);
  assert.ok(ethernetShape(b.batch, 0, s));
  assert.equal(hex(out.subarray(0, writeInnerFrame(out, 0, b.batch, 0, s, 1500))), '020000000002' + '020000000001' + '0800' + '4500001c');
  assert.ok(ethernetShape(b.batch, 1, s));
  assert.equal(hex(out.subarray(0, writeInnerFrame(out, 0, b.batch, 1, s, 16))), '020000000002' + '020000000001' + '86dd' + '6000');
  assert.equal(ethernetShape(b.batch, 2, s), false);
});

test('tunnel headers: VXLAN flags and VNI, GENEVE with an option', () => {
  // VXLAN: I flag, VNI 0x123456
  assert.equal(hex(vxlanHeader(0x123456)), '08000000' + '12345600');
  // GENEVE: opt len 2 words, protocol 0x6558, VNI 777; option class 0x0108 type 3 length 1 word
  assert.equal(hex(geneveHeader(777, [{ cls: 0x0108, type: 3, data: Uint8Array.of(0xde, 0xad, 0xbe, 0xef) }])), '02006558' + '00030900' + '01080301' + 'deadbeef');
});

test('ERSPAN II frame: Ethernet / IPv4 (proto 47) / GRE (S, 0x88be, seq) / ERSPAN II / inner, T bit when cut', () => {
  const b = new BatchBuilder(2);
  const inner = new Uint8Array(600).fill(0xee);
  b.add(inner);
  const out = new Uint8Array(2000);
  const cut = { value: false };
  const header = new ErspanHeader(0x155, 7);
  header.seq = 9;
  const n = encodeErspanFrame(out, 0, b.batch, 0, { src: 0x0a000001, dst: 0x0a000002, mtu: 576 }, header, 1, new FrameShape(), cut);
  assert.equal(header.seq, 10);
  assert.equal(cut.value, true);
  assert.equal(n, 14 + 576);
  const h = hex(out.subarray(0, 50));
  assert.equal(h.slice(0, 28), '020000000002' + '020000000001' + '0800'); // Ethernet
  assert.equal(h.slice(28, 68).replace(/^(.{20}).{4}/, '$1____'), '45000240' + '00014000' + '402f____' + '0a000001' + '0a000002'); // IPv4, total 576, DF, GRE
  assert.equal(h.slice(68, 84), '1000' + '88be' + '00000009'); // GRE: S bit, ERSPAN II, sequence 9
  assert.equal(h.slice(84, 100), '1007' + '0555' + '00000000'); // ERSPAN II: ver 1, vlan 7, T bit, session 0x155
  assert.equal(out[50], 0xee);
});

test('network targets that are not up count every packet as target_down instead of throwing', async () => {
  const b = new BatchBuilder(4);
  b.add(new Uint8Array(60));
  b.add(new Uint8Array(70));
  for (const [type, o] of [['vxlan', { remote: '127.0.0.1:4789', vni: 1 }], ['udp', { remote: '127.0.0.1:9' }], ['pcap_over_ip', { listen: '127.0.0.1:0' }]] as const) {
    const t = TARGET_TYPES[type].create(type, o);
    assert.equal(t.up, false);
    await t.write(b.batch, null, ctxFor());
    assert.equal(t.counters.inPackets, 2);
    assert.equal(t.counters.dropPackets.get('target_down'), 2);
    assert.equal(t.counters.dropBytes.get('target_down'), 130);
  }
});
