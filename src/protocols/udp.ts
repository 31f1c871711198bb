/**
 * UDP (RFC 768).
 *
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |          Source Port          |       Destination Port        |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |            Length             |           Checksum            |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 */
export const UDP_HEADER_LENGTH = 8;

/** Well-known UDP ports of the tunnels tapwire decodes. */
export const UdpPort = { VXLAN: 4789, GENEVE: 6081, TZSP: 37008, MPLS: 6635 } as const;

export function udpSrcPort(view: DataView, off: number): number {
  return view.getUint16(off);
}
export function udpDstPort(view: DataView, off: number): number {
  return view.getUint16(off + 2);
}
export function udpLength(view: DataView, off: number): number {
  return view.getUint16(off + 4);
}

export function encodeUdp(out: Uint8Array, off: number, src: number, dst: number, length: number): number {
  out[off] = src >>> 8;
  out[off + 1] = src & 0xff;
  out[off + 2] = dst >>> 8;
  out[off + 3] = dst & 0xff;
  out[off + 4] = length >>> 8;
  out[off + 5] = length & 0xff;
  out[off + 6] = 0;
  out[off + 7] = 0;
  return off + UDP_HEADER_LENGTH;
}
