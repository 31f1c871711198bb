/**
 * Cisco MetaData (EtherType 0x8909), carries the TrustSec security group tag (SGT).
 *
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |    Version    |    Length     |       Option type/length      |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |              SGT              |      Next EtherType           |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 */
export const CISCO_METADATA_LENGTH = 8;

export function ciscoMetadataSgt(view: DataView, off: number): number {
  return view.getUint16(off + 4);
}
export function ciscoMetadataType(view: DataView, off: number): number {
  return view.getUint16(off + 6);
}
