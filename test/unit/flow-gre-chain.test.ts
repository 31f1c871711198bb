/**
 * The flows fast path meters GRE carrier chains (IPv4 / GRE [/ Ethernet] / IPv4 ..., see
 * src/flow/plain-shape.ts) without the decoder. Real traces are compared in
 * flow-fastpath.test.ts; here every GRE packet of the fixtures and of the corpus is also
 * damaged (cut at every length, header bytes overwritten) and both paths must still give
 * the same records and counters: wherever the decoder would see something else, the fast
 * path has to decline.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { BatchBuilder, type PacketBatch } from '../../src/core/batch.js';
import { loadCaptureSync } from '../../src/formats/index.js';
import { decodePacket } from '../../src/decode/decode.js';
import { FlowAnalyzer } from '../../src/flow/analyzer.js';
import type { FlowRecord } from '../../src/flow/record.js';
import { greCarriers, MAX_CARRIERS } from '../../src/flow/plain-shape.js';
import { corpusDir, fixtureCaptures, seededRandom, walkFiles } from '../helpers.js';

/** Offset of the IPv4 header of an Ethernet [/ 802.1Q] / IPv4 / GRE packet, or -1. */
function greCarrier(b: PacketBatch, i: number): number {
  if (b.linktype[i] !== 1 || b.caplen[i] < 38) return -1;
  const o = b.offset[i];
  let ip = o + 14;
  let type = b.view.getUint16(o + 12);
  if (type === 0x8100) {
    type = b.view.getUint16(ip + 2);
    ip += 4;
  }
  return type === 0x0800 && b.data[ip] >>> 4 === 4 && b.data[ip + 9] === 47 ? ip - o : -1;
}

function* captures(): Generator<PacketBatch> {
  for (const { batch } of fixtureCaptures()) yield batch;
  const corpus = corpusDir();
  if (corpus === null) return;
  for (const file of walkFiles(path.join(corpus, 'zeek', 'Traces'), /gre|erspan|tunnel/i)) {
    if (!fs.statSync(file).isFile()) continue;
    try {
      yield loadCaptureSync(file).batch;
    } catch {
      // not a capture
    }
  }
}

/** Damaged copies of every GRE packet: all truncations, and random bytes in the headers. */
function variants(): BatchBuilder {
  const out = new BatchBuilder(1 << 16, 1 << 24);
  const rnd = seededRandom(47);
  let ts = 1;
  const add = (bytes: Uint8Array, wirelen: number) => out.add(bytes, { wirelen, tsSec: ts++ });
  for (const b of captures()) {
    for (let i = 0; i < b.count && out.batch.count < out.batch.capacity - 400; i++) {
      const ip = greCarrier(b, i);
      if (ip < 0) continue;
      const pkt = b.copyPacket(i);
      add(pkt, b.wirelen[i]);
      for (let cut = ip + 20; cut < pkt.length; cut += 3) add(pkt.subarray(0, cut), pkt.length);
      const headers = Math.min(pkt.length, ip + 120);
      for (let k = 0; k < 40; k++) {
        const copy = pkt.slice();
        const at = ip + Math.floor(rnd() * (headers - ip));
        copy[at] = Math.floor(rnd() * 256);
        add(copy, copy.length);
      }
    }
  }
  return out;
}

function meter(batch: PacketBatch, fast: boolean, ignoreChecksums: boolean): { records: string[]; counters: string } {
  const records: string[] = [];
  const a = new FlowAnalyzer((r: FlowRecord) => records.push(JSON.stringify(r, (_k, v) => (v instanceof Uint8Array ? Array.from(v) : v))), {
    decode: decodePacket,
    plainFastPath: fast,
    uidSeed: 1,
    ignoreChecksums,
  });
  a.addBatch(batch);
  a.flush();
  return { records, counters: JSON.stringify(a.counters) };
}

test('GRE carrier chains: fast path and decoder agree on damaged packets', () => {
  const batch = variants().batch;
  assert.ok(batch.count > 1000, `only ${batch.count} GRE variants`);
  // Enough of them must be chains the fast path takes, or the comparison proves little.
  const chain = new Int32Array(MAX_CARRIERS + 1);
  let taken = 0;
  for (let i = 0; i < batch.count; i++) {
    const ip = greCarrier(batch, i);
    if (ip >= 0 && greCarriers(batch.data, batch.offset[i] + ip, batch.offset[i] + batch.caplen[i], chain) >= 0) taken++;
  }
  assert.ok(taken > 300, `only ${taken} variants take the fast path`);
  // Without checksums, damaged lengths reach the tunnel checks instead of failing the IP sum.
  for (const ignoreChecksums of [false, true]) {
    const slow = meter(batch, false, ignoreChecksums);
    const fast = meter(batch, true, ignoreChecksums);
    assert.deepEqual(fast.records, slow.records, `records differ (ignoreChecksums ${ignoreChecksums})`);
    assert.equal(fast.counters, slow.counters, `counters differ (ignoreChecksums ${ignoreChecksums})`);
    console.log(`GRE variants: ${batch.count} packets (${taken} fast), ${slow.records.length} records, identical`);
  }
});
