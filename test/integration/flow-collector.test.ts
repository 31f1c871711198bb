/**
 * A real collector: Debian's nfcapd receives our IPFIX and NetFlow v9 export, and
 * `nfdump -I` reads back the flows; count, packets and bytes must match ours exactly.
 * softflowd exporting the same capture to a second nfcapd is a reference for counts
 * (printed, not asserted: it meters flows differently). IPFIX over TCP is checked with a
 * local TCP listener that parses the messages.
 *
 * Skipped when nfcapd / nfdump are not installed.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import dgram from 'node:dgram';
import { loadCaptureSync } from '../../src/formats/index.js';
import { decodePacket } from '../../src/decode/decode.js';
import { FlowAnalyzer } from '../../src/flow/analyzer.js';
import { FlowExporter } from '../../src/flow/exporter.js';
import type { FlowRecord } from '../../src/flow/record.js';
import { fixture } from '../helpers.js';

const fixtures = fixture('flow');
const CAPTURES = ['zeek/Traces/wikipedia.pcap', 'zeek/Traces/tunnels/vxlan.pcap', 'ipfixprobe/inputs/mixed.pcap'];

function have(cmd: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;
}

async function freeUdpPort(): Promise<number> {
  const s = dgram.createSocket('udp4');
  await new Promise<void>((r) => s.bind(0, '127.0.0.1', () => r()));
  const port = s.address().port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

interface Collector {
  proc: ChildProcess;
  dir: string;
  port: number;
}

async function startNfcapd(): Promise<Collector> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tapwire-nfcapd-'));
  const port = await freeUdpPort();
  // -t 3600: one file for the whole test; -B: a big socket buffer, so no datagram is lost.
  const proc = spawn('nfcapd', ['-b', '127.0.0.1', '-p', String(port), '-w', dir, '-t', '3600', '-B', '8388608'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  proc.stdout!.on('data', (d) => (out += d));
  proc.stderr!.on('data', (d) => (out += d));
  for (let i = 0; i < 50 && !/Startup/.test(out); i++) await new Promise((r) => setTimeout(r, 50));
  return { proc, dir, port };
}

async function stopAndRead(c: Collector): Promise<{ flows: number; packets: number; bytes: number }> {
  await new Promise((r) => setTimeout(r, 300));
  const done = new Promise((r) => c.proc.once('exit', r));
  c.proc.kill('SIGTERM');
  await done;
  const r = spawnSync('nfdump', ['-R', c.dir, '-I'], { encoding: 'utf8' });
  const get = (k: string) => Number(new RegExp(`^${k}: (\\d+)`, 'm').exec(r.stdout)?.[1] ?? NaN);
  fs.rmSync(c.dir, { recursive: true, force: true });
  return { flows: get('Flows'), packets: get('Packets'), bytes: get('Bytes') };
}

function meter(file: string): FlowRecord[] {
  const records: FlowRecord[] = [];
  const a = new FlowAnalyzer((r) => records.push(r), { decode: decodePacket });
  a.addBatch(loadCaptureSync(file).batch);
  a.flush();
  return records;
}

function totals(records: FlowRecord[]): { flows: number; directional: number; packets: number; bytes: number } {
  let packets = 0;
  let bytes = 0;
  let directional = 0;
  for (const r of records) {
    packets += r.origPkts + r.respPkts;
    bytes += r.origIpBytes + r.respIpBytes;
    directional += (r.origPkts > 0 ? 1 : 0) + (r.respPkts > 0 ? 1 : 0);
  }
  return { flows: records.length, directional, packets, bytes };
}

async function exportTo(records: FlowRecord[], protocol: 'ipfix' | 'netflow9', port: number, transport: 'udp' | 'tcp' = 'udp'): Promise<FlowExporter> {
  const x = await FlowExporter.open({ protocol, target: { host: '127.0.0.1', port, transport } });
  for (const r of records) x.add(r);
  await x.close();
  return x;
}

/**
 * Runs softflowd -r to completion. With a control socket path of 13 characters or more,
 * softflowd 1.1.0 -r waits on the socket between reads instead of reading straight through
 * (the caller passes a short path); should it wait anyway, a control-socket request
 * (`softflowctl statistics`) wakes it, so one is sent every 200 ms until it exits.
 */
async function runSoftflowd(file: string, port: number, ctl: string): Promise<string> {
  fs.rmSync(ctl, { force: true });
  const logFile = ctl + '.log';
  const p = spawn('sh', ['-c', 'exec timeout 60 softflowd -r "$1" -n "$2" -v 9 -6 -c "$3" -p "$3.pid" -d </dev/null >"$3.log" 2>&1', 'sh', file, `127.0.0.1:${port}`, ctl], { stdio: 'ignore' });
  let exited = false;
  const done = new Promise<void>((r) => p.once('exit', () => ((exited = true), r())));
  while (!exited) {
    await Promise.race([done, new Promise((r) => setTimeout(r, 200))]);
    if (!exited && fs.existsSync(ctl)) spawnSync('softflowctl', ['-c', ctl, 'statistics'], { stdio: 'ignore', timeout: 1000 });
  }
  const out = fs.existsSync(logFile) ? fs.readFileSync(logFile, 'utf8') : '';
  for (const f of [ctl, logFile, ctl + '.pid']) fs.rmSync(f, { force: true });
  return out;
}

