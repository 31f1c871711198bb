/**
 * The body shared by the mirror receivers (`vxlan`, `geneve`, `tzsp`, `gre`): receive the
 * tunnelled traffic, decapsulate it and tag each inner packet with its origin.
 *
 * Two receive paths, chosen by `receive:` in the config:
 * - `socket` (default for UDP tunnels): a Node dgram socket. Portable and unprivileged; one
 *   JS event per datagram, which bounds its rate (figures in src/live/README.md).
 * - `pcap`: libpcap batches on an interface (kernel filter on the tunnel's port or GRE) and
 *   a bound sink socket so the kernel does not answer with ICMP unreachable. Decapsulation
 *   is in place: only the batch's offset/length columns change, no byte is copied. GRE has
 *   only this path (Node has no raw sockets).
 *
 * Counters: in = datagrams/frames received; out = inner packets delivered; drops by reason
 * (malformed, control, linktype, fragment, session, queue_full). Inner packets a mirror cut
 * short (AWS truncates to the target's MTU) are delivered with their original length as
 * wirelen and counted in `errors.truncated`, not dropped.
 */
import dgram from 'node:dgram';
import net from 'node:net';
import type { PacketBatch } from '../../core/batch.js';
import { ExitCode, TapwireError } from '../../core/errors.js';
import { formatIpv4, formatIpv6 } from '../../decode/format-util.js';
import type { InterfaceInfo } from '../../formats/types.js';
import { LiveCapture } from '../../live/capture.js';
import { LiveReader } from '../../live/reader.js';
import { openSink, type Sink } from '../../live/sink.js';
import { AwsGwlbOption, GENEVE_HEADER_LENGTH, GeneveOptionClass, findGeneveOption } from '../../protocols/geneve.js';
import { ComponentCounters, DropReason } from '../counters.js';
import { DatagramQueue } from './datagram-queue.js';
import { Decap, DecapDrop, innerWireLength } from './mirror-decap.js';
import { MirrorOrigins } from './mirror-origins.js';
import { hashString, OuterHeaders, parseOuter } from './outer-headers.js';
import type { HealthCheckServer } from './health-check.js';
import type { Source } from './types.js';

export type DecapFn = (data: Uint8Array, view: DataView, off: number, end: number, d: Decap) => boolean;

export interface MirrorOptions {
  /** Tunnel name for descriptions (`vxlan`, `geneve`, `tzsp`, `gre`). */
  tunnel: string;
  idLabel: string;
  decap: DecapFn;
  receive: 'socket' | 'pcap';
  /** UDP tunnels: where to listen; GRE: host is an optional destination filter. */
  host: string;
  port: number;
  /** pcap path: interface to capture on. */
  device: string;
  snaplen: number;
  bufferBytes: number;
  names: Map<number, string>;
  onlyNamed: boolean;
  healthCheck: HealthCheckServer | null;
}

/** Wall-clock ms at performance.now() = 0 (read once: the getter is not free). */
const TIME_ORIGIN = performance.timeOrigin;

const DROP_NAMES = [DecapDrop.malformed, DecapDrop.control, DecapDrop.linktype, DecapDrop.fragment, 'session'] as const;

export class MirrorSource implements Source {
  readonly counters: ComponentCounters;
  readonly origins: MirrorOrigins;
  readonly bytesRead = 0;
  readonly totalBytes = 0;
  truncated = 0;
  private readonly d = new Decap();
  private readonly outer = new OuterHeaders();
  private stopFn: (() => void) | null = null;
  private stopped = false;
  private numbered = 0;
  /** Drops since the last flush into the counters, by reason (index into DROP_NAMES). */
  private readonly dropN = new Float64Array(DROP_NAMES.length);
  private readonly dropB = new Float64Array(DROP_NAMES.length);
  private inN = 0;
  private inB = 0;
  /** The pcap path's capture, for kernel statistics. */
  capture: LiveCapture | null = null;

  private sink: Sink | null = null;

  constructor(readonly name: string, readonly type: string, readonly o: MirrorOptions) {
    this.counters = new ComponentCounters('source', name, type);
    this.origins = new MirrorOrigins(o.names, o.onlyNamed, o.snaplen);
    // The pcap path opens its privileged handles now, so the process can drop root after
    // creating its sources (as for `interface`); the socket path binds when it starts.
    if (o.receive === 'pcap') this.openPcap();
  }

  private openPcap(): void {
    const o = this.o;
    this.capture = new LiveCapture(o.device, { snaplen: o.snaplen, bufferSize: o.bufferBytes, filter: this.kernelFilter(), direction: 1, promisc: o.device !== 'any' });
    try {
      this.sink = o.tunnel === 'gre' ? openSink('raw', net.isIPv6(o.host) ? '::' : '0.0.0.0', 47) : openSink('udp', o.host, o.port);
    } catch (e) {
      this.capture.close();
      throw e;
    }
  }

  get interfaces(): InterfaceInfo[] {
    return this.origins.interfaces;
  }

  /** Where the socket path listens (useful with port 0). */
  address: net.AddressInfo | null = null;

