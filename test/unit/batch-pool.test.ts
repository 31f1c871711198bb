/**
 * The shared buffer pool of a sharded pipeline: a buffer comes back only when every holder
 * has released it, a taker waits while all are held, and a worker's view sees the same bytes.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setImmediate as tick } from 'node:timers/promises';
import { BatchPool, PoolView } from '../../src/pipeline/batch-pool.js';

test('a buffer is reused only once every holder has released it; takers wait meanwhile', async () => {
  const pool = new BatchPool(2, 1, 8, 2);
  const a = await pool.buffer(100);
  const b = await pool.buffer(100);
  assert.notEqual(a.buffer, b.buffer);
  let third: Uint8Array | null = null;
  void pool.buffer(100).then((buf) => (third = buf));
  const batch = await pool.batch(8, a);
  pool.share(batch, 2); // sent to two workers
  pool.release(a); // the reader moves on
  pool.release(batch);
  await tick();
  assert.equal(third, null, 'both workers still hold a');
  const view = new PoolView(pool.layout);
  const { data, cols } = pool.share(batch, 0);
  view.install(data, pool.newTo(0, data)!);
  view.install(cols, pool.newTo(0, cols)!);
  assert.equal(pool.newTo(0, data), null, 'a slot is sent to a worker once');
  view.release(data, cols);
  await tick();
  assert.equal(third, null, 'one worker still holds a');
  view.release(data, cols);
  for (let k = 0; k < 10 && third === null; k++) await tick();
  assert.equal(third!.buffer, a.buffer);
});

test('a worker view reads the columns and bytes the main thread wrote', async () => {
  const pool = new BatchPool(1, 1, 4, 1);
  const data = await pool.buffer(64);
  data.set([1, 2, 3, 4], 10);
  const batch = await pool.batch(4, data);
  batch.offset[0] = 10;
  batch.caplen[0] = 4;
  batch.count = 1;
  pool.hashOf(batch)[0] = 77;
  const slots = pool.share(batch, 1);
  const view = new PoolView(pool.layout);
  view.install(slots.data, pool.newTo(0, slots.data)!);
  view.install(slots.cols, pool.newTo(0, slots.cols)!);
  const seen = view.batch(slots.data, slots.cols, 1);
  assert.deepEqual([...seen.batch.packet(0)], [1, 2, 3, 4]);
  assert.equal(seen.hash[0], 77);
});

test('a buffer too small for a request is replaced by a bigger one in the same slot', async () => {
  const pool = new BatchPool(1, 1, 4, 1);
  const small = await pool.buffer(10);
  assert.equal(pool.newTo(0, 0), small.buffer);
  pool.release(small);
  const big = await pool.buffer(1000);
  assert.ok(big.length >= 1000);
  assert.equal(pool.newTo(0, 0), big.buffer, 'the worker gets the new buffer');
});
