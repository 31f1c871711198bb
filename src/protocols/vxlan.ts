/**
 * VXLAN (RFC 7348), over UDP port 4789.
 *
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |R|R|R|R|I|R|R|R|            Reserved                           |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |                VXLAN Network Identifier (VNI) |   Reserved    |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * An inner Ethernet frame follows.
 */
export const VXLAN_HEADER_LENGTH = 8;
export const VXLAN_FLAG_VNI = 0x08;

export function vxlanVni(view: DataView, off: number): number {
  return view.getUint32(off + 4) >>> 8;
}

export function encodeVxlan(out: Uint8Array, off: number, vni: number): number {
  out[off] = VXLAN_FLAG_VNI;
  out[off + 1] = 0;
  out[off + 2] = 0;
  out[off + 3] = 0;
  out[off + 4] = (vni >>> 16) & 0xff;
  out[off + 5] = (vni >>> 8) & 0xff;
  out[off + 6] = vni & 0xff;
  out[off + 7] = 0;
  return off + VXLAN_HEADER_LENGTH;
}
