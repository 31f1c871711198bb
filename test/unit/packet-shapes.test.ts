/** Shapes decoded once per batch give the actions and the flow hash what their own decoding gives. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DedupeAction } from '../../src/components/actions/dedupe.js';
import { SliceAction } from '../../src/components/actions/slice.js';
import type { BatchContext } from '../../src/components/types.js';
import { DecodeRecord } from '../../src/decode/record.js';
import { computeFlowHashes } from '../../src/pipeline/flow-hash.js';
import { OriginTable } from '../../src/pipeline/origins.js';
import { PacketShapes } from '../../src/pipeline/packet-shapes.js';
import { SessionBatch } from '../../src/pipeline/session-batch.js';
import { fixtureCaptures } from '../helpers.js';

function ctx(shapes: PacketShapes | null): BatchContext {
  return { flowHash: null, shapes, origins: new OriginTable(), nowMs: 0, interfaceInfo: () => ({}) };
}

test('shapes give the flow hash, and copied into a session batch (other buffer, other offsets) dedupe and slice, what their own decoding gives', () => {
  const rec = new DecodeRecord();
  let files = 0, packets = 0, dropped = 0;
  for (const { file: f, batch } of fixtureCaptures()) {
    files++;
    packets += batch.count;
    const shapes = new PacketShapes(batch.capacity);
    shapes.compute(batch, rec);
    const hash = new Uint32Array(batch.capacity);
    computeFlowHashes(batch, rec, hash);
    assert.deepEqual(shapes.hash.subarray(0, batch.count), hash.subarray(0, batch.count), `${f}: flow hash`);

    // A session's copy: every other packet, into its own buffer, with the shapes copied.
    const work = new SessionBatch(batch.capacity, true);
    const sel = new Uint8Array(batch.count).map((_, i) => (i % 3 === 1 ? 0 : 1));
    const n = work.select(batch, sel, shapes.hash, shapes);
    const b = work.batch;
    const shared = new Uint8Array(n).fill(1);
    const own = new Uint8Array(n).fill(1);
    new DedupeAction('a', 1000).apply(b, shared, ctx(work.shapes));
    new DedupeAction('b', 1000).apply(b, own, ctx(null));
    assert.deepEqual(shared, own, `${f}: dedupe`);
    dropped += n - shared.reduce((s, v) => s + v, 0);

    const caplen = b.caplen.slice();
    new SliceAction('s', undefined, 3).apply(b, new Uint8Array(n).fill(1), ctx(work.shapes));
    const sliced = b.caplen.slice();
    b.caplen.set(caplen);
    new SliceAction('s', undefined, 3).apply(b, new Uint8Array(n).fill(1), ctx(null));
    assert.deepEqual(sliced, b.caplen, `${f}: slice`);
  }
  console.log(`packet shapes: ${packets} packets of ${files} captures, flow hash, dedupe (${dropped} dropped) and slice agree`);
  assert.ok(files > 10 && dropped > 0);
});
