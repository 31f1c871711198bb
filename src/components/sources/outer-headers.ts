/**
 * Finds the outer IP header and its payload in a captured mirror frame (pcap receive path),
 * without allocating: Ethernet (with VLAN tags), Linux cooked v1/v2 (the `any` device) and
 * raw IP link types. Only what mirror receivers need: source address, protocol, L4 offset.
 */
import { LinkType } from '../../core/linktypes.js';
import { EtherType } from '../../protocols/ethernet.js';

export class OuterHeaders {
  ipOff = 0;
  ipVersion = 0;
  /** IP protocol (17 UDP, 47 GRE). */
  proto = 0;
  /** Offset of the IP payload (the UDP or GRE header). */
  l4Off = 0;
  /** Key of the outer source address: the IPv4 address, or a hash of the IPv6 one. */
  srcKey = 0;
  /** A non-first IPv4 fragment or the first of several: the payload is not whole. */
  fragment = false;
}

/** Fills `o` for the frame at [off, end); false when it is not IPv4/IPv6 or too short. */
export function parseOuter(linktype: number, data: Uint8Array, view: DataView, off: number, end: number, o: OuterHeaders): boolean {
  let p = off;
  let et = 0;
  if (linktype === LinkType.ETHERNET) {
    if (end - p < 14) return false;
    et = view.getUint16(p + 12);
    p += 14;
    while ((et === EtherType.VLAN || et === EtherType.QINQ) && end - p >= 4) {
      et = view.getUint16(p + 2);
      p += 4;
    }
  } else if (linktype === LinkType.LINUX_SLL) {
    if (end - p < 16) return false;
    et = view.getUint16(p + 14);
    p += 16;
  } else if (linktype === LinkType.LINUX_SLL2) {
    if (end - p < 20) return false;
    et = view.getUint16(p);
    p += 20;
  } else if (linktype === LinkType.RAW || linktype === LinkType.IPV4 || linktype === LinkType.IPV6) {
    if (end - p < 1) return false;
    et = data[p] >>> 4 === 6 ? EtherType.IPV6 : EtherType.IPV4;
  } else return false;
  o.ipOff = p;
  if (et === EtherType.IPV4) {
    if (end - p < 20 || data[p] >>> 4 !== 4) return false;
    const ihl = (data[p] & 0x0f) * 4;
    if (ihl < 20 || end - p < ihl) return false;
    const frag = view.getUint16(p + 6);
    o.fragment = (frag & 0x3fff) !== 0;
    o.ipVersion = 4;
    o.proto = data[p + 9];
    o.srcKey = view.getUint32(p + 12);
    o.l4Off = p + ihl;
    return true;
  }
  if (et === EtherType.IPV6) {
    if (end - p < 40 || data[p] >>> 4 !== 6) return false;
    o.ipVersion = 6;
    o.proto = data[p + 6];
    o.fragment = o.proto === 44;
    o.srcKey = hashBytes(data, p + 8, 16);
    o.l4Off = p + 40;
    return true;
  }
  return false;
}

/** FNV-1a over bytes: a number key for an IPv6 address or a set of options. */
export function hashBytes(data: Uint8Array, off: number, len: number, h = 0x811c9dc5): number {
  for (let i = off; i < off + len; i++) h = Math.imul(h ^ data[i], 0x01000193) >>> 0;
  return h;
}

/** FNV-1a over a string's code units: a number key for an address given as text. */
export function hashString(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193) >>> 0;
  return h;
}
