/**
 * NetFlow version 9 (RFC 3954) export packets. NetFlow v9 has no biflow elements, so each
 * direction of a flow that carried packets becomes one record.
 *
 *   Header (20 bytes): version = 9 | count | sysUptime (ms) | UNIX secs | sequence | source id
 *   FlowSet: | FlowSet ID (0 = template, >= 256 = data) | Length | ... padded to 4 bytes
 *
 * Times in records are sysUptime milliseconds; the exporter's "boot" is `bootTime` (seconds),
 * chosen by the caller (for a capture: its first packet).
 */
import type { FlowRecord } from '../flow/record.js';

export const NF9 = {
  IN_BYTES: 1,
  IN_PKTS: 2,
  PROTOCOL: 4,
  TCP_FLAGS: 6,
  L4_SRC_PORT: 7,
  IPV4_SRC_ADDR: 8,
  L4_DST_PORT: 11,
  IPV4_DST_ADDR: 12,
  LAST_SWITCHED: 21,
  FIRST_SWITCHED: 22,
  IPV6_SRC_ADDR: 27,
  IPV6_DST_ADDR: 28,
  ICMP_TYPE: 32,
  SRC_VLAN: 58,
} as const;

export const NF9_TEMPLATE_V4 = 256;
export const NF9_TEMPLATE_V6 = 257;

type Spec = [number, number];

function specs(v6: boolean): Spec[] {
  return [
    [v6 ? NF9.IPV6_SRC_ADDR : NF9.IPV4_SRC_ADDR, v6 ? 16 : 4],
    [v6 ? NF9.IPV6_DST_ADDR : NF9.IPV4_DST_ADDR, v6 ? 16 : 4],
    [NF9.L4_SRC_PORT, 2],
    [NF9.L4_DST_PORT, 2],
    [NF9.PROTOCOL, 1],
    [NF9.TCP_FLAGS, 1],
    [NF9.IN_BYTES, 8],
    [NF9.IN_PKTS, 8],
    [NF9.FIRST_SWITCHED, 4],
    [NF9.LAST_SWITCHED, 4],
    [NF9.SRC_VLAN, 2],
  ];
}

export interface Netflow9EncoderOptions {
  sourceId?: number;
  maxPacketSize?: number;
}

export class Netflow9Encoder {
  /** Export packets sent (the header's sequence number counts packets in v9). */
  sequence = 0;
  readonly sourceId: number;
  readonly maxSize: number;
  private readonly s4 = specs(false);
  private readonly s6 = specs(true);

  constructor(opts: Netflow9EncoderOptions = {}) {
    this.sourceId = opts.sourceId ?? 1;
    this.maxSize = opts.maxPacketSize ?? 1400;
  }

  private templateFlowSet(): Uint8Array {
    const parts: number[] = [];
    const put16 = (v: number) => parts.push((v >>> 8) & 0xff, v & 0xff);
    for (const [id, sp] of [
      [NF9_TEMPLATE_V4, this.s4],
      [NF9_TEMPLATE_V6, this.s6],
    ] as const) {
      put16(id);
      put16(sp.length);
      for (const [t, l] of sp) {
        put16(t);
        put16(l);
      }
    }
    const out = new Uint8Array(4 + parts.length);
    out[1] = 0;
    out[2] = (out.length >>> 8) & 0xff;
    out[3] = out.length & 0xff;
    out.set(parts, 4);
    return out;
  }

  /**
   * Encodes records into export packets. `now` and `bootTime` are seconds; templates lead
   * the first packet when `withTemplates`.
   */
  encode(records: readonly FlowRecord[], now: number, bootTime: number, withTemplates: boolean): Uint8Array[] {
    const out: Uint8Array[] = [];
    const buf = new Uint8Array(Math.max(this.maxSize, 512));
    const view = new DataView(buf.buffer);
    let pos = 20;
    let count = 0;
    let setStart = -1;
    let setId = -1;
    const up = (t: number) => Math.max(0, Math.round((t - bootTime) * 1000)) >>> 0;
    const closeSet = () => {
      if (setStart < 0) return;
      while ((pos - setStart) % 4 !== 0) buf[pos++] = 0;
      view.setUint16(setStart + 2, pos - setStart);
      setStart = -1;
      setId = -1;
    };
    const flush = () => {
      closeSet();
      if (pos <= 20) return;
      view.setUint16(0, 9);
      view.setUint16(2, count);
      view.setUint32(4, up(now));
      view.setUint32(8, Math.floor(now) >>> 0);
      view.setUint32(12, this.sequence >>> 0);
      view.setUint32(16, this.sourceId >>> 0);
      out.push(buf.slice(0, pos));
      this.sequence = (this.sequence + 1) >>> 0;
      pos = 20;
      count = 0;
    };
    if (withTemplates) {
      const t = this.templateFlowSet();
      buf.set(t, pos);
      pos += t.length;
      count += 2;
    }
    const put = (r: FlowRecord, src: Uint8Array, dst: Uint8Array, sp: number, dp: number, flags: number, bytes: number, pkts: number, first: number, last: number) => {
      const v6 = r.ipVersion === 6;
      const id = v6 ? NF9_TEMPLATE_V6 : NF9_TEMPLATE_V4;
      const len = (v6 ? 32 : 8) + 2 + 2 + 1 + 1 + 8 + 8 + 4 + 4 + 2;
      if (pos + len + (setId === id ? 0 : 4) + 3 > this.maxSize) flush();
      if (setId !== id) {
        closeSet();
        setStart = pos;
        setId = id;
        view.setUint16(pos, id);
        pos += 4;
      }
      buf.set(src, pos);
      pos += src.length;
      buf.set(dst, pos);
      pos += dst.length;
      const icmp = r.ipProto === 1 || r.ipProto === 58;
      view.setUint16(pos, icmp ? 0 : sp);
      view.setUint16(pos + 2, icmp ? ((sp & 0xff) << 8) | icmpCodeOf(r, sp, dp) : dp);
      pos += 4;
      buf[pos++] = r.ipProto;
      buf[pos++] = flags & 0xff;
      view.setUint32(pos, Math.floor(bytes / 4294967296) >>> 0);
      view.setUint32(pos + 4, bytes >>> 0);
      view.setUint32(pos + 8, Math.floor(pkts / 4294967296) >>> 0);
      view.setUint32(pos + 12, pkts >>> 0);
      view.setUint32(pos + 16, up(first));
      view.setUint32(pos + 20, up(last));
      view.setUint16(pos + 24, r.vlan);
      pos += 26;
      count++;
    };
    for (const r of records) {
      if (r.origPkts > 0) put(r, r.origAddr, r.respAddr, r.origP, r.respP, r.origTcpFlags, r.origIpBytes, r.origPkts, r.origFirst, r.origLast);
      if (r.respPkts > 0) put(r, r.respAddr, r.origAddr, r.respP, r.origP, r.respTcpFlags, r.respIpBytes, r.respPkts, r.respFirst, r.respLast);
    }
    flush();
    return out;
  }
}

const PAIRED = new Set([0, 8, 13, 14, 15, 16, 9, 10, 17, 18, 128, 129, 133, 134, 135, 136, 130, 131, 139, 140, 144, 145]);

function icmpCodeOf(r: FlowRecord, type: number, other: number): number {
  void r;
  return PAIRED.has(type) ? 0 : other & 0xff;
}
