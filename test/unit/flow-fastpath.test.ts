/**
 * The analyzer's fast path (addPlain: Ethernet / optional 802.1Q / IPv4 / TCP or UDP metered
 * straight from the bytes, without the decoder) must give exactly the records and counters
 * of the decoder path. Every trace of the Zeek corpus (or the fixtures) runs both ways, the
 * decoder path with the JavaScript checksum loop, the fast path with the WebAssembly one.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { loadCaptureSync } from '../../src/formats/index.js';
import { decodePacket } from '../../src/decode/decode.js';
import { FlowAnalyzer, type FlowAnalyzerOptions } from '../../src/flow/analyzer.js';
import type { FlowRecord } from '../../src/flow/record.js';
import { fixture, repoRoot } from '../helpers.js';

const corpus = path.resolve(repoRoot, '..', 'shared', 'corpus', 'zeek', 'Traces');
const fixtures = fixture('flow');

function traces(dir: string): string[] {
  const out: string[] = [];
  if (!fs.existsSync(dir)) return out;
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...traces(p));
    else if (/\.(pcap|pcapng|trace|dump)$/.test(e.name)) out.push(p);
  }
  return out.sort();
}

function run(file: string, fast: boolean, opts: FlowAnalyzerOptions): { records: string[]; counters: string } | null {
  let batch;
  try {
    batch = loadCaptureSync(file).batch;
  } catch {
    return null;
  }
  const records: string[] = [];
  const a = new FlowAnalyzer((r: FlowRecord) => records.push(JSON.stringify(r, (_k, v) => (v instanceof Uint8Array ? Array.from(v) : v))), {
    decode: decodePacket,
    plainFastPath: fast,
    uidSeed: 1,
    capacity: 8192,
    ...opts,
  });
  a.addBatch(batch);
  a.flush();
  return { records, counters: JSON.stringify(a.counters) };
}

test('fast path and decoder path give the same records and counters on every trace', () => {
  const files = traces(fs.existsSync(corpus) ? corpus : fixtures);
  let compared = 0;
  let packets = 0;
  for (const file of files) {
    for (const opts of [{}, { ignoreChecksums: true, keyVlan: false, timeouts: { active: 5 } }] as FlowAnalyzerOptions[]) {
      // The decoder path sums checksums in JavaScript, the fast path in WebAssembly.
      const slow = run(file, false, { ...opts, wasmChecksums: false });
      if (slow === null) continue;
      const fast = run(file, true, opts)!;
      assert.deepEqual(fast.records, slow.records, `${file} ${JSON.stringify(opts)}: records differ`);
      assert.equal(fast.counters, slow.counters, `${file} ${JSON.stringify(opts)}: counters differ`);
      compared++;
      packets += (JSON.parse(slow.counters) as { packets: number }).packets;
    }
  }
  console.log(`fast path vs decoder: ${compared} runs over ${files.length} traces, ${packets} packets, identical`);
  assert.ok(compared > 0, 'no traces found');
});
