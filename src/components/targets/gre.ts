/**
 * `gre`: ERSPAN type II re-encapsulation, the format Cisco / Arista switches, AWS-style
 * collectors and Linux `erspan` devices take: [GRE S=1, 0x88be, sequence][ERSPAN II: session
 * id, vlan, T][inner Ethernet frame].
 *
 * Transmission, three ways:
 * - `transport: ip`: live, as IPv4 protocol 47 to `remote` (optionally from `local`, through
 *   `interface`), what a switch's ERSPAN session sends. Node has no raw IP sockets, so the
 *   native addon opens one (socket(AF_INET, SOCK_RAW, IPPROTO_GRE)) and the kernel writes
 *   the IPv4 header; needs root or CAP_NET_RAW and the addon (gre-ip.ts).
 * - `transport: file` (default): complete frames
 *     [Ethernet 02:..:01 -> 02:..:02][IPv4 local -> remote, proto 47][GRE][ERSPAN II][frame]
 *   go to a capture file (`path`, with everything pcap_file offers: rotation, ring, retention,
 *   on_close). `tcpreplay -i eth0 FILE` (or an on_close hook running it) puts them on the
 *   wire unchanged; tshark decodes them as ERSPAN. Needs no privileges.
 * - `transport: udp`: GRE-in-UDP (RFC 8086) to `remote` (default port 4754), sent live with
 *   node:dgram and the same source-port-per-flow pool as vxlan / geneve. A Linux receiver
 *   takes it with `ip fou add port 4754 ipproto 47` in front of an erspan device; tshark
 *   decodes udp port 4754 as GRE. Needs no privileges.
 *
 *   ids:
 *     type: gre
 *     transport: ip
 *     remote: 10.0.0.9        # the tool's IPv4 address
 *     local: 10.0.0.1         # optional source address
 *     interface: eth1         # optional: send through this interface only
 *     session_id: 12
 *
 * The GRE sequence number counts every packet the target encapsulates (RFC 2890), so a
 * receiver can see loss. MTU (default 1500): the outer IP packet is kept within `mtu` by
 * cutting the inner frame; the ERSPAN T bit then says it was cut, and the count of cut
 * packets is in `counters.errors` under `truncated`. Packets that have no Ethernet form are
 * dropped with reason linktype (see inner-frame.ts). Counted bytes are those of the packets
 * as given to the target, not the wrapped ones.
 */
import net from 'node:net';
import { PacketBatch } from '../../core/batch.js';
import { LinkType } from '../../core/linktypes.js';
import { checkKeys, num, str, type Obj, type Problems } from '../../pipeline/problems.js';
import { encodeErspanII, ERSPAN_II_HEADER_LENGTH } from '../../protocols/erspan.js';
import { encodeEthernet, ETHERNET_HEADER_LENGTH, EtherType } from '../../protocols/ethernet.js';
import { encodeGre } from '../../protocols/gre.js';
import { encodeIpv4, IPV4_MIN_HEADER_LENGTH } from '../../protocols/ipv4.js';
import { DropReason } from '../counters.js';
import type { BatchContext, Target } from '../types.js';
import { GreIpTarget } from './gre-ip.js';
import { ethernetShape, FrameShape, writeInnerFrame } from './inner-frame.js';
import { PcapFileTarget, pcapFileOptions, validatePcapFile } from './pcap-file.js';
import { udpTunnelOptions, UdpTunnelTarget, validateUdpTunnel, type TunnelHeader } from './udp-tunnel.js';

const GRE_SEQ_HEADER_LENGTH = 8;
/** Outer bytes in front of the inner frame. */
export const ERSPAN_OVERHEAD = ETHERNET_HEADER_LENGTH + IPV4_MIN_HEADER_LENGTH + GRE_SEQ_HEADER_LENGTH + ERSPAN_II_HEADER_LENGTH;
const IP_PROTO_GRE = 47;
/** ERSPAN II byte 2: the T (truncated) bit. */
const ERSPAN_T_BIT = 0x04;
const MAC_DST = [0x02, 0, 0, 0, 0, 0x02];
const MAC_SRC = [0x02, 0, 0, 0, 0, 0x01];

