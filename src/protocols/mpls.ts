/**
 * MPLS label stack entry (RFC 3032), and the pseudowire control word (RFC 4385).
 *
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |                Label                  | TC  |S|      TTL      |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * MPLS does not say what follows the bottom of the stack. Like tshark and tcpdump we
 * guess from the first nibble: 4 = IPv4, 6 = IPv6, 0 = pseudowire control word followed
 * by Ethernet, anything else = Ethernet without a control word.
 */
export const MPLS_ENTRY_LENGTH = 4;
export const MPLS_PW_CW_LENGTH = 4;

export function mplsLabel(view: DataView, off: number): number {
  return view.getUint32(off) >>> 12;
}
export function mplsTc(data: Uint8Array, off: number): number {
  return (data[off + 2] >>> 1) & 7;
}
export function mplsBottomOfStack(data: Uint8Array, off: number): boolean {
  return (data[off + 2] & 1) === 1;
}
export function mplsTtl(data: Uint8Array, off: number): number {
  return data[off + 3];
}

export function encodeMpls(out: Uint8Array, off: number, label: number, tc: number, bottom: boolean, ttl: number): number {
  const v = ((label & 0xfffff) << 12) | ((tc & 7) << 9) | (bottom ? 0x100 : 0) | (ttl & 0xff);
  out[off] = v >>> 24;
  out[off + 1] = (v >>> 16) & 0xff;
  out[off + 2] = (v >>> 8) & 0xff;
  out[off + 3] = v & 0xff;
  return off + MPLS_ENTRY_LENGTH;
}
