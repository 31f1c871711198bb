/**
 * GRE (RFC 2784 with the RFC 2890 key and sequence extensions; RFC 1701 routing; version 1
 * is the enhanced GRE of PPTP, RFC 2637).
 *
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |C|R|K|S|s|Recur|A| Flags | Ver |         Protocol Type         |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |      Checksum (optional)      |       Offset (optional)       |  C or R
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |                         Key (optional)                        |  K
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |                  Sequence Number (optional)                   |  S
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |              Acknowledgment Number (version 1, A)             |  A
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |   Routing (R): SREs | AF (16) | SRE Offset | SRE Length | ... |  until AF=0,len=0
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 */
export const GRE_BASE_LENGTH = 4;

export const GreFlag = { CHECKSUM: 0x8000, ROUTING: 0x4000, KEY: 0x2000, SEQUENCE: 0x1000, ACK: 0x0080 } as const;

/** GRE protocol types that are not EtherTypes of a normal frame. */
export const GreProto = { KEEPALIVE: 0x0000 } as const;

export function greFlags(view: DataView, off: number): number {
  return view.getUint16(off);
}
export function greVersion(view: DataView, off: number): number {
  return view.getUint16(off) & 7;
}
export function greProtocol(view: DataView, off: number): number {
  return view.getUint16(off + 2);
}

/** Length of the fixed part (without routing SREs) from the flag word. */
export function greFixedLength(flags: number): number {
  let n = GRE_BASE_LENGTH;
  if (flags & (GreFlag.CHECKSUM | GreFlag.ROUTING)) n += 4;
  if (flags & GreFlag.KEY) n += 4;
  if (flags & GreFlag.SEQUENCE) n += 4;
  if ((flags & 7) === 1 && flags & GreFlag.ACK) n += 4;
  return n;
}

/** Offset of the key field, or -1 when the K flag is clear. */
export function greKeyOffset(view: DataView, off: number): number {
  const f = view.getUint16(off);
  if (!(f & GreFlag.KEY)) return -1;
  return off + 4 + (f & (GreFlag.CHECKSUM | GreFlag.ROUTING) ? 4 : 0);
}
/** Offset of the sequence number field, or -1 when the S flag is clear. */
export function greSequenceOffset(view: DataView, off: number): number {
  const f = view.getUint16(off);
  if (!(f & GreFlag.SEQUENCE)) return -1;
  return off + 4 + (f & (GreFlag.CHECKSUM | GreFlag.ROUTING) ? 4 : 0) + (f & GreFlag.KEY ? 4 : 0);
}

/** Writes a version-0 GRE header with optional key/sequence. Returns the next offset. */
export function encodeGre(out: Uint8Array, off: number, proto: number, opts: { key?: number; seq?: number; checksum?: boolean } = {}): number {
  let flags = 0;
  if (opts.checksum) flags |= GreFlag.CHECKSUM;
  if (opts.key !== undefined) flags |= GreFlag.KEY;
  if (opts.seq !== undefined) flags |= GreFlag.SEQUENCE;
  out[off] = flags >>> 8;
  out[off + 1] = flags & 0xff;
  out[off + 2] = proto >>> 8;
  out[off + 3] = proto & 0xff;
  let p = off + 4;
  const put32 = (v: number): void => {
    out[p] = v >>> 24;
    out[p + 1] = (v >>> 16) & 0xff;
    out[p + 2] = (v >>> 8) & 0xff;
    out[p + 3] = v & 0xff;
    p += 4;
  };
  if (opts.checksum) put32(0);
  if (opts.key !== undefined) put32(opts.key);
  if (opts.seq !== undefined) put32(opts.seq);
  return p;
}
