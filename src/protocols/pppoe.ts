/**
 * PPPoE session stage header (RFC 2516 section 4), followed here by the PPP protocol field.
 *
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |  VER  | TYPE  |      CODE     |          SESSION_ID           |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |            LENGTH             |   PPP protocol (RFC 1661)     |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * LENGTH counts the PPP payload including the protocol field.
 */
export const PPPOE_SESSION_HEADER_LENGTH = 6;
/** Session header plus the 2-byte PPP protocol field: what the PPPOE layer covers. */
export const PPPOE_LAYER_LENGTH = 8;

export function pppoeSessionId(view: DataView, off: number): number {
  return view.getUint16(off + 2);
}
export function pppoeLength(view: DataView, off: number): number {
  return view.getUint16(off + 4);
}
export function pppoePppProtocol(view: DataView, off: number): number {
  return view.getUint16(off + 6);
}
