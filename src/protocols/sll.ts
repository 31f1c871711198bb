/**
 * Linux "cooked" capture headers (LINKTYPE_LINUX_SLL = 113, LINKTYPE_LINUX_SLL2 = 276).
 *
 * SLL (16 bytes):
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |          Packet type          |        ARPHRD_ type           |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  | Link-layer address length     |  Link-layer address (8 bytes) |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+                               +
 *  |                                                               |
 *  +                               +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |                               |        Protocol type          |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * SLL2 (20 bytes):
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |        Protocol type          |           Reserved            |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |                       Interface index                         |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |        ARPHRD_ type           |  Packet type  | Address length|
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |                Link-layer address (8 bytes)                   |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * The protocol type is an EtherType, except the Linux pseudo-values below (< 0x600).
 */
export const SLL_HEADER_LENGTH = 16;
export const SLL2_HEADER_LENGTH = 20;

export const SllProtocol = {
  /** Novell 802.3 frames without an 802.2 header. */
  NOVELL_802_3: 0x0001,
  /** The payload starts with an 802.2 LLC header. */
  LLC: 0x0004,
} as const;

export function sllProtocol(view: DataView, off: number): number {
  return view.getUint16(off + 14);
}
export function sll2Protocol(view: DataView, off: number): number {
  return view.getUint16(off);
}
