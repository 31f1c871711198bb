/**
 * The `gre` target's `transport: ip`: each kept packet leaves as one IPv4 packet, protocol 47,
 * to `remote`: [GRE S=1, 0x88be, sequence][ERSPAN II][inner Ethernet frame], the kernel
 * adding the IPv4 header through a raw socket of the native addon (src/live/raw-ip.ts). A
 * batch is one system call (sendmmsg) from one buffer, reused: the kernel has copied the
 * bytes when the call returns.
 *
 * Counters: a packet is out when the kernel took it. A refused send is dropped with reason
 * queue_full (EAGAIN / ENOBUFS: the socket or device queue is full) or error (anything else,
 * e.g. EMSGSIZE over the path MTU, ENETUNREACH; the errno name is in `lastError`, the count
 * in `errors.send`). Before start() or after close(): target_down. MTU and linktype as in
 * the other re-encapsulating targets (see gre.ts).
 */
import os from 'node:os';
import type { PacketBatch } from '../../core/batch.js';
import { errnoName, RawIpSender, type RawIpOptions } from '../../live/raw-ip.js';
import { ETHERNET_HEADER_LENGTH } from '../../protocols/ethernet.js';
import { IPV4_MIN_HEADER_LENGTH } from '../../protocols/ipv4.js';
import { ComponentCounters, DropReason } from '../counters.js';
import type { BatchContext, Target } from '../types.js';
import { dropAll } from './drop-all.js';
import type { ErspanHeader } from './gre.js';
import { ethernetShape, FrameShape, writeInnerFrame } from './inner-frame.js';

const IP_PROTO_GRE = 47;
const { EAGAIN, ENOBUFS } = os.constants.errno;

export interface GreIpOptions extends RawIpOptions {
  remote: string;
  mtu: number;
}

export class GreIpTarget implements Target {
  readonly type = 'gre';
  readonly counters: ComponentCounters;
  /** The last send error (errno name), for the operator. */
  lastError = '';
  private sender: RawIpSender | null = null;
  private readonly maxInner: number;
  private readonly shape = new FrameShape();
  private out = new Uint8Array(1 << 20);
  private offs = new Uint32Array(1024);
  private lens = new Uint32Array(1024);
  private status = new Int32Array(1024);
  /** Captured bytes of message k as given to the target (what the counters count). */
  private weights = new Uint32Array(1024);

  constructor(readonly name: string, private readonly header: ErspanHeader, private readonly o: GreIpOptions) {
    this.counters = new ComponentCounters('target', name, this.type);
    this.maxInner = o.mtu - IPV4_MIN_HEADER_LENGTH - header.length;
  }

  get up(): boolean {
    return this.sender !== null;
  }

  async start(): Promise<void> {
    this.sender = new RawIpSender(IP_PROTO_GRE, this.o.remote, this.o);
  }

  async write(batch: PacketBatch, keep: Uint8Array | null, _ctx: BatchContext): Promise<void> {
    const c = this.counters;
    if (this.sender === null) return dropAll(c, batch, keep, DropReason.target_down);
    const n = this.encode(batch, keep);
    if (n === 0) return;
    this.sender.send(this.out, this.offs, this.lens, n, this.status);
    let sent = 0, sentBytes = 0, full = 0, fullBytes = 0, failed = 0, failedBytes = 0;
    for (let k = 0; k < n; k++) {
      const s = this.status[k];
      const w = this.weights[k];
      if (s === 0) {
        sent++;
        sentBytes += w;
      } else if (s === EAGAIN || s === ENOBUFS) {
        full++;
        fullBytes += w;
      } else {
        failed++;
        failedBytes += w;
        this.lastError = errnoName(s);
      }
    }
    c.out(sent, sentBytes);
    c.drop(DropReason.queue_full, full, fullBytes);
    c.drop(DropReason.error, failed, failedBytes);
    if (failed) c.errors.set('send', (c.errors.get('send') ?? 0) + failed);
  }

  /** Writes the batch's kept packets as GRE + ERSPAN messages into `out`; returns how many. */
  private encode(batch: PacketBatch, keep: Uint8Array | null): number {
    const c = this.counters;
    const h = this.header;
    let need = 0;
    for (let i = 0; i < batch.count; i++) if (keep === null || keep[i] !== 0) need += h.length + Math.min(batch.caplen[i] + ETHERNET_HEADER_LENGTH, this.maxInner);
    if (this.out.length < need) this.out = new Uint8Array(need * 2);
    if (this.offs.length < batch.count) {
      this.offs = new Uint32Array(batch.capacity);
      this.lens = new Uint32Array(batch.capacity);
      this.status = new Int32Array(batch.capacity);
      this.weights = new Uint32Array(batch.capacity);
    }
    const shape = this.shape;
    let m = 0, pos = 0, n = 0, bytes = 0, badLink = 0, badLinkBytes = 0, cut = 0;
    for (let i = 0; i < batch.count; i++) {
      if (keep !== null && keep[i] === 0) continue;
      const caplen = batch.caplen[i];
      n++;
      bytes += caplen;
      if (!ethernetShape(batch, i, shape)) {
        badLink++;
        badLinkBytes += caplen;
        continue;
      }
      const truncated = shape.length > this.maxInner;
      if (truncated) cut++;
      h.write(this.out, pos, truncated);
      const len = h.length + writeInnerFrame(this.out, pos + h.length, batch, i, shape, this.maxInner);
      this.offs[m] = pos;
      this.lens[m] = len;
      this.weights[m] = caplen;
      m++;
      pos += len;
    }
    c.in(n, bytes);
    c.drop(DropReason.linktype, badLink, badLinkBytes);
    if (cut) c.errors.set('truncated', (c.errors.get('truncated') ?? 0) + cut);
    return m;
  }

  async close(): Promise<void> {
    this.sender?.close();
    this.sender = null;
  }
}
