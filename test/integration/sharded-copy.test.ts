/**
 * Workers with a source that cannot read into the shared pool (a PCAP-over-IP client): its
 * batches are copied into the pool, and every packet still reaches one worker, in order.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { test } from 'node:test';
import { loadCaptureSync } from '../../src/formats/index.js';
import { validateConfig } from '../../src/pipeline/config.js';
import { ShardedPipeline } from '../../src/pipeline/sharded.js';
import { fixture, tempDir } from '../helpers.js';

test('workers: 2 with a pcap_over_ip source: batches are copied into the pool, every packet once, flows in order', async () => {
  const dir = tempDir();
  const capture = fixture('captures', 'wikipedia.pcap');
  const input = loadCaptureSync(capture).batch;
  // One connection gets the whole capture; the source then waits to reconnect until stopped.
  let served = false;
  const server = net.createServer((s) => (served ? s.destroy() : ((served = true), s.end(fs.readFileSync(capture)))));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as net.AddressInfo).port;
  const p = new ShardedPipeline(validateConfig({
    workers: 2,
    sources: { peer: { type: 'pcap_over_ip', connect: `127.0.0.1:${port}` } },
    sessions: [{ number: 1, sources: ['peer'], targets: ['out'] }],
    targets: { out: { type: 'pcap_file', path: path.join(dir, 'out.pcap') } },
  }, path.join(dir, 'tapwire.yaml')));
  await p.start();
  const running = p.run();
  const source = p.sources[0];
  for (let k = 0; k < 100 && source.counters.outPackets < input.count; k++) await sleep(50);
  p.stop();
  await running;
  await p.close();
  server.close();

  const files = [0, 1].map((k) => loadCaptureSync(path.join(dir, `out.w${k}.pcap`)).batch);
  assert.ok(files.every((b) => b.count > 0), 'both workers got packets');
  const key = (b: typeof input, i: number) => Buffer.from(b.copyPacket(i)).toString('hex') + b.tsSec[i] + '.' + b.tsNsec[i];
  const position = new Map<string, number>();
  for (let i = 0; i < input.count; i++) position.set(key(input, i), i);
  const seen = new Set<number>();
  for (const b of files) {
    let last = -1;
    for (let i = 0; i < b.count; i++) {
      const at = position.get(key(b, i));
      assert.ok(at !== undefined && at > last, 'in input order');
      seen.add(at!);
      last = at!;
    }
  }
  assert.equal(seen.size, input.count);
  assert.equal(p.counters().find((c) => c.kind === 'target' && c.name === 'out')!.outPackets, input.count);
  fs.rmSync(dir, { recursive: true });
});