  async *batches(): AsyncGenerator<PacketBatch> {
    await this.o.healthCheck?.start();
    try {
      if (this.o.receive === 'pcap') yield* this.pcapBatches();
      else yield* this.socketBatches();
    } finally {
      this.o.healthCheck?.close();
    }
  }

  stop(): void {
    this.stopped = true;
    this.stopFn?.();
  }

  private drop(reason: string, bytes: number): void {
    const k = DROP_NAMES.indexOf(reason as (typeof DROP_NAMES)[number]);
    this.dropN[k]++;
    this.dropB[k] += bytes;
  }

  private flushCounters(batch: PacketBatch): void {
    const c = this.counters;
    let bytes = 0;
    for (let i = 0; i < batch.count; i++) bytes += batch.caplen[i];
    c.in(this.inN, this.inB);
    this.inN = this.inB = 0;
    c.out(batch.count, bytes);
    for (let k = 0; k < DROP_NAMES.length; k++) {
      c.drop(DROP_NAMES[k], this.dropN[k], this.dropB[k]);
      this.dropN[k] = this.dropB[k] = 0;
    }
    if (this.truncated) c.errors.set('truncated', this.truncated);
  }

  /**
   * Turns packet i (its bytes from `tunnelOff` are the tunnel header) into its inner packet,
   * in place. Returns false when it is dropped (reason counted).
   */
  private decapInPlace(b: PacketBatch, i: number, tunnelOff: number, srcKey: number, cutBytes: number): boolean {
    const d = this.d;
    const end = b.offset[i] + b.caplen[i];
    if (!this.o.decap(b.data, b.view, tunnelOff, end, d)) {
      this.drop(d.reason, b.caplen[i]);
      return false;
    }
    let iface = this.origins.lookup(d.id, srcKey, d.extra);
    if (iface === -2) {
      this.drop('session', b.caplen[i]);
      return false;
    }
    if (iface === -1) iface = this.origins.add(d.id, srcKey, d.extra, d.linktype, { tunnel: this.tunnelName(d), idLabel: this.idLabel(d), src: this.srcText(b), extra: this.extraText(b, tunnelOff) });
    const caplen = d.end - d.inner;
    let wirelen = caplen + cutBytes;
    if (cutBytes === 0) {
      const want = innerWireLength(d.linktype, b.data, b.view, d.inner, d.end);
      if (want > caplen) wirelen = want;
    }
    if (wirelen > caplen) this.truncated++;
    b.offset[i] = d.inner;
    b.caplen[i] = caplen;
    b.wirelen[i] = wirelen;
    b.linktype[i] = d.linktype;
    b.flags[i] = d.flags;
    b.iface[i] = iface;
    b.number[i] = ++this.numbered;
    return true;
  }

  /** The current packet's outer source as text (only when a new origin is described). */
  private curAddr = '';
  private srcText(b: PacketBatch): string {
    if (this.o.receive === 'socket') return this.curAddr;
    const o = this.outer;
    return o.ipVersion === 6 ? formatIpv6(b.data, o.ipOff + 8) : formatIpv4(b.data, o.ipOff + 12);
  }

  private tunnelName(d: Decap): string {
    if (this.o.tunnel !== 'gre') return this.o.tunnel;
    return d.erspan ? `erspan${d.erspan === 1 ? '1' : d.erspan === 2 ? '2' : '3'}` : 'gretap';
  }

  private idLabel(d: Decap): string {
    return this.o.tunnel === 'gre' ? (d.erspan ? 'session' : 'key') : this.o.idLabel;
  }

  /** GENEVE: the AWS GWLB endpoint and attachment ids, for the origin's description. */
  private extraText(b: PacketBatch, off: number): string {
    if (this.o.tunnel !== 'geneve') return '';
    const hdrEnd = off + GENEVE_HEADER_LENGTH + ((b.data[off] & 0x3f) << 2);
    const parts: string[] = [];
    const e = findGeneveOption(b.data, b.view, off, hdrEnd, GeneveOptionClass.AWS_GWLB, AwsGwlbOption.ENDPOINT_ID);
    if (e >= 0) parts.push(`gwlb_endpoint=0x${b.view.getBigUint64(e).toString(16)}`);
    const a = findGeneveOption(b.data, b.view, off, hdrEnd, GeneveOptionClass.AWS_GWLB, AwsGwlbOption.ATTACHMENT_ID);
    if (a >= 0) parts.push(`gwlb_attachment=0x${b.view.getBigUint64(a).toString(16)}`);
    if (parts.length === 0 && hdrEnd > off + GENEVE_HEADER_LENGTH) parts.push(`options=${hdrEnd - off - GENEVE_HEADER_LENGTH}B`);
    return parts.join(' ');
  }

  // ---- socket path -------------------------------------------------------------------

