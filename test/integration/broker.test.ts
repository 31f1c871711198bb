/**
 * The broker end to end: configs validated with every problem named, the bundled examples
 * run as they are, actions and targets give the packets they promise (checked with our
 * reader and tshark), counters match what was written, reload and metrics work live.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { test } from 'node:test';
import { loadCaptureSync } from '../../src/formats/index.js';
import { validateConfig } from '../../src/pipeline/config.js';
import { Pipeline } from '../../src/pipeline/pipeline.js';
import { ShardedPipeline } from '../../src/pipeline/sharded.js';
import { cliPath, fixture, hasTool, repoRoot, runCli, tempDir } from '../helpers.js';

const capture = (name: string) => fixture('captures', name);

async function runConfig(doc: object, dir: string): Promise<Pipeline> {
  const config = validateConfig(doc, path.join(dir, 'tapwire.yaml'));
  const p = new Pipeline(config);
  await p.start();
  await p.run();
  await p.close();
  return p;
}

test('validate names every problem of a bad config with its path, all at once', () => {
  const dir = tempDir();
  const file = path.join(dir, 'bad.yaml');
  fs.writeFileSync(file, `
sources:
  span: { type: pcap_flie, path: x.pcap }
  ok: { type: pcap_file }
sessions:
  - number: 10
    sources: [span, nosuch]
    filter: "tcp port"
    actions:
      - { type: slice }
      - { type: balance }
      - { type: dedupe, window: soon }
    targets: [missing]
  - number: 10
    sources: [ok]
    targets: [out]
targets:
  out: { type: pcap_file, path: out.pcap, rotate_size: huge }
  again: { type: pcap_file, path: ./out.pcap }
`);
  const r = runCli(['validate', file]);
  assert.equal(r.status, 1);
  const err = r.stderr.toString();
  for (const expected of [
    /sources\.span\.type: unknown type 'pcap_flie'/,
    /sources\.ok\.path: is required/,
    /sessions\[0\]\.sources\[1\]: no source named "nosuch"/,
    /sessions\[0\]\.filter: bad tcpdump expression 'tcp port'/,
    /sessions\[0\]\.actions\[0\]: slice needs bytes/,
    /sessions\[0\]\.actions\[1\]: balance must be the last action/,
    /sessions\[0\]\.actions\[2\]\.window: must be a duration/,
    /sessions\[0\]\.targets\[0\]: no target named "missing"/,
    /sessions\[1\]\.number: 10 is already used/,
    /targets\.out\.rotate_size/,
    /targets\.again\.path: the same file as targets\.out/,
  ]) assert.match(err, expected);
  fs.rmSync(dir, { recursive: true });
});

test('every bundled example validates and runs as it is, ending with its capture', { skip: !hasTool('tcpdump') && 'tcpdump missing' }, () => {
  const examples = fs.readdirSync(path.join(repoRoot, 'examples')).filter((f) => f.endsWith('.yaml'));
  assert.ok(examples.length >= 3);
  for (const ex of examples) {
    const file = path.join(repoRoot, 'examples', ex);
    assert.equal(runCli(['validate', file]).status, 0, ex);
    const r = runCli(['run', file]);
    assert.equal(r.status, 0, `${ex}: ${r.stderr}`);
    assert.match(r.stderr.toString(), /kind\s+name\s+type\s+in pkts/, `${ex} prints its summary table`);
    if (r.stdout.length > 0) {
      // A stdout target: tcpdump must read the stream.
      const t = spawnSync('tcpdump', ['-r', '-', '--count'], { input: r.stdout });
      assert.equal(t.status, 0, `${ex}: tcpdump on stdout stream: ${t.stderr}`);
    }
  }
});

test('a three-session run: counters match the packets written, and each file holds what its session promises', async () => {
  const dir = tempDir();
  const input = loadCaptureSync(capture('wikipedia.pcap')).batch;
  const p = await runConfig({
    sources: { span: { type: 'pcap_file', path: capture('wikipedia.pcap') } },
    sessions: [
      { number: 10, name: 'all', sources: ['span'], targets: ['all'] },
      { number: 20, name: 'web', sources: ['span'], filter: 'tcp port 80', actions: [{ type: 'slice', payload_bytes: 16 }], targets: ['web'] },
      { number: 30, name: 'bal', sources: ['span'], filter: 'ip', actions: [{ type: 'balance' }], targets: ['a', 'b'] },
    ],
    targets: {
      all: { type: 'pcap_file', path: path.join(dir, 'all.pcap') },
      web: { type: 'pcap_file', path: path.join(dir, 'web.pcap') },
      a: { type: 'pcap_file', path: path.join(dir, 'a.pcap') },
      b: { type: 'pcap_file', path: path.join(dir, 'b.pcap') },
    },
  }, dir);
  const all = loadCaptureSync(path.join(dir, 'all.pcap')).batch;
  assert.equal(all.count, input.count);
  for (let i = 0; i < all.count; i++) assert.deepEqual(all.packet(i), input.packet(i));
  const web = loadCaptureSync(path.join(dir, 'web.pcap')).batch;
  const a = loadCaptureSync(path.join(dir, 'a.pcap')).batch;
  const b = loadCaptureSync(path.join(dir, 'b.pcap')).batch;
  // Counters: what each target says it wrote is what its file holds; sessions add up.
  const byName = new Map(p.counters().map((c) => [`${c.kind}:${c.name}`, c]));
  assert.equal(byName.get('target:all')!.outPackets, all.count);
  assert.equal(byName.get('target:web')!.outPackets, web.count);
  assert.equal(byName.get('target:a')!.outPackets + byName.get('target:b')!.outPackets, a.count + b.count);
  for (const c of p.counters()) if (c.kind !== 'target') assert.equal(c.inPackets, c.outPackets + c.droppedPackets, `${c.kind} ${c.name}: in = out + dropped`);
  assert.ok(web.count > 0 && a.count > 0 && b.count > 0);
  for (let i = 0; i < web.count; i++) assert.ok(web.caplen[i] <= 14 + 60 + 60 + 16 && web.wirelen[i] >= web.caplen[i]);
  // Balance: the two halves never share a flow (ports and addresses as an unordered pair).
  const flowsOf = (batch: typeof a) => {
    const s = new Set<string>();
    for (let i = 0; i < batch.count; i++) {
      const d = batch.packet(i);
      if (d[12] !== 8 || d[13] !== 0) continue;
      const ends = [[...d.subarray(26, 30)].join('.') + ':' + ((d[34] << 8) | d[35]), [...d.subarray(30, 34)].join('.') + ':' + ((d[36] << 8) | d[37])].sort();
      s.add(ends.join('|') + d[23]);
    }
    return s;
  };
  const fa = flowsOf(a);
  for (const f of flowsOf(b)) assert.ok(!fa.has(f), `flow ${f} went to both targets`);
  fs.rmSync(dir, { recursive: true });
});

test('first-match mode: the lowest-numbered matching session takes the packet, as AWS mirror sessions do', async () => {
  const dir = tempDir();
  const total = loadCaptureSync(capture('wikipedia.pcap')).batch.count;
  await runConfig({
    match: 'first',
    sources: { span: { type: 'pcap_file', path: capture('wikipedia.pcap') } },
    sessions: [
      { number: 2, sources: ['span'], filter: 'udp', targets: ['udp'] },
      { number: 1, sources: ['span'], filter: 'port 53 or port 5353', targets: ['dns'] },
      { number: 3, sources: ['span'], targets: ['rest'] },
    ],
    targets: Object.fromEntries(['udp', 'dns', 'rest'].map((n) => [n, { type: 'pcap_file', path: path.join(dir, `${n}.pcap`) }])),
  }, dir);
  const n = (f: string) => loadCaptureSync(path.join(dir, `${f}.pcap`)).batch.count;
  assert.ok(n('dns') > 0 && n('udp') > 0 && n('rest') > 0);
  assert.equal(n('dns') + n('udp') + n('rest'), total);
  fs.rmSync(dir, { recursive: true });
});

test('strip + pcapng: tshark sees the inner packets, with the tunnel identity as the interface description', { skip: !hasTool('tshark') && 'tshark missing' }, async () => {
  const dir = tempDir();
  const out = path.join(dir, 'inner.pcapng');
  await runConfig({
    sources: { mirror: { type: 'pcap_file', path: capture('erspanII.pcap') } },
    sessions: [{ number: 1, sources: ['mirror'], actions: [{ type: 'strip' }], targets: ['out'] }],
    targets: { out: { type: 'pcap_file', path: out, format: 'pcapng' } },
  }, dir);
  const r = spawnSync('tshark', ['-r', out, '-T', 'fields', '-e', 'frame.protocols', '-e', 'frame.interface_description'], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const rows = r.stdout.trim().split('\n').map((l) => l.split('\t'));
  assert.equal(rows.length, loadCaptureSync(capture('erspanII.pcap')).batch.count);
  for (const [protocols, description] of rows) {
    assert.match(protocols, /^eth:ethertype:ip:icmp/);
    assert.match(description, /erspan/i);
  }
  fs.rmSync(dir, { recursive: true });
});

test('SIGHUP reloads a valid config and keeps the old one when the new one is bad; /metrics serves counters', async () => {
  const dir = tempDir();
  const file = path.join(dir, 'live.yaml');
  const port = 20000 + Math.floor(Math.random() * 20000);
  const cfg = (filter: string) => `
sources:
  span: { type: pcap_file, path: ${capture('wikipedia.pcap')}, pace: recorded, speed: 0.5 }
sessions:
  - { number: 1, sources: [span], filter: "${filter}", targets: [out] }
targets:
  out: { type: pcap_file, path: ${path.join(dir, 'out.pcap')} }
metrics: { listen: 127.0.0.1:${port} }
`;
  fs.writeFileSync(file, cfg('udp'));
  const child = spawn(process.execPath, [cliPath, 'run', file, '-q'], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  try {
    for (let k = 0; k < 50 && !/metrics at/.test(stderr); k++) await sleep(100);
    const res = await fetch(`http://127.0.0.1:${port}/metrics`);
    const text = await res.text();
    assert.match(text, /# TYPE tapwire_component_received_packets_total counter/);
    assert.match(text, /tapwire_component_received_packets_total\{kind="source",component="span",type="pcap_file"\} \d+/);
    fs.writeFileSync(file, cfg('tcp port'));
    child.kill('SIGHUP');
    for (let k = 0; k < 50 && !/reload refused/.test(stderr); k++) await sleep(100);
    assert.match(stderr, /reload refused, the running config stays: [\s\S]*sessions\[0\]\.filter/);
    fs.writeFileSync(file, cfg('tcp'));
    child.kill('SIGHUP');
    for (let k = 0; k < 50 && !/reloaded/.test(stderr); k++) await sleep(100);
    assert.match(stderr, /reloaded/);
  } finally {
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
  }
  fs.rmSync(dir, { recursive: true });
});

test('workers: 2 shards by flow: every packet once, each flow in one worker in its order, counters summed', async () => {
  const dir = tempDir();
  const input = loadCaptureSync(capture('wikipedia.pcap')).batch;
  const p = new ShardedPipeline(validateConfig({
    workers: 2,
    sources: { span: { type: 'pcap_file', path: capture('wikipedia.pcap') } },
    sessions: [{ number: 1, sources: ['span'], targets: ['out'] }, { number: 2, sources: ['span'], filter: 'tcp', targets: ['tcp'] }],
    targets: { out: { type: 'pcap_file', path: path.join(dir, 'out.pcap') }, tcp: { type: 'pcap_file', path: path.join(dir, 'tcp.pcap') } },
  }, path.join(dir, 'tapwire.yaml')));
  await p.start();
  await p.run();
  await p.close();
  const w0 = loadCaptureSync(path.join(dir, 'out.w0.pcap')).batch;
  const w1 = loadCaptureSync(path.join(dir, 'out.w1.pcap')).batch;
  assert.equal(w0.count + w1.count, input.count);
  assert.ok(w0.count > 0 && w1.count > 0, 'both workers got packets');
  // Packets of a worker's file appear in input order, so each flow keeps its order.
  const key = (b: typeof input, i: number) => Buffer.from(b.copyPacket(i)).toString('hex') + b.tsSec[i] + '.' + b.tsNsec[i];
  const position = new Map<string, number>();
  for (let i = 0; i < input.count; i++) position.set(key(input, i), i);
  for (const w of [w0, w1]) {
    let last = -1;
    for (let i = 0; i < w.count; i++) {
      const at = position.get(key(w, i));
      assert.ok(at !== undefined && at > last, 'in input order');
      last = at!;
    }
  }
  const byName = new Map(p.counters().map((c) => [`${c.kind}:${c.name}`, c]));
  assert.equal(byName.get('target:out')!.outPackets, input.count);
  const tcp = loadCaptureSync(path.join(dir, 'tcp.w0.pcap')).batch.count + loadCaptureSync(path.join(dir, 'tcp.w1.pcap')).batch.count;
  assert.equal(byName.get('target:tcp')!.outPackets, tcp);
  for (const c of p.counters()) if (c.kind !== 'target') assert.equal(c.inPackets, c.outPackets + c.droppedPackets, `${c.kind} ${c.name}`);
  assert.throws(() => validateConfig({ workers: 2, sources: { s: { type: 'pcap_file', path: 'x' } }, sessions: [{ number: 1, sources: ['s'], targets: ['o'] }], targets: { o: { type: 'stdout' } } }, 'x.yaml'), /targets\.o\.type: stdout cannot be shared by 2 workers/);
  fs.rmSync(dir, { recursive: true });
});
