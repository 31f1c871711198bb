/**
 * pcap_file against the reference readers: every file it writes (rotated by size, by time,
 * in a ring, pruned by retention, pcap and pcapng) is read by tcpdump and tshark, the packets
 * across all files are exactly the ones written, and the counters add up.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { BatchBuilder } from '../../src/core/batch.js';
import { PcapFileTarget, TARGET_TYPES } from '../../src/components/targets/index.js';
import { loadCaptureSync } from '../../src/formats/index.js';
import { Problems } from '../../src/pipeline/problems.js';
import { fixture, hasTool, repoRoot, tempDir } from '../helpers.js';
import { assertCountersAddUp, ctxFor, range, sleep, tcpdumpRead, timeMs, tshark } from './target-helpers.js';

const haveTools = hasTool('tcpdump') && hasTool('tshark') && hasTool('mergecap');
const skip = !haveTools && 'tcpdump/tshark/mergecap missing';
const telnet = loadCaptureSync(fixture('captures', 'telnet-unclosed-suboption.pcapng.gz'));

function create(o: Record<string, unknown>): PcapFileTarget {
  const p = new Problems();
  TARGET_TYPES.pcap_file.validate({ type: 'pcap_file', ...o }, 'targets.t', p);
  assert.deepEqual(p.list, []);
  return TARGET_TYPES.pcap_file.create('t', o) as PcapFileTarget;
}

/** Writes the capture in batches of `step` packets, nowMs = first packet's time. */
async function feed(t: PcapFileTarget, step: number, nowOf?: (i: number) => number): Promise<void> {
  const b = telnet.batch;
  for (let i = 0; i < b.count; i += step) await t.write(b, range(b, i, i + step), ctxFor({ nowMs: nowOf ? nowOf(i) : timeMs(b, i) }));
}

function files(dir: string): string[] {
  return fs.readdirSync(dir).filter((n) => /\.pcap(ng)?$/.test(n)).sort();
}

test('rotation by size: strftime names, every file within rotate_size and readable, all packets once', { skip }, async () => {
  const dir = tempDir();
  const t = create({ path: path.join(dir, 'tel-%Y%m%d-%H%M%S.pcap'), rotate_size: '256k' });
  await t.start();
  await feed(t, 500, () => Date.UTC(2026, 0, 2, 3, 4, 5)); // one clock second: names collide
  await t.close();
  const names = files(dir);
  assert.ok(names.length > 5, `expected several files, got ${names}`);
  // First file takes the plain name, the others -1, -2... in order.
  assert.equal(names.includes('tel-20260102-030405.pcap'), true);
  for (let k = 1; k < names.length; k++) assert.ok(names.includes(`tel-20260102-030405-${k}.pcap`), `missing -${k}: ${names}`);
  let total = 0;
  for (const n of names) {
    const size = fs.statSync(path.join(dir, n)).size;
    assert.ok(size <= 256 * 1024, `${n}: ${size} bytes > rotate_size`);
    const r = tcpdumpRead(path.join(dir, n));
    assert.equal(r.status, 0, r.stderr);
    total += r.count;
  }
  assert.equal(total, telnet.batch.count);
  assert.equal(t.counters.outPackets, telnet.batch.count);
  assertCountersAddUp(t.counters);
  // Contents in order across the files equal the input (tshark, frame lengths and times).
  const ordered = [''].concat(Array.from({ length: names.length - 1 }, (_, k) => `-${k + 1}`)).map((s) => path.join(dir, `tel-20260102-030405${s}.pcap`));
  const merged = path.join(dir, 'all.pcapng');
  assert.equal(spawnSync('mergecap', ['-a', '-w', merged, ...ordered]).status, 0);
  const got = tshark(merged, ['frame.time_epoch', 'frame.len']);
  const want = tshark(fixture('captures', 'telnet-unclosed-suboption.pcapng.gz'), ['frame.time_epoch', 'frame.len']);
  assert.deepEqual(got, want);
  console.log(`pcap_file size rotation: ${names.length} files <= 256k, ${total} packets, tshark agrees on ${want.length} rows`);
  fs.rmSync(dir, { recursive: true });
});

