/**
 * Mirror receivers with real peers. The kernel's own tunnel devices (vxlan, geneve,
 * gretap, erspan) inside a network namespace carry real traffic to tapwire's receivers,
 * and the decapsulated inner packets must equal what the far side sent (tcpdump on the
 * tunnel device inside the namespace is the oracle), with the right VNI / session id.
 * Kernel device types this kernel lacks are skipped by name; the GRE/ERSPAN and GENEVE
 * decapsulation is then still checked on corpus captures replayed into a veth, against
 * tshark's decoding.
 */
import assert from 'node:assert/strict';
import net from 'node:net';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { test } from 'node:test';
import { SOURCE_TYPES } from '../../src/components/sources/index.js';
import type { MirrorSource } from '../../src/components/sources/mirror-source.js';
import type { Source } from '../../src/components/sources/types.js';
import { loadCaptureSync } from '../../src/formats/index.js';
import { Problems } from '../../src/pipeline/problems.js';
import { fixture, hasTool, tempDir } from '../helpers.js';
import { finished, kernelHasLinkType, liveSkipReason, sh, VethPair } from './live-netns.js';

const skip = liveSkipReason(['tcpdump']) ?? undefined;

interface Got {
  bytes: Buffer;
  wirelen: number;
  iface: number;
  flags: number;
  linktype: number;
}

function makeSource(type: string, o: Record<string, unknown>): Source {
  const p = new Problems();
  SOURCE_TYPES[type].validate({ type, ...o }, `sources.m`, p);
  assert.deepEqual(p.list, []);
  return SOURCE_TYPES[type].create('m', { type, ...o }, '.');
}

/** Runs the source until `n` packets came (or `ms` passed); copies what it delivered. */
function collect(source: Source, n: number, ms = 8000): { done: Promise<Got[]> } {
  const got: Got[] = [];
  const timer = setTimeout(() => source.stop(), ms);
  const done = (async () => {
    for await (const b of source.batches()) {
      for (let i = 0; i < b.count; i++) got.push({ bytes: Buffer.from(b.copyPacket(i)), wirelen: b.wirelen[i], iface: b.iface[i], flags: b.flags[i], linktype: b.linktype[i] });
      if (got.length >= n) source.stop();
    }
    clearTimeout(timer);
    return got;
  })();
  return { done };
}

/** Sends `count` UDP datagrams of growing size from inside the namespace. */
function sendUdp(v: VethPair, to: string, port: number, count: number): void {
  const script = `const d=require('dgram').createSocket('udp4');let k=0;const next=()=>{if(k===${count})return d.close();const b=Buffer.alloc(20+k*37,k);d.send(b,${port},'${to}',()=>{k++;setTimeout(next,2)});};next();`;
  v.exec(process.execPath, ['-e', script]);
}

function frames(file: string): Buffer[] {
  const c = loadCaptureSync(file);
  const out: Buffer[] = [];
  for (let i = 0; i < c.batch.count; i++) out.push(Buffer.from(c.batch.copyPacket(i)));
  return out;
}

interface KernelTunnel {
  /** ip link type and the source type that receives it. */
  linkType: string;
  sourceType: string;
  /** Arguments of `ip link add t0 type <linkType> ...` given our (outer) and their (inner) address. */
  args: (ours: string, theirs: string) => string[];
  /** The id the receiver must attach (VNI or ERSPAN session / GRE key) and its label. */
  id: number;
  label: string;
  /** Extra source options. */
  options?: Record<string, unknown>;
  /** Expected direction flags (ERSPAN III egress = 2). */
  flags?: number;
}

const TUNNELS: KernelTunnel[] = [
  { linkType: 'vxlan', sourceType: 'vxlan', args: (ours, theirs) => ['id', '42', 'remote', ours, 'local', theirs, 'dstport', '4789'], id: 42, label: 'vni' },
  { linkType: 'geneve', sourceType: 'geneve', args: (ours) => ['id', '43', 'remote', ours], id: 43, label: 'vni' },
  { linkType: 'gretap', sourceType: 'gre', args: (ours, theirs) => ['local', theirs, 'remote', ours, 'key', '44'], id: 44, label: 'key' },
  { linkType: 'erspan', sourceType: 'gre', args: (ours, theirs) => ['seq', 'key', '45', 'local', theirs, 'remote', ours, 'erspan_ver', '1', 'erspan', '9'], id: 45, label: 'session' },
  { linkType: 'erspan', sourceType: 'gre', args: (ours, theirs) => ['seq', 'key', '46', 'local', theirs, 'remote', ours, 'erspan_ver', '2', 'erspan_dir', 'egress', 'erspan_hwid', '7'], id: 46, label: 'session', flags: 2 },
];

