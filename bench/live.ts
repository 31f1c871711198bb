/**
 * Live capture benchmark (reported, never failing): tcpreplay sends packets into a veth
 * from a network namespace at increasing rates; on the other end `tapwire read -i IF -w F`
 * and `tcpdump -i IF -w F` run in turn on the same traffic. For each rate: packets the veth
 * delivered (the sent count), what each tool wrote and lost, and its CPU per packet. Then
 * tapwire also runs with its alternative dispatch (a libuv pool thread blocking in
 * pcap_dispatch) to compare with the default (uv_poll readiness, dispatch on the event loop).
 * VXLAN receive: the same packets VXLAN-encapsulated to the vxlan source (socket path and
 * pcap path), against tcpdump capturing that traffic.
 *
 * Needs root, tcpreplay, tcpdump and the addon; otherwise says why and returns. Bounded to
 * about two minutes (TAPWIRE_BENCH_LIVE_PACKETS sets the packets per run, default 200000).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { openCapture } from '../src/formats/index.js';
import { CaptureWriter } from '../src/formats/capture-writer.js';
import { addonMissingReason } from '../src/live/addon.js';
import { PacketBatch } from '../src/core/batch.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const child = path.join(here, 'live-child.js');

interface Run {
  sent: number;
  captured: number;
  dropped: number;
  cpuSeconds: number;
  /** tapwire: CPU of the event-loop thread alone. */
  mainCpuSeconds?: number;
}

function sh(cmd: string, args: string[]): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

function skipReason(): string | null {
  if (process.getuid?.() !== 0) return 'needs root (network namespace, packet sockets)';
  const a = addonMissingReason();
  if (a) return `libpcap addon missing (${a})`;
  for (const t of ['tcpreplay', 'tcpdump', 'ip']) if (spawnSync('sh', ['-c', `command -v ${t}`]).status !== 0) return `${t} not installed`;
  return null;
}

class Veth {
  readonly ns = `twbench${process.pid % 10000}`;
  readonly outer = `twb${process.pid % 10000}a`;
  readonly inner = `twb${process.pid % 10000}b`;
  constructor() {
    sh('ip', ['netns', 'add', this.ns]);
    sh('ip', ['link', 'add', this.outer, 'mtu', '65535', 'type', 'veth', 'peer', 'name', this.inner, 'mtu', '65535', 'netns', this.ns]);
    sh('sysctl', ['-qw', `net.ipv6.conf.${this.outer}.disable_ipv6=1`]);
    sh('ip', ['link', 'set', this.outer, 'up']);
    sh('ip', ['addr', 'add', '10.78.0.1/24', 'dev', this.outer]);
    sh('ip', ['netns', 'exec', this.ns, 'sysctl', '-qw', `net.ipv6.conf.${this.inner}.disable_ipv6=1`]);
    sh('ip', ['-n', this.ns, 'link', 'set', this.inner, 'up']);
  }
  rx(): number {
    return Number(fs.readFileSync(`/sys/class/net/${this.outer}/statistics/rx_packets`, 'utf8'));
  }
  mac(): Buffer {
    return Buffer.from(fs.readFileSync(`/sys/class/net/${this.outer}/address`, 'utf8').trim().replace(/:/g, ''), 'hex');
  }
  destroy(): void {
    spawnSync('ip', ['link', 'del', this.outer]);
    spawnSync('ip', ['netns', 'del', this.ns]);
  }
}

/** The first `n` whole Ethernet packets of the benchmark capture that fit the veth. */
async function replayFile(src: string, out: string, n: number, wrap: ((b: PacketBatch, i: number) => Uint8Array) | null): Promise<number> {
  const reader = await openCapture(src);
  const writer = new CaptureWriter(out, { format: 'pcap', nanos: false });
  let count = 0;
  const keep = new Uint8Array(65536);
  const wrapped = new BatchCollector();
  for await (const b of reader.batches()) {
    let k = 0;
    for (let i = 0; i < b.count; i++) {
      const ok = count < n && b.linktype[i] === 1 && b.caplen[i] === b.wirelen[i] && b.caplen[i] <= 9000 && b.caplen[i] >= 14;
      keep[i] = ok ? 1 : 0;
      if (ok) {
        count++;
        k++;
        if (wrap) wrapped.add(wrap(b, i));
      }
    }
    if (wrap) {
      await writer.writeBatch(wrapped.batch);
      wrapped.clear();
    } else if (k) await writer.writeBatch(b, keep);
    if (count >= n) break;
  }
  await writer.close(1);
  return count;
}