test('ring of max_files: numbered names cycle, only N files stay, on_close ran once per closed file', { skip }, async () => {
  const dir = tempDir();
  const log = path.join(dir, 'closed.log');
  const t = create({ path: path.join(dir, 'ring.pcap'), rotate_size: '256k', max_files: 3, on_close: ['sh', '-c', `echo "$1" >> ${log}`, 'sh'] });
  await t.start();
  await feed(t, 400);
  await t.close();
  const names = files(dir);
  assert.deepEqual(names, ['ring0.pcap', 'ring1.pcap', 'ring2.pcap']);
  const closed = fs.readFileSync(log, 'utf8').trim().split('\n');
  const runs = t.ring.onCloseRuns.length;
  assert.equal(closed.length, runs);
  assert.ok(runs > 3, `ring should have wrapped (${runs} files closed)`);
  // Files closed in the order 0,1,2,0,1,2... (the hooks finish in any order, so compare as multisets).
  const want3 = Array.from({ length: runs }, (_, k) => `ring${k % 3}.pcap`).sort();
  assert.deepEqual(closed.map((p) => path.basename(p)).sort(), want3);
  // The newest file ends with the last packet: the ring kept the latest data.
  const newest = path.join(dir, `ring${(runs - 1) % 3}.pcap`);
  const last = tshark(newest, ['frame.time_epoch']).pop()?.[0];
  const want = tshark(fixture('captures', 'telnet-unclosed-suboption.pcapng.gz'), ['frame.time_epoch']).pop()?.[0];
  assert.equal(last, want);
  for (const n of names) assert.equal(tcpdumpRead(path.join(dir, n)).status, 0);
  assertCountersAddUp(t.counters);
  console.log(`pcap_file ring: ${runs} files closed through ring0..ring2, on_close ran ${closed.length} times`);
  fs.rmSync(dir, { recursive: true });
});

test('rotation on time boundaries: a 1h interval rotates at :00 and names carry the open time', async () => {
  const dir = tempDir();
  const t = create({ path: path.join(dir, 'h-%Y%m%d-%H%M%S.pcap'), rotate_interval: '1h' });
  await t.start();
  const frame = new Uint8Array(60).fill(0xab);
  const times = [Date.UTC(2026, 0, 1, 10, 59, 59, 500), Date.UTC(2026, 0, 1, 11, 0, 0, 100), Date.UTC(2026, 0, 1, 11, 30), Date.UTC(2026, 0, 1, 13, 5)];
  for (const ms of times) {
    const b = new BatchBuilder(4);
    b.add(frame, { tsSec: Math.floor(ms / 1000), tsNsec: (ms % 1000) * 1e6 });
    await t.write(b.batch, null, ctxFor({ nowMs: ms }));
  }
  await t.close();
  assert.deepEqual(files(dir), ['h-20260101-105959.pcap', 'h-20260101-110000.pcap', 'h-20260101-130500.pcap']);
  const counts = files(dir).map((n) => loadCaptureSync(path.join(dir, n)).batch.count);
  assert.deepEqual(counts, [1, 2, 1]);
  fs.rmSync(dir, { recursive: true });
});

