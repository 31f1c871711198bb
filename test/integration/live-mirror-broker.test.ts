/**
 * A `vxlan` receiver as a broker source (socket path, loopback, no privileges): datagrams of
 * two mirror sessions (VNI 100 named in the config, VNI 200 not) reach a pcapng target with
 * one Interface Description Block per origin, so the output still tells the sessions apart.
 */
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { test } from 'node:test';
import type { MirrorSource } from '../../src/components/sources/mirror-source.js';
import type { PacketBatch } from '../../src/core/batch.js';
import { loadCaptureSync } from '../../src/formats/index.js';
import { validateConfig, type BrokerConfig } from '../../src/pipeline/config.js';
import { Pipeline } from '../../src/pipeline/pipeline.js';
import { fixture, tempDir } from '../helpers.js';

/**
 * Runs `config` (one vxlan source) while `n` frames go to it as VXLAN datagrams, even ones
 * with VNI 100 and odd ones with VNI 200, and returns once all are taken and outputs closed.
 */
async function runMirror(config: BrokerConfig, frames: PacketBatch, n: number): Promise<void> {
  const p = new Pipeline(config);
  await p.start();
  const running = p.run();
  const source = p.sources[0] as MirrorSource;
  for (let k = 0; k < 50 && source.address === null; k++) await sleep(20);
  const sock = dgram.createSocket('udp4');
  for (let i = 0; i < n; i++) {
    const vni = i % 2 === 0 ? 100 : 200;
    const hdr = Buffer.from([8, 0, 0, 0, (vni >> 16) & 0xff, (vni >> 8) & 0xff, vni & 0xff, 0]);
    await new Promise<void>((resolve) => sock.send(Buffer.concat([hdr, frames.copyPacket(i)]), source.address!.port, '127.0.0.1', () => resolve()));
  }
  sock.close();
  for (let k = 0; k < 100 && source.counters.outPackets < n; k++) await sleep(20);
  p.stop();
  await running;
  await p.close();
}

test('vxlan source in a broker: pcapng output keeps each VNI as its own interface', async () => {
  const dir = tempDir();
  const frames = loadCaptureSync(fixture('captures', 'wikipedia.pcap'));
  const out = path.join(dir, 'mirror.pcapng');
  const config = validateConfig(
    {
      sources: { mirror: { type: 'vxlan', listen: '127.0.0.1:0', receive: 'socket', sessions: { 100: 'web' } } },
      sessions: [{ number: 1, sources: ['mirror'], targets: ['out'] }],
      targets: { out: { type: 'pcap_file', path: out } },
    },
    path.join(dir, 'tapwire.yaml'),
  );
  const n = 40;
  await runMirror(config, frames.batch, n);
  const got = loadCaptureSync(out);
  assert.equal(got.batch.count, n);
  const byIface = new Map<string, number>();
  for (let i = 0; i < n; i++) {
    const info = got.interfaces[got.batch.iface[i]];
    const key = `${info.name} | ${info.description}`;
    byIface.set(key, (byIface.get(key) ?? 0) + 1);
    assert.deepEqual(Buffer.from(got.batch.copyPacket(i)), Buffer.from(frames.batch.copyPacket(i)));
  }
  assert.deepEqual(
    [...byIface.entries()].sort(),
    [
      ['mirror:vni-200 | vxlan vni=200 src=127.0.0.1', n / 2],
      ['mirror:web | vxlan vni=100 src=127.0.0.1 session=web', n / 2],
    ],
  );
});

test('sessions select one mirror session of a receiver by name: `mirror:web` and `mirror:vni-200`', async () => {
  const dir = tempDir();
  const frames = loadCaptureSync(fixture('captures', 'wikipedia.pcap'));
  const config = validateConfig(
    {
      sources: { mirror: { type: 'vxlan', listen: '127.0.0.1:0', receive: 'socket', sessions: { 100: 'web' } } },
      sessions: [
        { number: 1, sources: ['mirror:web'], targets: ['web'] },
        { number: 2, sources: ['mirror:vni-200'], filter: 'tcp', targets: ['other'] },
      ],
      targets: { web: { type: 'pcap_file', path: path.join(dir, 'web.pcap') }, other: { type: 'pcap_file', path: path.join(dir, 'other.pcap') } },
    },
    path.join(dir, 'tapwire.yaml'),
  );
  const n = 40;
  let tcpOdd = 0; // IPv4/TCP frames among the odd ones (VNI 200), which session 2 keeps
  for (let i = 1; i < n; i += 2) {
    const frame = frames.batch.copyPacket(i);
    if (frame[12] === 8 && frame[13] === 0 && frame[23] === 6) tcpOdd++;
  }
  await runMirror(config, frames.batch, n);
  const web = loadCaptureSync(path.join(dir, 'web.pcap')).batch;
  const other = loadCaptureSync(path.join(dir, 'other.pcap')).batch;
  assert.equal(web.count, n / 2);
  for (let i = 0; i < web.count; i++) assert.deepEqual(Buffer.from(web.copyPacket(i)), Buffer.from(frames.batch.copyPacket(2 * i)));
  assert.ok(tcpOdd > 0);
  assert.equal(other.count, tcpOdd);
  assert.throws(() => validateConfig({ sources: { mirror: { type: 'vxlan' } }, sessions: [{ number: 1, sources: ['nosuch:web'], targets: ['t'] }], targets: { t: { type: 'stdout' } } }, 'x.yaml'), /sessions\[0\]\.sources\[0\]: no source named "nosuch:web"/);
});
