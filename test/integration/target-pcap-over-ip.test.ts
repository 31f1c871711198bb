/**
 * pcap_over_ip with real readers: a fast client piped into `tcpdump -r -` gets every packet,
 * a client that stops reading loses packets that are counted against it alone (queue_full),
 * a client that joins late starts with a valid header, and every byte stream is whole records.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import net from 'node:net';
import { test } from 'node:test';
import type { ComponentCounters } from '../../src/components/counters.js';
import { PcapOverIpTarget, TARGET_TYPES } from '../../src/components/targets/index.js';
import { loadCaptureSync, parseCaptureBytes } from '../../src/formats/index.js';
import { Problems } from '../../src/pipeline/problems.js';
import { fixture, hasTool } from '../helpers.js';
import { assertCountersAddUp, ctxFor, range, sleep } from './target-helpers.js';

const telnet = loadCaptureSync(fixture('captures', 'telnet-unclosed-suboption.pcapng.gz')).batch;

function create(o: Record<string, unknown>): PcapOverIpTarget {
  const p = new Problems();
  TARGET_TYPES.pcap_over_ip.validate(o, 'targets.p', p);
  assert.deepEqual(p.list, []);
  return TARGET_TYPES.pcap_over_ip.create('p', o) as PcapOverIpTarget;
}

function connect(port: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const s = net.connect(port, '127.0.0.1', () => resolve(s));
    s.once('error', reject);
  });
}

/** A port nothing listens on now: a reload takes over only a fixed port, never port 0. */
async function freePort(): Promise<number> {
  const probe = net.createServer();
  await new Promise<void>((r) => probe.listen(0, '127.0.0.1', () => r()));
  const port = (probe.address() as net.AddressInfo).port;
  await new Promise<void>((r) => probe.close(() => r()));
  return port;
}

async function until(cond: () => boolean, what: string): Promise<void> {
  for (let k = 0; k < 500 && !cond(); k++) await sleep(10);
  assert.ok(cond(), `timed out waiting for ${what}`);
}

test('no client: the target is down and drops with reason target_down', async () => {
  const t = create({ listen: '127.0.0.1:0' });
  await t.start();
  assert.equal(t.up, false);
  await t.write(telnet, range(telnet, 0, 10), ctxFor());
  assert.equal(t.counters.dropPackets.get('target_down'), 10);
  assertCountersAddUp(t.counters);
  await t.close();
});

test('a slow client never stalls a fast one: tcpdump -r - gets every packet, the slow one drops and counts', { skip: !hasTool('tcpdump') && 'tcpdump missing' }, async () => {
  const t = create({ listen: '127.0.0.1:0', client_queue_bytes: '1M' });
  await t.start();
  const port = t.address().port;

  const fast = await connect(port);
  const fastPort = fast.localPort as number;
  const tcpdump = spawn('tcpdump', ['-n', '-r', '-', '--count'], { stdio: ['pipe', 'pipe', 'pipe'] });
  fast.pipe(tcpdump.stdin);
  let tcpdumpOut = '';
  tcpdump.stdout.on('data', (d) => (tcpdumpOut += d));
  tcpdump.stderr.on('data', (d) => (tcpdumpOut += d));
  const tcpdumpDone = new Promise((r) => tcpdump.once('exit', r));

  const slow = await connect(port);
  const slowPort = slow.localPort as number;
  slow.pause(); // reads nothing: its kernel buffers fill, then its queue, then it drops
  await until(() => t.clientCounters().length === 2, 'two clients');
  assert.equal(t.up, true);

  const rounds = 4;
  const step = 500;
  let late: net.Socket | null = null;
  let latePort = 0;
  const lateBytes: Buffer[] = [];
  for (let r = 0; r < rounds; r++) {
    for (let i = 0; i < telnet.count; i += step) {
      await t.write(telnet, range(telnet, i, i + step), ctxFor());
      await sleep(5); // a live source's pace; the fast reader keeps up
    }
    if (r === 1) {
      late = await connect(port);
      latePort = late.localPort as number;
      late.on('data', (d: Buffer) => lateBytes.push(d));
      await until(() => t.clientCounters().length === 3, 'the late client');
    }
  }
  // Let the slow client read now: what it gets must be whole records, as many as counted out.
  const slowBytes: Buffer[] = [];
  slow.on('data', (d: Buffer) => slowBytes.push(d));
  slow.resume();
  const slowEnded = new Promise((r) => slow.once('end', r));
  const lateEnded = new Promise((r) => late?.once('end', r));
  await t.close();
  await Promise.all([tcpdumpDone, slowEnded, lateEnded]);

  const sent = rounds * telnet.count;
  const of = (port: number) => t.clientCounters().find((c) => c.name.endsWith(`:${port}]`)) as ComponentCounters;
  const [fastC, slowC, lateC] = [of(fastPort), of(slowPort), of(latePort)];
  assert.match(tcpdumpOut, new RegExp(`\\b${sent} packets`), tcpdumpOut);
  assert.equal(fastC.outPackets, sent);
  assert.equal(fastC.droppedPackets, 0);
  assert.ok((slowC.dropPackets.get('queue_full') ?? 0) > 0, 'the slow client dropped');
  for (const c of [fastC, slowC, lateC, t.counters]) assertCountersAddUp(c);
  assert.equal(t.counters.outPackets, sent);
  const slowGot = parseCaptureBytes(Buffer.concat(slowBytes), 'slow');
  assert.equal(slowGot.error, null);
  assert.equal(slowGot.batch.count, slowC.outPackets);
  const lateGot = parseCaptureBytes(Buffer.concat(lateBytes), 'late');
  assert.equal(lateGot.error, null);
  assert.equal(lateGot.batch.count, lateC.outPackets);
  assert.equal(lateC.inPackets, 2 * telnet.count);
  console.log(`pcap_over_ip: fast client ${fastC.outPackets}/${sent} (tcpdump agrees), slow client ${slowC.outPackets} out + ${slowC.droppedPackets} queue_full, late client ${lateC.outPackets}`);
});

