/**
 * IPv6 (RFC 8200) and its extension headers.
 *
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |Version| Traffic Class |           Flow Label                  |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |         Payload Length        |  Next Header  |   Hop Limit   |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |                 Source Address (128 bits)                     |
 *  |                 Destination Address (128 bits)                |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * Hop-by-hop (0), routing (43), destination options (60):
 *  | Next Header | Hdr Ext Len (8-octet units, not counting the first 8) | ... |
 * Fragment (44), always 8 bytes:
 *  | Next Header | Reserved | Fragment Offset (13 bits) |Res|M| Identification (32) |
 * AH (51, RFC 4302):
 *  | Next Header | Payload Len (4-octet units minus 2) | Reserved | SPI | Seq | ICV... |
 */
export const IPV6_HEADER_LENGTH = 40;
export const IPV6_FRAGMENT_HEADER_LENGTH = 8;

export function ipv6Version(data: Uint8Array, off: number): number {
  return data[off] >>> 4;
}
export function ipv6TrafficClass(view: DataView, off: number): number {
  return (view.getUint16(off) >>> 4) & 0xff;
}
export function ipv6FlowLabel(view: DataView, off: number): number {
  return view.getUint32(off) & 0xfffff;
}
export function ipv6PayloadLength(view: DataView, off: number): number {
  return view.getUint16(off + 4);
}
export function ipv6NextHeader(data: Uint8Array, off: number): number {
  return data[off + 6];
}
export function ipv6HopLimit(data: Uint8Array, off: number): number {
  return data[off + 7];
}
/** Source address starts at off + 8, destination at off + 24. */
export const IPV6_SRC_OFFSET = 8;
export const IPV6_DST_OFFSET = 24;

/** True for next-header values that are extension headers tapwire walks. */
export function isIpv6Extension(nh: number): boolean {
  return nh === 0 || nh === 43 || nh === 44 || nh === 60 || nh === 51;
}

/** Length of extension header `nh` at `off` (needs 2 readable bytes). */
export function ipv6ExtensionLength(data: Uint8Array, off: number, nh: number): number {
  if (nh === 44) return IPV6_FRAGMENT_HEADER_LENGTH;
  if (nh === 51) return (data[off + 1] + 2) << 2;
  return (data[off + 1] + 1) << 3;
}

/** Fragment header: offset in 8-byte units and the M flag. */
export function ipv6FragmentOffset(view: DataView, off: number): number {
  return view.getUint16(off + 2) >>> 3;
}
export function ipv6MoreFragments(data: Uint8Array, off: number): boolean {
  return (data[off + 3] & 1) === 1;
}