test('retention: retain_bytes keeps the newest files within the budget; retain_age drops old closed files; earlier runs count', async () => {
  const dir = tempDir();
  const t = create({ path: path.join(dir, 'r.pcap'), rotate_size: '16k', retain_bytes: '100k' });
  await t.start();
  await feed(t, 200);
  await t.close();
  const sizes = files(dir).map((n) => fs.statSync(path.join(dir, n)).size);
  const total = sizes.reduce((a, b) => a + b, 0);
  assert.ok(total <= 100 * 1024, `retained ${total} bytes`);
  assert.ok(total > 100 * 1024 - 2 * 16 * 1024, `retention deleted too much: ${total}`);
  // Only the newest numbers remain.
  const nums = files(dir).map((n) => Number(/r(\d+)\.pcap/.exec(n)?.[1]));
  const max = Math.max(...nums);
  assert.deepEqual(nums.sort((a, b) => a - b), Array.from({ length: nums.length }, (_, k) => max - nums.length + 1 + k));

  // Age: files closed more than 10 minutes (packet time) before now go.
  const dir2 = tempDir();
  const t2 = create({ path: path.join(dir2, 'a-%H%M.pcap'), rotate_interval: '5m', retain_age: '10m' });
  await t2.start();
  const frame = new Uint8Array(60);
  for (let m = 0; m <= 30; m += 5) {
    const b = new BatchBuilder(2);
    b.add(frame);
    await t2.write(b.batch, null, ctxFor({ nowMs: Date.UTC(2026, 0, 1, 0, m) }));
  }
  assert.deepEqual(files(dir2), ['a-0015.pcap', 'a-0020.pcap', 'a-0025.pcap', 'a-0030.pcap']);
  await t2.close();

  // A new run adopts the files of the previous one: with max_files 2 only two stay.
  const t3 = create({ path: path.join(dir2, 'a-%H%M.pcap'), rotate_interval: '5m', max_files: 2 });
  await t3.start();
  const b = new BatchBuilder(2);
  b.add(frame);
  await t3.write(b.batch, null, ctxFor({ nowMs: Date.UTC(2026, 0, 1, 1, 0) }));
  await t3.close();
  assert.deepEqual(files(dir2), ['a-0030.pcap', 'a-0100.pcap']);
  fs.rmSync(dir, { recursive: true });
  fs.rmSync(dir2, { recursive: true });
});

test('pcapng rotation: every file repeats the interface blocks, origin names survive', { skip }, async () => {
  const dir = tempDir();
  const t = create({ path: path.join(dir, 'o.pcapng'), rotate_size: '200k' });
  await t.start();
  const b = telnet.batch;
  // Alternate two interfaces so both appear in most files.
  for (let i = 0; i < b.count; i++) b.iface[i] = i % 2;
  for (let i = 0; i < b.count; i += 700) {
    await t.write(b, range(b, i, i + 700), ctxFor({ nowMs: timeMs(b, i), names: (k) => ({ name: `mirror${k}`, description: `vni ${100 + k}` }) }));
  }
  await t.close();
  for (let i = 0; i < b.count; i++) b.iface[i] = 0;
  const names = files(dir);
  assert.ok(names.length > 3);
  // Each file must stand alone (tcpdump), and together they hold every packet with its origin.
  for (const n of names) assert.equal(tcpdumpRead(path.join(dir, n)).status, 0, n);
  const merged = path.join(dir, 'all.pcapng');
  assert.equal(spawnSync('mergecap', ['-a', '-w', merged, ...names.map((n) => path.join(dir, n))]).status, 0);
  const rows = tshark(merged, ['frame.interface_name', 'frame.interface_description']);
  rows.forEach(([name, desc], i) => assert.equal(`${name} ${desc}`, `mirror${i % 2} vni ${100 + (i % 2)}`));
  assert.equal(rows.length, b.count);
  console.log(`pcap_file pcapng rotation: ${names.length} files, ${rows.length} packets keep their interface name and description`);
  assertCountersAddUp(t.counters);
  fs.rmSync(dir, { recursive: true });
});

test('disk full: write errors are counted, packets dropped with reason error, the target goes on', async () => {
  const t = create({ path: '/dev/full' });
  await t.start();
  const b = telnet.batch;
  await t.write(b, range(b, 0, 100), ctxFor());
  await t.write(b, range(b, 100, 150), ctxFor());
  await t.close();
  assert.equal(t.counters.inPackets, 150);
  assert.equal(t.counters.dropPackets.get('error'), 150);
  assert.ok((t.counters.errors.get('write') ?? 0) >= 2);
  assertCountersAddUp(t.counters);
});

