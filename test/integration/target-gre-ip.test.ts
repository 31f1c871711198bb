/**
 * The `gre` target over real IP (`transport: ip`): ERSPAN II sent as IPv4 protocol 47
 * through the addon's raw socket, from this namespace over a veth to a peer namespace.
 * tcpdump in the peer writes what arrives; tshark decodes it, and its view must show the
 * session id, GRE sequence 0..n-1 and, after the ERSPAN header, exactly the inner frames
 * that went in (cut to the MTU with the T bit where needed). The kernel's own `erspan`
 * device is tried as a receiver where the kernel can make one. Send errors, a missing
 * CAP_NET_RAW and a missing addon must be counted or reported clearly.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import type { PacketBatch } from '../../src/core/batch.js';
import { TARGET_TYPES, type GreIpTarget } from '../../src/components/targets/index.js';
import type { Target } from '../../src/components/types.js';
import { ethernetShape, FrameShape, writeInnerFrame } from '../../src/components/targets/inner-frame.js';
import { loadCaptureSync } from '../../src/formats/index.js';
import { validateConfig } from '../../src/pipeline/config.js';
import { Pipeline } from '../../src/pipeline/pipeline.js';
import { Problems } from '../../src/pipeline/problems.js';
import { fixture, hasTool, repoRoot, tempDir } from '../helpers.js';
import { finished, kernelHasLinkType, liveSkipReason, sh, VethPair } from './live-netns.js';
import { assertCountersAddUp, ctxFor, range, sleep } from './target-helpers.js';

const skip = liveSkipReason(['tcpdump', 'tshark']) ?? undefined;
const telnet = loadCaptureSync(fixture('captures', 'telnet-unclosed-suboption.pcapng.gz')).batch; // frames up to 1254 bytes
const handshake = loadCaptureSync(fixture('captures', 'tcp-handshake-nano.pcap')).batch; // Linux cooked: a synthetic Ethernet header
const wikiFile = fixture('captures', 'wikipedia.pcap'); // ARP, STP, IPv6, DNS, HTTP
const wiki = loadCaptureSync(wikiFile).batch;
/** GRE with sequence (8) + ERSPAN II (8). */
const ERSPAN_HEADERS = 16;

function create(o: Record<string, unknown>): Target {
  const p = new Problems();
  const config = { type: 'gre', transport: 'ip', ...o };
  TARGET_TYPES.gre.validate(config, 'targets.gre', p);
  assert.deepEqual(p.list, []);
  return TARGET_TYPES.gre.create('gre', config);
}

/** The inner frames the target must carry for packets [0, n) of a batch, cut to `max`, hex. */
function innerFrames(batch: PacketBatch, n: number, max: number): { hex: string; cut: boolean }[] {
  const shape = new FrameShape();
  const out: { hex: string; cut: boolean }[] = [];
  for (let i = 0; i < n; i++) {
    assert.ok(ethernetShape(batch, i, shape));
    const buf = new Uint8Array(shape.length + 14);
    const len = writeInnerFrame(buf, 0, batch, i, shape, max);
    out.push({ hex: Buffer.from(buf.subarray(0, len)).toString('hex'), cut: shape.length > max });
  }
  return out;
}

interface Decoded {
  src: string;
  dst: string;
  seq: number;
  spanid: number;
  truncated: string;
  /** The bytes from where tshark's inner Ethernet layer starts to the end of the frame. */
  inner: string;
}

type Layer = Record<string, unknown>;

/** tshark's decoding of the ERSPAN packets of a capture (JSON, with byte positions). */
function tsharkErspan(file: string): Decoded[] {
  const r = spawnSync('tshark', ['-n', '-r', file, '-Y', 'erspan', '-T', 'json', '-x', '--no-duplicate-keys'], { encoding: 'utf8', maxBuffer: 1 << 28 });
  assert.equal(r.status, 0, r.stderr);
  return (JSON.parse(r.stdout) as { _source: { layers: Layer } }[]).map(({ _source: { layers: l } }) => {
    const first = (v: unknown): Layer => (Array.isArray(v) ? v[0] : v) as Layer;
    const frame = (l.frame_raw as [string])[0];
    const eth = l.eth_raw as [string, number][];
    const erspan = l.erspan as Layer;
    assert.equal(eth.length, 2, 'tshark decodes an inner Ethernet frame');
    assert.equal(eth[1][1], (l.erspan_raw as [string, number])[1] + 8, 'the inner frame starts right after the 8-byte ERSPAN II header');
    return {
      src: first(l.ip)['ip.src'] as string,
      dst: first(l.ip)['ip.dst'] as string,
      seq: Number((l.gre as Layer)['gre.sequence_number']),
      spanid: Number(erspan['erspan.spanid']),
      truncated: erspan['erspan.truncated'] as string,
      inner: frame.slice(eth[1][1] * 2),
    };
  });
}

/** Fixed addresses per test: 10.77.<net>.1 here, .2 in the peer namespace. */
interface Peer {
  v: VethPair;
  ours: string;
  theirs: string;
}

