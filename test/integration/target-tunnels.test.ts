/**
 * Re-encapsulation checked by real peers. VXLAN and GENEVE go over loopback to a UDP socket
 * of the test while tshark captures them off `lo`; tshark's decoding of that capture must
 * show the configured VNI and the same inner packets that went in, and both directions of a
 * flow must leave from one outer source port. ERSPAN II goes to a file tshark decodes. The
 * `udp` target's datagrams are compared with tshark's view of the original payloads.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import dgram from 'node:dgram';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import type { PacketBatch } from '../../src/core/batch.js';
import { TARGET_TYPES, type GreTarget, type UdpTarget, type UdpTunnelTarget } from '../../src/components/targets/index.js';
import { ethernetShape, FrameShape, writeInnerFrame } from '../../src/components/targets/inner-frame.js';
import { loadCaptureSync } from '../../src/formats/index.js';
import { Problems } from '../../src/pipeline/problems.js';
import { fixture, hasTool, tempDir } from '../helpers.js';
import { assertCountersAddUp, ctxFor, flowHashes, range, sleep, tshark } from './target-helpers.js';

const canCapture = hasTool('tshark') && process.getuid?.() === 0;
const telnetFile = fixture('captures', 'telnet-unclosed-suboption.pcapng.gz');
const handshakeFile = fixture('captures', 'tcp-handshake-nano.pcap'); // Linux cooked (SLL), both directions
const telnet = loadCaptureSync(telnetFile).batch;
const handshake = loadCaptureSync(handshakeFile).batch;
const TELNET_N = 400;

function create<T>(type: string, o: Record<string, unknown>): T {
  const p = new Problems();
  TARGET_TYPES[type].validate(o, `targets.${type}`, p);
  assert.deepEqual(p.list, []);
  return TARGET_TYPES[type].create(type, o) as T;
}

/** The inner frames a tunnel must carry for packets [0, n) of a batch (cut to `max`). */
function innerFrames(batch: PacketBatch, n: number, max = 1 << 20): string[] {
  const shape = new FrameShape();
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    assert.ok(ethernetShape(batch, i, shape));
    const buf = new Uint8Array(shape.length + 14);
    const len = writeInnerFrame(buf, 0, batch, i, shape, max);
    out.push(Buffer.from(buf.subarray(0, len)).toString('hex'));
  }
  return out;
}

interface Received {
  payloads: Buffer[];
  ports: number[];
}

async function receiver(): Promise<{ sock: dgram.Socket; port: number; got: Received }> {
  const sock = dgram.createSocket({ type: 'udp4', recvBufferSize: 8 << 20 });
  const got: Received = { payloads: [], ports: [] };
  sock.on('message', (m, r) => {
    got.payloads.push(m);
    got.ports.push(r.port);
  });
  await new Promise<void>((r) => sock.bind(0, '127.0.0.1', () => r()));
  return { sock, port: sock.address().port, got };
}

