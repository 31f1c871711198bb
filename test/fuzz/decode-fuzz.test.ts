/**
 * Mutation fuzzing of the decoder: real frames (bundled fixtures, plus the corpus when
 * present) get bits flipped, words overwritten with protocol-significant values, and are
 * truncated, for well over a million decodes with a fixed-seed PRNG (reproducible).
 *
 * Checks per decode:
 * - no exception;
 * - every recorded layer lies within the packet's captured bytes;
 * - no read past the captured bytes. Typed-array reads past the end do not throw in
 *   JavaScript, so each mutant is decoded twice, once followed by 0x00 bytes and once by
 *   0xff bytes: a decoder that peeks past `caplen` would record something different.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { PacketBatch } from '../../src/core/batch.js';
import { parseCaptureBytes } from '../../src/formats/index.js';
import { decodePacket } from '../../src/decode/decode.js';
import { DecodeRecord } from '../../src/decode/record.js';
import { FIELD_NAMES, compileFieldList } from '../../src/decode/fields.js';
import { formatTextLine } from '../../src/decode/text.js';
import { formatJson } from '../../src/decode/json.js';
import { corpusDir, fixture, seededRandom, walkFiles } from '../helpers.js';

const corpus = corpusDir();

const ITERATIONS = 1_500_000; // two decodes each
const TAIL = 512;
const LINKTYPES = [0, 1, 9, 50, 101, 104, 105, 108, 113, 127, 228, 229, 276];
const MAGIC_WORDS = [0x0000, 0xffff, 0x0800, 0x86dd, 0x8100, 0x88a8, 0x9100, 0x8847, 0x8864, 0x6558, 0x88be, 0x22eb, 0x8909, 0x12b5, 0x17c1, 0x9090, 0x8903, 0x8926, 0x88e7, 0x0006, 0x0011, 0x2f00, 0x4500, 0x6000, 0x0001];

interface Seed {
  bytes: Uint8Array;
  linktype: number;
}

function loadSeeds(): Seed[] {
  const seeds: Seed[] = [];
  const files = walkFiles(fixture('decode'), /\.pcap(ng)?$/);
  // Zeek's traces add the link layers only they have (802.11, FabricPath, VN-Tag, 802.1ah).
  walkFiles(fixture('flow', 'zeek', 'Traces'), /\.pcap(ng)?$/, files);
  if (corpus !== null) walkFiles(path.join(corpus, 'tcpdump'), /\.pcap(ng)?$/, files);
  for (const f of files) {
    let loaded;
    try {
      loaded = parseCaptureBytes(fs.readFileSync(f), f);
    } catch {
      continue;
    }
    const b = loaded.batch;
    for (let i = 0; i < b.count && i < 200; i++) if (b.caplen[i] > 0 && b.caplen[i] < 16384) seeds.push({ bytes: b.copyPacket(i), linktype: b.linktype[i] });
  }
  return seeds;
}

function snapshot(rec: DecodeRecord, out: number[]): void {
  out.length = 0;
  out.push(rec.layerCount, rec.anomaly, rec.l3, rec.l4, rec.tunnelCount, rec.payloadStart, rec.payloadLength);
  for (let k = 0; k < rec.layerCount; k++) out.push(rec.layerType[k], rec.layerStart[k], rec.layerEnd[k], rec.layerInfo[k], rec.layerFlags[k]);
}

test('decoder survives 3 million mutated frames without exception or over-read', { timeout: 180_000 }, () => {
  const seeds = loadSeeds();
  assert.ok(seeds.length > 0);
  const rnd = seededRandom(0x7a9e1);
  const bufA = new Uint8Array(16384 + TAIL);
  const bufB = new Uint8Array(16384 + TAIL);
  const batchA = new PacketBatch(1, bufA);
  const batchB = new PacketBatch(1, bufB);
  batchA.count = batchB.count = 1;
  const recA = new DecodeRecord();
  const recB = new DecodeRecord();
  const snapA: number[] = [];
  const snapB: number[] = [];
  const printer = compileFieldList([...FIELD_NAMES], { format: 'pcapng' });
  let decodes = 0;
  let anomalies = 0;
  const t0 = Date.now();
  for (let it = 0; it < ITERATIONS; it++) {
    const seed = seeds[Math.floor(rnd() * seeds.length)];
    let len = seed.bytes.length;
    bufA.set(seed.bytes, 0);
    const mode = rnd();
    const flips = 1 + Math.floor(rnd() * 4);
    if (mode < 0.7) {
      // Most damage goes to the headers, where the decoder looks.
      const span = mode < 0.45 ? Math.min(len, 96) : len;
      for (let f = 0; f < flips; f++) {
        const p = Math.floor(rnd() * span);
        bufA[p] ^= 1 << Math.floor(rnd() * 8);
      }
    } else if (mode < 0.85 && len >= 2) {
      const p = Math.floor(rnd() * Math.min(len - 1, 120));
      const w = MAGIC_WORDS[Math.floor(rnd() * MAGIC_WORDS.length)];
      bufA[p] = w >>> 8;
      bufA[p + 1] = w & 0xff;
    }
    if (mode >= 0.6 || rnd() < 0.2) len = Math.floor(rnd() * (len + 1));
    bufA.fill(0x00, len, len + TAIL);
    bufB.set(bufA.subarray(0, len), 0);
    bufB.fill(0xff, len, len + TAIL);
    const lt = rnd() < 0.05 ? LINKTYPES[Math.floor(rnd() * LINKTYPES.length)] : seed.linktype;
    for (const b of [batchA, batchB]) {
      b.offset[0] = 0;
      b.caplen[0] = len;
      b.wirelen[0] = len;
      b.linktype[0] = lt;
    }
    try {
      decodePacket(batchA, 0, recA);
      decodePacket(batchB, 0, recB);
    } catch (e) {
      assert.fail(`iteration ${it}: decode threw ${(e as Error).stack}`);
    }
    decodes += 2;
    for (let k = 0; k < recA.layerCount; k++) {
      if (recA.layerEnd[k] > len || recA.layerStart[k] > recA.layerEnd[k]) {
        assert.fail(`iteration ${it}: layer ${k} type ${recA.layerType[k]} [${recA.layerStart[k]}, ${recA.layerEnd[k]}) outside the ${len} captured bytes`);
      }
    }
    snapshot(recA, snapA);
    snapshot(recB, snapB);
    if (snapA.join() !== snapB.join()) {
      assert.fail(`iteration ${it}: decoding depends on bytes past caplen (linktype ${lt}, len ${len}): ${snapA.join()} vs ${snapB.join()}`);
    }
    if (recA.anomaly) anomalies++;
    // The output helpers read where the decoder points: exercise them on a sample.
    if (it % 64 === 0) {
      printer.format(batchA, 0, recA);
      formatTextLine(batchA, 0, recA);
      formatJson(batchA, 0, recA);
    }
  }
  console.log(`decode fuzz: ${decodes} decodes of ${seeds.length} seed frames in ${((Date.now() - t0) / 1000).toFixed(1)} s, ${anomalies} mutants with an anomaly, no exception, no over-read`);
});
