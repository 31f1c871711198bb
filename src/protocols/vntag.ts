/**
 * VN-Tag (Cisco, the pre-standard of IEEE 802.1BR; EtherType 0x8926): names the virtual
 * interfaces a frame travels between on a fabric extender, then the next EtherType.
 *
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |D|P|  destination VIF (14 bits)  |L|R|Ver|  source VIF (12)    |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |       Next EtherType          |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 */
export const VNTAG_LENGTH = 6;

export function vntagDestinationVif(view: DataView, off: number): number {
  return view.getUint16(off) & 0x3fff;
}
export function vntagSourceVif(view: DataView, off: number): number {
  return view.getUint16(off + 2) & 0x0fff;
}
