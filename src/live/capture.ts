/**
 * A live capture handle: fills a PacketBatch from libpcap in one native call per batch.
 *
 * The batch's bytes live in one buffer owned by the capture and reused for every batch
 * (the Source contract: a batch is valid until the next is asked for). The kernel ring
 * (TPACKET_V3) hands over whole blocks, so at load a call returns thousands of packets;
 * when idle, `readable()` parks on the event loop (uv_poll on the pcap fd) at no cost.
 */
import type { PacketBatch } from '../core/batch.js';
import { loadAddon, nativeError, type NativeHandle, type OpenOptions, type PcapAddon } from './addon.js';

export interface CaptureStats {
  /** Packets the kernel passed to the capture (after the kernel filter). */
  received: number;
  /** Dropped by the kernel: the ring was full (tapwire too slow). */
  droppedKernel: number;
  /** Dropped by the interface or driver before the capture saw them. */
  droppedInterface: number;
}

export const DEFAULT_SNAPLEN = 262144;

export class LiveCapture {
  readonly device: string;
  readonly linktype: number;
  readonly snaplen: number;
  readonly nano: boolean;
  readonly timeoutMs: number;
  private readonly addon: PcapAddon;
  private handle: NativeHandle | null;
  private pending: Promise<number> | null = null;
  /** Counters at open, so stats() covers this capture even if libpcap's start non-zero. */
  private base: CaptureStats = { received: 0, droppedKernel: 0, droppedInterface: 0 };
  private last: CaptureStats = { received: 0, droppedKernel: 0, droppedInterface: 0 };

  constructor(device: string, opts: OpenOptions = {}) {
    this.addon = loadAddon();
    this.device = device;
    this.timeoutMs = opts.timeoutMs ?? 100;
    let r;
    try {
      r = this.addon.open(device, { snaplen: DEFAULT_SNAPLEN, promisc: true, timeoutMs: this.timeoutMs, ...opts });
    } catch (e) {
      throw nativeError(e, `cannot capture on ${device}`);
    }
    this.handle = r.handle;
    this.linktype = r.linktype;
    this.snaplen = r.snaplen;
    this.nano = r.nano;
  }

  get open(): boolean {
    return this.handle !== null;
  }

  /**
   * Appends what the kernel has buffered to `batch` (from batch.count on, bytes from
   * `pos`), tagging each packet with `iface`; returns the new byte position. With
   * `recordHeader` 1 (µs) or 2 (ns) each packet is preceded by its pcap record header.
   */
  fill(batch: PacketBatch, pos: number, iface: number, numberBase: number, recordHeader: 0 | 1 | 2 = 0): number {
    if (this.handle === null) return pos;
    const start = batch.count;
    let n: number;
    try {
      n = this.addon.dispatch(this.handle, batch.data, pos, batch.offset, batch.caplen, batch.wirelen, batch.tsSec, batch.tsNsec, start, recordHeader);
    } catch (e) {
      throw nativeError(e, this.device);
    }
    return this.tag(batch, start, n, pos, iface, numberBase);
  }

  /**
   * Thread mode (measured against fill + readable, see README.md): the same append, done
   * by a libuv pool thread that blocks in pcap_dispatch up to the timeout.
   */
  fillThread(batch: PacketBatch, pos: number, iface: number, numberBase: number, recordHeader: 0 | 1 | 2 = 0): Promise<number> {
    if (this.handle === null) return Promise.resolve(pos);
    const start = batch.count;
    return new Promise((resolve, reject) => {
      this.addon.dispatchThread(this.handle!, batch.data, pos, batch.offset, batch.caplen, batch.wirelen, batch.tsSec, batch.tsNsec, start, recordHeader, (err, n) => {
        if (err !== null) reject(nativeError(new Error(err), this.device));
        else resolve(this.tag(batch, start, n, pos, iface, numberBase));
      });
    });
  }

  /** Makes a running fillThread return now (an idle kernel ring never wakes it). */
  interrupt(): void {
    if (this.handle !== null) this.addon.breakLoop(this.handle);
  }

  /** Fills the columns the addon does not (link type, interface, number); returns the new position. */
  private tag(batch: PacketBatch, start: number, n: number, pos: number, iface: number, numberBase: number): number {
    if (n === 0) return pos;
    const end = start + n;
    batch.linktype.fill(this.linktype, start, end);
    batch.iface.fill(iface, start, end);
    batch.flags.fill(0, start, end);
    for (let i = start; i < end; i++) batch.number[i] = numberBase + (i - start) + 1;
    batch.count = end;
    return batch.offset[end - 1] + batch.caplen[end - 1];
  }

  /** Resolves when packets may be ready (1), after the timeout (0), or on close (2). */
  readable(): Promise<number> {
    if (this.pending !== null) return this.pending;
    if (this.handle === null) return Promise.resolve(2);
    const h = this.handle;
    this.pending = new Promise<number>((resolve) => {
      this.addon.wait(h, this.timeoutMs, (status) => {
        this.pending = null;
        resolve(status);
      });
    });
    return this.pending;
  }

  stats(): CaptureStats {
    if (this.handle !== null) {
      const [received, droppedKernel, droppedInterface] = this.addon.stats(this.handle);
      this.last = { received: received - this.base.received, droppedKernel: droppedKernel - this.base.droppedKernel, droppedInterface: droppedInterface - this.base.droppedInterface };
    }
    return this.last;
  }

  /** Sends packets [start, start+count) of a column set; returns how many the kernel took. */
  inject(buf: Uint8Array, offset: Uint32Array, length: Uint32Array, start: number, count: number): number {
    if (this.handle === null) return 0;
    return this.addon.inject(this.handle, buf, offset, length, start, count);
  }

  lastInjectError(): string {
    return this.addon.lastError();
  }

  close(): void {
    if (this.handle === null) return;
    try {
      this.stats();
    } catch {
      // keep the last figures
    }
    this.addon.close(this.handle);
    this.handle = null;
  }
}
