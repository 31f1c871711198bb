/**
 * Cisco FabricPath (EtherType 0x8903): a MAC-in-MAC header in front of the original
 * Ethernet frame. The outer addresses are FabricPath switch IDs; the EtherType is followed
 * by the forwarding tag and the TTL.
 *
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |           Outer destination address (6 bytes) ...            |
 *  |           Outer source address (6 bytes) ...                 |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |     EtherType 0x8903          |      FTag (10)    |  TTL (6)  |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |           original Ethernet frame ...
 *
 * Zeek skips these 16 bytes and decodes the original frame (packet_analysis Ethernet.cc);
 * tshark names the header `cfp` and reports only the inner frame's `eth.*` fields.
 */
export const FABRICPATH_HEADER_LENGTH = 16;

export function fabricPathFtag(view: DataView, off: number): number {
  return view.getUint16(off + 14) >>> 6;
}
export function fabricPathTtl(data: Uint8Array, off: number): number {
  return data[off + 15] & 0x3f;
}
