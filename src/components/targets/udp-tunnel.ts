/**
 * The shared body of the `vxlan`, `geneve` and (GRE-in-UDP) `gre` targets: each kept packet
 * becomes one UDP datagram `[tunnel header][inner Ethernet frame]` to the remote tool, whose
 * kernel (or Zeek, Suricata, a cloud mirror target) decapsulates it.
 *
 * - The tunnel header comes from a TunnelHeader: VXLAN and GENEVE headers are the same for
 *   every packet of a target (fixed VNI and options), so they are encoded once and copied;
 *   ERSPAN's carries a sequence number and a truncated bit, so it is written per packet.
 * - MTU: the outer IP packet (IPv4 20 or IPv6 40 bytes + UDP 8 + tunnel header + frame) must
 *   not exceed `mtu`; a longer inner frame is cut instead of fragmented (fragments are
 *   what mirror receivers drop first). Cut packets are still sent and counted as out; how
 *   many were cut is in `counters.errors` under `truncated` (a drop count would break
 *   in = out + dropped, since the packet was delivered).
 * - Outer source port: from ctx.flowHash through the socket pool of UdpSender.
 */
import type { PacketBatch } from '../../core/batch.js';
import { checkKeys, num, Problems, size, type Obj } from '../../pipeline/problems.js';
import { ComponentCounters, DropReason } from '../counters.js';
import type { BatchContext, Target } from '../types.js';
import { endpoint, sizeValue, type Endpoint } from './config.js';
import { ethernetShape, FrameShape, writeInnerFrame } from './inner-frame.js';
import { UdpSender } from './udp-sender.js';
import { dropAll } from './drop-all.js';
import { ETHERNET_HEADER_LENGTH } from '../../protocols/ethernet.js';
import { UDP_HEADER_LENGTH } from '../../protocols/udp.js';

export interface UdpTunnelOptions {
  remote: Endpoint;
  mtu: number;
  /** Sockets (outer source ports) in the pool. */
  sourcePorts: number;
  queueBytes: number;
}

/** Writes the tunnel header in front of each inner frame. */
export interface TunnelHeader {
  readonly length: number;
  /** Writes the header at out[pos]; `truncated`: the inner frame was cut to the MTU. */
  write(out: Uint8Array, pos: number, truncated: boolean): void;
}

/** A header that is the same for every packet: copied from a template. */
export class FixedHeader implements TunnelHeader {
  readonly length: number;
  constructor(private readonly bytes: Uint8Array) {
    this.length = bytes.length;
  }
  write(out: Uint8Array, pos: number): void {
    out.set(this.bytes, pos);
  }
}

export const UDP_TUNNEL_KEYS = ['type', 'name', 'remote', 'mtu', 'source_ports', 'queue_bytes'] as const;
/** The smallest MTU that still carries a minimal frame behind IPv6 + UDP + a large GENEVE header. */
const MIN_MTU = 576;

/** Validates the keys every UDP tunnel has; `vni` unless the caller has its own identity. */
export function validateUdpTunnel(o: Obj, path: string, p: Problems, extraKeys: readonly string[] = [], withVni = true): void {
  checkKeys(o, path, [...UDP_TUNNEL_KEYS, ...(withVni ? ['vni'] : []), ...extraKeys], p);
  endpoint(o, 'remote', path, p, { required: true, defaultPort: 4789 });
  if (withVni) num(o, 'vni', path, p, { required: true, integer: true, min: 0, max: 0xffffff });
  num(o, 'mtu', path, p, { integer: true, min: MIN_MTU, max: 65535 });
  num(o, 'source_ports', path, p, { integer: true, min: 1, max: 1024 });
  size(o, 'queue_bytes', path, p);
}

export function udpTunnelOptions(o: Obj, defaultPort: number): UdpTunnelOptions {
  const { host, port } = parseRemote(o.remote as string, defaultPort);
  return {
    remote: { host, port },
    mtu: (o.mtu as number | undefined) ?? 1500,
    sourcePorts: (o.source_ports as number | undefined) ?? 16,
    queueBytes: sizeValue(o.queue_bytes) ?? 16 * 1024 * 1024,
  };
}

function parseRemote(text: string, defaultPort: number): Endpoint {
  return endpoint({ remote: text }, 'remote', '', new Problems(), { defaultPort }) as Endpoint;
}

export class UdpTunnelTarget implements Target {
  readonly counters: ComponentCounters;
  readonly sender: UdpSender;
  private readonly shape = new FrameShape();
  private maxInner = 0;
  private started = false;

  constructor(readonly name: string, readonly type: string, private readonly o: UdpTunnelOptions, private readonly header: TunnelHeader) {
    this.counters = new ComponentCounters('target', name, type);
    this.sender = new UdpSender(o.remote, o.sourcePorts, o.queueBytes, this.counters, true);
  }

  get up(): boolean {
    return this.started;
  }

  async start(): Promise<void> {
    await this.sender.start();
    const ip = this.sender.family === 6 ? 40 : 20;
    this.maxInner = this.o.mtu - ip - UDP_HEADER_LENGTH - this.header.length;
    this.started = true;
  }

  async write(batch: PacketBatch, keep: Uint8Array | null, ctx: BatchContext): Promise<void> {
    const c = this.counters;
    if (!this.started) return dropAll(c, batch, keep, DropReason.target_down);
    const h = this.header;
    const maxInner = this.maxInner;
    // Upper bound of the batch's datagrams: one buffer for all of them.
    let bound = 0;
    for (let i = 0; i < batch.count; i++) if (keep === null || keep[i] !== 0) bound += h.length + Math.min(batch.caplen[i] + ETHERNET_HEADER_LENGTH, maxInner);
    if (bound === 0) return;
    const out = Buffer.allocUnsafe(bound);
    const hash = ctx.flowHash;
    const pool = this.sender.size;
    const shape = this.shape;
    let n = 0, bytes = 0, badLink = 0, badLinkBytes = 0, full = 0, fullBytes = 0, cut = 0;
    let pos = 0;
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
      const truncated = shape.length > maxInner;
      h.write(out, pos, truncated);
      const len = h.length + writeInnerFrame(out, pos + h.length, batch, i, shape, maxInner);
      const k = hash === null ? 0 : hash[i] % pool;
      if (!this.sender.send(k, out, pos, len, caplen)) {
        full++;
        fullBytes += caplen;
        continue;
      }
      if (truncated) cut++;
      pos += len;
    }
    c.in(n, bytes);
    c.drop(DropReason.linktype, badLink, badLinkBytes);
    c.drop(DropReason.queue_full, full, fullBytes);
    if (cut) c.errors.set('truncated', (c.errors.get('truncated') ?? 0) + cut);
  }

  async close(): Promise<void> {
    this.started = false;
    await this.sender.close();
  }
}
