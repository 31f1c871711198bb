/**
 * Sends the payloads of IP packets of one protocol to one IPv4 remote through the addon's
 * raw socket (native/raw_ip.c): the kernel writes the IPv4 header, a whole batch goes in
 * one call (sendmmsg), and each packet's outcome comes back as an errno (0 = sent).
 * Opening needs root or CAP_NET_RAW, as for any raw socket.
 */
import os from 'node:os';
import { ExitCode, TapwireError } from '../core/errors.js';
import { loadAddon, type PcapAddon, type RawIpHandle } from './addon.js';

const ERRNO_NAMES = new Map(Object.entries(os.constants.errno).map(([name, n]) => [n, name]));

/** EAGAIN -> 'EAGAIN': how send failures are named in counters and messages. */
export function errnoName(errno: number): string {
  return ERRNO_NAMES.get(errno) ?? `errno ${errno}`;
}

export interface RawIpOptions {
  /** Source address (bind); by default the kernel picks the route's. */
  local?: string;
  /** Send through this interface only (SO_BINDTODEVICE). */
  device?: string;
}

export class RawIpSender {
  private readonly addon: PcapAddon;
  private handle: RawIpHandle | null;

  constructor(protocol: number, readonly remote: string, o: RawIpOptions = {}) {
    const what = `sending IP protocol ${protocol} to ${remote}`;
    this.addon = loadAddon(what);
    try {
      this.handle = this.addon.rawOpen(protocol, remote, o.local ?? null, o.device ?? null);
    } catch (e) {
      const err = e as Error & { code?: string };
      const hint = err.code === 'E_PERM' ? ' (a raw IP socket needs root or CAP_NET_RAW: run as root, or `setcap cap_net_raw+ep` on the node binary)' : '';
      throw new TapwireError('E_OUTPUT', `${what}: ${err.message}${hint}`, ExitCode.output);
    }
  }

  /** Sends buf[offset[i], +length[i]) for i < count; status[i] = 0 or the errno. Returns how many were sent. */
  send(buf: Uint8Array, offset: Uint32Array, length: Uint32Array, count: number, status: Int32Array): number {
    if (this.handle === null) throw new TapwireError('E_OUTPUT', `raw IP sender to ${this.remote} is closed`, ExitCode.output);
    return this.addon.rawSend(this.handle, buf, offset, length, count, status);
  }

  close(): void {
    if (this.handle !== null) this.addon.rawClose(this.handle);
    this.handle = null;
  }
}
