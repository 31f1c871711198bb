/**
 * IEEE 802.2 LLC header, and the SNAP extension (RFC 1042) when DSAP = SSAP = 0xAA.
 *
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |     DSAP      |     SSAP      | Control (1 or 2 bytes)        |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  SNAP:
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |  0xAA | 0xAA  |     0x03      |          OUI (3 bytes)        |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |              |   Protocol ID (EtherType when OUI = 0)          |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * The control field is 1 byte for U-format frames (low two bits 11), else 2 bytes.
 */
export const LLC_SAP_SNAP = 0xaa;
export const SNAP_HEADER_LENGTH = 8;

/** LLC header length (3 or 4) from its control byte. */
export function llcHeaderLength(data: Uint8Array, off: number): number {
  return (data[off + 2] & 3) === 3 ? 3 : 4;
}

export function isSnap(data: Uint8Array, off: number): boolean {
  return data[off] === LLC_SAP_SNAP && data[off + 1] === LLC_SAP_SNAP && data[off + 2] === 0x03;
}
