/**
 * Live capture with real peers: tcpreplay sends corpus captures into a veth from inside a
 * network namespace, tapwire captures on the other end — through `read -i` (readLive) and
 * as an `interface` source of a broker — and what it writes must equal what was sent,
 * packet for packet, with zero drops. The same expression as a kernel filter (libpcap) and
 * as tapwire's JS filter must keep the same packets. An `interface` target injects into a
 * veth and tcpdump on the far side sees the same packets.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { test } from 'node:test';
import { loadCaptureSync, openCapture } from '../../src/formats/index.js';
import { InterfaceTarget } from '../../src/components/targets/interface.js';
import { OriginTable } from '../../src/pipeline/origins.js';
import { readLive, type LiveRunStats } from '../../src/cli/commands/live.js';
import { validateConfig } from '../../src/pipeline/config.js';
import { Pipeline } from '../../src/pipeline/pipeline.js';
import { fixture, repoRoot, tempDir } from '../helpers.js';
import { finished, liveSkipReason, VethPair } from './live-netns.js';

const skip = liveSkipReason(['tcpreplay', 'tcpdump']) ?? undefined;
const REPLAYED = ['wikipedia.pcap', 'erspan.pcap', 'twovlan.pcap', 'geneve.pcap', 'vxlan.pcap'];

function packets(file: string): Uint8Array[] {
  const c = loadCaptureSync(file);
  const out: Uint8Array[] = [];
  for (let i = 0; i < c.batch.count; i++) out.push(c.batch.copyPacket(i));
  return out;
}

function sent(files: string[]): Uint8Array[] {
  return files.flatMap((f) => packets(fixture('captures', f)));
}

function assertSamePackets(got: Uint8Array[], want: Uint8Array[], what: string): void {
  assert.equal(got.length, want.length, `${what}: packet count`);
  for (let i = 0; i < want.length; i++) assert.deepEqual(Buffer.from(got[i]), Buffer.from(want[i]), `${what}: packet ${i + 1} bytes`);
}

/** tcpreplay each file, in order, from inside the namespace. */
function replay(v: VethPair, files: string[]): void {
  for (const f of files) v.exec('tcpreplay', ['-q', '-i', v.inner, '--pps=20000', fixture('captures', f)]);
}

/** Starts readLive (its handles open before it first waits) and a way to end it. */
function startLive(opts: Parameters<typeof readLive>[0]): { done: Promise<number>; stats: () => LiveRunStats | null; stop: () => void } {
  let stats: LiveRunStats | null = null;
  const ac = new AbortController();
  const done = readLive({ quiet: true, signal: ac.signal, ...opts, onStats: (s) => (stats = s) });
  return { done, stats: () => stats, stop: () => ac.abort() };
}

for (const dispatch of ['poll', 'thread'] as const) {
test(`read -i (${dispatch} dispatch): tcpreplay into a veth, the pcap written equals what was sent, zero drops`, { skip }, async () => {
  const v = new VethPair();
  const dir = tempDir();
  try {
    const out = path.join(dir, 'live.pcap');
    const want = sent(REPLAYED);
    const live = startLive({ iface: v.outer, write: out, count: want.length, durationMs: 20000, dispatch });
    replay(v, REPLAYED);
    assert.equal(await live.done, 0);
    const s = live.stats()!;
    assert.equal(s.captured, want.length);
    assert.equal(s.droppedKernel, 0, 'kernel drops');
    assert.equal(s.droppedInterface, 0, 'interface drops');
    assertSamePackets(packets(out), want, 'read -i');
  } finally {
    v.destroy();
  }
});
}

test('read -i -s 96: packets are cut to the snapshot length and keep their wire length', { skip }, async () => {
  const v = new VethPair();
  const dir = tempDir();
  try {
    const out = path.join(dir, 'snap.pcap');
    const want = sent(['wikipedia.pcap']);
    const live = startLive({ iface: v.outer, write: out, count: want.length, snaplen: 96, durationMs: 20000 });
    replay(v, ['wikipedia.pcap']);
    await live.done;
    const got = loadCaptureSync(out);
    assert.equal(got.batch.count, want.length);
    for (let i = 0; i < want.length; i++) {
      assert.equal(got.batch.caplen[i], Math.min(96, want[i].length));
      assert.equal(got.batch.wirelen[i], want[i].length);
    }
  } finally {
    v.destroy();
  }
});

test('interface source in a broker: the session output equals what was sent', { skip }, async () => {
  const v = new VethPair();
  const dir = tempDir();
  try {
    const want = sent(['wikipedia.pcap', 'erspan.pcap']);
    const config = validateConfig(
      {
        sources: { span: { type: 'interface', interface: v.outer, buffer_size: '8M', timeout: '50ms' } },
        sessions: [{ number: 1, sources: ['span'], targets: ['out'] }],
        targets: { out: { type: 'pcap_file', path: path.join(dir, 'broker.pcap') } },
      },
      path.join(dir, 'tapwire.yaml'),
    );
    const p = new Pipeline(config);
    await p.start();
    const running = p.run();
    await sleep(200);
    replay(v, ['wikipedia.pcap', 'erspan.pcap']);
    await sleep(500);
    p.stop();
    await running;
    await p.close();
    const c = p.sources[0].counters;
    assert.equal(c.outPackets, want.length);
    assert.equal(c.droppedPackets, 0, 'source drops (kernel, interface)');
    assertSamePackets(packets(path.join(dir, 'broker.pcap')), want, 'broker');
  } finally {
    v.destroy();
  }
});

