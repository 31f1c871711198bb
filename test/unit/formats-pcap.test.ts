import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { test } from 'node:test';
import type { PacketBatch } from '../../src/core/batch.js';
import { CaptureReader } from '../../src/formats/capture-reader.js';
import { BatchPool } from '../../src/pipeline/batch-pool.js';
import { openCapture, parseCaptureBytes } from '../../src/formats/index.js';
import type { ByteSource } from '../../src/formats/byte-source.js';
import { CaptureError } from '../../src/core/errors.js';
import { fixture, tempDir } from '../helpers.js';

/** A classic pcap built by hand: byte order and timestamp precision chosen by the test. */
function makePcap(opts: { le: boolean; nanos: boolean; packets: { sec: number; frac: number; data: number[]; orig?: number }[]; linktype?: number }): Uint8Array {
  const size = 24 + opts.packets.reduce((s, p) => s + 16 + p.data.length, 0);
  const b = new Uint8Array(size);
  const v = new DataView(b.buffer);
  v.setUint32(0, opts.nanos ? 0xa1b23c4d : 0xa1b2c3d4, opts.le);
  v.setUint16(4, 2, opts.le);
  v.setUint16(6, 4, opts.le);
  v.setUint32(16, 65535, opts.le);
  v.setUint32(20, opts.linktype ?? 1, opts.le);
  let p = 24;
  for (const pkt of opts.packets) {
    v.setUint32(p, pkt.sec, opts.le);
    v.setUint32(p + 4, pkt.frac, opts.le);
    v.setUint32(p + 8, pkt.data.length, opts.le);
    v.setUint32(p + 12, pkt.orig ?? pkt.data.length, opts.le);
    b.set(pkt.data, p + 16);
    p += 16 + pkt.data.length;
  }
  return b;
}

const packets = [
  { sec: 1700000000, frac: 123456, data: [1, 2, 3, 4, 5] },
  { sec: 1700000001, frac: 999999, data: [6, 7, 8], orig: 60 },
];

for (const le of [true, false]) {
  for (const nanos of [false, true]) {
    test(`pcap ${le ? 'little' : 'big'}-endian ${nanos ? 'nanosecond' : 'microsecond'}: packets, lengths and timestamps`, () => {
      const bytes = makePcap({ le, nanos, packets, linktype: 113 });
      const { batch, error, interfaces, format } = parseCaptureBytes(bytes);
      assert.equal(error, null);
      assert.equal(format, 'pcap');
      assert.equal(interfaces[0].linktype, 113);
      assert.equal(batch.count, 2);
      assert.deepEqual([...batch.packet(0)], [1, 2, 3, 4, 5]);
      assert.deepEqual([...batch.packet(1)], [6, 7, 8]);
      assert.equal(batch.wirelen[1], 60);
      assert.equal(batch.tsSec[0], 1700000000);
      assert.equal(batch.tsNsec[0], nanos ? 123456 : 123456000);
      assert.equal(batch.linktype[1], 113);
      assert.deepEqual([...batch.number.subarray(0, 2)], [1, 2]);
    });
  }
}

test('pcap: the FCS bits above the link type are ignored', () => {
  const bytes = makePcap({ le: true, nanos: false, packets, linktype: 1 });
  new DataView(bytes.buffer).setUint32(20, 0x10000000 | 1, true);
  assert.equal(parseCaptureBytes(bytes).batch.linktype[0], 1);
});

test('truncated record: every packet before the damage is delivered, the error names the byte offset', () => {
  const bytes = makePcap({ le: true, nanos: false, packets });
  const cut = bytes.subarray(0, bytes.length - 2);
  const { batch, error } = parseCaptureBytes(cut, 'cut.pcap');
  assert.equal(batch.count, 1);
  assert.ok(error instanceof CaptureError);
  assert.equal(error.code, 'E_TRUNCATED');
  assert.equal(error.byteOffset, 24 + 16 + 5);
  assert.match(error.message, /cut\.pcap: truncated record.*at byte offset 45/);
});