  private async *socketBatches(): AsyncGenerator<PacketBatch> {
    const q = new DatagramQueue();
    const family = net.isIPv6(this.o.host) ? 'udp6' : 'udp4';
    const sock = dgram.createSocket({ type: family, recvBufferSize: this.o.bufferBytes });
    let lastAddr = '';
    let lastKey = 0;
    sock.on('message', (msg, rinfo) => {
      this.inN++;
      this.inB += msg.length;
      const i = q.append(msg, 0, msg.length);
      if (i < 0) return;
      const b = q.batch;
      if (rinfo.address !== lastAddr) {
        lastAddr = rinfo.address;
        lastKey = hashString(lastAddr);
      }
      this.curAddr = lastAddr;
      if (!this.decapInPlace(b, i, b.offset[i], lastKey, 0)) {
        q.unappend();
        return;
      }
      const t = TIME_ORIGIN + performance.now();
      const sec = Math.floor(t / 1000);
      b.tsSec[i] = sec;
      b.tsNsec[i] = Math.floor((t - sec * 1000) * 1e6);
    });
    sock.on('error', () => this.counters.error('socket'));
    await new Promise<void>((resolve, reject) => {
      sock.once('error', reject);
      sock.bind(this.o.port, this.o.host, () => {
        sock.off('error', reject);
        resolve();
      });
    }).catch((e: NodeJS.ErrnoException) => {
      throw new TapwireError('E_IO', `${this.name}: cannot listen on UDP ${this.o.host}:${this.o.port} (${e.code ?? e.message})`, ExitCode.usage);
    });
    try {
      sock.setRecvBufferSize(this.o.bufferBytes);
    } catch {
      // keep the system's size (net.core.rmem_max caps it)
    }
    this.address = sock.address();
    this.stopFn = () => q.stop();
    try {
      for (;;) {
        const b = await q.next();
        if (b === null) break;
        this.counters.drop(DropReason.queue_full, q.dropped, q.droppedBytes);
        q.dropped = q.droppedBytes = 0;
        this.flushCounters(b);
        yield b;
        if (this.stopped) break;
      }
    } finally {
      sock.close();
    }
  }

  // ---- pcap path ---------------------------------------------------------------------

  private kernelFilter(): string {
    const host = this.o.host && this.o.host !== '0.0.0.0' && this.o.host !== '::' ? ` and dst host ${this.o.host}` : '';
    if (this.o.tunnel === 'gre') return `(ip proto 47 or ip6 proto 47)${host}`;
    return `udp dst port ${this.o.port}${host}`;
  }

  private async *pcapBatches(): AsyncGenerator<PacketBatch> {
    const o = this.o;
    const capture = this.capture!;
    const reader = new LiveReader([capture]);
    this.stopFn = () => reader.stop();
    const outer = this.outer;
    let lastStats = 0;
    try {
      for await (const b of reader.batches()) {
        let w = 0;
        for (let i = 0; i < b.count; i++) {
          const off = b.offset[i];
          const end = off + b.caplen[i];
          this.inN++;
          this.inB += b.caplen[i];
          if (!parseOuter(b.linktype[i], b.data, b.view, off, end, outer)) {
            this.drop(DecapDrop.malformed, b.caplen[i]);
            continue;
          }
          if (outer.fragment) {
            this.drop(DecapDrop.fragment, b.caplen[i]);
            continue;
          }
          const tunnelOff = o.tunnel === 'gre' ? outer.l4Off : outer.l4Off + 8;
          if (tunnelOff > end) {
            this.drop(DecapDrop.malformed, b.caplen[i]);
            continue;
          }
          if (w !== i) moveColumns(b, i, w);
          const cut = b.wirelen[w] - b.caplen[w];
          if (this.decapInPlace(b, w, tunnelOff, outer.srcKey, cut)) w++;
        }
        b.count = w;
        const now = Date.now();
        if (now - lastStats > 1000) {
          lastStats = now;
          this.kernelStats();
        }
        this.flushCounters(b);
        if (w > 0) yield b;
        if (this.stopped) break;
      }
    } finally {
      this.kernelStats();
      reader.close();
      this.sink?.close();
    }
  }

  /** Kernel and interface drops as drop counters (they count as received too, so in = out + dropped). */
  private kernelDrops = 0;
  private kernelStats(): void {
    if (this.capture === null || !this.capture.open) return;
    const s = this.capture.stats();
    const lost = s.droppedKernel + s.droppedInterface;
    const delta = lost - this.kernelDrops;
    if (delta > 0) {
      this.kernelDrops = lost;
      this.inN += delta;
      this.counters.drop('kernel', delta, 0);
    }
  }
}

/** Moves packet i's columns to slot w (compaction after drops; bytes stay where they are). */
export function moveColumns(b: PacketBatch, i: number, w: number): void {
  b.offset[w] = b.offset[i];
  b.caplen[w] = b.caplen[i];
  b.wirelen[w] = b.wirelen[i];
  b.tsSec[w] = b.tsSec[i];
  b.tsNsec[w] = b.tsNsec[i];
  b.linktype[w] = b.linktype[i];
  b.iface[w] = b.iface[i];
  b.flags[w] = b.flags[i];
  b.number[w] = b.number[i];
}