class BatchCollector {
  batch = new PacketBatch(65536, new Uint8Array(64 << 20));
  private pos = 0;
  add(p: Uint8Array): void {
    const b = this.batch;
    b.data.set(p, this.pos);
    const i = b.count++;
    b.offset[i] = this.pos;
    b.caplen[i] = b.wirelen[i] = p.length;
    b.linktype[i] = 1;
    this.pos += p.length;
  }
  clear(): void {
    this.batch.count = 0;
    this.pos = 0;
  }
}

/** Ethernet (to `mac`) + IPv4 10.78.0.2 -> 10.78.0.1 + UDP -> 4789 + VXLAN VNI 100 + the frame. */
function vxlanWrap(mac: Buffer): (b: PacketBatch, i: number) => Uint8Array {
  return (b, i) => {
    const inner = b.data.subarray(b.offset[i], b.offset[i] + b.caplen[i]);
    const out = Buffer.alloc(14 + 20 + 8 + 8 + inner.length);
    mac.copy(out, 0);
    out.set([2, 0, 0, 0, 0, 2], 6);
    out.writeUInt16BE(0x0800, 12);
    out.set([0x45, 0], 14);
    out.writeUInt16BE(out.length - 14, 16);
    out[22] = 64;
    out[23] = 17;
    out.set([10, 78, 0, 2, 10, 78, 0, 1], 26);
    let sum = 0;
    for (let k = 14; k < 34; k += 2) sum += out.readUInt16BE(k);
    while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
    out.writeUInt16BE(~sum & 0xffff, 24);
    out.writeUInt16BE(40000 + (i & 1023), 34);
    out.writeUInt16BE(4789, 36);
    out.writeUInt16BE(out.length - 34, 38);
    out.set([8, 0, 0, 0, 0, 0, 100, 0], 42);
    out.set(inner, 50);
    return out;
  };
}

function waitReady(p: ChildProcess): Promise<void> {
  return new Promise((resolve, reject) => {
    let err = '';
    p.stderr!.on('data', (d) => {
      err += d;
      if (/READY|listening on/.test(err)) resolve();
    });
    p.on('close', () => reject(new Error(`capture exited early: ${err}`)));
  });
}

function collect(p: ChildProcess): Promise<string> {
  let out = '';
  p.stdout!.on('data', (d) => (out += d));
  return new Promise((resolve) => p.on('close', () => resolve(out)));
}

function cpuOf(pid: number): number {
  const f = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  // utime + stime, in clock ticks (100 per second on Linux).
  return (Number(f[11]) + Number(f[12])) / 100;
}

function replay(v: Veth, file: string, rate: number | 'top'): void {
  const args = rate === 'top' ? ['--topspeed'] : [`--pps=${rate}`, '--pps-multi=64'];
  sh('ip', ['netns', 'exec', v.ns, 'tcpreplay', '-q', '-i', v.inner, ...args, file]);
}

