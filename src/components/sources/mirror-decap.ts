/**
 * Decapsulation of mirror tunnels, shared by the socket and the pcap receive paths: each
 * function reads the tunnel header at [off, end) and fills a reusable `Decap` with where the
 * inner frame is and the origin identity (VNI, ERSPAN session, GRE key, GENEVE options).
 * Nothing allocates; a bad header returns false with a reason, it never throws.
 */
import { LinkType } from '../../core/linktypes.js';
import { EtherType } from '../../protocols/ethernet.js';
import { ERSPAN_II_HEADER_LENGTH, ERSPAN_III_HEADER_LENGTH, ERSPAN_III_PLATFORM_LENGTH, ErspanFrameType } from '../../protocols/erspan.js';
import { AwsGwlbOption, GENEVE_HEADER_LENGTH, GENEVE_OAM, GENEVE_OPTION_HEADER_LENGTH, GeneveOptionClass } from '../../protocols/geneve.js';
import { GreFlag, greFixedLength } from '../../protocols/gre.js';
import { TZSP_HEADER_LENGTH, TZSP_VERSION, TzspEncapsulation, TzspTag } from '../../protocols/tzsp.js';
import { VXLAN_FLAG_VNI, VXLAN_HEADER_LENGTH } from '../../protocols/vxlan.js';
import { hashBytes } from './outer-headers.js';

/** Why a datagram or frame carried no usable inner packet (drop reasons of the source). */
export const DecapDrop = {
  malformed: 'malformed',
  /** GENEVE OAM, TZSP keepalives, GRE keepalives: control traffic, not mirrored packets. */
  control: 'control',
  /** An inner protocol tapwire does not carry (e.g. TZSP 802.11 without a decoder). */
  linktype: 'linktype',
  fragment: 'fragment',
} as const;

/** GRE protocol types of mirror traffic. */
const GRE_ERSPAN_I_II = 0x88be;
const GRE_ERSPAN_III = 0x22eb;

export class Decap {
  /** Offset and end of the inner frame. */
  inner = 0;
  end = 0;
  linktype: number = LinkType.ETHERNET;
  /** VNI, ERSPAN session id or GRE key; -1 when the tunnel carries none. */
  id = -1;
  /** Hash of identity beyond the id (GENEVE options without the per-flow cookie); 0 none. */
  extra = 0;
  /** pcapng epb_flags direction (ERSPAN III: 1 inbound = ingress, 2 outbound = egress). */
  flags = 0;
  /** ERSPAN type (1, 2, 3) or 0. */
  erspan = 0;
  reason = '';
}

function fail(d: Decap, reason: string): boolean {
  d.reason = reason;
  return false;
}

export function decapVxlan(data: Uint8Array, view: DataView, off: number, end: number, d: Decap): boolean {
  if (end - off < VXLAN_HEADER_LENGTH + 14 || (data[off] & VXLAN_FLAG_VNI) === 0) return fail(d, DecapDrop.malformed);
  d.id = view.getUint32(off + 4) >>> 8;
  d.extra = 0;
  d.flags = 0;
  d.erspan = 0;
  d.linktype = LinkType.ETHERNET;
  d.inner = off + VXLAN_HEADER_LENGTH;
  d.end = end;
  return true;
}

export function decapGeneve(data: Uint8Array, view: DataView, off: number, end: number, d: Decap): boolean {
  if (end - off < GENEVE_HEADER_LENGTH || data[off] >>> 6 !== 0) return fail(d, DecapDrop.malformed);
  const optEnd = off + GENEVE_HEADER_LENGTH + ((data[off] & 0x3f) << 2);
  if (optEnd > end) return fail(d, DecapDrop.malformed);
  if (data[off + 1] & GENEVE_OAM) return fail(d, DecapDrop.control);
  const proto = view.getUint16(off + 2);
  if (proto === EtherType.TEB) d.linktype = LinkType.ETHERNET;
  else if (proto === EtherType.IPV4 || proto === EtherType.IPV6) d.linktype = LinkType.RAW;
  else return fail(d, DecapDrop.linktype);
  d.id = view.getUint32(off + 4) >>> 8;
  // Identity: every option except the AWS GWLB flow cookie, which differs per flow.
  let h = 0;
  let p = off + GENEVE_HEADER_LENGTH;
  while (p + GENEVE_OPTION_HEADER_LENGTH <= optEnd) {
    const len = GENEVE_OPTION_HEADER_LENGTH + ((data[p + 3] & 0x1f) << 2);
    if (p + len > optEnd) return fail(d, DecapDrop.malformed);
    const cookie = view.getUint16(p) === GeneveOptionClass.AWS_GWLB && (data[p + 2] & 0x7f) === AwsGwlbOption.FLOW_COOKIE;
    if (!cookie) h = hashBytes(data, p, len, h === 0 ? 0x811c9dc5 : h);
    p += len;
  }
  d.extra = h;
  d.flags = 0;
  d.erspan = 0;
  d.inner = optEnd;
  d.end = end;
  return end > optEnd || fail(d, DecapDrop.malformed);
}

