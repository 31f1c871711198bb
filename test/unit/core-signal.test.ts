/** WakeSignal: a waiter wakes at the next notify; a notify with nobody waiting is not kept. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { WakeSignal } from '../../src/core/signal.js';

const pending = Symbol('pending');
const settle = <T>(p: Promise<T>): Promise<T | typeof pending> => Promise.race([p, new Promise<typeof pending>((r) => setImmediate(() => r(pending)))]);

test('wait() resolves at the next notify(), and only then', async () => {
  const s = new WakeSignal();
  const w = s.wait();
  assert.equal(await settle(w), pending);
  s.notify();
  assert.equal(await settle(w), undefined);
});

test('a notify() with nobody waiting is not remembered', async () => {
  const s = new WakeSignal();
  s.notify();
  assert.equal(await settle(s.wait()), pending);
});