const skip = !have('nfcapd') || !have('nfdump') ? 'nfcapd/nfdump not installed' : false;

for (const rel of CAPTURES) {
  const file = path.join(fixtures, rel);
  test(`nfcapd reads back our IPFIX and NetFlow v9 for ${rel}`, { skip }, async () => {
    const records = meter(file);
    const ours = totals(records);

    const c1 = await startNfcapd();
    await exportTo(records, 'ipfix', c1.port);
    const ipfix = await stopAndRead(c1);

    const c2 = await startNfcapd();
    await exportTo(records, 'netflow9', c2.port);
    const nf9 = await stopAndRead(c2);

    let softflowd = 'softflowd not installed';
    if (have('softflowd')) {
      const c3 = await startNfcapd();
      // At most 12 characters (see runSoftflowd).
      const ctl = `/tmp/tt${process.pid % 100000}`;
      const log = await runSoftflowd(file, c3.port, ctl);
      const sf = await stopAndRead(c3);
      softflowd = `softflowd (NetFlow v9, its own flow rules): ${sf.flows} flows, ${sf.packets} packets, ${sf.bytes} bytes`;
      // Seen on the CI box: softflowd -r started from inside the test process sometimes never
      // reads the file (0 packets processed, killed by the time limit); report it, don't fail.
      if (!(sf.flows > 0)) softflowd += ` (softflowd did not export here: ${/Packets processed: \d+/.exec(log)?.[0] ?? 'no packets processed before the time limit'})`;
    }
    console.log(
      [
        `${rel}: ours ${ours.flows} biflows (${ours.directional} directional), ${ours.packets} packets, ${ours.bytes} bytes`,
        `  nfdump <- our IPFIX:      ${ipfix.flows} flows, ${ipfix.packets} packets, ${ipfix.bytes} bytes`,
        `  nfdump <- our NetFlow v9: ${nf9.flows} flows, ${nf9.packets} packets, ${nf9.bytes} bytes`,
        `  nfdump <- ${softflowd}`,
      ].join('\n'),
    );
    assert.equal(ipfix.flows, ours.flows, 'IPFIX flow count');
    assert.equal(ipfix.packets, ours.packets, 'IPFIX packets');
    assert.equal(ipfix.bytes, ours.bytes, 'IPFIX bytes');
    assert.equal(nf9.flows, ours.directional, 'NetFlow v9 flow count (one per direction)');
    assert.equal(nf9.packets, ours.packets, 'NetFlow v9 packets');
    assert.equal(nf9.bytes, ours.bytes, 'NetFlow v9 bytes');
  });
}

test('IPFIX over TCP: templates once, every record arrives', async () => {
  const records = meter(path.join(fixtures, CAPTURES[0]));
  const chunks: Buffer[] = [];
  const server = net.createServer((s) => s.on('data', (d) => chunks.push(d)));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.address() as net.AddressInfo).port;
  const closed = new Promise<void>((r) => server.on('connection', (s) => s.on('end', () => r())));
  const x = await exportTo(records, 'ipfix', port, 'tcp');
  await closed;
  server.close();
  const all = Buffer.concat(chunks);
  let pos = 0;
  let templateSets = 0;
  let dataRecords = 0;
  let lastSeq = -1;
  while (pos + 16 <= all.length) {
    assert.equal(all.readUInt16BE(pos), 10, 'IPFIX version');
    const len = all.readUInt16BE(pos + 2);
    const seq = all.readUInt32BE(pos + 8);
    assert.ok(seq >= lastSeq, 'sequence numbers grow');
    lastSeq = seq;
    let s = pos + 16;
    while (s < pos + len) {
      const id = all.readUInt16BE(s);
      const slen = all.readUInt16BE(s + 2);
      if (id === 2) templateSets++;
      else if (id >= 256) dataRecords += Math.floor((slen - 4) / (id === 256 ? 4 + 4 + 2 + 2 + 1 + 8 * 4 + 2 * 4 + 1 + 18 : 16 + 16 + 2 + 2 + 1 + 8 * 4 + 2 * 4 + 1 + 18));
      s += slen;
    }
    pos += len;
  }
  assert.equal(pos, all.length, 'whole messages');
  assert.equal(templateSets, 1, 'templates sent once over TCP');
  assert.equal(dataRecords, records.length);
  assert.equal(x.records, records.length);
});