let subnet = 10;
for (const t of TUNNELS) {
  for (const receive of t.sourceType === 'gre' ? ['pcap'] : ['socket', 'pcap']) {
    const what = `${t.linkType}${t.linkType === 'erspan' ? ` v${t.args('a', 'b')[8]}` : ''} device -> ${t.sourceType} source (${receive})`;
    const net3 = subnet++;
    test(`kernel ${what}: inner packets equal what the far side sent, with ${t.label} ${t.id}`, { skip: skip ?? (kernelHasLinkType(t.linkType, t.args('10.0.0.1', '10.0.0.2')) ? undefined : `this kernel cannot make '${t.linkType}' devices`) }, async () => {
        const ours = `10.77.${net3}.1`;
        const theirs = `10.77.${net3}.2`;
        const v = new VethPair({ outerAddr: `${ours}/24`, innerAddr: `${theirs}/24` });
        const dir = tempDir();
        try {
          v.exec('ip', ['link', 'add', 't0', 'type', t.linkType, ...t.args(ours, theirs)]);
          v.exec('sysctl', ['-qw', 'net.ipv6.conf.all.disable_ipv6=1']);
          v.exec('ip', ['link', 'set', 't0', 'up']);
          v.exec('ip', ['addr', 'add', '192.168.77.1/24', 'dev', 't0']);
          // A permanent neighbour: no ARP exchange, so only our datagrams cross the tunnel.
          v.exec('ip', ['neigh', 'replace', '192.168.77.2', 'lladdr', '02:00:00:00:00:02', 'dev', 't0', 'nud', 'permanent']);
          const oracle = path.join(dir, 'far.pcap');
          const tcpdump = v.spawn('tcpdump', ['-i', 't0', '-w', oracle, '-U', '-c', '12', 'udp port 9000']);
          const tcpdumpDone = finished(tcpdump);
          const opts: Record<string, unknown> = { sessions: { [t.id]: 'tenant-a' }, ...t.options };
          if (t.sourceType === 'gre') opts.interface = v.outer;
          else {
            opts.listen = `${ours}:${t.linkType === 'vxlan' ? 4789 : 6081}`;
            opts.receive = receive;
            if (receive === 'pcap') opts.interface = v.outer;
          }
          const source = makeSource(t.sourceType, opts) as MirrorSource;
          const run = collect(source, 12);
          await sleep(700);
          sendUdp(v, '192.168.77.2', 9000, 12);
          const got = (await run.done).filter((g) => g.bytes.length > 0);
          const t2 = setTimeout(() => tcpdump.kill('SIGINT'), 3000);
          await tcpdumpDone;
          clearTimeout(t2);
          const want = frames(oracle);
          assert.equal(want.length, 12, 'tcpdump saw what the far side sent');
          assert.equal(got.length, want.length, 'inner packets received');
          for (let i = 0; i < want.length; i++) {
            assert.deepEqual(got[i].bytes, want[i], `inner packet ${i + 1}`);
            const info = source.interfaces[got[i].iface];
            assert.equal(info.name, 'tenant-a');
            assert.match(info.description, new RegExp(`${t.label}=${t.id} src=${theirs}`));
            if (t.flags !== undefined) assert.equal(got[i].flags, t.flags);
          }
          assert.equal(source.truncated, 0);
          assert.equal(source.counters.droppedPackets, 0, JSON.stringify([...source.counters.dropPackets]));
        } finally {
          v.destroy();
        }
      },
    );
  }
}

/**
 * Counts of (id, inner source MAC) as tshark decodes them: the oracle for replayed tunnels.
 * Outer IP fragments are left out (the receivers drop them, counted as `fragment`).
 */
function tsharkInner(file: string, idField: string, filter: string): Map<string, number> {
  const out = sh('tshark', ['-r', file, '-o', 'ip.defragment:FALSE', '-Y', filter, '-T', 'fields', '-e', 'ip.flags.mf', '-e', 'ip.frag_offset', '-e', idField, '-e', 'eth.src']);
  const m = new Map<string, number>();
  for (const line of out.split('\n').filter(Boolean)) {
    const [mf, fragOffset, id, macs] = line.split('\t');
    if (mf.split(',')[0] === '1' || fragOffset.split(',')[0] !== '0') continue;
    const inner = macs.split(',').at(-1);
    const key = `${id === '' ? -1 : Number(id)} ${inner}`;
    m.set(key, (m.get(key) ?? 0) + 1);
  }
  return m;
}

const REPLAYS = [
  { file: 'erspanII.pcap', type: 'gre', idField: 'erspan.spanid', filter: 'erspan', label: 'session' },
  { file: 'erspan.pcap', type: 'gre', idField: 'gre.key', filter: 'gre', label: 'key' },
  { file: 'geneve.pcap', type: 'geneve', idField: 'geneve.vni', filter: 'geneve', label: 'vni' },
  { file: 'vxlan.pcap', type: 'vxlan', idField: 'vxlan.vni', filter: 'vxlan', label: 'vni' },
];