export const GRE_IN_UDP_PORT = 4754;

/** GRE (S bit, protocol 0x88be, sequence) + ERSPAN II: the 16 bytes before the mirrored frame. */
export class ErspanHeader implements TunnelHeader {
  readonly length = GRE_SEQ_HEADER_LENGTH + ERSPAN_II_HEADER_LENGTH;
  /** Sequence number of the next packet. */
  seq = 0;

  constructor(private readonly sessionId: number, private readonly vlan: number) {}

  write(out: Uint8Array, pos: number, truncated: boolean): void {
    const p = encodeGre(out, pos, EtherType.ERSPAN_II, { seq: this.seq });
    this.seq = (this.seq + 1) >>> 0;
    encodeErspanII(out, p, this.sessionId, this.vlan, 0);
    if (truncated) out[p + 2] |= ERSPAN_T_BIT;
  }
}

/** The outer IPv4 packet of file mode. */
export interface ErspanIpOptions {
  src: number;
  dst: number;
  mtu: number;
}

function ipv4Number(s: string): number {
  return s.split('.').reduce((a, b) => a * 256 + Number(b), 0) >>> 0;
}

/**
 * Encapsulates packet i as Ethernet/IPv4/GRE/ERSPAN II at out[pos]; returns the bytes
 * written, or -1 when the packet has no Ethernet form. `shape` is scratch; `cut` reports
 * whether the inner frame had to be shortened.
 */
export function encodeErspanFrame(out: Uint8Array, pos: number, batch: PacketBatch, i: number, o: ErspanIpOptions, header: ErspanHeader, ipId: number, shape: FrameShape, cut: { value: boolean }): number {
  if (!ethernetShape(batch, i, shape)) return -1;
  const maxInner = o.mtu - IPV4_MIN_HEADER_LENGTH - header.length;
  const inner = writeInnerFrame(out, pos + ERSPAN_OVERHEAD, batch, i, shape, maxInner);
  cut.value = shape.length > maxInner;
  let p = encodeEthernet(out, pos, MAC_DST, MAC_SRC, EtherType.IPV4);
  p = encodeIpv4(out, p, { proto: IP_PROTO_GRE, src: o.src, dst: o.dst, totalLength: IPV4_MIN_HEADER_LENGTH + header.length + inner, id: ipId, flagsFrag: 0x4000 });
  header.write(out, p, cut.value);
  return ERSPAN_OVERHEAD + inner;
}

export class GreTarget implements Target {
  readonly type = 'gre';
  readonly file: PcapFileTarget;
  private wrapped = new PacketBatch(1024, new Uint8Array(1 << 20));
  private weights = new Uint32Array(1024);
  private readonly shape = new FrameShape();
  private readonly cut = { value: false };

  constructor(readonly name: string, private readonly header: ErspanHeader, private readonly o: ErspanIpOptions, fileOptions: ReturnType<typeof pcapFileOptions>) {
    // Outer frames are Ethernet: the file is an Ethernet capture whatever the inputs were.
    this.file = new PcapFileTarget(name, { ...fileOptions, linktype: LinkType.ETHERNET }, 'gre');
  }

  get counters() {
    return this.file.counters;
  }

  get up(): boolean {
    return this.file.up;
  }

  start(): Promise<void> {
    return this.file.start();
  }

