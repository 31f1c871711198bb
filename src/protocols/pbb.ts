/**
 * IEEE 802.1ah Provider Backbone Bridging, "MAC-in-MAC" (EtherType 0x88e7, after a backbone
 * VLAN tag: 802.1ad's 0x88a8 in the standard, 0x8100 in some captures): the I-tag with the
 * 24-bit service instance identifier (I-SID), then the customer's own destination and source
 * addresses and EtherType.
 *
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  | PCP |D|U|res|                    I-SID                        |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |      Customer destination address (6), source address (6)   |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |       Customer EtherType      |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * tshark names it `ieee8021ah` (after an 802.1ad service tag, the B-tag of the standard
 * encapsulation, tshark counts it as part of `ieee8021ad`); Zeek's PBB analyzer skips the
 * 18 bytes the same way.
 */
export const PBB_HEADER_LENGTH = 18;

export function pbbIsid(view: DataView, off: number): number {
  return view.getUint32(off) & 0x00ffffff;
}
