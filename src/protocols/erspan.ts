/**
 * ERSPAN (draft-foschiano-erspan), carried in GRE.
 *
 * Type I (GRE 0x88be without a sequence number): no header, the mirrored frame follows.
 *
 * Type II (GRE 0x88be with sequence number), 8 bytes:
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |  Ver  |          VLAN         | COS | En|T|    Session ID     |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |      Reserved         |                  Index                |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * Type III (GRE 0x22eb), 12 bytes, plus an 8-byte platform subheader when O = 1:
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |  Ver  |          VLAN         | COS |BSO|T|     Session ID    |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |                          Timestamp                            |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |             SGT               |P|    FT   |   Hw ID   |D|Gra|O|
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |        Platform Specific SubHeader (8 octets, optional)       |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * FT (frame type) 0 = Ethernet, 2 = IP packet; D = direction (0 ingress, 1 egress).
 */
export const ERSPAN_II_HEADER_LENGTH = 8;
export const ERSPAN_III_HEADER_LENGTH = 12;
export const ERSPAN_III_PLATFORM_LENGTH = 8;

/** ERSPAN version field values (1 = type II, 2 = type III). */
export const ErspanVersion = { TYPE_II: 1, TYPE_III: 2 } as const;
export const ErspanFrameType = { ETHERNET: 0, IP: 2 } as const;

export function erspanVersion(data: Uint8Array, off: number): number {
  return data[off] >>> 4;
}
export function erspanVlan(view: DataView, off: number): number {
  return view.getUint16(off) & 0x0fff;
}
export function erspanCos(data: Uint8Array, off: number): number {
  return data[off + 2] >>> 5;
}
export function erspanSessionId(view: DataView, off: number): number {
  return view.getUint16(off + 2) & 0x03ff;
}
export function erspanIIIndex(view: DataView, off: number): number {
  return view.getUint32(off + 4) & 0x000fffff;
}
export function erspanIIITimestamp(view: DataView, off: number): number {
  return view.getUint32(off + 4);
}
export function erspanIIISgt(view: DataView, off: number): number {
  return view.getUint16(off + 8);
}
export function erspanIIIFrameType(data: Uint8Array, off: number): number {
  return (data[off + 10] >>> 2) & 0x1f;
}
/** Direction bit of type III: 0 = ingress, 1 = egress. */
export function erspanIIIDirection(data: Uint8Array, off: number): number {
  return (data[off + 11] >>> 3) & 1;
}
export function erspanIIIHasPlatform(data: Uint8Array, off: number): boolean {
  return (data[off + 11] & 1) === 1;
}

/** Writes an ERSPAN type II header. */
export function encodeErspanII(out: Uint8Array, off: number, sessionId: number, vlan = 0, index = 0): number {
  out[off] = 0x10 | ((vlan >>> 8) & 0x0f);
  out[off + 1] = vlan & 0xff;
  out[off + 2] = (sessionId >>> 8) & 0x03;
  out[off + 3] = sessionId & 0xff;
  out[off + 4] = 0;
  out[off + 5] = (index >>> 16) & 0x0f;
  out[off + 6] = (index >>> 8) & 0xff;
  out[off + 7] = index & 0xff;
  return off + ERSPAN_II_HEADER_LENGTH;
}

/** Writes an ERSPAN type III header (frame type Ethernet) with optional platform subheader. */
export function encodeErspanIII(out: Uint8Array, off: number, sessionId: number, opts: { direction?: 0 | 1; platform?: boolean; timestamp?: number } = {}): number {
  out[off] = 0x20;
  out[off + 1] = 0;
  out[off + 2] = (sessionId >>> 8) & 0x03;
  out[off + 3] = sessionId & 0xff;
  const ts = opts.timestamp ?? 0;
  out[off + 4] = ts >>> 24;
  out[off + 5] = (ts >>> 16) & 0xff;
  out[off + 6] = (ts >>> 8) & 0xff;
  out[off + 7] = ts & 0xff;
  out[off + 8] = 0;
  out[off + 9] = 0;
  out[off + 10] = 0;
  out[off + 11] = ((opts.direction ?? 0) << 3) | (opts.platform ? 1 : 0);
  let p = off + ERSPAN_III_HEADER_LENGTH;
  if (opts.platform) {
    out.fill(0, p, p + ERSPAN_III_PLATFORM_LENGTH);
    p += ERSPAN_III_PLATFORM_LENGTH;
  }
  return p;
}
