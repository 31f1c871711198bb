/**
 * Broker benchmark (issue 4): three sessions on the benchmark capture —
 *   1. a tcpdump filter plus `slice` to a rotating pcap ring,
 *   2. `dedupe` to a second ring,
 *   3. `balance` across two pcap targets —
 * against tcpdump doing only the first session's filter to a file, in the same run.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const cli = path.resolve(here, '..', 'src', 'cli', 'main.js');
const FILTER = 'tcp port 80 or udp port 53';

function timed(cmd: string, args: string[], env: NodeJS.ProcessEnv = {}): { seconds: number; stderr: string; status: number | null } {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(cmd, args, { env: { ...process.env, ...env }, encoding: 'utf8', maxBuffer: 1 << 26 });
  return { seconds: Number(process.hrtime.bigint() - t0) / 1e9, stderr: r.stderr ?? '', status: r.status };
}

export async function run(ctx: { pcap: string; packets: number; log: (l: string) => void }): Promise<void> {
  // Outputs go to memory (tmpfs) when there is one: on disk, writing GiBs measures the disk's
  // writeback, not the broker (a 1 GiB copy takes 2-5 s here for tcpdump and tapwire alike).
  const base = fs.existsSync('/dev/shm') ? '/dev/shm' : os.tmpdir();
  const dir = fs.mkdtempSync(path.join(base, 'tapwire-bench-broker-'));
  ctx.log(`outputs in ${base}`);
  const config = (workers: number) => {
    const file = path.join(dir, `bench-${workers}.yaml`);
    fs.writeFileSync(file, `
workers: ${workers}
sources:
  bench: { type: pcap_file, path: ${ctx.pcap} }
sessions:
  - number: 1
    sources: [bench]
    filter: "${FILTER}"
    actions: [{ type: slice, payload_bytes: 64 }]
    targets: [ring1]
  - number: 2
    sources: [bench]
    actions: [{ type: dedupe }]
    targets: [ring2]
  - number: 3
    sources: [bench]
    actions: [{ type: balance }]
    targets: [a, b]
targets:
  ring1: { type: pcap_file, path: ${dir}/out/ring1.pcap, rotate_size: 200M, max_files: 3 }
  ring2: { type: pcap_file, path: ${dir}/out/ring2.pcap, rotate_size: 200M, max_files: 3 }
  a: { type: pcap_file, path: ${dir}/out/a.pcap }
  b: { type: pcap_file, path: ${dir}/out/b.pcap }
`);
    return file;
  };
  ctx.log(`three sessions (filter+slice -> ring, dedupe -> ring, balance -> 2 files) vs tcpdump -r bench.pcap -w out.pcap '${FILTER}'`);
  const runWith = (workers: number) => {
    const r = timed(process.execPath, [cli, 'run', config(workers), '-q'], { TAPWIRE_REPORT_PEAK_RSS: '1' });
    // Only one run's outputs at a time: they are GiBs.
    fs.rmSync(path.join(dir, 'out'), { recursive: true, force: true });
    return r;
  };
  const ours = runWith(1);
  if (ours.status !== 0) {
    ctx.log(`tapwire run failed: ${ours.stderr}`);
    return;
  }
  const rss = /peak RSS (\d+(\.\d+)?) MiB/.exec(ours.stderr)?.[1] ?? '?';
  const two = runWith(2);
  const peer = timed('tcpdump', ['-r', ctx.pcap, '-w', path.join(dir, 'tcpdump.pcap'), FILTER]);
  const mpps = (s: number) => (ctx.packets / s / 1e6).toFixed(2);
  ctx.log(`tapwire, 3 sessions: ${ours.seconds.toFixed(2)} s, ${mpps(ours.seconds)} Mpps, peak RSS ${rss} MiB`);
  if (peer.status === 0) {
    ctx.log(`tcpdump, 1 filter:   ${peer.seconds.toFixed(2)} s, ${mpps(peer.seconds)} Mpps`);
    ctx.log(`ratio (tapwire 3 sessions / tcpdump 1 filter, packet rate): ${(peer.seconds / ours.seconds).toFixed(2)}x (target >= 1x)`);
  }
  if (two.status === 0) {
    ctx.log(`tapwire, 3 sessions, 2 workers: ${two.seconds.toFixed(2)} s, ${mpps(two.seconds)} Mpps (peak RSS, all threads, ${/peak RSS (\d+(\.\d+)?) MiB/.exec(two.stderr)?.[1] ?? '?'} MiB)`);
    // The single-thread run already keeps a second core busy (file writes run in libuv's
    // thread pool), so the speed-up says little on a machine with fewer than 4 cores.
    ctx.log(`speed-up of 2 workers over 1: ${(ours.seconds / two.seconds).toFixed(2)}x on ${os.availableParallelism()} cores (target >= 1.6x)`);
  } else ctx.log(`2 workers failed: ${two.stderr}`);
  fs.rmSync(dir, { recursive: true, force: true });
}