function peer(net: number): Peer {
  const ours = `10.77.${net}.1`;
  const theirs = `10.77.${net}.2`;
  const v = new VethPair({ outerAddr: `${ours}/24`, innerAddr: `${theirs}/24` });
  // A permanent neighbour: the first packets must not wait in (or overflow) the ARP queue.
  const [link] = JSON.parse(sh('ip', ['-j', '-n', v.ns, 'link', 'show', v.inner])) as { address: string }[];
  sh('ip', ['neigh', 'replace', theirs, 'lladdr', link.address, 'dev', v.outer, 'nud', 'permanent']);
  return { v, ours, theirs };
}

/** tcpdump in the peer namespace on `dev` until `count` packets came; resolves once it listens. */
async function farCapture(v: VethPair, dev: string, file: string, count: number, filter: string[]): Promise<() => Promise<void>> {
  const td = v.spawn('tcpdump', ['-n', '-i', dev, '-U', '-w', file, '-c', String(count), ...filter]);
  const done = finished(td);
  let err = '';
  td.stderr?.on('data', (d) => (err += d));
  for (let k = 0; k < 100 && !/listening on/.test(err); k++) await sleep(50);
  assert.match(err, /listening on/, `tcpdump in the peer: ${err}`);
  return async () => {
    const timer = setTimeout(() => td.kill('SIGINT'), 5000);
    await done;
    clearTimeout(timer);
  };
}

