/**
 * ARP (RFC 826).
 *
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |        Hardware type          |        Protocol type          |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |  HW addr len  | Proto addr len|          Operation            |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  | Sender HW address, sender protocol address, target HW address, |
 *  | target protocol address (lengths given above)                  |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 */
export const ARP_FIXED_LENGTH = 8;

export const ArpOp = { REQUEST: 1, REPLY: 2, RARP_REQUEST: 3, RARP_REPLY: 4 } as const;

/** Whole ARP header length from its address lengths. */
export function arpLength(data: Uint8Array, off: number): number {
  return ARP_FIXED_LENGTH + 2 * (data[off + 4] + data[off + 5]);
}
export function arpOperation(view: DataView, off: number): number {
  return view.getUint16(off + 6);
}
/** Offsets of the four addresses (valid only after the length check). */
export function arpSenderHw(off: number): number {
  return off + 8;
}
export function arpSenderProto(data: Uint8Array, off: number): number {
  return off + 8 + data[off + 4];
}
export function arpTargetHw(data: Uint8Array, off: number): number {
  return off + 8 + data[off + 4] + data[off + 5];
}
export function arpTargetProto(data: Uint8Array, off: number): number {
  return off + 8 + 2 * data[off + 4] + data[off + 5];
}
