/**
 * The WebAssembly payload checksum (src/flow/checksum.ts) must give exactly the sums of the
 * JavaScript loops (onesSumWide, and the plain 16-bit onesSum as the reference), on random
 * bytes at odd and even offsets and lengths, with the batch loaded and range by range, and
 * in place when a capture reader reads into the module's memory.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PayloadSums } from '../../src/flow/checksum.js';
import { onesSum, onesSumWide } from '../../src/flow/ip.js';
import { fixture, seededRandom, walkFiles } from '../helpers.js';
import { FlowAnalyzer } from '../../src/flow/analyzer.js';
import { decodePacket } from '../../src/decode/decode.js';
import { openCapture } from '../../src/formats/capture-reader.js';

function randomBytes(n: number, rnd: () => number): Uint8Array {
  const b = new Uint8Array(n);
  for (let i = 0; i < n; i++) b[i] = Math.floor(rnd() * 256);
  return b;
}

test('WebAssembly is used here (Node 20 has SIMD128)', () => {
  assert.equal(new PayloadSums().usesWasm, true);
  assert.equal(new PayloadSums(false).usesWasm, false);
});

test('WebAssembly and JavaScript sums agree on random ranges (odd offsets and lengths)', () => {
  const rnd = seededRandom(0xc0ffee);
  const data = randomBytes(1 << 17, rnd);
  const view = new DataView(data.buffer);
  const wasm = new PayloadSums();
  const loaded = new PayloadSums();
  const js = new PayloadSums(false);
  // A loaded window that does not start at 0, as a batch whose first packet is further in.
  loaded.load(data, 3, data.length - 5);
  for (let k = 0; k < 4000; k++) {
    const len = k < 200 ? k : Math.floor(rnd() * (k % 10 === 0 ? 70000 : 1600));
    const start = 3 + Math.floor(rnd() * (data.length - 8 - len));
    const initial = Math.floor(rnd() * 0x10000);
    const ref = onesSum(data, start, start + len, initial);
    assert.equal(onesSumWide(data, view, start, start + len, initial), ref, `onesSumWide ${start}+${len}`);
    assert.equal(wasm.sum(data, view, start, start + len, initial), ref, `wasm ${start}+${len}`);
    assert.equal(loaded.sum(data, view, start, start + len, initial), ref, `loaded ${start}+${len}`);
    assert.equal(js.sum(data, view, start, start + len, initial), ref, `js ${start}+${len}`);
  }
});

test('edge values: all zeros, all ones, ranges outside the loaded window, after unload', () => {
  const zeros = new Uint8Array(999);
  const ones = new Uint8Array(1001).fill(0xff);
  const s = new PayloadSums();
  for (const b of [zeros, ones]) {
    const v = new DataView(b.buffer);
    for (const [a, e, init] of [[0, b.length, 0], [1, b.length, 0], [0, 0, 0x1234], [5, 6, 0], [0, b.length, 0xffff]]) {
      assert.equal(s.sum(b, v, a, e, init), onesSum(b, a, e, init));
    }
  }
  // Loaded bytes are used only for the buffer and window that were loaded.
  const rnd = seededRandom(7);
  const a = randomBytes(4096, rnd);
  const b = randomBytes(4096, rnd);
  const va = new DataView(a.buffer);
  const vb = new DataView(b.buffer);
  s.load(a, 100, 2000);
  assert.equal(s.sum(b, vb, 200, 900, 0), onesSum(b, 200, 900));
  assert.equal(s.sum(a, va, 50, 900, 0), onesSum(a, 50, 900));
  assert.equal(s.sum(a, va, 1500, 2500, 0), onesSum(a, 1500, 2500));
  assert.equal(s.sum(a, va, 100, 2000, 0), onesSum(a, 100, 2000));
  s.unload();
  a.fill(1, 100, 2000);
  assert.equal(s.sum(a, va, 100, 2000, 0), onesSum(a, 100, 2000));
});

test('a load larger than the module memory grows it', () => {
  const rnd = seededRandom(99);
  const data = randomBytes(3 << 20, rnd);
  const view = new DataView(data.buffer);
  const s = new PayloadSums();
  s.load(data, 1, data.length);
  for (const [a, e] of [[1, 65537], [(3 << 20) - 70001, 3 << 20], [123457, 123457 + 1499]]) {
    assert.equal(s.sum(data, view, a, e, 0), onesSum(data, a, e));
  }
});

test('read buffers in the module memory: sums in place agree, and the memory never grows', () => {
  const rnd = seededRandom(4242);
  const s = new PayloadSums();
  const bufs = s.readBuffers(1 << 16);
  assert.ok(bufs, 'two read buffers');
  assert.equal(s.readBuffers(1 << 16), null, 'handed out once');
  const memory = bufs[0].buffer;
  for (const buf of bufs) {
    buf.set(randomBytes(buf.length, rnd));
    const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
    s.load(buf, 0, buf.length);
    for (let k = 0; k < 500; k++) {
      const len = Math.floor(rnd() * 1600);
      const start = Math.floor(rnd() * (buf.length - len));
      assert.equal(s.sum(buf, view, start, start + len, 0), onesSum(buf, start, start + len), `in place ${start}+${len}`);
    }
    s.unload();
  }
  // Bytes elsewhere, even more than the scratch area holds, are summed without growing.
  const big = randomBytes(3 << 20, rnd);
  const bv = new DataView(big.buffer);
  s.load(big, 0, big.length);
  for (const [a, e] of [[1, 65537], [(3 << 20) - 70001, 3 << 20]]) assert.equal(s.sum(big, bv, a, e, 0), onesSum(big, a, e));
  assert.equal(bufs[0].buffer, memory);
  assert.equal(bufs[0].byteLength, 1 << 16, 'the read buffers are still attached');
});

test('a range copied into the scratch area leaves a read buffer loaded in place', () => {
  const rnd = seededRandom(77);
  const s = new PayloadSums();
  const [buf] = s.readBuffers(1 << 16)!;
  buf.set(randomBytes(buf.length, rnd));
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const other = randomBytes(3000, rnd);
  s.load(buf, 0, buf.length);
  const before = s.copies;
  assert.equal(s.sum(buf, view, 100, 1600, 0), onesSum(buf, 100, 1600));
  assert.equal(s.copies, before, 'in place: no copy');
  assert.equal(s.sum(other, new DataView(other.buffer), 10, 2900, 0), onesSum(other, 10, 2900));
  assert.equal(s.copies, before + 1, 'bytes elsewhere: one copy');
  assert.equal(s.sum(buf, view, 2000, 3500, 0), onesSum(buf, 2000, 3500));
  assert.equal(s.copies, before + 1, 'the read buffer is still summed in place');
  s.unload();
});

test('flows metered from read buffers in the module memory equal flows from plain buffers', async () => {
  let files = 0;
  const copies = { inPlace: 0, copied: 0 };
  for (const file of walkFiles(fixture(), /\.(pcap|pcapng)$/)) {
    const run = async (inPlace: boolean): Promise<string[]> => {
      const out: string[] = [];
      const a = new FlowAnalyzer((r) => out.push(JSON.stringify(r)), { decode: decodePacket, uidSeed: 1 });
      // Small buffers: many batches, records across buffer boundaries.
      const bufs = inPlace ? a.readBuffers(1 << 16) : null;
      assert.equal(bufs !== null, inPlace);
      const reader = await openCapture(file, { bufferBytes: 1 << 16, readBuffers: bufs ?? undefined });
      try {
        for await (const b of reader.batches()) a.addBatch(b);
      } catch (e) {
        // A damaged fixture: both runs must stop at the same place, with the same error.
        out.push(`error: ${(e as Error).message}`);
      }
      a.flush();
      copies[inPlace ? 'inPlace' : 'copied'] += a.checksumCopies;
      return out;
    };
    assert.deepEqual(await run(true), await run(false), file);
    files++;
  }
  console.log(`read buffers: ${files} captures give the same records in place and copied; bytes copied into the module ${copies.inPlace} times in place, ${copies.copied} times otherwise`);
  assert.ok(copies.copied > 0, 'plain buffers are copied into the module');
  assert.equal(copies.inPlace, 0, 'read buffers are summed where they lie');
});
