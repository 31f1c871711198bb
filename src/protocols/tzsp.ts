/**
 * TZSP, TaZmen Sniffer Protocol (UDP 37008), used by MikroTik and others to stream
 * mirrored frames.
 *
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |  Version (1)  |     Type      |        Encapsulation          |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  | Tagged fields: Tag | Len | Data... ; tag 0 = padding (1 byte), |
 *  | tag 1 = end (1 byte)                                          |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |                      Encapsulated frame                       |
 *
 * Types 0 (received tag list) and 1 (packet for transmit) carry a frame.
 */
export const TZSP_HEADER_LENGTH = 4;
export const TZSP_VERSION = 1;
export const TzspTag = { PADDING: 0, END: 1 } as const;
export const TzspEncapsulation = { ETHERNET: 1 } as const;
export const TzspType = { RECEIVED_TAG_LIST: 0, PACKET_FOR_TRANSMIT: 1 } as const;

export function tzspType(data: Uint8Array, off: number): number {
  return data[off + 1];
}
export function tzspEncapsulation(view: DataView, off: number): number {
  return view.getUint16(off + 2);
}

/** Writes a TZSP header with just the END tag. */
export function encodeTzsp(out: Uint8Array, off: number, encapsulation = TzspEncapsulation.ETHERNET): number {
  out[off] = TZSP_VERSION;
  out[off + 1] = TzspType.RECEIVED_TAG_LIST;
  out[off + 2] = encapsulation >>> 8;
  out[off + 3] = encapsulation & 0xff;
  out[off + 4] = TzspTag.END;
  return off + 5;
}
