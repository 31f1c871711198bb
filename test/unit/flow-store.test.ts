/**
 * The flow store: hash index with backward-shift deletion against a Map model, and the
 * memory bound (a full table expires its oldest idle flow early and counts it), and the
 * recent-flows cache in front of it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FlowStore } from '../../src/flow/store.js';
import { KeyScratch } from '../../src/flow/key.js';
import { BatchBuilder } from '../../src/core/batch.js';
import { decodePacket } from '../../src/decode/decode.js';
import { FlowAnalyzer } from '../../src/flow/analyzer.js';
import { EndReason } from '../../src/flow/constants.js';
import type { FlowRecord } from '../../src/flow/record.js';
import { frame } from '../packet-builder.js';
import { RecentFlows } from '../../src/flow/recent.js';
import { seededRandom } from '../helpers.js';

/** A DNS query's UDP datagram from 10.0.0.HOST:12345 to 10.0.1.1:53. */
const udp = (host: number): Uint8Array => frame({ src: `10.0.0.${host}`, dst: '10.0.1.1', sport: 12345, dport: 53 });

function keyOf(k: KeyScratch, n: number): void {
  const addr = new Uint8Array([10, (n >> 16) & 0xff, (n >> 8) & 0xff, n & 0xff, 192, 168, 0, 1]);
  k.build(addr, 4, 0, 4, 17, 1000 + (n % 5000), 53, false, 0, 0);
}

test('insert / find / remove agree with a Map under random operations', () => {
  const st = new FlowStore(2000);
  const k = new KeyScratch();
  const model = new Map<number, number>();
  let seed = 12345;
  const rnd = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) % 3000);
  for (let step = 0; step < 20000; step++) {
    const n = rnd();
    keyOf(k, n);
    const s = st.find(k);
    assert.equal(s >= 0, model.has(n), `step ${step}: presence of ${n}`);
    if (s >= 0) {
      assert.equal(s, model.get(n));
      if (step % 3 === 0) {
        st.remove(s);
        model.delete(n);
      }
    } else if (!st.full) model.set(n, st.insert(k, step));
  }
  assert.equal(st.count, model.size);
});

test('a full table expires the oldest idle flow early, counted, with reason lackOfResources', () => {
  const bb = new BatchBuilder();
  for (let i = 0; i < 10; i++) bb.add(udp(i + 1), { tsSec: 100 + i });
  const out: FlowRecord[] = [];
  const a = new FlowAnalyzer((r) => out.push(r), { decode: decodePacket, capacity: 4 });
  a.addBatch(bb.batch);
  assert.equal(a.counters.evicted, 6);
  assert.equal(a.activeFlows, 4);
  assert.deepEqual(
    out.map((r) => r.origH),
    ['10.0.0.1', '10.0.0.2', '10.0.0.3', '10.0.0.4', '10.0.0.5', '10.0.0.6'],
  );
  assert.ok(out.every((r) => r.endReason === EndReason.lackOfResources));
  a.flush();
  assert.equal(out.length, 10);
});

test('idle UDP flows expire after the UDP timeout while packets keep arriving', () => {
  const bb = new BatchBuilder();
  bb.add(udp(1), { tsSec: 100 });
  for (let t = 101; t < 200; t += 5) bb.add(udp(2), { tsSec: t });
  const out: FlowRecord[] = [];
  const a = new FlowAnalyzer((r) => out.push(r), { decode: decodePacket, timeouts: { udp: 60 } });
  a.addBatch(bb.batch);
  assert.equal(out.length, 1, 'host 1 expired, host 2 still active');
  assert.equal(out[0].origH, '10.0.0.1');
  assert.equal(out[0].endReason, EndReason.idleTimeout);
  assert.equal(a.counters.expiredIdle, 1);
});

test('active timeout: a long flow is reported every period and keeps its state', () => {
  const bb = new BatchBuilder();
  for (let t = 0; t < 50; t++) bb.add(udp(1), { tsSec: 1000 + t });
  const out: FlowRecord[] = [];
  const a = new FlowAnalyzer((r) => out.push(r), { decode: decodePacket, timeouts: { active: 10 } });
  a.addBatch(bb.batch);
  a.flush();
  const active = out.filter((r) => r.endReason === EndReason.activeTimeout);
  assert.equal(active.length, 4);
  assert.equal(out.reduce((n, r) => n + r.origPkts, 0), 50, 'every packet reported exactly once');
  assert.ok(out.every((r) => r.uid === out[0].uid), 'one connection');
});

