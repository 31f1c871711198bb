/**
 * Filter benchmark: typical tcpdump expressions over every packet of the benchmark capture,
 * tapwire against tcpdump (libpcap) in the same run.
 *
 *  1. end to end: `tapwire read -r PCAP -w OUT EXPR` vs `tcpdump -r PCAP -w OUT EXPR`; both
 *     outputs are checked to hold the same packets (count and a hash of every packet's bytes);
 *  2. filter only: the compiled predicate over batches already in memory (what a broker
 *     session pays per packet), reported beside tcpdump's end-to-end rate for scale.
 * Reports; never fails on speed.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { compileFilter } from '../src/filter/index.js';
import { openCapture } from '../src/formats/index.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const cli = path.resolve(here, '..', 'src', 'cli', 'main.js');

function hosts50(): string {
  const h: string[] = [];
  for (let i = 0; i < 50; i++) h.push(`host 10.${(i * 7) % 256}.${(i * 13) % 256}.${i + 1}`);
  return h.join(' or ');
}

export const EXPRESSIONS: { name: string; expr: string }[] = [
  { name: 'port', expr: 'tcp port 443' },
  { name: 'net', expr: 'net 10.0.0.0/8' },
  { name: 'vlan-shifted', expr: 'vlan and (tcp or udp port 53)' },
  { name: 'byte arithmetic', expr: 'tcp[tcpflags] & (tcp-syn|tcp-fin) != 0 and ip[6:2] & 0x1fff = 0' },
  { name: 'HTTP GET in payload', expr: 'tcp[((tcp[12:1] & 0xf0) >> 2):4] = 0x47455420' },
  { name: 'or-chain of 50 hosts', expr: hosts50() },
];

function timed(cmd: string, args: string[]): { seconds: number; ok: boolean; stderr: string } {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 1 << 26 });
  return { seconds: Number(process.hrtime.bigint() - t0) / 1e9, ok: r.status === 0, stderr: r.stderr ?? '' };
}

/** Packet count and a hash over every packet's bytes, in order. */
async function digest(file: string): Promise<{ count: number; hash: string }> {
  const h = createHash('sha256');
  let count = 0;
  const reader = await openCapture(file);
  for await (const b of reader.batches()) {
    for (let i = 0; i < b.count; i++) h.update(b.packet(i));
    count += b.count;
  }
  return { count, hash: h.digest('hex').slice(0, 16) };
}

const mpps = (n: number, s: number) => `${(n / s / 1e6).toFixed(2)} Mpps`;

export async function run(ctx: { pcap: string; packets?: number; log: (line: string) => void }): Promise<void> {
  const { pcap, log } = ctx;
  const haveTcpdump = spawnSync('tcpdump', ['--version']).status === 0;
  // Outputs in memory (tmpfs) when there is one, so disk writeback does not decide the ratio.
  const tmp = fs.mkdtempSync(path.join(fs.existsSync('/dev/shm') ? '/dev/shm' : os.tmpdir(), 'tapwire-bench-filter-'));
  let packets = ctx.packets ?? 0;
  try {
    // The peer: tcpdump reading the capture and filtering, writing the kept packets nowhere.
    const peerFilter = new Map<string, number>();
    for (const { name, expr } of EXPRESSIONS) if (haveTcpdump) peerFilter.set(name, timed('tcpdump', ['-r', pcap, '-w', '/dev/null', expr]).seconds);

    // In-process: stream the capture once per expression, time only the predicate.
    log('filter only: tapwire\'s compiled predicate over in-memory batches  vs  tcpdump -r PCAP -w /dev/null EXPR');
    const linktype = await (async () => {
      const r = await openCapture(pcap);
      for await (const b of r.batches()) { if (b.count) return b.linktype[0]!; }
      return 1;
    })();
    for (const { name, expr } of EXPRESSIONS) {
      const f = compileFilter(expr, linktype);
      let kept = 0, n = 0, ns = 0n;
      const reader = await openCapture(pcap);
      let verdicts = new Uint8Array(0);
      for await (const b of reader.batches()) {
        if (verdicts.length < b.count) verdicts = new Uint8Array(b.capacity);
        const t0 = process.hrtime.bigint();
        kept += f.matchBatch(b, verdicts);
        ns += process.hrtime.bigint() - t0;
        n += b.count;
      }
      packets = n;
      const ours = Number(ns) / 1e9;
      const peer = peerFilter.get(name);
      const peerText = peer === undefined ? 'tcpdump not installed'
        : `tcpdump ${mpps(n, peer).padStart(11)}  ratio ${(peer / ours).toFixed(1)}x`;
      log(`  ${name.padEnd(22)} tapwire ${mpps(n, ours).padStart(11)}  ${peerText}  kept ${kept}`);
    }

    log('end to end: tapwire read -r PCAP -w OUT EXPR  vs  tcpdump -r PCAP -w OUT EXPR');
    if (!haveTcpdump) { log('  tcpdump not installed: no peer run'); return; }
    for (const { name, expr } of EXPRESSIONS) {
      const outT = path.join(tmp, 'tapwire.pcap'), outP = path.join(tmp, 'tcpdump.pcap');
      const ours = timed(process.execPath, [cli, 'read', '-q', '-r', pcap, '-w', outT, expr]);
      const peer = timed('tcpdump', ['-r', pcap, '-w', outP, expr]);
      if (!ours.ok || !peer.ok) {
        log(`  ${name}: failed (${ours.ok ? '' : `tapwire: ${ours.stderr.trim()}`} ${peer.ok ? '' : `tcpdump: ${peer.stderr.trim()}`})`);
        continue;
      }
      const [a, b] = [await digest(outT), await digest(outP)];
      const same = a.count === b.count && a.hash === b.hash ? 'identical output' : `OUTPUT DIFFERS (${a.count} vs ${b.count} packets)`;
      log(`  ${name.padEnd(22)} tapwire ${mpps(packets, ours.seconds).padStart(11)}  tcpdump ${mpps(packets, peer.seconds).padStart(11)}  ` +
        `ratio ${(peer.seconds / ours.seconds).toFixed(2)}x  kept ${a.count}  ${same}`);
      fs.rmSync(outT, { force: true });
      fs.rmSync(outP, { force: true });
    }
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

// Run directly: node dist/bench/filter.js PCAP
if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const pcap = process.argv[2];
  if (!pcap) { console.error('usage: node dist/bench/filter.js PCAP'); process.exit(1); }
  run({ pcap, log: (l) => console.log(l) }).catch((e) => { console.error(e); process.exitCode = 1; });
}
