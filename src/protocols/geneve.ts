/**
 * GENEVE (RFC 8926), over UDP port 6081.
 *
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |Ver|  Opt Len  |O|C|    Rsvd.  |          Protocol Type        |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |        Virtual Network Identifier (VNI)       |    Reserved   |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |                    Variable-Length Options                    |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * Option (Opt Len counts 4-byte words of all options):
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |          Option Class         |      Type     |R|R|R| Length  |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |      Variable-Length Option Data (Length 4-byte words)        |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * AWS Gateway Load Balancer uses option class 0x0108 with type 1 = GWLB endpoint id
 * (8 bytes), type 2 = attachment id (8 bytes), type 3 = flow cookie (4 bytes).
 */
export const GENEVE_HEADER_LENGTH = 8;
export const GENEVE_OPTION_HEADER_LENGTH = 4;
export const GENEVE_OAM = 0x80;

export const GeneveOptionClass = { AWS_GWLB: 0x0108 } as const;
export const AwsGwlbOption = { ENDPOINT_ID: 1, ATTACHMENT_ID: 2, FLOW_COOKIE: 3 } as const;

export function geneveVersion(data: Uint8Array, off: number): number {
  return data[off] >>> 6;
}
/** Length of all options, in bytes. */
export function geneveOptionsLength(data: Uint8Array, off: number): number {
  return (data[off] & 0x3f) << 2;
}
export function geneveProtocol(view: DataView, off: number): number {
  return view.getUint16(off + 2);
}
export function geneveVni(view: DataView, off: number): number {
  return view.getUint32(off + 4) >>> 8;
}

/** Checks that the option TLVs at [start, end) tile the area exactly. */
export function geneveOptionsValid(data: Uint8Array, start: number, end: number): boolean {
  let p = start;
  while (p < end) {
    if (p + GENEVE_OPTION_HEADER_LENGTH > end) return false;
    p += GENEVE_OPTION_HEADER_LENGTH + ((data[p + 3] & 0x1f) << 2);
  }
  return p === end;
}

/**
 * Offset of the data of the first option (cls, type) in the GENEVE header at `off`
 * (its end given by `hdrEnd`), or -1. The option's data length is `(data[o - 1] & 0x1f) * 4`.
 */
export function findGeneveOption(data: Uint8Array, view: DataView, off: number, hdrEnd: number, cls: number, type: number): number {
  let p = off + GENEVE_HEADER_LENGTH;
  while (p + GENEVE_OPTION_HEADER_LENGTH <= hdrEnd) {
    const len = (data[p + 3] & 0x1f) << 2;
    if (p + GENEVE_OPTION_HEADER_LENGTH + len > hdrEnd) return -1;
    if (view.getUint16(p) === cls && (data[p + 2] & 0x7f) === type) return p + GENEVE_OPTION_HEADER_LENGTH;
    p += GENEVE_OPTION_HEADER_LENGTH + len;
  }
  return -1;
}

export interface GeneveOptionSpec {
  cls: number;
  type: number;
  data: Uint8Array;
}

/** Writes a GENEVE header with options (each option's data padded to 4 bytes). */
export function encodeGeneve(out: Uint8Array, off: number, vni: number, protocol: number, options: GeneveOptionSpec[] = []): number {
  let optLen = 0;
  for (const o of options) optLen += GENEVE_OPTION_HEADER_LENGTH + ((o.data.length + 3) & ~3);
  out[off] = (optLen >>> 2) & 0x3f;
  out[off + 1] = 0;
  out[off + 2] = protocol >>> 8;
  out[off + 3] = protocol & 0xff;
  out[off + 4] = (vni >>> 16) & 0xff;
  out[off + 5] = (vni >>> 8) & 0xff;
  out[off + 6] = vni & 0xff;
  out[off + 7] = 0;
  let p = off + GENEVE_HEADER_LENGTH;
  for (const o of options) {
    const words = (o.data.length + 3) >>> 2;
    out[p] = o.cls >>> 8;
    out[p + 1] = o.cls & 0xff;
    out[p + 2] = o.type;
    out[p + 3] = words & 0x1f;
    out.fill(0, p + 4, p + 4 + words * 4);
    out.set(o.data, p + 4);
    p += 4 + words * 4;
  }
  return p;
}