test('two interfaces in one source: every packet keeps its interface (pcapng IDBs)', { skip }, async () => {
  const a = new VethPair();
  const b = new VethPair();
  const dir = tempDir();
  try {
    const out = path.join(dir, 'two.pcapng');
    const live = startLive({ iface: `${a.outer},${b.outer}`, write: out, count: 136 + 6, durationMs: 20000 });
    replay(a, ['wikipedia.pcap']);
    replay(b, ['twovlan.pcap']);
    await live.done;
    const got = loadCaptureSync(out);
    const names = got.interfaces.map((i) => i.name);
    const per = new Map<string, number>();
    for (let i = 0; i < got.batch.count; i++) {
      const n = names[got.batch.iface[i]];
      per.set(n, (per.get(n) ?? 0) + 1);
    }
    assert.equal(per.get(a.outer), 136);
    assert.equal(per.get(b.outer), 6);
  } finally {
    a.destroy();
    b.destroy();
  }
});

test('the same expression as a kernel filter (libpcap) and as the JS filter keeps the same packets', { skip }, async () => {
  const v = new VethPair();
  const dir = tempDir();
  const expressions = ['tcp', 'udp port 53 or udp port 5353', 'ip6', 'vlan', 'tcp[tcpflags] & tcp-syn != 0', 'greater 200', 'ip proto 47', 'udp dst port 4789 or udp dst port 6081', 'not arp and not ip6', 'ether broadcast or ether multicast'];
  try {
    const total = sent(REPLAYED).length;
    const runs = [];
    for (const [k, expression] of expressions.entries()) {
      for (const where of ['kernel', 'js'] as const) {
        const write = path.join(dir, `${k}-${where}.pcap`);
        runs.push({ expression, where, write, live: startLive({ iface: v.outer, write, expression, filterIn: where, durationMs: 30000 }) });
      }
    }
    replay(v, REPLAYED);
    await sleep(500);
    for (const r of runs) r.live.stop();
    for (const r of runs) await r.live.done;
    for (let k = 0; k < expressions.length; k++) {
      const kernel = packets(runs[2 * k].write);
      const js = packets(runs[2 * k + 1].write);
      assert.ok(kernel.length > 0 && kernel.length < total, `'${expressions[k]}' selects some packets (${kernel.length} of ${total})`);
      assertSamePackets(js, kernel, `'${expressions[k]}' JS vs kernel`);
    }
  } finally {
    v.destroy();
  }
});

test('interface target injects into a veth; tcpdump on the far side sees the same packets', { skip }, async () => {
  const v = new VethPair();
  const dir = tempDir();
  try {
    const want = sent(['wikipedia.pcap']);
    const seen = path.join(dir, 'seen.pcap');
    const tcpdump = v.spawn('tcpdump', ['-i', v.inner, '-w', seen, '-c', String(want.length), '-U']);
    const exit = finished(tcpdump);
    await sleep(700);
    // The target as a broker drives it: start, one write per batch, close.
    const target = new InterfaceTarget('span', v.outer);
    await target.start();
    const reader = await openCapture(fixture('captures', 'wikipedia.pcap'));
    const ctx = { flowHash: null, shapes: null, interfaceInfo: () => ({}), origins: new OriginTable(), nowMs: 0 };
    for await (const batch of reader.batches()) await target.write(batch, null, ctx);
    await target.close();
    const t = target.counters;
    assert.equal(t.outPackets, want.length);
    // tcpdump -c ends by itself once it has seen every packet; SIGINT after a while shows why not.
    const timer = setTimeout(() => tcpdump.kill('SIGINT'), 10000);
    const r = await exit;
    clearTimeout(timer);
    assert.match(r.stderr, new RegExp(`^${want.length} packets captured`, 'm'), r.stderr);
    assertSamePackets(packets(seen), want, 'injected');
  } finally {
    v.destroy();
  }
});

test('read -i with user: root is dropped after the interface is open; capture goes on as that user', { skip: skip ?? (spawnSync('id', ['-u', 'nobody']).status === 0 ? undefined : 'no user nobody') }, async () => {
  const v = new VethPair();
  const dir = tempDir();
  try {
    fs.chmodSync(dir, 0o777);
    const out = path.join(dir, 'as-nobody.pcap');
    const want = sent(['wikipedia.pcap']);
    const live = path.join(repoRoot, 'dist', 'src', 'cli', 'commands', 'live.js');
    const script = `const { readLive } = await import(${JSON.stringify(live)}); await readLive({ iface: ${JSON.stringify(v.outer)}, write: ${JSON.stringify(out)}, count: ${want.length}, user: 'nobody', durationMs: 15000 }); console.log(process.getuid());`;
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'pipe'] });
    const exit = finished(child);
    let err = '';
    child.stderr!.on('data', (d) => (err += d));
    for (let k = 0; k < 100 && !/listening on/.test(err); k++) await sleep(50);
    replay(v, ['wikipedia.pcap']);
    const r = await exit;
    const nobody = Number(spawnSync('id', ['-u', 'nobody'], { encoding: 'utf8' }).stdout.trim());
    assert.equal(r.code, 0, r.stderr);
    assert.equal(Number(r.stdout.trim()), nobody, 'the process runs as nobody');
    assert.equal(fs.statSync(out).uid, nobody, 'the output was created as nobody');
    assertSamePackets(packets(out), want, 'as nobody');
  } finally {
    v.destroy();
  }
});
