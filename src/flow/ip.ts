/**
 * IP header parsing and Internet checksums for the flow analyzer. The analyzer reads the
 * headers itself (from the IP layer offsets the decoder found) because it needs exactly the
 * quantities Zeek uses: total length, header length including IPv6 extension headers, the
 * captured remainder, fragment fields.
 */

/** Parsed IP header; one instance is reused for every packet. */
export class IpInfo {
  version = 4;
  /** Offset of the IP header, and of the source / destination addresses. */
  off = 0;
  src = 0;
  dst = 0;
  /** Header length including IPv6 extension headers. */
  hdrLen = 0;
  /** IPv4 total length / IPv6 40 + payload length. */
  totalLen = 0;
  /** The upper-layer protocol after extension headers. */
  proto = 0;
  /** Captured bytes from the IP header on. */
  capLen = 0;
  isFragment = false;
  fragOffset = 0;
  moreFragments = false;
  fragId = 0;
  /** Why the header was rejected (0 = accepted); see IpReject. */
  reject = 0;
}

export const IpReject = {
  ok: 0,
  truncated: 1,
  badHeaderLength: 2,
  badChecksum: 3,
  badVersion: 4,
  /** ESP or an unparsable extension chain: nothing above IP to see. */
  opaque: 5,
} as const;

/** Ones'-complement sum of data[start, end) folded to 16 bits (not inverted). */
export function onesSum(data: Uint8Array, start: number, end: number, initial = 0): number {
  let sum = initial;
  let i = start;
  for (; i + 1 < end; i += 2) sum += (data[i] << 8) | data[i + 1];
  if (i < end) sum += data[i] << 8;
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return sum;
}

/**
 * onesSum over a 20-byte IPv4 header: the halves of five 32-bit words, all in small-integer
 * arithmetic (a sum of whole 32-bit words needs doubles, and their `%` is a slow call).
 */
function headerSum20(view: DataView, off: number): number {
  const a = view.getUint32(off);
  const b = view.getUint32(off + 4);
  const c = view.getUint32(off + 8);
  const d = view.getUint32(off + 12);
  const e = view.getUint32(off + 16);
  let sum = (a >>> 16) + (a & 0xffff) + (b >>> 16) + (b & 0xffff) + (c >>> 16) + (c & 0xffff) + (d >>> 16) + (d & 0xffff) + (e >>> 16) + (e & 0xffff);
  sum = (sum & 0xffff) + (sum >>> 16);
  return (sum & 0xffff) + (sum >>> 16);
}

/** Pseudo-header sum for TCP/UDP/ICMPv6 checksums. */
export function pseudoSum(data: Uint8Array, ip: IpInfo, proto: number, l4len: number): number {
  if (ip.version === 4) {
    // Four 16-bit words of addresses, protocol and length: at most 6 * 0xffff, one fold.
    const a = ip.src;
    const b = ip.dst;
    let sum = ((data[a] << 8) | data[a + 1]) + ((data[a + 2] << 8) | data[a + 3]) + ((data[b] << 8) | data[b + 1]) + ((data[b + 2] << 8) | data[b + 3]) + proto + l4len;
    while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
    return sum;
  }
  const alen = 16;
  let sum = onesSum(data, ip.src, ip.src + alen);
  sum = onesSum(data, ip.dst, ip.dst + alen, sum);
  sum += proto;
  if (ip.version === 4) sum += l4len;
  else sum += (l4len >>> 16) + (l4len & 0xffff);
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return sum;
}

/**
 * Ones'-complement sum over a long range, 32 bits per step through the DataView: the
 * 16-bit ones'-complement sum equals the folded sum of the 32-bit words (RFC 1071), and a
 * double holds 2^21 such words exactly, far more than an IP datagram has.
 */
export function onesSumWide(data: Uint8Array, view: DataView, start: number, end: number, initial: number): number {
  // Four independent accumulators, 16 bytes a turn (the sums are exact integers, so the
  // order of additions does not matter).
  let s0 = 0;
  let s1 = 0;
  let s2 = 0;
  let s3 = 0;
  let i = start;
  const last16 = end - 15;
  for (; i < last16; i += 16) {
    s0 += view.getUint32(i);
    s1 += view.getUint32(i + 4);
    s2 += view.getUint32(i + 8);
    s3 += view.getUint32(i + 12);
  }
  let sum = initial + s0 + s1 + s2 + s3;
  const last4 = end - 3;
  for (; i < last4; i += 4) sum += view.getUint32(i);
  let tail = 0;
  for (; i + 1 < end; i += 2) tail += (data[i] << 8) | data[i + 1];
  if (i < end) tail += data[i] << 8;
  // 2^16 = 1 (mod 0xffff): folding the high part into the low part keeps the sum.
  sum += tail;
  while (sum > 0xffff) sum = (sum % 65536) + Math.floor(sum / 65536);
  return sum;
}

