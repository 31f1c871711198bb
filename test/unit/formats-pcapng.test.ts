import assert from 'node:assert/strict';
import fs from 'node:fs';
import { test } from 'node:test';
import { parseCaptureBytes, loadCaptureSync } from '../../src/formats/index.js';
import { NO_TIMESTAMP } from '../../src/formats/pcapng.js';
import { fixture, walkFiles } from '../helpers.js';

/** Packet blocks a pcapng-test-generator description announces. */
function expectedPackets(txt: string): number {
  let n = 0;
  for (const m of txt.matchAll(/^\s*(EPB|SPB|PB):\s*(\d+)/gm)) n += Number(m[2]);
  return n;
}

test('pcapng-test-generator conformance: every file of both byte orders yields the packets its description lists', () => {
  const files = walkFiles(fixture('pcapng'), /\.pcapng$/);
  assert.ok(files.length >= 40, `found ${files.length} files`);
  let agree = 0;
  const differ: string[] = [];
  for (const f of files) {
    const want = expectedPackets(fs.readFileSync(f.replace(/\.pcapng$/, '.txt'), 'utf8'));
    const { batch, error } = loadCaptureSync(f);
    if (error === null && batch.count === want) agree++;
    else differ.push(`${f}: want ${want}, got ${batch.count} ${error?.message ?? ''}`);
  }
  console.log(`pcapng conformance: ${agree} agree, ${differ.length} differ`);
  assert.deepEqual(differ, []);
});

test('pcapng: big- and little-endian versions of each file decode to identical packets', () => {
  for (const f of walkFiles(fixture('pcapng', 'output_be'), /\.pcapng$/)) {
    const be = loadCaptureSync(f).batch;
    const le = loadCaptureSync(f.replace('output_be', 'output_le')).batch;
    assert.equal(be.count, le.count, f);
    for (let i = 0; i < be.count; i++) {
      assert.deepEqual(be.packet(i), le.packet(i), `${f} #${i}`);
      assert.equal(be.tsSec[i], le.tsSec[i]);
      assert.equal(be.tsNsec[i], le.tsNsec[i]);
      assert.equal(be.linktype[i], le.linktype[i]);
      assert.equal(be.iface[i], le.iface[i]);
      assert.equal(be.flags[i], le.flags[i]);
      assert.deepEqual(be.comments?.get(i), le.comments?.get(i));
    }
  }
});

test('pcapng: timestamps, lengths, interfaces and frame numbers agree with tshark on test102 (all block types mixed)', () => {
  const f = fixture('pcapng', 'output_be', 'advanced', 'test102.pcapng');
  const rows = fs.readFileSync(f + '.tshark.tsv', 'utf8').trim().split('\n').slice(1).map((l) => l.split('\t'));
  const { batch } = loadCaptureSync(f);
  // tshark 4.0 also shows Custom Blocks as "data" frames; tapwire skips them but keeps numbering aligned.
  const packetRows = rows.filter((r) => r[5] !== 'data');
  assert.equal(batch.count, packetRows.length);
  for (let i = 0; i < batch.count; i++) {
    const r = packetRows[i];
    assert.equal(String(batch.number[i]), r[0]);
    const ts = batch.tsSec[i] === NO_TIMESTAMP ? '' : `${batch.tsSec[i]}.${String(batch.tsNsec[i]).padStart(9, '0')}`;
    assert.equal(ts, r[1], `time of frame ${r[0]}`);
    assert.equal(String(batch.wirelen[i]), r[2]);
    assert.equal(String(batch.caplen[i]), r[3]);
    if (r[4] !== '') assert.equal(String(batch.iface[i]), r[4]);
  }
});

test('pcapng: a block whose trailing length disagrees is damage with its offset; earlier packets survive', () => {
  const good = fs.readFileSync(fixture('pcapng', 'output_le', 'basic', 'test006.pcapng'));
  const whole = parseCaptureBytes(good).batch.count;
  // Find the third EPB and corrupt its trailing length.
  const v = new DataView(good.buffer, good.byteOffset, good.byteLength);
  let pos = 0;
  let epbs = 0;
  let target = -1;
  while (pos < good.length) {
    const type = v.getUint32(pos, true);
    const len = v.getUint32(pos + 4, true);
    if (type === 6 && ++epbs === 3) target = pos;
    if (target >= 0) break;
    pos += len;
  }
  const bad = Uint8Array.from(good);
  const bv = new DataView(bad.buffer);
  bv.setUint32(target + bv.getUint32(target + 4, true) - 4, 999, true);
  const { batch, error } = parseCaptureBytes(bad, 'bad.pcapng');
  assert.equal(whole, 5);
  assert.equal(batch.count, 2);
  assert.equal(error?.code, 'E_BAD_RECORD');
  assert.equal(error?.byteOffset, target);
  assert.match(error!.message, /trailing length 999 disagrees with leading length/);
});

test('pcapng: a section of an unsupported major version is refused', () => {
  const good = Uint8Array.from(fs.readFileSync(fixture('pcapng', 'output_le', 'basic', 'test001.pcapng')));
  new DataView(good.buffer).setUint16(12, 2, true);
  const { error } = parseCaptureBytes(good, 'v2.pcapng');
  assert.equal(error?.code, 'E_UNSUPPORTED');
});

test('pcapng: if_tsresol binary and decimal resolutions convert exactly', async () => {
  const { splitTimestamp } = await import('../../src/formats/pcapng.js');
  const { PacketBatch } = await import('../../src/core/batch.js');
  const b = new PacketBatch(4);
  // 1700000000.123456789 s in nanoseconds = 1700000000123456789
  const ns = 1700000000123456789n;
  splitTimestamp(Number(ns >> 32n), Number(ns & 0xffffffffn), 1e9, b, 0);
  assert.equal(b.tsSec[0], 1700000000);
  assert.equal(b.tsNsec[0], 123456789);
  const us = 1700000000123456n;
  splitTimestamp(Number(us >> 32n), Number(us & 0xffffffffn), 1e6, b, 1);
  assert.equal(b.tsSec[1], 1700000000);
  assert.equal(b.tsNsec[1], 123456000);
  const bin = (1700000000n << 20n) + (1n << 19n); // 2^-20 units, half a second
  splitTimestamp(Number(bin >> 32n), Number(bin & 0xffffffffn), 2 ** 20, b, 2);
  assert.equal(b.tsSec[2], 1700000000);
  assert.equal(b.tsNsec[2], 500000000);
});
