/**
 * IPv4 (RFC 791).
 *
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |Version|  IHL  |Type of Service|          Total Length         |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |         Identification        |Flags|      Fragment Offset    |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |  Time to Live |    Protocol   |         Header Checksum       |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |                       Source Address                          |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |                    Destination Address                        |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |                    Options (IHL > 5)          |    Padding    |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 */
export const IPV4_MIN_HEADER_LENGTH = 20;

/** IANA protocol numbers (shared by IPv4 protocol and IPv6 next header). */
export const IpProto = {
  HOPOPTS: 0,
  ICMP: 1,
  IGMP: 2,
  IPIP: 4,
  TCP: 6,
  UDP: 17,
  IPV6: 41,
  ROUTING: 43,
  FRAGMENT: 44,
  GRE: 47,
  ESP: 50,
  AH: 51,
  ICMPV6: 58,
  NO_NEXT: 59,
  DSTOPTS: 60,
  SCTP: 132,
  MPLS_IN_IP: 137,
} as const;

export function ipv4Version(data: Uint8Array, off: number): number {
  return data[off] >>> 4;
}
export function ipv4HeaderLength(data: Uint8Array, off: number): number {
  return (data[off] & 0x0f) << 2;
}
export function ipv4TotalLength(view: DataView, off: number): number {
  return view.getUint16(off + 2);
}
export function ipv4Id(view: DataView, off: number): number {
  return view.getUint16(off + 4);
}
export function ipv4DontFragment(data: Uint8Array, off: number): boolean {
  return (data[off + 6] & 0x40) !== 0;
}
export function ipv4MoreFragments(data: Uint8Array, off: number): boolean {
  return (data[off + 6] & 0x20) !== 0;
}
/** Fragment offset in 8-byte units, as on the wire. */
export function ipv4FragmentOffset(view: DataView, off: number): number {
  return view.getUint16(off + 6) & 0x1fff;
}
export function ipv4Ttl(data: Uint8Array, off: number): number {
  return data[off + 8];
}
export function ipv4Protocol(data: Uint8Array, off: number): number {
  return data[off + 9];
}
export function ipv4Src(view: DataView, off: number): number {
  return view.getUint32(off + 12);
}
export function ipv4Dst(view: DataView, off: number): number {
  return view.getUint32(off + 16);
}

/** RFC 1071 header checksum over `len` bytes (0 when valid over a header with its checksum). */
export function internetChecksum(data: Uint8Array, off: number, len: number, initial = 0): number {
  let sum = initial;
  let k = 0;
  for (; k + 1 < len; k += 2) sum += (data[off + k] << 8) | data[off + k + 1];
  if (k < len) sum += data[off + k] << 8;
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

/** Writes a 20-byte IPv4 header with a valid checksum (tests and encapsulating sinks). */
export function encodeIpv4(out: Uint8Array, off: number, h: { proto: number; src: number; dst: number; totalLength: number; ttl?: number; id?: number; flagsFrag?: number }): number {
  out[off] = 0x45;
  out[off + 1] = 0;
  out[off + 2] = h.totalLength >>> 8;
  out[off + 3] = h.totalLength & 0xff;
  const id = h.id ?? 0;
  out[off + 4] = id >>> 8;
  out[off + 5] = id & 0xff;
  const ff = h.flagsFrag ?? 0;
  out[off + 6] = ff >>> 8;
  out[off + 7] = ff & 0xff;
  out[off + 8] = h.ttl ?? 64;
  out[off + 9] = h.proto;
  out[off + 10] = 0;
  out[off + 11] = 0;
  for (let k = 0; k < 4; k++) out[off + 12 + k] = (h.src >>> (24 - 8 * k)) & 0xff;
  for (let k = 0; k < 4; k++) out[off + 16 + k] = (h.dst >>> (24 - 8 * k)) & 0xff;
  const c = internetChecksum(out, off, 20);
  out[off + 10] = c >>> 8;
  out[off + 11] = c & 0xff;
  return off + IPV4_MIN_HEADER_LENGTH;
}