/** Starts tshark on lo for UDP port `port`; resolves once it captures. */
async function capture(port: number, file: string, count: number): Promise<() => Promise<void>> {
  const ts = spawn('tshark', ['-i', 'lo', '-f', `udp dst port ${port}`, '-w', file, '-c', String(count)], { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  await new Promise<void>((resolve, reject) => {
    ts.stderr.on('data', (d) => {
      err += d;
      if (/Capturing on/.test(err)) resolve();
    });
    ts.once('exit', () => reject(new Error(`tshark exited: ${err}`)));
  });
  await sleep(200); // the capture filter is attached a moment after the banner
  const exited = new Promise<void>((r) => ts.once('exit', () => r()));
  return async () => {
    const timer = setTimeout(() => ts.kill('SIGINT'), 5000);
    await exited;
    clearTimeout(timer);
  };
}

async function until(cond: () => boolean): Promise<void> {
  for (let k = 0; k < 300 && !cond(); k++) await sleep(10);
}

const wikiFile = fixture('captures', 'wikipedia.pcap'); // DNS, HTTP, LLMNR, IPv6, ARP, STP: many flows
const wiki = loadCaptureSync(wikiFile).batch;
const FLOW_FIELDS = ['ip.src', 'ip.dst', 'ipv6.src', 'ipv6.dst', 'tcp.srcport', 'tcp.dstport', 'udp.srcport', 'udp.dstport'];

/** The inner packet's fields from a row of FLOW_FIELDS: in a tunnel capture the last occurrence. */
function innerFields(row: string[], tunneled: boolean): string[] {
  return row.map((v, k) => {
    const parts = v.split(',');
    if (!tunneled) return v;
    // Outer IPv4 and UDP come first in a tunnel capture; the inner value, if any, follows.
    return k === 0 || k === 1 || k === 6 || k === 7 ? (parts[1] ?? '') : v;
  });
}

function flowKey(f: string[]): string | null {
  const a = f[0] || f[2];
  const b = f[1] || f[3];
  if (!a) return null;
  const pa = f[4] || f[6];
  const pb = f[5] || f[7];
  const x = `${a}/${pa}`;
  const y = `${b}/${pb}`;
  return x < y ? `${x} ${y}` : `${y} ${x}`;
}

for (const kind of ['vxlan', 'geneve'] as const) {
  test(`${kind}: tshark decodes the VNI and exactly the inner packets; one outer source port per flow`, { skip: !canCapture && 'needs tshark and root for capturing on lo' }, async () => {
    const dir = tempDir();
    const rx = await receiver();
    const inputs: [PacketBatch, number][] = [[telnet, TELNET_N], [handshake, handshake.count], [wiki, wiki.count]];
    const expected = inputs.reduce((n, [, c]) => n + c, 0);
    const capFile = path.join(dir, `${kind}.pcap`);
    const stop = await capture(rx.port, capFile, expected);
    const vni = kind === 'vxlan' ? 4242 : 777;
    const o: Record<string, unknown> = { remote: `127.0.0.1:${rx.port}`, vni };
    if (kind === 'geneve') o.options = [{ class: 0x0108, type: 3, data: 'deadbeef' }];
    const t = create<UdpTunnelTarget>(kind, o);
    await t.start();
    for (const [b, n] of inputs) await t.write(b, range(b, 0, n), ctxFor({ flowHash: flowHashes(b) }));
    await t.close();
    await until(() => rx.got.payloads.length >= expected);
    await stop();
    rx.sock.close();

    // Counters: everything sent, nothing dropped.
    assert.equal(t.counters.outPackets, expected);
    assertCountersAddUp(t.counters);

    // Byte for byte at the receiving socket: header + the inner frame.
    const hlen = kind === 'vxlan' ? 8 : 16;
    const want = inputs.flatMap(([b, n]) => innerFrames(b, n)).sort();
    assert.deepEqual(rx.got.payloads.map((p) => p.subarray(hlen).toString('hex')).sort(), want);

    // tshark on the capture: VNI, inner fields equal the original's, source port per flow.
    const vniField = kind === 'vxlan' ? 'vxlan.vni' : 'geneve.vni';
    const rows = tshark(capFile, [...FLOW_FIELDS, vniField], ['-d', `udp.port==${rx.port},${kind}`]);
    assert.equal(rows.length, expected, 'tshark saw every datagram');
    for (const r of rows) assert.equal(Number(r[8]), vni); // tshark prints GENEVE's VNI in hex
    const inner = rows.map((r) => innerFields(r.slice(0, 8), true));
    const orig = [
      ...tshark(telnetFile, FLOW_FIELDS).slice(0, TELNET_N),
      ...tshark(handshakeFile, FLOW_FIELDS),
      ...tshark(wikiFile, FLOW_FIELDS),
    ];
    const line = (f: string[]): string => f.join(' ').trimEnd(); // tshark's last row loses its empty trailing fields
    assert.deepEqual(inner.map(line).sort(), orig.map(line).sort(), 'inner IP and port fields as tshark decodes them');
    // Both directions of a flow share the outer source port (the symmetric flow hash).
    const portOfFlow = new Map<string, string>();
    const ports = new Set<string>();
    rows.forEach((r, k) => {
      const sport = r[6].split(',')[0];
      assert.ok(Number(sport) >= 49152, `source port ${sport} in the RFC 7348 range`);
      ports.add(sport);
      const key = flowKey(inner[k]);
      if (key === null) return;
      const seen = portOfFlow.get(key);
      if (seen === undefined) portOfFlow.set(key, sport);
      else assert.equal(sport, seen, `flow ${key} left from two source ports`);
    });
    assert.ok(ports.size > 4, `flows spread over the port pool (${ports.size} ports)`);
    console.log(`${kind}: ${rows.length} datagrams captured on lo, VNI ${vni}, ${portOfFlow.size} flows each on one of ${ports.size} source ports, inner packets equal`);
    fs.rmSync(dir, { recursive: true });
  });
}

test('vxlan mtu: longer inner frames are cut, not fragmented, and counted as truncated', async () => {
  const rx = await receiver();
  const t = create<UdpTunnelTarget>('vxlan', { remote: `127.0.0.1:${rx.port}`, vni: 1, mtu: 600 });
  await t.start();
  await t.write(telnet, range(telnet, 0, TELNET_N), ctxFor());
  await t.close();
  await until(() => rx.got.payloads.length >= TELNET_N);
  rx.sock.close();
  const max = 600 - 20 - 8 - 8;
  const want = innerFrames(telnet, TELNET_N, max);
  assert.deepEqual(rx.got.payloads.map((p) => p.subarray(8).toString('hex')), want);
  const cut = innerFrames(telnet, TELNET_N).filter((h) => h.length / 2 > max).length;
  assert.ok(cut > 0, 'the fixture has frames longer than the MTU');
  assert.equal(t.counters.errors.get('truncated'), cut);
  assert.ok(rx.got.payloads.every((p) => p.length + 28 <= 600));
  assertCountersAddUp(t.counters);
});

test('gre: ERSPAN II written to a file decodes in tshark with session id, sequence and the inner packets', { skip: !hasTool('tshark') && 'tshark missing' }, async () => {
  const dir = tempDir();
  const file = path.join(dir, 'erspan.pcap');
  const t = create<GreTarget>('gre', { path: file, remote: '192.0.2.10', local: '192.0.2.1', session_id: 321, mtu: 1000 });
  await t.start();
  await t.write(telnet, range(telnet, 0, TELNET_N), ctxFor());
  await t.write(handshake, null, ctxFor());
  await t.close();
  const n = TELNET_N + handshake.count;
  const rows = tshark(file, ['ip.src', 'ip.dst', 'gre.sequence_number', 'erspan.spanid', 'erspan.truncated', 'tcp.srcport', 'tcp.dstport', 'frame.len']);
  assert.equal(rows.length, n);
  const orig = [...tshark(telnetFile, ['ip.src', 'ip.dst', 'tcp.srcport', 'tcp.dstport']).slice(0, TELNET_N), ...tshark(handshakeFile, ['ip.src', 'ip.dst', 'tcp.srcport', 'tcp.dstport'])];
  const shape = new FrameShape();
  let cut = 0;
  rows.forEach((r, k) => {
    assert.equal(r[0].split(',')[0], '192.0.2.1');
    assert.equal(r[1].split(',')[0], '192.0.2.10');
    assert.equal(r[2], String(k), 'GRE sequence counts packets');
    assert.equal(r[3], '321');
    assert.equal([r[0].split(',')[1], r[1].split(',')[1], r[5], r[6]].join(' '), orig[k].join(' '));
    const [b, i] = k < TELNET_N ? [telnet, k] : [handshake, k - TELNET_N];
    ethernetShape(b, i, shape);
    const truncated = shape.length > 1000 - 36;
    if (truncated) cut++;
    assert.equal(r[4], truncated ? '1' : '0', `packet ${k + 1}: ERSPAN T bit`);
    assert.equal(Number(r[7]), 14 + 36 + Math.min(shape.length, 1000 - 36));
  });
  assert.equal(t.counters.outPackets, n);
  assert.equal(t.counters.errors.get('truncated') ?? 0, cut);
  assert.equal(t.counters.inBytes, [...Array(TELNET_N).keys()].reduce((s, i) => s + telnet.caplen[i], 0) + [...Array(handshake.count).keys()].reduce((s, i) => s + handshake.caplen[i], 0));
  assertCountersAddUp(t.counters);
  console.log(`gre: ${n} ERSPAN II packets decoded by tshark (session 321, sequence 0..${n - 1}, ${cut} cut to the MTU with the T bit)`);
  fs.rmSync(dir, { recursive: true });
});

test('udp: l4 payloads as tshark sees them; frame mode forwards whole frames; no-payload packets are counted', { skip: !hasTool('tshark') && 'tshark missing' }, async () => {
  const rx = await receiver();
  const t = create<UdpTarget>('udp', { remote: `127.0.0.1:${rx.port}` });
  await t.start();
  await t.write(telnet, range(telnet, 0, TELNET_N), ctxFor());
  await t.close();
  const payloads = tshark(telnetFile, ['tcp.payload']).slice(0, TELNET_N).map((r) => r[0].replace(/:/g, ''));
  const nonEmpty = payloads.filter((p) => p !== '');
  await until(() => rx.got.payloads.length >= nonEmpty.length);
  assert.deepEqual(rx.got.payloads.map((p) => p.toString('hex')), nonEmpty);
  assert.equal(t.counters.dropPackets.get('no_payload'), TELNET_N - nonEmpty.length);
  assertCountersAddUp(t.counters);

  const rx2 = await receiver();
  const f = create<UdpTarget>('udp', { remote: `127.0.0.1:${rx2.port}`, payload: 'frame' });
  await f.start();
  await f.write(handshake, null, ctxFor());
  await f.close();
  await until(() => rx2.got.payloads.length >= handshake.count);
  assert.deepEqual(rx2.got.payloads.map((p) => p.toString('hex')), [0, 1, 2].map((i) => Buffer.from(handshake.packet(i)).toString('hex')));
  rx.sock.close();
  rx2.sock.close();
  console.log(`udp: ${nonEmpty.length} TCP payloads forwarded equal to tshark's tcp.payload, ${TELNET_N - nonEmpty.length} without payload counted`);
});

test('gre over udp (RFC 8086): tshark decodes GRE-in-UDP as ERSPAN II with the inner packets; one source port per flow', { skip: !canCapture && 'needs tshark and root for capturing on lo' }, async () => {
  const dir = tempDir();
  const rx = await receiver();
  const n = TELNET_N + handshake.count;
  const capFile = path.join(dir, 'gre-udp.pcap');
  const stop = await capture(rx.port, capFile, n);
  const t = create<UdpTunnelTarget>('gre', { transport: 'udp', remote: `127.0.0.1:${rx.port}`, session_id: 99, mtu: 1200 });
  await t.start();
  await t.write(telnet, range(telnet, 0, TELNET_N), ctxFor({ flowHash: flowHashes(telnet) }));
  await t.write(handshake, null, ctxFor({ flowHash: flowHashes(handshake) }));
  await t.close();
  await until(() => rx.got.payloads.length >= n);
  await stop();
  rx.sock.close();
  const max = 1200 - 20 - 8 - 16;
  const want = [...innerFrames(telnet, TELNET_N, max), ...innerFrames(handshake, handshake.count, max)].sort();
  assert.deepEqual(rx.got.payloads.map((p) => p.subarray(16).toString('hex')).sort(), want);
  const rows = tshark(capFile, ['udp.srcport', 'gre.sequence_number', 'erspan.spanid', 'ip.src', 'ip.dst', 'tcp.srcport', 'tcp.dstport'], ['-d', `udp.port==${rx.port},gre`]);
  assert.equal(rows.length, n);
  assert.deepEqual(rows.map((r) => Number(r[1])).sort((a, b) => a - b), [...Array(n).keys()], 'GRE sequence numbers 0..n-1');
  const orig = [...tshark(telnetFile, ['ip.src', 'ip.dst', 'tcp.srcport', 'tcp.dstport']).slice(0, TELNET_N), ...tshark(handshakeFile, ['ip.src', 'ip.dst', 'tcp.srcport', 'tcp.dstport'])].map((r) => r.join(' '));
  assert.deepEqual(rows.map((r) => [r[3].split(',')[1], r[4].split(',')[1], r[5], r[6]].join(' ')).sort(), orig.sort());
  const portOf = new Map<string, string>();
  for (const r of rows) {
    assert.equal(r[2], '99');
    const key = [r[3].split(',')[1], r[4].split(',')[1]].sort().join('-');
    const seen = portOf.get(key) ?? r[0];
    assert.equal(r[0], seen, `flow ${key} on one source port`);
    portOf.set(key, seen);
  }
  assertCountersAddUp(t.counters);
  console.log(`gre over udp: ${rows.length} GRE-in-UDP datagrams decoded by tshark as ERSPAN II session 99, sequence 0..${n - 1}`);
  fs.rmSync(dir, { recursive: true });
});
