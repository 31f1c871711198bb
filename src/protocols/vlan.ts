/**
 * IEEE 802.1Q customer tag and 802.1ad service tag (the TPID, 0x8100 / 0x88a8 / 0x9100,
 * is the EtherType that precedes the tag).
 *
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  | PCP |D|        VLAN ID        |     EtherType or Length       |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 */
export const VLAN_TAG_LENGTH = 4;

export function vlanId(view: DataView, off: number): number {
  return view.getUint16(off) & 0x0fff;
}
export function vlanPriority(data: Uint8Array, off: number): number {
  return data[off] >>> 5;
}
export function vlanDei(data: Uint8Array, off: number): number {
  return (data[off] >>> 4) & 1;
}
export function vlanType(view: DataView, off: number): number {
  return view.getUint16(off + 2);
}

export function encodeVlan(out: Uint8Array, off: number, pcp: number, id: number, nextType: number): number {
  out[off] = ((pcp & 7) << 5) | ((id >>> 8) & 0x0f);
  out[off + 1] = id & 0xff;
  out[off + 2] = nextType >>> 8;
  out[off + 3] = nextType & 0xff;
  return off + VLAN_TAG_LENGTH;
}
