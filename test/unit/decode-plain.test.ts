import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { PacketBatch } from '../../src/core/batch.js';
import { decodeLayers } from '../../src/decode/decode.js';
import { decodePlain } from '../../src/decode/plain.js';
import { DecodeRecord } from '../../src/decode/record.js';
import { fixtureCaptures, seededRandom } from '../helpers.js';

/** Everything the decoder writes into a record, for comparing two records. */
function snapshot(rec: DecodeRecord): unknown {
  const n = rec.layerCount;
  return {
    n,
    types: [...rec.layerType.subarray(0, n)],
    starts: [...rec.layerStart.subarray(0, n)],
    ends: [...rec.layerEnd.subarray(0, n)],
    infos: [...rec.layerInfo.subarray(0, n)],
    flags: [...rec.layerFlags.subarray(0, n)],
    end: rec.end,
    l3: rec.l3,
    l4: rec.l4,
    tunnels: rec.tunnelCount,
    anomaly: rec.anomaly,
    payloadStart: rec.payloadStart,
    payloadLength: rec.payloadLength,
  };
}

/** When the shortcut takes packet i, its record must equal the general decoder's. */
function agree(batch: PacketBatch, i: number, fast: DecodeRecord, full: DecodeRecord, what: string): boolean {
  if (!decodePlain(batch, i, fast)) return false;
  decodeLayers(batch, i, full);
  assert.deepEqual(snapshot(fast), snapshot(full), what);
  return true;
}

test('the plain-packet shortcut fills the record exactly as the general decoder does', () => {
  const fast = new DecodeRecord();
  const full = new DecodeRecord();
  const random = seededRandom(7);
  let taken = 0, passed = 0, damaged = 0;
  for (const { file: f, batch } of fixtureCaptures()) {
    for (let i = 0; i < batch.count; i++) {
      if (agree(batch, i, fast, full, `${f} packet ${i + 1}`)) taken++;
      else passed++;
      // Damaged copies: every truncation in the headers, and bytes flipped in them.
      const cap = batch.caplen[i];
      for (let cut = 0; cut < Math.min(cap, 80); cut++) {
        batch.caplen[i] = cut;
        if (agree(batch, i, fast, full, `${f} packet ${i + 1} cut to ${cut}`)) damaged++;
      }
      batch.caplen[i] = cap;
      const d = batch.data;
      for (let k = 0; k < 8; k++) {
        const at = batch.offset[i] + Math.floor(random() * Math.min(cap, 80));
        const old = d[at];
        d[at] = Math.floor(random() * 256);
        if (agree(batch, i, fast, full, `${f} packet ${i + 1} byte ${at - batch.offset[i]} changed`)) damaged++;
        d[at] = old;
      }
    }
  }
  console.log(`plain decode: ${taken} packets took the shortcut and agree, ${passed} need the general decoder, ${damaged} damaged copies agree`);
  assert.ok(taken > 1000 && passed > 100 && damaged > 1000);
});
