/**
 * `npm run bench`: builds (once, cached) the benchmark capture, then runs each hot-path
 * benchmark against its peer tool on the same input in the same run and prints the ratio.
 * Benchmarks report; they never fail on speed.
 *
 * `npm run bench -- broker flows` runs only the named ones (read, decode, filter, flows,
 * broker, live). Environment: TAPWIRE_BENCH_PCAP=FILE uses an existing capture;
 * TAPWIRE_BENCH_MIB=N sets the size of the built one (default 1024).
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { openCapture } from '../src/formats/index.js';
import { makeBenchPcap } from './make-bench-pcap.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.resolve(here, '..', '..');
const cli = path.join(repo, 'dist', 'src', 'cli', 'main.js');
const log = (line: string) => console.log(line);

function benchCapture(): string {
  if (process.env.TAPWIRE_BENCH_PCAP) return process.env.TAPWIRE_BENCH_PCAP;
  const mib = Number(process.env.TAPWIRE_BENCH_MIB ?? 1024);
  const cache = path.join(repo, '.bench-cache');
  fs.mkdirSync(cache, { recursive: true });
  const out = path.join(cache, `bench-${mib}MiB.pcap`);
  if (fs.existsSync(out)) return out;
  const shared = path.resolve(repo, '..', 'shared');
  const sharedScript = path.join(shared, 'bench', 'make-bench-pcap.mjs');
  const t0 = Date.now();
  if (fs.existsSync(sharedScript)) {
    log(`building ${out} from the team corpus (${sharedScript})...`);
    const r = spawnSync(process.execPath, [sharedScript, out + '.tmp', String(mib), path.join(shared, 'corpus')], { stdio: 'inherit' });
    if (r.status !== 0) throw new Error('make-bench-pcap.mjs failed');
  } else {
    log(`building ${out} from the bundled fixtures...`);
    makeBenchPcap(out + '.tmp', mib, [path.join(repo, 'test', 'fixtures')]);
  }
  fs.renameSync(out + '.tmp', out);
  log(`built in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  return out;
}

/** Wall time of a command, in seconds, and what it printed on stderr. */
function timed(cmd: string, args: string[], env: NodeJS.ProcessEnv = {}): { seconds: number; stderr: string; stdout: string; status: number | null } {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(cmd, args, { env: { ...process.env, ...env }, maxBuffer: 1 << 28, encoding: 'utf8' });
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  return { seconds, stderr: r.stderr ?? '', stdout: r.stdout ?? '', status: r.status };
}

export function rate(packets: number, seconds: number): string {
  return `${(packets / seconds / 1e6).toFixed(2)} Mpps`;
}

async function countPackets(pcap: string): Promise<number> {
  const reader = await openCapture(pcap);
  let n = 0;
  for await (const b of reader.batches()) n += b.count;
  return n;
}

async function benchRead(pcap: string, packets: number): Promise<void> {
  log('\n== read: tapwire read -r bench.pcap --stats  vs  tcpdump -r bench.pcap -w /dev/null');
  const ours = timed(process.execPath, [cli, 'read', '-r', pcap, '--stats', '-q'], { TAPWIRE_REPORT_PEAK_RSS: '1' });
  if (ours.status !== 0) throw new Error(`tapwire read failed: ${ours.stderr}`);
  const rss = /peak RSS (\d+(\.\d+)?) MiB/.exec(ours.stderr)?.[1] ?? '?';
  const peer = timed('tcpdump', ['-r', pcap, '-w', '/dev/null']);
  log(`tapwire (decode all to layer 4): ${ours.seconds.toFixed(2)} s, ${rate(packets, ours.seconds)}, peak RSS ${rss} MiB`);
  if (peer.status === 0) {
    log(`tcpdump (read and write only):   ${peer.seconds.toFixed(2)} s, ${rate(packets, peer.seconds)}`);
    log(`ratio tapwire/tcpdump packet rate: ${(peer.seconds / ours.seconds).toFixed(2)}x (target >= 2x)`);
  } else {
    log(`tcpdump not available (${peer.stderr.trim()}); no ratio`);
  }
}

async function main(): Promise<void> {
  const pcap = benchCapture();
  const size = fs.statSync(pcap).size;
  const packets = await countPackets(pcap);
  log(`benchmark capture: ${pcap}, ${(size / 1048576).toFixed(0)} MiB, ${packets} packets`);
  const only = process.argv.slice(2);
  const wanted = (name: string): boolean => only.length === 0 || only.includes(name);
  if (wanted('read')) await benchRead(pcap, packets);
  // Feature benchmarks, each comparing with its own peer tool.
  for (const name of ['decode', 'filter', 'flows', 'broker', 'live']) {
    if (!wanted(name)) continue;
    const mod = path.join(here, `${name}.js`);
    if (!fs.existsSync(mod)) continue;
    log(`\n== ${name}`);
    const { run } = (await import(mod)) as { run: (ctx: { pcap: string; packets: number; log: (l: string) => void }) => Promise<void> };
    await run({ pcap, packets, log });
  }
}

main().catch((e) => {
  console.error(e);
  process.exitCode = 1;
});