test('pcapng stream: a late client gets the section header and every interface so far', async () => {
  const t = create({ listen: '127.0.0.1:0', format: 'pcapng' });
  await t.start();
  const port = t.address().port;
  const first = await connect(port);
  first.resume();
  await until(() => t.up, 'a client');
  const names = (k: number): { name: string; description: string } => ({ name: `tap${k}`, description: `origin ${k}` });
  telnet.iface[0] = 7;
  await t.write(telnet, range(telnet, 0, 5), ctxFor({ names }));
  telnet.iface[0] = 0;
  const late = await connect(port);
  const bytes: Buffer[] = [];
  late.on('data', (d: Buffer) => bytes.push(d));
  await until(() => t.clientCounters().length === 2, 'late client');
  telnet.iface[6] = 7;
  await t.write(telnet, range(telnet, 5, 10), ctxFor({ names }));
  telnet.iface[6] = 0;
  const ended = new Promise((r) => late.once('end', r));
  await t.close();
  await ended;
  const got = parseCaptureBytes(Buffer.concat(bytes), 'late');
  assert.equal(got.error, null);
  assert.equal(got.batch.count, 5);
  assert.deepEqual(got.interfaces.map((i) => i.name), ['tap7', 'tap0']);
  assert.equal(got.batch.iface[1], 0); // packet 6 came from interface 7, described before it joined
});

test('reload: a new target on the same address takes over the listener and its clients; the stream goes on', async () => {
  const port = await freePort();

  const old = create({ listen: `127.0.0.1:${port}` });
  await old.start();
  const client = await connect(port);
  const bytes: Buffer[] = [];
  client.on('data', (d: Buffer) => bytes.push(d));
  await until(() => old.up, 'a client');
  await old.write(telnet, range(telnet, 0, 10), ctxFor());
  // The pipeline's order on SIGHUP: start the new targets, then close the old ones.
  const next = create({ listen: `127.0.0.1:${port}` });
  await next.start();
  await old.close();
  assert.equal(next.up, true, 'the client moved to the new target');
  await next.write(telnet, range(telnet, 10, 25), ctxFor());
  const late = await connect(port);
  late.resume();
  await until(() => next.clientCounters().length === 2, 'a client of the new target');
  const ended = new Promise((r) => client.once('end', r));
  await next.close();
  await ended;
  const got = parseCaptureBytes(Buffer.concat(bytes), 'reloaded');
  assert.equal(got.error, null);
  assert.equal(got.batch.count, 25, 'one uninterrupted pcap stream across the reload');
});

test('a client that connects before the first packet gets its header with the records, in their precision', async () => {
  const t = create({ listen: '127.0.0.1:0', linktype: 1 });
  await t.start();
  const client = await connect(t.address().port);
  const bytes: Buffer[] = [];
  client.on('data', (d: Buffer) => bytes.push(d));
  await until(() => t.up, 'a client');
  await t.write(telnet, range(telnet, 0, 5), ctxFor({ names: () => ({ tsResolution: 9 }) }));
  const ended = new Promise((r) => client.once('end', r));
  await t.close();
  await ended;
  const got = parseCaptureBytes(Buffer.concat(bytes), 'early');
  assert.equal(got.error, null);
  assert.equal(got.interfaces[0].tsResolution, 9, 'nanosecond magic for nanosecond records');
  assert.equal(got.batch.count, 5);
  for (let i = 0; i < 5; i++) assert.equal(got.batch.tsNsec[i], telnet.tsNsec[i]);
});

test('a dropped reload gives the listener and its clients back to the running target', async () => {
  const port = await freePort();
  const old = create({ listen: `127.0.0.1:${port}` });
  await old.start();
  const client = await connect(port);
  client.resume();
  await until(() => old.up, 'a client');
  const next = create({ listen: `127.0.0.1:${port}` });
  await next.start();
  assert.equal(next.up, true, 'taken over');
  assert.equal(old.up, false);
  await next.discard();
  assert.equal(old.up, true, 'given back');
  const late = await connect(port);
  late.resume();
  await until(() => old.clientCounters().length === 2, 'a new client of the running target');
  const ended = new Promise((r) => client.once('end', r));
  await old.close();
  await ended;
});
