/** Each session action on hand-built packets, with the counters it keeps. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BatchBuilder, type PacketBatch } from '../../src/core/batch.js';
import { DedupeAction } from '../../src/components/actions/dedupe.js';
import { MaskAction } from '../../src/components/actions/mask.js';
import { CryptoPan } from '../../src/components/actions/crypto-pan.js';
import { RateLimitAction } from '../../src/components/actions/rate-limit.js';
import { SampleAction } from '../../src/components/actions/sample.js';
import { SliceAction } from '../../src/components/actions/slice.js';
import { StripAction } from '../../src/components/actions/strip.js';
import type { Action, BatchContext } from '../../src/components/types.js';
import { OriginTable } from '../../src/pipeline/origins.js';
import { computeFlowHashes } from '../../src/pipeline/flow-hash.js';
import { DecodeRecord } from '../../src/decode/record.js';
import { loadCaptureSync } from '../../src/formats/index.js';
import { checksumsOk, frame } from '../packet-builder.js';
import { fixture } from '../helpers.js';

function ctx(flowHash: Uint32Array | null = null): BatchContext {
  return { flowHash, shapes: null, origins: new OriginTable(), nowMs: 0, interfaceInfo: () => ({ name: 'span' }) };
}

/** Applies an action through its interface, as a session does. */
function apply(a: Action, b: PacketBatch, keep: Uint8Array, c: BatchContext = ctx()): void {
  a.apply(b, keep, c);
}

function all(b: PacketBatch): Uint8Array {
  return new Uint8Array(b.count).fill(1);
}

function kept(keep: Uint8Array): number {
  return keep.reduce((s, v) => s + v, 0);
}

test('counters add up in every action: in = out + dropped', () => {
  const bb = new BatchBuilder(64);
  for (let k = 0; k < 40; k++) bb.add(frame({ src: '10.0.0.1', dst: '10.0.0.2', sport: 1000 + (k % 4), payload: 'x'.repeat(k) }), { tsSec: 100, tsNsec: k * 1e6 });
  for (const a of [new SampleAction('s', 3, false), new RateLimitAction('r', 10, false, 5), new DedupeAction('d', 5)] as Action[]) {
    const keep = all(bb.batch);
    a.apply(bb.batch, keep, ctx());
    const c = a.counters;
    assert.equal(c.inPackets, c.outPackets + c.droppedPackets, a.type);
    assert.equal(c.outPackets, kept(keep), a.type);
  }
});

test('dedupe drops the same packet seen at a second tap point (TTL and checksum differ) within the window, not after', () => {
  const bb = new BatchBuilder(16);
  const a = frame({ src: '10.0.0.1', dst: '10.0.0.2', ttl: 64, payload: 'hello' });
  const a2 = frame({ src: '10.0.0.1', dst: '10.0.0.2', ttl: 63, payload: 'hello' }); // one hop later
  const b = frame({ src: '10.0.0.1', dst: '10.0.0.2', ttl: 64, payload: 'hellp' });
  bb.add(a, { tsSec: 1, tsNsec: 0 });
  bb.add(a2, { tsSec: 1, tsNsec: 1_000_000 }); // 1 ms later: duplicate
  bb.add(b, { tsSec: 1, tsNsec: 2_000_000 }); // different payload: kept
  bb.add(a, { tsSec: 1, tsNsec: 50_000_000 }); // 49 ms after the last copy: a new packet
  const d = new DedupeAction('d', 5);
  const keep = all(bb.batch);
  apply(d, bb.batch, keep);
  assert.deepEqual([...keep], [1, 0, 1, 1]);
  assert.equal(d.counters.dropPackets.get('dedupe'), 1);
});

test('slice keeps N bytes, or headers plus N payload bytes; the wire length stays', () => {
  const bb = new BatchBuilder(4);
  bb.add(frame({ src: '1.1.1.1', dst: '2.2.2.2', proto: 'tcp', payload: 'x'.repeat(100) }));
  bb.add(frame({ src: '1.1.1.1', dst: '2.2.2.2', vlans: [7], payload: 'y'.repeat(100) }));
  apply(new SliceAction('s', undefined, 10), bb.batch, all(bb.batch));
  assert.equal(bb.batch.caplen[0], 14 + 20 + 20 + 10);
  assert.equal(bb.batch.caplen[1], 18 + 20 + 8 + 10);
  assert.equal(bb.batch.wirelen[0], 14 + 20 + 20 + 100);
  apply(new SliceAction('s', 40, undefined), bb.batch, all(bb.batch));
  assert.equal(bb.batch.caplen[0], 40);
});