test('truncated record header and truncated file header are reported with offsets', () => {
  const bytes = makePcap({ le: true, nanos: false, packets });
  const r1 = parseCaptureBytes(bytes.subarray(0, 24 + 21 + 7), 'x');
  assert.equal(r1.batch.count, 1);
  assert.equal(r1.error?.code, 'E_TRUNCATED');
  assert.equal(r1.error?.byteOffset, 45);
  const r2 = parseCaptureBytes(bytes.subarray(0, 10), 'x');
  assert.equal(r2.batch.count, 0);
  assert.equal(r2.error?.code, 'E_TRUNCATED');
});

test('absurd captured length is damage, not an allocation', () => {
  const bytes = makePcap({ le: true, nanos: false, packets });
  new DataView(bytes.buffer).setUint32(24 + 21 + 8, 0x7fffffff, true);
  const { batch, error } = parseCaptureBytes(bytes, 'x');
  assert.equal(batch.count, 1);
  assert.equal(error?.code, 'E_BAD_RECORD');
  assert.equal(error?.byteOffset, 45);
  assert.match(error!.message, /absurd captured length 2147483647/);
});

test('not a capture: a clear error', () => {
  assert.throws(() => parseCaptureBytes(new TextEncoder().encode('hello world, not a pcap'), 'notes.txt'), (e: CaptureError) => e.code === 'E_NOT_CAPTURE' && /notes\.txt: not a pcap or pcapng/.test(e.message));
});

/** Delivers bytes a few at a time, like a slow pipe. */
class TrickleSource implements ByteSource {
  private pos = 0;
  constructor(private readonly bytes: Uint8Array, private readonly step: number) {}
  async read(buf: Uint8Array, off: number, len: number): Promise<number> {
    const n = Math.min(len, this.step, this.bytes.length - this.pos);
    buf.set(this.bytes.subarray(this.pos, this.pos + n), off);
    this.pos += n;
    return n;
  }
  async close(): Promise<void> {}
}

test('streaming with a tiny buffer and a trickling source gives the same packets as loading whole', async () => {
  const many = Array.from({ length: 500 }, (_, k) => ({ sec: 1000 + k, frac: k, data: Array.from({ length: (k * 37) % 300 }, (_, j) => (j + k) & 0xff) }));
  const bytes = makePcap({ le: false, nanos: true, packets: many });
  const whole = parseCaptureBytes(bytes).batch;
  const reader = new CaptureReader('t', new TrickleSource(bytes, 7), { bufferBytes: 1024, batchSize: 13 });
  let k = 0;
  for await (const b of reader.batches()) {
    assert.ok(b.count <= 13);
    for (let i = 0; i < b.count; i++, k++) {
      assert.deepEqual(b.packet(i), whole.packet(k));
      assert.equal(b.tsSec[i], whole.tsSec[k]);
      assert.equal(b.number[i], k + 1);
    }
  }
  assert.equal(k, 500);
});

test('streaming a truncated file yields every complete packet, then throws with the offset', async () => {
  const dir = tempDir();
  const file = path.join(dir, 'trunc.pcap');
  const bytes = makePcap({ le: true, nanos: false, packets });
  fs.writeFileSync(file, bytes.subarray(0, bytes.length - 1));
  const reader = await openCapture(file);
  let n = 0;
  await assert.rejects(async () => {
    for await (const b of reader.batches()) n += b.count;
  }, (e: CaptureError) => e.code === 'E_TRUNCATED' && e.byteOffset === 45);
  assert.equal(n, 1);
  fs.rmSync(dir, { recursive: true });
});

test('gzip-compressed captures are read transparently (file and in memory)', async () => {
  const gz = fixture('captures', 'telnet-unclosed-suboption.pcapng.gz');
  const plain = parseCaptureBytes(zlib.gunzipSync(fs.readFileSync(gz)));
  const reader = await openCapture(gz);
  let n = 0;
  for await (const b of reader.batches()) n += b.count;
  assert.ok(plain.batch.count > 100);
  assert.equal(n, plain.batch.count);
  assert.equal(reader.format, 'pcapng');
});