for (const r of REPLAYS) {
  test(`replayed ${r.file} -> ${r.type} source (pcap): ids and inner frames match tshark`, { skip: liveSkipReason(['tcpreplay', 'tshark']) ?? undefined }, async () => {
    const v = new VethPair();
    try {
      const want = tsharkInner(fixture('captures', r.file), r.idField, r.filter);
      const total = [...want.values()].reduce((a, b) => a + b, 0);
      assert.ok(total > 0, 'tshark finds tunnelled packets');
      const source = makeSource(r.type, r.type === 'gre' ? { interface: v.outer } : { receive: 'pcap', interface: v.outer, listen: `0.0.0.0:${r.type === 'vxlan' ? 4789 : 6081}` });
      const run = collect(source, total, 6000);
      await sleep(500);
      v.exec('tcpreplay', ['-q', '--pps=20000', '-i', v.inner, fixture('captures', r.file)]);
      const got = await run.done;
      const seen = new Map<string, number>();
      for (const g of got) {
        const desc = source.interfaces[g.iface].description;
        const id = new RegExp(`${r.label}=(\\d+)`).exec(desc)?.[1] ?? '-1';
        const mac = [...g.bytes.subarray(6, 12)].map((x) => x.toString(16).padStart(2, '0')).join(':');
        const key = `${id} ${mac}`;
        seen.set(key, (seen.get(key) ?? 0) + 1);
      }
      assert.deepEqual(seen, want);
    } finally {
      v.destroy();
    }
  });
}

test('tzsp source (socket): frames sent over TZSP from the namespace arrive whole', { skip }, async () => {
  const v = new VethPair({ outerAddr: '10.77.30.1/24', innerAddr: '10.77.30.2/24' });
  try {
    const want = frames(fixture('captures', 'wikipedia.pcap')).slice(0, 40);
    const source = makeSource('tzsp', { listen: '10.77.30.1:37008', receive: 'socket' });
    const run = collect(source, want.length);
    await sleep(300);
    // TZSP v1, type 0 (received tag list), encapsulation 1 (Ethernet), a padding tag, END.
    const hex = want.map((f) => f.toString('hex'));
    v.exec(process.execPath, ['-e', `const d=require('dgram').createSocket('udp4');const fr=${JSON.stringify(hex)};let k=0;const next=()=>{if(k===fr.length)return d.close();const b=Buffer.concat([Buffer.from([1,0,0,1,0,1]),Buffer.from(fr[k],'hex')]);d.send(b,37008,'10.77.30.1',()=>{k++;next()});};next();`]);
    const got = await run.done;
    assert.equal(got.length, want.length);
    for (let i = 0; i < want.length; i++) assert.deepEqual(got[i].bytes, want[i]);
    assert.equal(source.interfaces[got[0].iface].description, 'tzsp src=10.77.30.2');
  } finally {
    v.destroy();
  }
});

test('vxlan source: a mirror that cut the inner packet (AWS, MTU) counts it as truncated, with its original length', { skip }, async () => {
  const v = new VethPair({ outerAddr: '10.77.31.1/24', innerAddr: '10.77.31.2/24' });
  try {
    const source = makeSource('vxlan', { listen: '10.77.31.1:4789', receive: 'socket', health_check: '10.77.31.1:0' }) as MirrorSource;
    const run = collect(source, 2);
    await sleep(300);
    // Inner Ethernet + IPv4 announcing 1400 bytes, of which 100 came (then a whole one).
    v.exec(process.execPath, ['-e', `const d=require('dgram').createSocket('udp4');const mk=(tot,have)=>{const f=Buffer.alloc(14+have);f.writeUInt16BE(0x0800,12);f[14]=0x45;f.writeUInt16BE(tot,16);f[23]=17;return Buffer.concat([Buffer.from([8,0,0,0,0,0,7,0]),f]);};d.send(mk(1400,100),4789,'10.77.31.1',()=>d.send(mk(60,60),4789,'10.77.31.1',()=>d.close()));`]);
    const got = await run.done;
    assert.equal(got.length, 2);
    assert.equal(got[0].bytes.length, 114);
    assert.equal(got[0].wirelen, 14 + 1400);
    assert.equal(got[1].wirelen, 74);
    assert.equal(source.truncated, 1);
    assert.equal(source.counters.errors.get('truncated'), 1);
    assert.equal(source.counters.droppedPackets, 0);
    assert.match(source.interfaces[got[0].iface].description, /vxlan vni=7 src=10\.77\.31\.2/);
  } finally {
    v.destroy();
  }
});

test('health check port: open (TCP handshake succeeds) while the receiver runs, closed after', { skip: hasTool('ip') ? undefined : 'no ip' }, async () => {
  const source = makeSource('vxlan', { listen: '127.0.0.1:0', receive: 'socket', health_check: '127.0.0.1:0' }) as MirrorSource;
  const run = collect(source, 1, 1500);
  await sleep(200);
  const hc = source.o.healthCheck!;
  const port = hc.address()!.port;
  await new Promise<void>((resolve, reject) => net.connect(port, '127.0.0.1').on('connect', resolve).on('error', reject));
  await run.done;
  await sleep(50);
  await assert.rejects(new Promise<void>((resolve, reject) => net.connect(port, '127.0.0.1').on('connect', resolve).on('error', reject)));
  assert.ok(hc.checks >= 1);
});