test('Crypto-PAn reproduces the reference vectors of its authors', () => {
  const key = Uint8Array.from([21, 34, 23, 141, 51, 164, 207, 128, 19, 10, 91, 22, 73, 144, 125, 16, 216, 152, 143, 131, 121, 121, 101, 39, 98, 87, 76, 45, 42, 132, 34, 2]);
  const pan = new CryptoPan(key);
  const ip = (s: string) => s.split('.').reduce((x, y) => x * 256 + Number(y), 0);
  const str = (n: number) => [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
  const vectors: [string, string][] = [
    ['128.11.68.132', '135.242.180.132'],
    ['129.118.74.4', '134.136.186.123'],
    ['130.132.252.244', '133.68.164.234'],
    ['141.223.7.43', '141.167.8.160'],
    ['141.233.145.108', '141.129.237.235'],
  ];
  for (const [a, b] of vectors) assert.equal(str(pan.ipv4(ip(a))), b);
});

test('mask pseudonymises addresses prefix-preservingly, blanks payloads and keeps checksums right', () => {
  const bb = new BatchBuilder(4);
  bb.add(frame({ src: '10.1.2.3', dst: '10.1.2.77', proto: 'tcp', payload: 'secret password' }));
  bb.add(frame({ src: '10.1.2.3', dst: '192.168.0.9', proto: 'udp', payload: 'dns?' }));
  const m = new MaskAction('m', { payload: true, fill: 0, key: new Uint8Array(32).fill(7) });
  apply(m, bb.batch, all(bb.batch));
  const p0 = bb.batch.packet(0);
  const p1 = bb.batch.packet(1);
  assert.deepEqual([...p0.subarray(26, 29)], [...p0.subarray(30, 33)], 'same /24 stays one /24');
  assert.notDeepEqual([...p0.subarray(26, 30)], [10, 1, 2, 3]);
  assert.deepEqual([...p0.subarray(26, 30)], [...p1.subarray(26, 30)], 'same address, same pseudonym');
  assert.ok(p0.subarray(54).every((x) => x === 0), 'TCP payload blanked');
  assert.ok(p1.subarray(42).every((x) => x === 0), 'UDP payload blanked');
  assert.ok(checksumsOk(p0) && checksumsOk(p1), 'checksums recomputed');
});

test('strip terminates VXLAN: the inner Ethernet frame remains, its origin (VNI) becomes its interface', () => {
  const { batch } = loadCaptureSync(fixture('captures', 'vxlan.pcap'));
  const before = Array.from({ length: batch.count }, (_, i) => batch.copyPacket(i));
  const c = ctx();
  new StripAction('s', true, true, true).apply(batch, all(batch), c);
  for (let i = 0; i < batch.count; i++) assert.deepEqual(batch.packet(i), before[i].subarray(50), `packet ${i}`);
  const descriptions = new Set(Array.from({ length: batch.count }, (_, i) => c.origins.get(batch.iface[i])?.description));
  assert.ok([...descriptions].every((d) => /vxlan vni=100/.test(d ?? '')), [...descriptions].join(' | '));
});

test('strip removes 802.1Q tags and keeps the inner ethertype', () => {
  const bb = new BatchBuilder(2);
  const tagged = frame({ src: '1.1.1.1', dst: '2.2.2.2', vlans: [100, 200], payload: 'abc' });
  const plain = frame({ src: '1.1.1.1', dst: '2.2.2.2', payload: 'abc' });
  bb.add(tagged);
  new StripAction('s', true, true, true).apply(bb.batch, all(bb.batch), ctx());
  assert.deepEqual(bb.batch.packet(0), plain);
});

test('sample by flow keeps both directions of a kept flow and drops whole flows', () => {
  const bb = new BatchBuilder(512);
  for (let f = 0; f < 100; f++) {
    bb.add(frame({ src: '10.0.0.1', dst: '10.0.1.1', sport: 2000 + f, dport: 80 }));
    bb.add(frame({ src: '10.0.1.1', dst: '10.0.0.1', sport: 80, dport: 2000 + f }));
  }
  const hash = new Uint32Array(bb.batch.count);
  computeFlowHashes(bb.batch, new DecodeRecord(), hash);
  for (let f = 0; f < 100; f++) assert.equal(hash[2 * f], hash[2 * f + 1], 'symmetric hash');
  const keep = all(bb.batch);
  new SampleAction('s', 4, true).apply(bb.batch, keep, ctx(hash));
  for (let f = 0; f < 100; f++) assert.equal(keep[2 * f], keep[2 * f + 1]);
  const flows = kept(keep) / 2;
  assert.ok(flows > 10 && flows < 45, `kept ${flows} of 100 flows at 1 in 4`);
});

test('rate_limit is a token bucket on packet time', () => {
  const bb = new BatchBuilder(1000);
  for (let k = 0; k < 1000; k++) bb.add(frame({ src: '1.1.1.1', dst: '2.2.2.2' }), { tsSec: 10 + Math.floor(k / 1000), tsNsec: (k % 1000) * 1e6 });
  const keep = all(bb.batch);
  const r = new RateLimitAction('r', 100, false, 1); // 100 pps, packets 1 ms apart: one in ten
  apply(r, bb.batch, keep);
  assert.equal(kept(keep), 100);
  assert.equal(r.counters.dropPackets.get('rate_limit'), 900);
});
