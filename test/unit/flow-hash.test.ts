import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decodePacket } from '../../src/decode/decode.js';
import { DecodeRecord } from '../../src/decode/record.js';
import { loadCaptureSync } from '../../src/formats/index.js';
import { fastFlowHash, flowHashOf } from '../../src/pipeline/flow-hash.js';
import { fixture, walkFiles } from '../helpers.js';

test('the decoder-free flow hash equals the decoded one on every fixture packet it takes', () => {
  const rec = new DecodeRecord();
  let fast = 0;
  let slow = 0;
  for (const f of walkFiles(fixture(), /\.(pcap|pcapng)$/)) {
    let batch;
    try {
      batch = loadCaptureSync(f).batch;
    } catch {
      continue; // not a capture (fuzzed headers): nothing to compare
    }
    for (let i = 0; i < batch.count; i++) {
      const h = fastFlowHash(batch, i);
      decodePacket(batch, i, rec);
      if (h < 0) {
        slow++;
        continue;
      }
      fast++;
      assert.equal(h, flowHashOf(batch, i, rec), `${f} packet ${i + 1}`);
      // Truncations of the same packet must agree too (damage takes the slow path).
      const cap = batch.caplen[i];
      for (const cut of [14, 33, 34, 40, 53, 54]) {
        if (cut >= cap) continue;
        batch.caplen[i] = cut;
        const hc = fastFlowHash(batch, i);
        if (hc >= 0) {
          decodePacket(batch, i, rec);
          assert.equal(hc, flowHashOf(batch, i, rec), `${f} packet ${i + 1} cut to ${cut}`);
        }
      }
      batch.caplen[i] = cap;
    }
  }
  console.log(`flow hash: ${fast} packets on the fast path agree with the decoder, ${slow} took the decoder`);
  assert.ok(fast > 1000);
});
