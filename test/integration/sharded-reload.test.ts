/**
 * Reload with workers: every worker switches to the new sessions and targets between the same
 * two batches, or none does. Packets counted before and after the switch add up, and the
 * files of the old and the new targets hold every packet once, each flow in order.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { test } from 'node:test';
import type { PacketBatch } from '../../src/core/batch.js';
import { loadCaptureSync } from '../../src/formats/index.js';
import { validateConfig } from '../../src/pipeline/config.js';
import { ShardedPipeline } from '../../src/pipeline/sharded.js';
import { cliPath, fixture, tempDir } from '../helpers.js';

const capture = fixture('captures', 'wikipedia.pcap');

/** wikipedia.pcap spans 6 s: replayed 3x fast, a reload after 0.8 s falls in the middle. */
function config(dir: string, target: string, extra: { workers?: number; filter?: string } = {}) {
  return validateConfig({
    workers: extra.workers ?? 2,
    sources: { span: { type: 'pcap_file', path: capture, pace: 'recorded', speed: 3 } },
    sessions: [{ number: 1, sources: ['span'], ...(extra.filter ? { filter: extra.filter } : {}), targets: [target] }],
    targets: { [target]: { type: 'pcap_file', path: path.join(dir, target, `${target}.pcap`) } },
  }, path.join(dir, 'tapwire.yaml'));
}

/** Packets of one target: its file per worker. */
function written(dir: string, target: string): PacketBatch[] {
  return [0, 1].map((k) => path.join(dir, target, `${target}.w${k}.pcap`)).filter((f) => fs.existsSync(f)).map((f) => loadCaptureSync(f).batch);
}

const key = (b: PacketBatch, i: number) => Buffer.from(b.copyPacket(i)).toString('hex') + b.tsSec[i] + '.' + b.tsNsec[i];

test('workers: 2 reload mid-run: counters before and after add up, old and new files hold every packet once, in order', async () => {
  const dir = tempDir();
  const input = loadCaptureSync(capture).batch;
  const p = new ShardedPipeline(config(dir, 'before'));
  await p.start();
  const running = p.run();
  await sleep(800);
  const retired = await p.reload(config(dir, 'after'));
  await running;
  await p.close();

  const counted = (list: ReturnType<ShardedPipeline['counters']>, kind: string, name: string) => list.find((c) => c.kind === kind && c.name === name)!;
  const now = p.counters();
  const before = counted(retired, 'target', 'before').outPackets;
  const after = counted(now, 'target', 'after').outPackets;
  assert.ok(before > 0 && after > 0, `packets on both sides of the reload (${before}, ${after})`);
  assert.equal(before + after, input.count);
  assert.equal(counted(retired, 'session', 'session-1').inPackets + counted(now, 'session', 'session-1').inPackets, input.count);
  assert.equal(counted(now, 'source', 'span').outPackets, input.count);
  assert.equal(now.find((c) => c.name === 'before'), undefined, 'the old target is gone from the running counters');

  const old = written(dir, 'before');
  const fresh = written(dir, 'after');
  assert.equal(old.reduce((n, b) => n + b.count, 0), before);
  assert.equal(fresh.reduce((n, b) => n + b.count, 0), after);
  // Every input packet once, and within one worker's files (old, then new) in input order.
  const position = new Map<string, number>();
  for (let i = 0; i < input.count; i++) position.set(key(input, i), i);
  const seen = new Set<number>();
  for (let k = 0; k < 2; k++) {
    let last = -1;
    for (const b of [old[k], fresh[k]]) {
      for (let i = 0; b && i < b.count; i++) {
        const at = position.get(key(b, i));
        assert.ok(at !== undefined && at > last, 'each worker writes its packets in input order across the reload');
        seen.add(at!);
        last = at!;
      }
    }
  }
  assert.equal(seen.size, input.count);
  fs.rmSync(dir, { recursive: true });
});