const V6_EXT_HOPOPTS = 0;
const V6_EXT_ROUTING = 43;
const V6_EXT_FRAGMENT = 44;
const V6_EXT_DSTOPTS = 60;
const V6_EXT_AH = 51;

/**
 * Parses the IP header at `off`; `capEnd` is the end of the captured bytes, `wireLeft` the
 * number of bytes of the original packet from `off` on. Fills `ip`; `ip.reject` says whether
 * Zeek would drop the packet here.
 */
export function parseIp(data: Uint8Array, view: DataView, off: number, capEnd: number, wireLeft: number, checkSum: boolean, ip: IpInfo): void {
  ip.off = off;
  ip.reject = IpReject.ok;
  ip.isFragment = false;
  ip.fragOffset = 0;
  ip.moreFragments = false;
  const cap = capEnd - off;
  ip.capLen = cap;
  if (cap < 20) {
    ip.reject = IpReject.truncated;
    return;
  }
  const v = data[off] >>> 4;
  ip.version = v;
  if (v === 4) {
    const ihl = (data[off] & 0x0f) * 4;
    let total = view.getUint16(off + 2);
    if (total === 0) total = cap; // TSO zeroes the length; Zeek uses the captured size
    ip.hdrLen = ihl;
    ip.totalLen = total;
    ip.proto = data[off + 9];
    ip.src = off + 12;
    ip.dst = off + 16;
    if (wireLeft < total) {
      ip.reject = IpReject.truncated;
      return;
    }
    if (ihl > total || ihl > cap || ihl < 20) {
      ip.reject = IpReject.badHeaderLength;
      return;
    }
    if (checkSum && (ihl === 20 ? headerSum20(view, off) : onesSum(data, off, off + ihl)) !== 0xffff) {
      ip.reject = IpReject.badChecksum;
      return;
    }
    const frag = view.getUint16(off + 6);
    ip.moreFragments = (frag & 0x2000) !== 0;
    ip.fragOffset = (frag & 0x1fff) * 8;
    ip.isFragment = ip.moreFragments || ip.fragOffset !== 0;
    ip.fragId = view.getUint16(off + 4);
    return;
  }
  if (v === 6) {
    if (cap < 40) {
      ip.reject = IpReject.truncated;
      return;
    }
    const plen = view.getUint16(off + 4);
    // Unlike IPv4's TSO rule, Zeek reads an IPv6 payload length of 0 as it is (no jumbograms).
    ip.totalLen = 40 + plen;
    ip.src = off + 8;
    ip.dst = off + 24;
    if (wireLeft < ip.totalLen) {
      ip.reject = IpReject.truncated;
      return;
    }
    let nh = data[off + 6];
    let pos = off + 40;
    for (;;) {
      if (nh === V6_EXT_HOPOPTS || nh === V6_EXT_ROUTING || nh === V6_EXT_DSTOPTS || nh === V6_EXT_AH || nh === V6_EXT_FRAGMENT) {
        if (pos + 8 > capEnd) {
          ip.reject = IpReject.opaque;
          return;
        }
        const next = data[pos];
        let len: number;
        if (nh === V6_EXT_FRAGMENT) {
          len = 8;
          const fo = view.getUint16(pos + 2);
          ip.fragOffset = fo & 0xfff8;
          ip.moreFragments = (fo & 1) !== 0;
          ip.isFragment = ip.fragOffset !== 0 || ip.moreFragments;
          ip.fragId = view.getUint32(pos + 4);
        } else if (nh === V6_EXT_AH) len = (data[pos + 1] + 2) * 4;
        else len = (data[pos + 1] + 1) * 8;
        pos += len;
        nh = next;
        continue;
      }
      break;
    }
    ip.proto = nh;
    ip.hdrLen = pos - off;
    if (ip.hdrLen > ip.totalLen) {
      ip.reject = IpReject.badHeaderLength;
      return;
    }
    if (nh === 50) ip.reject = IpReject.opaque;
    return;
  }
  ip.reject = IpReject.badVersion;
}

/** Request/reply pairs (ICMP4_counterpart / ICMP6_counterpart). */
const ICMP4_PAIR: Record<number, number> = { 8: 0, 0: 8, 13: 14, 14: 13, 15: 16, 16: 15, 10: 9, 9: 10, 17: 18, 18: 17 };
const ICMP6_PAIR: Record<number, number> = { 128: 129, 129: 128, 133: 134, 134: 133, 135: 136, 136: 135, 130: 131, 131: 130, 139: 140, 140: 139, 144: 145, 145: 144 };

/** ICMPv4/ICMPv6 counterpart without allocating: returns port, sets oneWay in the holder. */
export function icmpPort(v6: boolean, type: number, code: number, holder: { oneWay: boolean }): number {
  const r = v6 ? ICMP6_PAIR[type] : ICMP4_PAIR[type];
  if (r !== undefined) {
    holder.oneWay = false;
    return r;
  }
  holder.oneWay = true;
  return code;
}
