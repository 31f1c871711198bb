/**
 * ipfixprobe's `basic` biflows (corpus ipfixprobe/outputs/basic for inputs/mixed.pcap):
 * our biflows must agree on addresses, ports, packets and bytes.
 *
 * ipfixprobe cuts flows on its own timeouts (inactive 30 s, active 300 s) and on TCP FIN/RST,
 * Zeek semantics keep one connection; so both sides are summed per directed 5-tuple
 * (source address/port -> destination address/port, protocol) before comparing.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { loadCaptureSync } from '../../src/formats/index.js';
import { decodePacket } from '../../src/decode/decode.js';
import { FlowAnalyzer } from '../../src/flow/analyzer.js';
import type { FlowRecord } from '../../src/flow/record.js';
import { fixture, repoRoot } from '../helpers.js';

const corpus = path.resolve(repoRoot, '..', 'shared', 'corpus', 'ipfixprobe');
const root = fs.existsSync(path.join(corpus, 'outputs', 'basic')) ? corpus : fixture('flow', 'ipfixprobe');

interface Dir {
  packets: number;
  bytes: number;
}

function add(m: Map<string, Dir>, k: string, packets: number, bytes: number): void {
  if (packets === 0) return;
  const d = m.get(k);
  if (d) {
    d.packets += packets;
    d.bytes += bytes;
  } else m.set(k, { packets, bytes });
}

function ipfixprobeDirs(text: string): { dirs: Map<string, Dir>; flows: number } {
  const dirs = new Map<string, Dir>();
  let flows = 0;
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('ipaddr')) continue;
    const c = line.split(',');
    const [dst, src, bytes, bytesRev] = [c[0], c[1], Number(c[2]), Number(c[3])];
    const [packets, packetsRev, dport, sport, proto] = [Number(c[9]), Number(c[10]), Number(c[11]), Number(c[12]), Number(c[14])];
    flows++;
    const icmp = proto === 1 || proto === 58;
    const sp = icmp ? 0 : sport;
    const dp = icmp ? 0 : dport;
    add(dirs, `${proto} ${src}:${sp} > ${dst}:${dp}`, packets, bytes);
    add(dirs, `${proto} ${dst}:${dp} > ${src}:${sp}`, packetsRev, bytesRev);
  }
  return { dirs, flows };
}

function ourDirs(records: FlowRecord[]): Map<string, Dir> {
  const dirs = new Map<string, Dir>();
  for (const r of records) {
    const icmp = r.ipProto === 1 || r.ipProto === 58;
    const op = icmp ? 0 : r.origP;
    const rp = icmp ? 0 : r.respP;
    add(dirs, `${r.ipProto} ${r.origH}:${op} > ${r.respH}:${rp}`, r.origPkts, r.origIpBytes);
    add(dirs, `${r.ipProto} ${r.respH}:${rp} > ${r.origH}:${op}`, r.respPkts, r.respIpBytes);
  }
  return dirs;
}

test('biflows agree with ipfixprobe basic on mixed.pcap', () => {
  const expected = ipfixprobeDirs(fs.readFileSync(path.join(root, 'outputs', 'basic'), 'utf8'));
  const records: FlowRecord[] = [];
  // ipfixprobe's defaults: inactive 30 s, active 300 s; it does not verify checksums.
  const a = new FlowAnalyzer((r) => records.push(r), { decode: decodePacket, ignoreChecksums: true, keyVlan: false, timeouts: { udp: 30, icmp: 30, other: 30, tcpEstablished: 30, tcpHandshake: 30 } });
  a.addBatch(loadCaptureSync(path.join(root, 'inputs', 'mixed.pcap')).batch);
  a.flush();
  const ours = ourDirs(records);
  let tuples = 0;
  let packetsSame = 0;
  let bytesSame = 0;
  const diffs: string[] = [];
  for (const [k, e] of expected.dirs) {
    const o = ours.get(k);
    if (!o) {
      diffs.push(`missing ${k} (${e.packets} packets)`);
      continue;
    }
    tuples++;
    if (o.packets === e.packets) packetsSame++;
    else diffs.push(`${k}: packets ipfixprobe=${e.packets} ours=${o.packets}`);
    if (o.bytes === e.bytes) bytesSame++;
    else diffs.push(`${k}: bytes ipfixprobe=${e.bytes} ours=${o.bytes}`);
  }
  const extra = [...ours.keys()].filter((k) => !expected.dirs.has(k));
  console.log(
    [
      `ipfixprobe basic (mixed.pcap): ${expected.flows} ipfixprobe biflows, ${records.length} of ours; ${expected.dirs.size} directed 5-tuples`,
      `  tuples found ${tuples}/${expected.dirs.size}, packets agree ${packetsSame}/${expected.dirs.size}, bytes agree ${bytesSame}/${expected.dirs.size}, tuples only we have ${extra.length}`,
      ...diffs.slice(0, 20).map((d) => '  ' + d),
      ...extra.slice(0, 10).map((d) => '  only ours: ' + d),
    ].join('\n'),
  );
  assert.equal(tuples, expected.dirs.size);
  assert.equal(packetsSame, expected.dirs.size);
  assert.equal(bytesSame, expected.dirs.size);
});