async function runTapwire(v: Veth, args: string[], file: string, rate: number | 'top', env: NodeJS.ProcessEnv = {}): Promise<Run> {
  const p = spawn(process.execPath, [child, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
  const out = collect(p);
  await waitReady(p);
  const rx0 = v.rx();
  replay(v, file, rate);
  // Longer than both tools' block timeout (tcpdump 1 s): the last partial block is read.
  await sleep(1500);
  const sent = v.rx() - rx0;
  p.kill('SIGINT');
  const killer = setTimeout(() => p.kill('SIGKILL'), 5000);
  const text = await out;
  clearTimeout(killer);
  if (!text.trim()) throw new Error(`tapwire capture (${args.join(' ')}) did not end on SIGINT`);
  const r = JSON.parse(text.trim().split('\n').at(-1)!) as { captured: number; droppedKernel?: number; droppedInterface?: number; dropped?: number; cpuSeconds: number; mainCpuSeconds?: number };
  return { sent, captured: r.captured, dropped: r.dropped ?? (r.droppedKernel ?? 0) + (r.droppedInterface ?? 0), cpuSeconds: r.cpuSeconds, mainCpuSeconds: r.mainCpuSeconds };
}

async function runTcpdump(v: Veth, out: string, file: string, rate: number | 'top', filter: string[] = []): Promise<Run> {
  const p = spawn('tcpdump', ['-i', v.outer, '-w', out, '-B', '65536', ...filter], { stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  p.stderr!.on('data', (d) => (err += d));
  while (!/listening on/.test(err)) await sleep(20);
  await sleep(100);
  const cpu0 = cpuOf(p.pid!);
  const rx0 = v.rx();
  replay(v, file, rate);
  await sleep(1500);
  const sent = v.rx() - rx0;
  const cpu = cpuOf(p.pid!) - cpu0;
  p.kill('SIGINT');
  await new Promise((resolve) => p.on('close', resolve));
  const num = (re: RegExp) => Number(re.exec(err)?.[1] ?? 0);
  return { sent, captured: num(/(\d+) packets? captured/), dropped: num(/(\d+) packets? dropped by kernel/), cpuSeconds: cpu };
}

function line(name: string, r: Run): string {
  const loss = r.sent ? (100 * (r.sent - r.captured)) / r.sent : 0;
  const us = r.captured ? (r.cpuSeconds * 1e6) / r.captured : 0;
  const main = r.mainCpuSeconds !== undefined && r.captured ? ` (event-loop thread ${((r.mainCpuSeconds * 1e6) / r.captured).toFixed(2)})` : '';
  return `  ${name.padEnd(22)} sent ${String(r.sent).padStart(7)}  written ${String(r.captured).padStart(7)}  kernel drops ${String(r.dropped).padStart(6)}  loss ${loss.toFixed(2).padStart(6)} %  CPU ${us.toFixed(2)} µs/packet${main}`;
}

export async function run(ctx: { pcap: string; packets: number; log: (l: string) => void }): Promise<void> {
  const why = skipReason();
  if (why) {
    ctx.log(`live benchmark skipped: ${why}`);
    return;
  }
  const n = Number(process.env.TAPWIRE_BENCH_LIVE_PACKETS ?? 200000);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tapwire-live-bench-'));
  const v = new Veth();
  try {
    const plain = path.join(dir, 'plain.pcap');
    const count = await replayFile(ctx.pcap, plain, n, null);
    ctx.log(`live capture: ${count} packets per run, tcpreplay into veth ${v.outer}; tapwire read -i vs tcpdump -i -w (each -B 64 MiB)`);
    const best = { tapwire: 0, tcpdump: 0 };
    const rates: (number | 'top')[] = [100000, 200000, 400000, 'top'];
    for (const rate of rates) {
      ctx.log(` rate ${rate === 'top' ? 'top speed' : `${rate / 1000} kpps`}:`);
      const t = await runTapwire(v, ['read', v.outer, path.join(dir, 'tw.pcap')], plain, rate);
      const th = await runTapwire(v, ['read', v.outer, path.join(dir, 'tw.pcap')], plain, rate, { TAPWIRE_LIVE_DISPATCH: 'thread' });
      const d = await runTcpdump(v, path.join(dir, 'td.pcap'), plain, rate);
      ctx.log(line('tapwire read -i', t));
      ctx.log(line('  (pool-thread dispatch)', th));
      ctx.log(line('tcpdump -i -w', d));
      if (t.captured >= t.sent && typeof rate === 'number') best.tapwire = rate;
      if (d.captured >= d.sent && typeof rate === 'number') best.tcpdump = rate;
      if (t.captured + t.dropped !== t.sent) ctx.log(`  note: tapwire written + kernel drops = ${t.captured + t.dropped}, sent ${t.sent}`);
      if (rate === 'top') ctx.log(`  CPU per packet tapwire/tcpdump: ${((t.cpuSeconds / Math.max(1, t.captured)) / (d.cpuSeconds / Math.max(1, d.captured))).toFixed(2)}x (target <= 2x)`);
    }
    ctx.log(` highest tested rate with no loss: tapwire ${best.tapwire / 1000} kpps, tcpdump ${best.tcpdump / 1000} kpps`);

    const vx = path.join(dir, 'vxlan.pcap');
    const vcount = await replayFile(ctx.pcap, vx, Math.min(n, 100000), vxlanWrap(v.mac()));
    ctx.log(`vxlan receive: ${vcount} VXLAN datagrams (VNI 100) to 10.78.0.1:4789, decapsulated and written to a pcap`);
    for (const rate of [100000, 'top'] as const) {
      ctx.log(` rate ${rate === 'top' ? 'top speed' : `${rate / 1000} kpps`}:`);
      const s = await runTapwire(v, ['vxlan', 'socket', v.outer, '10.78.0.1', path.join(dir, 'vs.pcap')], vx, rate);
      const p = await runTapwire(v, ['vxlan', 'pcap', v.outer, '10.78.0.1', path.join(dir, 'vp.pcap')], vx, rate);
      const d = await runTcpdump(v, path.join(dir, 'vd.pcap'), vx, rate, ['udp dst port 4789']);
      ctx.log(line('vxlan (socket path)', s));
      ctx.log(line('vxlan (pcap path)', p));
      ctx.log(line('tcpdump udp 4789', d));
    }
  } finally {
    v.destroy();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
