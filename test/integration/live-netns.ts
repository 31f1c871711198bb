/**
 * Test helper for live tests: a network namespace with a veth pair (one end in the test's
 * own namespace, one inside the new one), made per test and removed after. Also tells why a
 * live test must be skipped (not root, no addon, no tool, no kernel device type).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { addonMissingReason } from '../../src/live/addon.js';
import { hasTool } from '../helpers.js';

let serial = 0;

/** Why live tests cannot run here, or null when they can. */
export function liveSkipReason(tools: string[] = []): string | null {
  if (process.platform !== 'linux') return 'live tests need Linux network namespaces';
  if (process.getuid?.() !== 0) return 'live tests need root (network namespaces, packet sockets)';
  const missing = addonMissingReason();
  if (missing !== null) return `libpcap addon not built (${missing}); apt-get install libpcap-dev, then node scripts/build-addon.mjs`;
  if (!hasTool('ip')) return 'iproute2 (ip) not installed';
  for (const t of tools) if (!hasTool(t)) return `${t} not installed (scripts/install-peers.sh installs it)`;
  return null;
}

export function sh(cmd: string, args: string[]): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')}: ${(r.stderr || r.stdout || '').trim()}`);
  return r.stdout;
}

/** A namespace `ns` with veth `outer` (here) <-> `inner` (in ns), both up, MTU 65535. */
export class VethPair {
  readonly ns: string;
  readonly outer: string;
  readonly inner: string;

  constructor(opts: { outerAddr?: string; innerAddr?: string; mtu?: number } = {}) {
    const id = `${process.pid % 10000}${serial++}`;
    this.ns = `tw${id}`;
    this.outer = `tw${id}a`;
    this.inner = `tw${id}b`;
    const mtu = String(opts.mtu ?? 65535);
    sh('ip', ['netns', 'add', this.ns]);
    try {
      sh('ip', ['link', 'add', this.outer, 'mtu', mtu, 'type', 'veth', 'peer', 'name', this.inner, 'mtu', mtu, 'netns', this.ns]);
      sh('ip', ['link', 'set', this.outer, 'up']);
      this.exec('ip', ['link', 'set', 'lo', 'up']);
      this.exec('ip', ['link', 'set', this.inner, 'up']);
      // No IPv6 autoconfiguration chatter (router solicitations would join the capture).
      sh('sysctl', ['-qw', `net.ipv6.conf.${this.outer}.disable_ipv6=1`]);
      this.exec('sysctl', ['-qw', `net.ipv6.conf.${this.inner}.disable_ipv6=1`]);
      if (opts.outerAddr) sh('ip', ['addr', 'add', opts.outerAddr, 'dev', this.outer]);
      if (opts.innerAddr) this.exec('ip', ['addr', 'add', opts.innerAddr, 'dev', this.inner]);
    } catch (e) {
      this.destroy();
      throw e;
    }
  }

  /** Runs a command inside the namespace and returns its stdout. */
  exec(cmd: string, args: string[]): string {
    return sh('ip', ['netns', 'exec', this.ns, cmd, ...args]);
  }

  /** Starts a command inside the namespace. */
  spawn(cmd: string, args: string[]): ChildProcess {
    return spawn('ip', ['netns', 'exec', this.ns, cmd, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  }

  destroy(): void {
    spawnSync('ip', ['link', 'del', this.outer]);
    spawnSync('ip', ['netns', 'del', this.ns]);
  }
}

/** Whether the kernel can make a link of this type (vxlan, geneve, gretap, erspan). */
export function kernelHasLinkType(type: string, args: string[]): boolean {
  const ns = `twprobe${process.pid % 10000}${serial++}`;
  if (spawnSync('ip', ['netns', 'add', ns]).status !== 0) return false;
  try {
    return spawnSync('ip', ['-n', ns, 'link', 'add', 'probe0', 'type', type, ...args]).status === 0;
  } finally {
    spawnSync('ip', ['netns', 'del', ns]);
  }
}

/** Waits for a child to exit; resolves with its code and output. */
export function finished(child: ChildProcess): Promise<{ code: number | null; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (d) => (stdout += d));
  child.stderr?.on('data', (d) => (stderr += d));
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
}