test('a killed writer leaves files readable up to the last complete packet', { skip }, async () => {
  const dir = tempDir();
  const out = path.join(dir, 'k.pcap');
  const mod = (p: string): string => JSON.stringify(path.join(repoRoot, 'dist', p));
  // The child writes the capture over and over, one batch at a time, until it is killed.
  const script = `
    import { TARGET_TYPES } from ${mod('src/components/targets/index.js')};
    import { loadCaptureSync } from ${mod('src/formats/index.js')};
    import { OriginTable } from ${mod('src/pipeline/origins.js')};
    const { batch } = loadCaptureSync(${JSON.stringify(fixture('captures', 'telnet-unclosed-suboption.pcapng.gz'))});
    const t = TARGET_TYPES.pcap_file.create('k', { path: ${JSON.stringify(out)} });
    await t.start();
    const ctx = { flowHash: null, interfaceInfo: () => ({}), origins: new OriginTable(), nowMs: Date.now() };
    const keep = new Uint8Array(batch.capacity);
    for (let n = 0; ; n++) {
      keep.fill(0); keep.fill(1, (n * 97) % 13000, (n * 97) % 13000 + 50);
      await t.write(batch, keep, ctx);
      if (n === 20) process.stdout.write('ready\\n');
    }`;
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise<void>((resolve) => child.stdout.once('data', () => resolve()));
  await sleep(150);
  child.kill('SIGKILL');
  await new Promise((r) => child.once('exit', r));
  const r = tcpdumpRead(out);
  assert.equal(r.status, 0, r.stderr);
  assert.doesNotMatch(r.stderr, /truncated/);
  // 'ready' comes after 21 write() calls: 20 batches are on disk, the last may be in flight.
  assert.ok(r.count >= 1000, `only ${r.count} packets`);
  assert.equal(r.count % 50, 0, 'whole batches of whole records');
  const ts = spawnSync('tshark', ['-r', out, '-q'], { encoding: 'utf8' });
  assert.equal(ts.status, 0, ts.stderr);
  console.log(`pcap_file killed mid-run: ${r.count} packets readable, no truncated record`);
  fs.rmSync(dir, { recursive: true });
});

test('reload: a new target on the same plain path continues the file instead of truncating it', { skip }, async () => {
  const dir = tempDir();
  for (const format of ['pcap', 'pcapng'] as const) {
    const file = path.join(dir, `same.${format}`);
    const b = telnet.batch;
    const old = create({ path: file });
    await old.start();
    await old.write(b, range(b, 0, 30), ctxFor());
    const next = create({ path: file }); // started before the old one closes, as on SIGHUP
    await next.start();
    await old.close();
    await next.write(b, range(b, 30, 50), ctxFor());
    await next.close();
    const r = tcpdumpRead(file);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.count, 50, `${format}: both targets' packets in one readable file`);
    assert.equal(tshark(file, ['frame.number']).length, 50);
  }
  // The new target keeps the file's precision even when its first packet's source differs.
  const file = path.join(dir, 'precision.pcap');
  const b = telnet.batch;
  const old = create({ path: file });
  await old.start();
  await old.write(b, range(b, 0, 30), ctxFor({ names: () => ({ tsResolution: 9 }) }));
  const next = create({ path: file });
  await next.start();
  await old.close();
  await next.write(b, range(b, 30, 50), ctxFor({ names: () => ({ tsResolution: 6 }) }));
  await next.close();
  const back = loadCaptureSync(file);
  assert.equal(back.batch.count, 50, 'packets before and after the reload');
  assert.equal(back.interfaces[0].tsResolution, 9);
  fs.rmSync(dir, { recursive: true });
});
