/**
 * `pcap_over_ip` source against a real TCP sender: a server that streams a capture file
 * and hangs up, twice. The source must deliver every packet of both streams (each starting
 * with its own pcap header) and count the reconnect. No privileges needed.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import net from 'node:net';
import { test } from 'node:test';
import { SOURCE_TYPES } from '../../src/components/sources/index.js';
import type { PcapOverIpSource } from '../../src/components/sources/pcap-over-ip.js';
import { loadCaptureSync } from '../../src/formats/index.js';
import { fixture } from '../helpers.js';

test('pcap_over_ip source: reads a streamed pcap, reconnects with back-off when the sender hangs up', async () => {
  const file = fixture('captures', 'wikipedia.pcap');
  const bytes = fs.readFileSync(file);
  const want = loadCaptureSync(file);
  let served = 0;
  // Sends the file in small odd-sized pieces (records split across reads), then closes.
  const server = net.createServer((sock) => {
    served++;
    let pos = 0;
    const step = () => {
      if (pos >= bytes.length) return sock.end();
      const n = 333 + (pos % 7);
      sock.write(bytes.subarray(pos, pos + n), () => setImmediate(step));
      pos += n;
    };
    step();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  const o = { type: 'pcap_over_ip', connect: `127.0.0.1:${port}`, max_backoff: '1s' };
  const source = SOURCE_TYPES.pcap_over_ip.create('upstream', o, '.') as PcapOverIpSource;
  const got: Buffer[] = [];
  const total = want.batch.count * 2;
  const timer = setTimeout(() => source.stop(), 10000);
  for await (const b of source.batches()) {
    for (let i = 0; i < b.count; i++) got.push(Buffer.from(b.copyPacket(i)));
    if (got.length >= total) source.stop();
  }
  clearTimeout(timer);
  server.close();
  assert.equal(got.length, total);
  for (let i = 0; i < total; i++) assert.deepEqual(got[i], Buffer.from(want.batch.copyPacket(i % want.batch.count)), `packet ${i + 1}`);
  assert.ok(served >= 2);
  assert.ok((source.counters.errors.get('reconnect') ?? 0) >= 1);
  assert.equal(source.interfaces[0].linktype, 1);
});
