/**
 * Just enough IP fragment reassembly to meter a fragmented datagram once, as Zeek does:
 * fragments are counted until the datagram is whole, then one packet of the datagram's total
 * length is metered with the transport header of the first fragment.
 *
 * Fragments are rare, so this path may allocate (a Map entry and a header copy per datagram);
 * the table is bounded and entries time out.
 */
import type { IpInfo } from './ip.js';

interface Pending {
  first: Uint8Array | null;
  got: number;
  total: number;
  seen: number;
}

const MAX_PENDING = 4096;
const TIMEOUT = 60;
/** Transport header bytes kept from the first fragment. */
const KEEP = 64;

export class FragmentTracker {
  private readonly pending = new Map<string, Pending>();
  /** Code units of an IPv6 key, reused. */
  private readonly units: number[] = new Array<number>(20).fill(0);
  dropped = 0;

  /**
   * Adds the fragment whose IP header `ip` describes; returns the synthetic unfragmented
   * header (IP + transport header) when the datagram is complete, else null.
   */
  add(data: Uint8Array, ip: IpInfo, off: number, capEnd: number, t: number): Uint8Array | null {
    // One UTF-16 code unit per 16 bits of (version, protocol, id, source, destination): a
    // one-to-one key without formatting numbers as text.
    const a = ip.src;
    const b = ip.dst;
    let k: string;
    if (ip.version === 4) {
      k = String.fromCharCode(4, ip.proto, ip.fragId, (data[a] << 8) | data[a + 1], (data[a + 2] << 8) | data[a + 3], (data[b] << 8) | data[b + 1], (data[b + 2] << 8) | data[b + 3]);
    } else {
      const u = this.units;
      u[0] = ip.version;
      u[1] = ip.proto;
      u[2] = ip.fragId >>> 16;
      u[3] = ip.fragId & 0xffff;
      for (let i = 0; i < 8; i++) {
        u[4 + i] = (data[a + 2 * i] << 8) | data[a + 2 * i + 1];
        u[12 + i] = (data[b + 2 * i] << 8) | data[b + 2 * i + 1];
      }
      k = String.fromCharCode.apply(null, u);
    }
    let p = this.pending.get(k);
    if (!p) {
      if (this.pending.size >= MAX_PENDING) this.expire(t, true);
      p = { first: null, got: 0, total: -1, seen: t };
      this.pending.set(k, p);
    }
    p.seen = t;
    const payload = ip.totalLen - ip.hdrLen;
    p.got += payload;
    if (!ip.moreFragments) p.total = ip.fragOffset + payload;
    if (ip.fragOffset === 0) {
      const l4 = off + ip.hdrLen;
      const keep = Math.min(KEEP, capEnd - l4, payload);
      const hdr = ip.version === 4 ? ip.hdrLen : 40;
      const buf = new Uint8Array(hdr + keep);
      if (ip.version === 4) {
        buf.set(data.subarray(off, off + hdr), 0);
        buf[6] = 0;
        buf[7] = 0;
      } else {
        buf.set(data.subarray(off, off + 40), 0);
        buf[6] = ip.proto;
      }
      buf.set(data.subarray(l4, l4 + keep), hdr);
      p.first = buf;
    }
    if (p.first === null || p.total < 0 || p.got < p.total) return null;
    this.pending.delete(k);
    const out = p.first;
    if (ip.version === 4) {
      const total = (out[0] & 0x0f) * 4 + p.total;
      out[2] = (total >>> 8) & 0xff;
      out[3] = total & 0xff;
    } else {
      out[4] = (p.total >>> 8) & 0xff;
      out[5] = p.total & 0xff;
    }
    return out;
  }

  private expire(t: number, force: boolean): void {
    for (const [k, p] of this.pending) {
      if (force || t - p.seen > TIMEOUT) {
        this.pending.delete(k);
        this.dropped++;
        if (force) return;
      }
    }
  }
}