  async write(batch: PacketBatch, keep: Uint8Array | null, ctx: BatchContext): Promise<void> {
    let need = 0;
    for (let i = 0; i < batch.count; i++) if (keep === null || keep[i] !== 0) need += ERSPAN_OVERHEAD + batch.caplen[i] + ETHERNET_HEADER_LENGTH;
    if (need === 0) return;
    if (this.wrapped.capacity < batch.count) {
      this.wrapped = new PacketBatch(batch.capacity, this.wrapped.data);
      this.weights = new Uint32Array(batch.capacity);
    }
    const w = this.wrapped;
    w.reset(w.data.length >= need ? w.data : new Uint8Array(need * 2));
    const out = w.data;
    let pos = 0, badLink = 0, badLinkBytes = 0, cuts = 0;
    for (let i = 0; i < batch.count; i++) {
      if (keep !== null && keep[i] === 0) continue;
      const len = encodeErspanFrame(out, pos, batch, i, this.o, this.header, this.header.seq & 0xffff, this.shape, this.cut);
      if (len < 0) {
        badLink++;
        badLinkBytes += batch.caplen[i];
        continue;
      }
      if (this.cut.value) cuts++;
      const n = w.count++;
      w.offset[n] = pos;
      w.caplen[n] = len;
      w.wirelen[n] = len;
      w.tsSec[n] = batch.tsSec[i];
      w.tsNsec[n] = batch.tsNsec[i];
      w.linktype[n] = LinkType.ETHERNET;
      w.iface[n] = batch.iface[i];
      w.flags[n] = batch.flags[i];
      w.number[n] = batch.number[i];
      this.weights[n] = batch.caplen[i];
      pos += len;
    }
    const c = this.counters;
    c.in(badLink, badLinkBytes);
    c.drop(DropReason.linktype, badLink, badLinkBytes);
    if (cuts) c.errors.set('truncated', (c.errors.get('truncated') ?? 0) + cuts);
    // The wrapped packets keep their interface: a pcapng file still tells where each came from.
    await this.file.write(w, null, ctx, this.weights);
  }

  close(): Promise<void> {
    return this.file.close();
  }
}

function ipv4(o: Obj, key: string, path: string, p: Problems, required: boolean): void {
  const v = str(o, key, path, p, { required });
  if (v !== undefined && !net.isIPv4(v)) p.add(`${path}.${key}`, `must be an IPv4 address (ERSPAN is written over IPv4), got '${v}'`);
}

const COMMON_KEYS = ['transport', 'session_id', 'vlan'];
/** Linux interface names are at most 15 bytes (IFNAMSIZ - 1). */
const MAX_INTERFACE_NAME = 15;

function interfaceName(o: Obj, path: string, p: Problems): void {
  const dev = str(o, 'interface', path, p);
  if (dev !== undefined && (dev === '' || Buffer.byteLength(dev) > MAX_INTERFACE_NAME)) p.add(`${path}.interface`, `must be an interface name of 1-${MAX_INTERFACE_NAME} bytes, got '${dev}'`);
}

export const gre = {
  validate(o: Obj, path: string, p: Problems): void {
    const transport = str(o, 'transport', path, p, { choices: ['file', 'udp', 'ip'] }) ?? 'file';
    if (transport === 'udp') {
      validateUdpTunnel(o, path, p, COMMON_KEYS, false);
    } else {
      if (transport === 'ip') checkKeys(o, path, ['type', 'name', ...COMMON_KEYS, 'remote', 'local', 'interface', 'mtu'], p);
      else validatePcapFile(o, path, p, [...COMMON_KEYS, 'remote', 'local', 'mtu']);
      ipv4(o, 'remote', path, p, true);
      ipv4(o, 'local', path, p, false);
      num(o, 'mtu', path, p, { integer: true, min: 576, max: 65535 });
      if (transport === 'ip') interfaceName(o, path, p);
    }
    num(o, 'session_id', path, p, { required: true, integer: true, min: 0, max: 1023 });
    num(o, 'vlan', path, p, { integer: true, min: 0, max: 4095 });
  },
  create(name: string, o: Obj): Target {
    const header = new ErspanHeader(o.session_id as number, (o.vlan as number | undefined) ?? 0);
    if (o.transport === 'udp') return new UdpTunnelTarget(name, 'gre', udpTunnelOptions(o, GRE_IN_UDP_PORT), header);
    const mtu = (o.mtu as number | undefined) ?? 1500;
    if (o.transport === 'ip') return new GreIpTarget(name, header, { remote: o.remote as string, local: o.local as string | undefined, device: o.interface as string | undefined, mtu });
    const ip = {
      src: ipv4Number((o.local as string | undefined) ?? '127.0.0.1'),
      dst: ipv4Number(o.remote as string),
      mtu,
    };
    return new GreTarget(name, header, ip, pcapFileOptions(o));
  },
};