test('timer wheel: every flow is visited at its tick, in tick order, across skipped buckets and long jumps', () => {
  const st = new FlowStore(512);
  const k = new KeyScratch();
  let seed = 777;
  const rnd = (n: number) => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) % n;
  // Model: slot -> due time (seconds); the wheel must visit each slot in the advance that
  // passes its tick, in tick order.
  const due = new Map<number, number>();
  let now = 1000;
  st.advance(now, () => -1);
  for (let n = 0; n < 300; n++) {
    keyOf(k, n);
    const s = st.insert(k, n);
    const t = now + rnd(4000) / 16;
    due.set(s, t);
    st.schedule(s, t);
  }
  let visits = 0;
  for (let step = 0; step < 400; step++) {
    // Mostly short steps, sometimes a jump longer than a turn of the wheel (8192 ticks).
    const target = now + (step % 50 === 49 ? 600 : rnd(64) / 16);
    let lastTick = -1;
    st.advance(target, (s) => {
      const t = due.get(s)!;
      const tick = Math.floor(t * 16);
      assert.ok(tick < Math.floor(target * 16), `slot ${s} visited before its tick`);
      assert.ok(tick >= lastTick || target - now > 512, `slot ${s} visited out of tick order`);
      lastTick = tick;
      visits++;
      if (rnd(3) === 0) {
        due.delete(s);
        st.remove(s);
        return -1;
      }
      const next = target + rnd(800) / 16;
      due.set(s, next);
      return next;
    });
    now = target;
    // Nothing due before `now` may be left unvisited.
    for (const [s, t] of due) assert.ok(Math.floor(t * 16) >= Math.floor(now * 16), `slot ${s} due at ${t} missed (now ${now})`);
  }
  assert.ok(visits > 300, `only ${visits} visits`);
});

test('the recent-flows cache answers only with the slot the table holds the flow in', () => {
  const st = new FlowStore(500);
  const k = new KeyScratch();
  const recent = new RecentFlows();
  const rnd = seededRandom(2024);
  let serial = 0;
  let hits = 0;
  for (let step = 0; step < 50000; step++) {
    // 800 flows over 500 slots: flows end and slots take other flows all the time.
    const n = Math.floor(rnd() * 800);
    const a = 0x0a000000 | n;
    const b = 0xc0a80001;
    const sport = 1000 + (n % 7);
    const forward = rnd() < 0.5;
    const addr = new Uint8Array(8);
    const dv = new DataView(addr.buffer);
    dv.setUint32(forward ? 0 : 4, a);
    dv.setUint32(forward ? 4 : 0, b);
    const [sp, dp] = forward ? [sport, 53] : [53, sport];
    // The same addresses and ports on another VLAN or in another tunnel are another flow.
    const vlanCtx = rnd() < 0.7 ? 0 : 7;
    const tunnelCtx = rnd() < 0.7 ? 0 : 0x4000 + (n % 3);
    k.build(addr, 4, 0, 4, 17, sp, dp, false, vlanCtx, tunnelCtx);
    const cached = recent.find(st, dv.getInt32(0), dv.getInt32(4), (sp << 16) | dp, 17, vlanCtx, tunnelCtx);
    let s = st.find(k);
    if (cached >= 0) {
      hits++;
      assert.equal(cached, s, `step ${step}: cached slot`);
      assert.equal(recent.srcIsA, k.srcIsA, `step ${step}: direction`);
    } else {
      if (s < 0) {
        if (st.full) st.remove(st.oldest());
        s = st.insert(k, ++serial);
      }
      recent.remember(st, s, k.srcIsA);
    }
    if (rnd() < 0.2) st.remove(s);
  }
  assert.ok(hits > 1000, `the cache is used (${hits} hits)`);
});

test('an IPv6 packet between two IPv4 packets of one flow leaves the cache entry alone', () => {
  // IPv6 packets are not cached: the table's answer for one must not be filed under the
  // entry of the IPv4 packet looked up before it.
  const v6 = (host: number): Uint8Array => {
    const b = new Uint8Array(14 + 40 + 8);
    const v = new DataView(b.buffer);
    v.setUint16(12, 0x86dd);
    b[14] = 0x60;
    v.setUint16(18, 8);
    b[20] = 17;
    b[21] = 64;
    b.set([0x20, 0x01, 0x0d, 0xb8], 22);
    b[37] = host;
    b.set([0x20, 0x01, 0x0d, 0xb8], 38);
    b[53] = 2;
    v.setUint16(54, 6000);
    v.setUint16(56, 53);
    v.setUint16(58, 8);
    return b;
  };
  const bb = new BatchBuilder();
  [udp(1), v6(1), udp(1), udp(1)].forEach((p, k) => bb.add(p, { tsSec: 100, tsNsec: k * 1000 }));
  const out: FlowRecord[] = [];
  const a = new FlowAnalyzer((r) => out.push(r), { decode: decodePacket, ignoreChecksums: true });
  a.addBatch(bb.batch);
  a.flush();
  assert.deepEqual(out.map((r) => `${r.origH} ${r.origPkts}`).sort(), ['10.0.0.1 3', '2001:db8::1 1']);
});