test('sharedBuffers: a batch stays valid while someone holds it, after later ones are read', async () => {
  const many = Array.from({ length: 300 }, (_, k) => ({ sec: 2000 + k, frac: k, data: Array.from({ length: 40 + ((k * 53) % 400) }, (_, j) => (j * 7 + k) & 0xff) }));
  const bytes = makePcap({ le: true, nanos: false, packets: many });
  const whole = parseCaptureBytes(bytes).batch;
  // Room for the reader's two buffers and the two batches held below, each over at most two buffers.
  const pool = new BatchPool(6, 4, 16, 1);
  const reader = new CaptureReader('t', new TrickleSource(bytes, 997), { bufferBytes: 4096, batchSize: 16, sharedBuffers: pool });
  const held: { b: PacketBatch; first: number }[] = [];
  let k = 0;
  const check = ({ b, first }: { b: PacketBatch; first: number }) => {
    for (let i = 0; i < b.count; i++) assert.deepEqual(b.packet(i), whole.packet(first + i));
    pool.release(b.data);
    pool.release(b);
  };
  for await (const b of reader.batches()) {
    assert.ok(b.data.buffer instanceof SharedArrayBuffer && b.offset.buffer instanceof SharedArrayBuffer);
    pool.share(b, 1);
    held.push({ b, first: k });
    k += b.count;
    if (held.length > 2) check(held.shift()!);
  }
  for (const h of held) check(h);
  assert.equal(k, 300);
});

test('readBuffers: packets land in the two given buffers, a larger one only while a record needs it', async () => {
  // Small records, one record larger than half a read buffer, then small ones again.
  const many = Array.from({ length: 400 }, (_, k) => ({ sec: 3000 + k, frac: k, data: Array.from({ length: k === 100 ? 3000 : 60 + (k % 90) }, (_, j) => (j * 3 + k) & 0xff) }));
  const bytes = makePcap({ le: true, nanos: false, packets: many });
  const whole = parseCaptureBytes(bytes).batch;
  const given: [Uint8Array, Uint8Array] = [new Uint8Array(4096), new Uint8Array(4096)];
  const reader = new CaptureReader('t', new TrickleSource(bytes, 1500), { readBuffers: given, batchSize: 16 });
  let k = 0;
  const other: number[] = [];
  for await (const b of reader.batches()) {
    if (b.data !== given[0] && b.data !== given[1]) other.push(k);
    for (let i = 0; i < b.count; i++, k++) assert.deepEqual(b.packet(i), whole.packet(k));
  }
  assert.equal(k, 400);
  assert.ok(other.length > 0 && other.every((first) => first <= 100 && first > 80), `batches outside the given buffers start at packets ${other.join(', ')}`);
  assert.throws(() => new CaptureReader('t', new TrickleSource(bytes, 1), { readBuffers: [new Uint8Array(8), new Uint8Array(16)] }), /one size/);
  const one = new Uint8Array(4096);
  assert.throws(() => new CaptureReader('t', new TrickleSource(bytes, 1), { readBuffers: [one, one] }), /overlap/);
  const wide = new ArrayBuffer(6144);
  assert.throws(() => new CaptureReader('t', new TrickleSource(bytes, 1), { readBuffers: [new Uint8Array(wide, 0, 4096), new Uint8Array(wide, 2048, 4096)] }), /overlap/);
});

test('readBuffers: a run of records larger than half a buffer reuses one larger buffer', async () => {
  const many = Array.from({ length: 300 }, (_, k) => ({ sec: 4000 + k, frac: k, data: Array.from({ length: k >= 100 && k < 200 ? 2500 + k : 70 }, (_, j) => (j * 5 + k) & 0xff) }));
  const bytes = makePcap({ le: true, nanos: false, packets: many });
  const whole = parseCaptureBytes(bytes).batch;
  const reader = new CaptureReader('t', new TrickleSource(bytes, 3000), { readBuffers: [new Uint8Array(4096), new Uint8Array(4096)], batchSize: 16 });
  const buffers = new Set<Uint8Array>();
  let k = 0;
  for await (const b of reader.batches()) {
    buffers.add(b.data);
    for (let i = 0; i < b.count; i++, k++) assert.deepEqual(b.packet(i), whole.packet(k));
  }
  assert.equal(k, 300);
  // The two given buffers, and larger ones alternating with them or with each other.
  assert.ok(buffers.size <= 4, `${buffers.size} distinct buffers`);
});
