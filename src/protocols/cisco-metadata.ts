/**
 * Cisco MetaData (EtherType 0x8909), carries the TrustSec security group tag (SGT).
 *
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |    Version    |    Length     |       Option type/length      |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |              SGT              |      Next EtherType           |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * Carried as GRE protocol 0x8909 the next EtherType comes first instead (then version,
 * length, option, SGT), as Cisco devices send it and tshark decodes it.
 */
export const CISCO_METADATA_LENGTH = 8;

export function ciscoMetadataSgt(view: DataView, off: number, inGre: boolean): number {
  return view.getUint16(off + (inGre ? 6 : 4));
}
export function ciscoMetadataType(view: DataView, off: number, inGre: boolean): number {
  return inGre ? view.getUint16(off) : view.getUint16(off + 6);
}