test('gre over ip: tshark in the peer namespace decodes ERSPAN II with the session id, sequence and exactly the inner frames', { skip }, async () => {
  const { v, ours, theirs } = peer(41);
  const dir = tempDir();
  try {
    const mtu = 1000;
    const max = mtu - 20 - ERSPAN_HEADERS;
    const inputs: [PacketBatch, number][] = [[telnet, 400], [handshake, handshake.count], [wiki, wiki.count]];
    const want = inputs.flatMap(([b, n]) => innerFrames(b, n, max));
    const file = path.join(dir, 'far.pcap');
    const stop = await farCapture(v, v.inner, file, want.length, ['ip', 'proto', '47']);
    const t = create({ remote: theirs, local: ours, session_id: 321, mtu }) as GreIpTarget;
    await t.start();
    for (const [b, n] of inputs) await t.write(b, range(b, 0, n), ctxFor());
    await t.close();
    await stop();

    const got = tsharkErspan(file);
    assert.equal(got.length, want.length, 'every packet arrived as ERSPAN');
    got.forEach((g, k) => {
      assert.equal(g.src, ours);
      assert.equal(g.dst, theirs);
      assert.equal(g.seq, k, 'GRE sequence counts packets');
      assert.equal(g.spanid, 321);
      assert.equal(g.truncated, want[k].cut ? '1' : '0', `packet ${k + 1}: ERSPAN T bit`);
      assert.equal(g.inner, want[k].hex, `packet ${k + 1}: inner frame`);
    });
    const cut = want.filter((w) => w.cut).length;
    assert.ok(cut > 0, 'some frames were longer than the MTU');
    assert.equal(t.counters.outPackets, want.length);
    assert.equal(t.counters.errors.get('truncated'), cut);
    assertCountersAddUp(t.counters);
    console.log(`gre over ip: ${got.length} ERSPAN II packets (IPv4 proto 47) captured in the peer namespace, session 321, sequence 0..${got.length - 1}, ${cut} cut to MTU ${mtu} with the T bit, inner frames equal`);
  } finally {
    v.destroy();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('gre over ip in a broker config: a session delivers the capture to a tool in the peer namespace', { skip }, async () => {
  const { v, ours, theirs } = peer(42);
  const dir = tempDir();
  try {
    const file = path.join(dir, 'far.pcap');
    const stop = await farCapture(v, v.inner, file, wiki.count, ['ip', 'proto', '47']);
    const config = validateConfig(
      {
        sources: { span: { type: 'pcap_file', path: wikiFile } },
        sessions: [{ number: 10, sources: ['span'], targets: ['ids'] }],
        targets: { ids: { type: 'gre', transport: 'ip', remote: theirs, interface: v.outer, session_id: 7, vlan: 12 } },
      },
      path.join(dir, 'tapwire.yaml'),
    );
    const p = new Pipeline(config);
    await p.start();
    await p.run();
    await p.close();
    await stop();
    const got = tsharkErspan(file);
    const want = innerFrames(wiki, wiki.count, 1500);
    assert.deepEqual(got.map((g) => g.inner), want.map((w) => w.hex));
    for (const g of got) {
      assert.equal(g.spanid, 7);
      assert.equal(g.src, ours, 'the kernel chose the route source address');
    }
    const target = p.counters().find((c) => c.kind === 'target' && c.name === 'ids');
    assert.ok(target);
    assert.equal(target.outPackets, wiki.count);
    assertCountersAddUp(target);
    console.log(`gre over ip (broker): ${got.length} packets of ${path.basename(wikiFile)} delivered through ${v.outer} as ERSPAN II session 7`);
  } finally {
    v.destroy();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

const erspanArgs = (ours: string, theirs: string): string[] => ['seq', 'key', '321', 'local', theirs, 'remote', ours, 'erspan_ver', '1'];
test('gre over ip into the kernel erspan device of the peer: its frames equal the inner frames', { skip: skip ?? (kernelHasLinkType('erspan', erspanArgs('10.0.0.1', '10.0.0.2')) ? undefined : "this kernel cannot make 'erspan' devices (the tcpdump tests above are the receiver)") }, async () => {
  const { v, ours, theirs } = peer(43);
  const dir = tempDir();
  try {
    v.exec('sysctl', ['-qw', 'net.ipv6.conf.all.disable_ipv6=1']); // no chatter of e0's own in the capture
    v.exec('ip', ['link', 'add', 'e0', 'type', 'erspan', ...erspanArgs(ours, theirs)]);
    v.exec('ip', ['link', 'set', 'e0', 'up']);
    const file = path.join(dir, 'e0.pcap');
    const stop = await farCapture(v, 'e0', file, wiki.count, []);
    const t = create({ remote: theirs, session_id: 321 });
    await t.start();
    await t.write(wiki, null, ctxFor());
    await t.close();
    await stop();
    const c = loadCaptureSync(file).batch;
    const got = [...Array(c.count).keys()].map((i) => Buffer.from(c.packet(i)).toString('hex'));
    assert.deepEqual(got, innerFrames(wiki, wiki.count, 1500).map((w) => w.hex));
  } finally {
    v.destroy();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('gre over ip: packets over the path MTU are dropped with reason error (EMSGSIZE), the rest sent', { skip }, async () => {
  const { v, theirs } = peer(44);
  try {
    sh('ip', ['link', 'set', v.outer, 'mtu', '1000']);
    const mtu = 1500; // the target's, larger than the route's 1000: DF is set, so the kernel refuses
    const want = innerFrames(telnet, 400, mtu - 20 - ERSPAN_HEADERS);
    const tooBig = want.filter((w) => w.hex.length / 2 + ERSPAN_HEADERS + 20 > 1000).length;
    assert.ok(tooBig > 0);
    const t = create({ remote: theirs, session_id: 1, mtu }) as GreIpTarget;
    await t.start();
    await t.write(telnet, range(telnet, 0, 400), ctxFor());
    await t.close();
    assert.equal(t.counters.dropPackets.get('error'), tooBig);
    assert.equal(t.counters.errors.get('send'), tooBig);
    assert.equal(t.lastError, 'EMSGSIZE');
    assert.equal(t.counters.outPackets, 400 - tooBig);
    assertCountersAddUp(t.counters);
  } finally {
    v.destroy();
  }
});

test('gre over ip: before start every packet is dropped as target_down', async () => {
  const t = create({ remote: '192.0.2.1', session_id: 1 });
  await t.write(handshake, null, ctxFor());
  assert.equal(t.up, false);
  assert.equal(t.counters.dropPackets.get('target_down'), handshake.count);
  assertCountersAddUp(t.counters);
});

/** Starts a gre ip target in a child process (optionally under `wrap` or with `env`); its message. */
function startInChild(wrap: string[], env: Record<string, string> = {}): string {
  const targets = path.join(repoRoot, 'dist', 'src', 'components', 'targets', 'index.js');
  const script = `const { TARGET_TYPES } = await import(${JSON.stringify(targets)}); const t = TARGET_TYPES.gre.create('ids', { transport: 'ip', remote: '127.0.0.1', session_id: 1 }); try { await t.start(); console.log('started'); await t.close(); } catch (e) { console.log(e.code, e.message); }`;
  const argv = [...wrap, process.execPath, '--input-type=module', '-e', script];
  const r = spawnSync(argv[0], argv.slice(1), { encoding: 'utf8', env: { ...process.env, ...env } });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout.trim();
}

test('gre over ip without CAP_NET_RAW: start fails saying what is needed', { skip: skip ?? (hasTool('setpriv') ? undefined : 'setpriv (util-linux) not installed') }, () => {
  const msg = startInChild(['setpriv', '--inh-caps=-net_raw', '--bounding-set=-net_raw']);
  assert.match(msg, /^E_OUTPUT sending IP protocol 47 to 127\.0\.0\.1: cannot open a raw IP socket: Operation not permitted \(a raw IP socket needs root or CAP_NET_RAW/);
});

test('gre over ip without the addon: start fails naming the package and the build step', () => {
  const msg = startInChild([], { TAPWIRE_PCAP_ADDON: '/nonexistent/tapwire_pcap.node' });
  assert.match(msg, /^E_UNSUPPORTED sending IP protocol 47 to 127\.0\.0\.1 needs tapwire's libpcap addon, which is not built: install libpcap's headers \(Debian\/Ubuntu: apt-get install libpcap-dev\)/);
});
