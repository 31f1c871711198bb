/**
 * Loads the libpcap addon (native/tapwire_pcap.c, built into build/Release) on first use,
 * so that offline commands never touch it and a machine without libpcap still runs them.
 * When it is missing, live features fail with one error that says how to get it.
 */
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ExitCode, TapwireError } from '../core/errors.js';

/** An opaque libpcap handle owned by the addon. */
export type NativeHandle = { readonly __native: unique symbol };

/** An opaque raw IP socket owned by the addon (native/raw_ip.c). */
export type RawIpHandle = { readonly __rawIp: unique symbol };

export interface OpenOptions {
  snaplen?: number;
  promisc?: boolean;
  /** Kernel ring size in bytes (pcap_set_buffer_size); 0 = libpcap's default (2 MiB). */
  bufferSize?: number;
  /** Deliver each packet as it arrives instead of per filled block (more wake-ups). */
  immediate?: boolean;
  /** Longest wait for a block to fill, in ms (pcap_set_timeout). */
  timeoutMs?: number;
  nano?: boolean;
  /** Kernel-side BPF filter: a pcap-filter expression compiled by libpcap. */
  filter?: string;
  /** 0 both directions, 1 inbound only, 2 outbound only. */
  direction?: 0 | 1 | 2;
}

export interface OpenResult {
  handle: NativeHandle;
  linktype: number;
  snaplen: number;
  nano: boolean;
  /** > 0 when pcap_activate succeeded with a warning (e.g. promiscuous mode unsupported). */
  warning: number;
}

export interface NativeDevice {
  name: string;
  description: string;
  flags: number;
  addresses: string[];
}

export interface PcapAddon {
  open(device: string, opts: OpenOptions): OpenResult;
  /** hdrMode 1/2: put a pcap record header (usec/nsec) before each packet. */
  dispatch(h: NativeHandle, buf: Uint8Array, pos: number, offset: Uint32Array, caplen: Uint32Array, wirelen: Uint32Array, tsSec: Float64Array, tsNsec: Uint32Array, start: number, hdrMode: 0 | 1 | 2): number;
  /** The same dispatch, blocking (up to the timeout) on a libuv pool thread. */
  dispatchThread(h: NativeHandle, buf: Uint8Array, pos: number, offset: Uint32Array, caplen: Uint32Array, wirelen: Uint32Array, tsSec: Float64Array, tsNsec: Uint32Array, start: number, hdrMode: 0 | 1 | 2, cb: (err: string | null, count: number) => void): void;
  wait(h: NativeHandle, timeoutMs: number, cb: (status: number) => void): void;
  /** Ends a blocking dispatchThread now (it may otherwise wait for packets indefinitely). */
  breakLoop(h: NativeHandle): void;
  stats(h: NativeHandle): [received: number, dropped: number, ifDropped: number];
  inject(h: NativeHandle, buf: Uint8Array, offset: Uint32Array, length: Uint32Array, start: number, count: number): number;
  lastError(): string;
  close(h: NativeHandle): void;
  findAllDevs(): NativeDevice[];
  checkFilter(linktype: number, snaplen: number, expr: string): string | null;
  openSink(family: 4 | 6, kind: 0 | 1, address: string, portOrProtocol: number): number;
  closeFd(fd: number): void;
  libVersion(): string;
  /** A raw socket for IP protocol `protocol` sending to `remote` (IPv4), optionally from `local` / through `device`. */
  rawOpen(protocol: number, remote: string, local: string | null, device: string | null): RawIpHandle;
  /** Sends buf[offset[i], +length[i]) for i < count; status[i] = 0 or the errno. Returns the number sent. */
  rawSend(h: RawIpHandle, buf: Uint8Array, offset: Uint32Array, length: Uint32Array, count: number, status: Int32Array): number;
  rawClose(h: RawIpHandle): void;
}

/** The repository (or installed package) root: dist/src/live/addon.js is three levels down. */
const root = (() => {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  while (!fs.existsSync(path.join(dir, 'package.json')) && path.dirname(dir) !== dir) dir = path.dirname(dir);
  return dir;
})();

export const ADDON_PATH = process.env.TAPWIRE_PCAP_ADDON ?? path.join(root, 'build', 'Release', 'tapwire_pcap.node');

/** What to do when the addon is missing; `feature` says what needed it. */
export function missingAddonHelp(feature = 'live capture'): string {
  return `${feature} needs tapwire's libpcap addon, which is not built: install libpcap's headers (Debian/Ubuntu: apt-get install libpcap-dev), then rebuild it with \`npm rebuild tapwire\` (an installed package) or \`node scripts/build-addon.mjs\` (a source checkout; \`npm run build\` does it too)`;
}

let cached: PcapAddon | null = null;
let loadError: string | null = null;

/** The addon, or null when it is not built (the reason is in addonMissingReason()). */
export function tryLoadAddon(): PcapAddon | null {
  if (cached !== null || loadError !== null) return cached;
  if (!fs.existsSync(ADDON_PATH)) {
    loadError = `${ADDON_PATH} does not exist`;
    return null;
  }
  try {
    cached = createRequire(import.meta.url)(ADDON_PATH) as PcapAddon;
  } catch (e) {
    loadError = (e as Error).message.split('\n')[0];
  }
  return cached;
}

export function addonMissingReason(): string | null {
  return tryLoadAddon() === null ? loadError : null;
}

/** The addon, or a TapwireError that names the Debian package and the rebuild step. */
export function loadAddon(feature?: string): PcapAddon {
  const a = tryLoadAddon();
  if (a === null) throw new TapwireError('E_UNSUPPORTED', `${missingAddonHelp(feature)} (${loadError})`, ExitCode.usage);
  return a;
}

/** Errors thrown by the addon carry a code (E_CAPTURE, E_PERM, E_FILTER...): map to TapwireError. */
export function nativeError(e: unknown, context: string): TapwireError {
  const err = e as Error & { code?: string };
  if (err instanceof TapwireError) return err;
  const msg = `${context}: ${err.message}`;
  if (err.code === 'E_FILTER') return new TapwireError('E_FILTER', msg, ExitCode.usage);
  if (err.code === 'E_PERM') return new TapwireError('E_IO', `${msg} (capturing needs root or CAP_NET_RAW + CAP_NET_ADMIN)`, ExitCode.usage);
  return new TapwireError('E_IO', msg, ExitCode.usage);
}
