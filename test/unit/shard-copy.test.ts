/**
 * A worker's copy of its shard: the packets whose flow hash falls to it, in order, each with
 * the pcap record header in front of it, with their comments, and nothing else.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PacketBatch } from '../../src/core/batch.js';
import { ShardCopy, shardOf } from '../../src/pipeline/shard-message.js';

/** A batch laid out as a pcap file is: a 16-byte record header before each packet. */
function records(lengths: number[]): PacketBatch {
  const data = new Uint8Array(lengths.reduce((n, l) => n + 16 + l, 0));
  const b = new PacketBatch(lengths.length, data);
  let pos = 0;
  lengths.forEach((len, i) => {
    for (let j = 0; j < 16 + len; j++) data[pos + j] = (i * 31 + j) & 0xff;
    b.offset[i] = pos + 16;
    b.caplen[i] = len;
    b.wirelen[i] = len + 1;
    b.tsSec[i] = 1000 + i;
    b.number[i] = i + 1;
    pos += 16 + len;
  });
  b.count = lengths.length;
  return b;
}

test('each worker copies its own packets with their headers, comments renumbered, and the shards add up', () => {
  const lengths = [60, 1514, 40, 333, 90, 7, 1200, 64, 64, 500];
  const src = records(lengths);
  src.addComment(1, 'one');
  src.addComment(6, 'six');
  src.addComment(6, 'six again');
  // Hashes that put packets 0, 1, 4, 5, 6 in one shard and the others in the other.
  const want = [0, 0, 1, 1, 0, 0, 0, 1, 1, 1];
  const pick = (k: number) => {
    for (let h = 1; ; h++) if (shardOf(h, 2) === k) return h;
  };
  const hash = Uint32Array.from(want.map(pick));
  const comments = [...src.comments!];
  let total = 0;
  for (const k of [0, 1]) {
    const copy = new ShardCopy(16);
    copy.take(src, hash, k, 2, comments);
    const own = want.flatMap((w, i) => (w === k ? [i] : []));
    const b = copy.batch;
    assert.equal(b.count, own.length);
    own.forEach((i, n) => {
      assert.deepEqual(b.packet(n), src.packet(i));
      assert.deepEqual(b.data.subarray(b.offset[n] - 16, b.offset[n]), src.data.subarray(src.offset[i] - 16, src.offset[i]), 'record header kept');
      assert.equal(b.wirelen[n], src.wirelen[i]);
      assert.equal(b.number[n], i + 1);
      assert.equal(copy.hash[n], hash[i]);
      assert.deepEqual(b.comments?.get(n) ?? null, src.comments!.get(i) ?? null);
      // Whole records, back to back: a pcap target can write them as one run.
      if (n > 0) assert.equal(b.offset[n] - 16, b.offset[n - 1] + b.caplen[n - 1]);
    });
    total += b.count;
  }
  assert.equal(total, lengths.length);
});