export function decapTzsp(data: Uint8Array, view: DataView, off: number, end: number, d: Decap): boolean {
  if (end - off < TZSP_HEADER_LENGTH + 1 || data[off] !== TZSP_VERSION) return fail(d, DecapDrop.malformed);
  const type = data[off + 1];
  if (type !== 0 && type !== 1) return fail(d, DecapDrop.control);
  if (view.getUint16(off + 2) !== TzspEncapsulation.ETHERNET) return fail(d, DecapDrop.linktype);
  let p = off + TZSP_HEADER_LENGTH;
  for (;;) {
    if (p >= end) return fail(d, DecapDrop.malformed);
    const tag = data[p];
    if (tag === TzspTag.END) {
      p++;
      break;
    }
    if (tag === TzspTag.PADDING) {
      p++;
      continue;
    }
    if (p + 2 > end) return fail(d, DecapDrop.malformed);
    p += 2 + data[p + 1];
  }
  if (end - p < 14) return fail(d, DecapDrop.malformed);
  d.id = -1;
  d.extra = 0;
  d.flags = 0;
  d.erspan = 0;
  d.linktype = LinkType.ETHERNET;
  d.inner = p;
  d.end = end;
  return true;
}

/** GRE-carried mirrors: transparent Ethernet bridging (gretap) and ERSPAN I, II, III. */
export function decapGre(data: Uint8Array, view: DataView, off: number, end: number, d: Decap): boolean {
  if (end - off < 4) return fail(d, DecapDrop.malformed);
  const flags = view.getUint16(off);
  if ((flags & 7) !== 0 || flags & GreFlag.ROUTING) return fail(d, DecapDrop.malformed);
  const proto = view.getUint16(off + 2);
  let p = off + greFixedLength(flags);
  if (p > end) return fail(d, DecapDrop.malformed);
  const keyOff = flags & GreFlag.KEY ? off + 4 + (flags & GreFlag.CHECKSUM ? 4 : 0) : -1;
  d.extra = 0;
  d.flags = 0;
  d.linktype = LinkType.ETHERNET;
  if (proto === EtherType.TEB) {
    d.erspan = 0;
    d.id = keyOff < 0 ? -1 : view.getUint32(keyOff);
  } else if (proto === GRE_ERSPAN_I_II) {
    if (flags & GreFlag.SEQUENCE) {
      // Type II: the sequence number is what tells it from type I.
      if (end - p < ERSPAN_II_HEADER_LENGTH) return fail(d, DecapDrop.malformed);
      d.erspan = 2;
      d.id = view.getUint16(p + 2) & 0x03ff;
      p += ERSPAN_II_HEADER_LENGTH;
    } else {
      d.erspan = 1;
      d.id = -1;
    }
  } else if (proto === GRE_ERSPAN_III) {
    if (end - p < ERSPAN_III_HEADER_LENGTH) return fail(d, DecapDrop.malformed);
    d.erspan = 3;
    d.id = view.getUint16(p + 2) & 0x03ff;
    d.flags = (data[p + 11] >>> 3) & 1 ? 2 : 1;
    const ft = (data[p + 10] >>> 2) & 0x1f;
    if (ft === ErspanFrameType.IP) d.linktype = LinkType.RAW;
    else if (ft !== ErspanFrameType.ETHERNET) return fail(d, DecapDrop.linktype);
    p += ERSPAN_III_HEADER_LENGTH + (data[p + 11] & 1 ? ERSPAN_III_PLATFORM_LENGTH : 0);
  } else if (proto === 0) {
    return fail(d, DecapDrop.control); // GRE keepalive
  } else return fail(d, DecapDrop.linktype);
  if (end - p < (d.linktype === LinkType.ETHERNET ? 14 : 20)) return fail(d, DecapDrop.malformed);
  d.inner = p;
  d.end = end;
  return true;
}

/**
 * The length the inner packet had before a mirror cut it (AWS truncates what exceeds the
 * mirror target's MTU), from its IP length field; -1 when that cannot be told.
 */
export function innerWireLength(linktype: number, data: Uint8Array, view: DataView, off: number, end: number): number {
  let p = off;
  if (linktype === LinkType.ETHERNET) {
    if (end - p < 14) return -1;
    let et = view.getUint16(p + 12);
    p += 14;
    while ((et === EtherType.VLAN || et === EtherType.QINQ) && end - p >= 4) {
      et = view.getUint16(p + 2);
      p += 4;
    }
    if (et !== EtherType.IPV4 && et !== EtherType.IPV6) return -1;
  }
  if (end - p < 8) return -1;
  const v = data[p] >>> 4;
  if (v === 4) return p - off + view.getUint16(p + 2);
  if (v === 6) return p - off + 40 + view.getUint16(p + 4);
  return -1;
}
