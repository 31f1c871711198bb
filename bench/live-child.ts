/**
 * The measured process of bench/live.ts: captures until SIGINT and prints its figures as
 * JSON on stdout, with the CPU it spent after setup (so Node's start-up is not counted).
 *   node live-child.js read IFACE OUT.pcap          tapwire read -i IFACE -w OUT
 *   node live-child.js vxlan socket|pcap IFACE HOST OUT.pcap   vxlan source -> pcap file
 */
import fs from 'node:fs';
import { readLive, type LiveRunStats } from '../src/cli/commands/live.js';
import { SOURCE_TYPES } from '../src/components/sources/index.js';
import type { MirrorSource } from '../src/components/sources/mirror-source.js';
import { CaptureWriter } from '../src/formats/capture-writer.js';

/** CPU of the main (event-loop) thread alone, in seconds (clock ticks of 10 ms). */
function mainThreadCpu(): number {
  const f = fs.readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(f[11]) + Number(f[12])) / 100;
}

async function main(): Promise<void> {
  const [mode, ...args] = process.argv.slice(2);
  if (mode === 'read') {
    const [iface, out] = args;
    let stats: LiveRunStats | null = null;
    let cpu0 = process.cpuUsage();
    const dispatch = process.env.TAPWIRE_LIVE_DISPATCH === 'thread' ? 'thread' : 'poll';
    const done = readLive({ iface, write: out, quiet: true, bufferKiB: 65536, dispatch, onStats: (s) => (stats = s) });
    cpu0 = process.cpuUsage();
    const main0 = mainThreadCpu();
    process.stderr.write('READY\n');
    await done;
    const cpu = process.cpuUsage(cpu0);
    process.stdout.write(JSON.stringify({ ...stats!, cpuSeconds: (cpu.user + cpu.system) / 1e6, mainCpuSeconds: mainThreadCpu() - main0 }) + '\n');
    return;
  }
  const [receive, iface, host, out] = args;
  const o = { type: 'vxlan', receive, interface: iface, listen: `${host}:4789`, buffer_size: '64M' };
  const source = SOURCE_TYPES.vxlan.create('bench', o, '.') as MirrorSource;
  const writer = new CaptureWriter(out, {});
  process.on('SIGINT', () => source.stop());
  let cpu0 = process.cpuUsage();
  setTimeout(() => {
    cpu0 = process.cpuUsage();
    process.stderr.write('READY\n');
  }, 300);
  let written = 0;
  for await (const b of source.batches()) {
    await writer.writeBatch(b);
    written += b.count;
  }
  await writer.close();
  const cpu = process.cpuUsage(cpu0);
  const c = source.counters;
  process.stdout.write(JSON.stringify({ captured: written, received: c.inPackets, dropped: c.droppedPackets, drops: Object.fromEntries(c.dropPackets), cpuSeconds: (cpu.user + cpu.system) / 1e6 }) + '\n');
}

main().catch((e) => {
  console.error(e);
  process.exitCode = 1;
});