test('workers: 2 reload refused when a worker cannot start the new config: the old one keeps running everywhere', async () => {
  const dir = tempDir();
  const input = loadCaptureSync(capture).batch;
  const p = new ShardedPipeline(config(dir, 'kept'));
  await p.start();
  const running = p.run();
  await sleep(300);
  // A file where the new target's directory should be: no worker can start the new config.
  fs.writeFileSync(path.join(dir, 'blocked'), '');
  await assert.rejects(p.reload(config(path.join(dir, 'blocked'), 'moved')), /target moved: cannot write in/);
  await assert.rejects(p.reload(config(dir, 'kept', { workers: 3 })), /workers changed from 2 to 3: restart tapwire/);
  const otherSource = config(dir, 'kept');
  (otherSource.raw as { sources: { span: { speed: number } } }).sources.span.speed = 5;
  await assert.rejects(p.reload(otherSource), /sources changed/);
  await running;
  await p.close();
  const kept = p.counters().find((c) => c.kind === 'target' && c.name === 'kept')!;
  assert.equal(kept.outPackets, input.count);
  assert.equal(written(dir, 'kept').reduce((n, b) => n + b.count, 0), input.count);
  fs.rmSync(dir, { recursive: true });
});

test('workers: 2 a dropped reload leaves the running files alone (no idle file written over them)', async () => {
  const dir = tempDir();
  // Nanosecond Linux-cooked packets: an idle pcap header (Ethernet, microseconds) differs.
  const nano = fixture('captures', 'tcp-handshake-nano.pcap');
  const input = loadCaptureSync(nano).batch;
  const make = (extra: boolean) =>
    validateConfig({
      workers: 2,
      sources: { span: { type: 'pcap_file', path: nano } },
      sessions: [{ number: 1, sources: ['span'], targets: extra ? ['kept', 'blocked'] : ['kept'] }],
      targets: {
        kept: { type: 'pcap_file', path: path.join(dir, 'kept', 'kept.pcap') },
        ...(extra ? { blocked: { type: 'pcap_file', path: path.join(dir, 'file', 'x.pcap') } } : {}),
      },
    }, path.join(dir, 'tapwire.yaml'));
  const p = new ShardedPipeline(make(false));
  await p.start();
  await p.run();
  fs.writeFileSync(path.join(dir, 'file'), ''); // the new target cannot create its directory
  await assert.rejects(p.reload(make(true)), /target blocked: cannot write in/);
  await p.close();
  // Every packet is still in the running target's files, in the source's precision.
  const files = written(dir, 'kept');
  assert.equal(files.reduce((n, b) => n + b.count, 0), input.count);
  for (const b of files) for (let i = 0; i < b.count; i++) assert.equal(b.linktype[i], input.linktype[0]);
  fs.rmSync(dir, { recursive: true });
});

test('workers: 2 SIGHUP reloads the config file, refusing a change of workers', async () => {
  const dir = tempDir();
  const file = path.join(dir, 'live.yaml');
  // The metrics line tells that the run (and its SIGHUP handler) has started.
  const port = 20000 + Math.floor(Math.random() * 20000);
  const yaml = (workers: number, filter: string) => `
workers: ${workers}
sources:
  span: { type: pcap_file, path: ${capture}, pace: recorded, speed: 0.5 }
sessions:
  - { number: 1, sources: [span], filter: "${filter}", targets: [out] }
targets:
  out: { type: pcap_file, path: ${path.join(dir, 'out.pcap')} }
metrics: { listen: 127.0.0.1:${port} }
`;
  fs.writeFileSync(file, yaml(2, 'udp'));
  const child = spawn(process.execPath, [cliPath, 'run', file, '-q'], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  try {
    for (let k = 0; k < 100 && !/metrics at/.test(stderr); k++) await sleep(100);
    fs.writeFileSync(file, yaml(3, 'tcp'));
    child.kill('SIGHUP');
    for (let k = 0; k < 50 && !/reload refused/.test(stderr); k++) await sleep(100);
    assert.match(stderr, /reload refused, the running config stays: workers changed from 2 to 3/);
    fs.writeFileSync(file, yaml(2, 'tcp'));
    child.kill('SIGHUP');
    for (let k = 0; k < 50 && !/reloaded/.test(stderr); k++) await sleep(100);
    assert.match(stderr, /reloaded/);
  } finally {
    if (child.exitCode === null) {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
    }
  }
  fs.rmSync(dir, { recursive: true });
});
