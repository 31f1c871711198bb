/**
 * Link-layer knowledge of the filter compiler: where each link type keeps its protocol
 * field and payload (gencode.c's init_linktype), and how `ip`, `arp`, `ether proto N`...
 * become a test on that field (gen_linktype and its per-DLT helpers).
 */
import { FilterSyntaxError } from './errors.js';
import { type Bool, type Val, FALSE, K, TRUE, add, and, cmp, eq, ld, meq, not, or } from './ir.js';
import { EtherType, LlcSap, PppProto } from './names.js';

/** An offset from the start of the packet: a constant plus an optional run-time part. */
export interface Off { k: number; v: Val | null }
export const off = (k: number, v: Val | null = null): Off => ({ k, v });
export const at = (o: Off, n: number): Val => (o.v ? add(o.v, o.k + n) : K(o.k + n));

export type LinkKind = 'ether' | 'sll' | 'sll2' | 'null' | 'loop' | 'raw' | 'ipv4' | 'ipv6' | 'ppp' | 'chdlc';

export interface LinkInfo {
  kind: LinkKind;
  /** libpcap's description, used in its error messages ("no VLAN support for ..."). */
  name: string;
  linkhdr: number;
  linktype: number | null;
  linkpl: number;
  nlNosnap: number;
}

const ETHERMTU = 1500;

/** LINKTYPE_* (as found in capture files) -> how the filter reads that link layer. */
export const LINKS: Readonly<Record<number, LinkInfo>> = {
  1: { kind: 'ether', name: 'Ethernet', linkhdr: 0, linktype: 12, linkpl: 14, nlNosnap: 3 },
  113: { kind: 'sll', name: 'Linux cooked v1', linkhdr: 0, linktype: 14, linkpl: 16, nlNosnap: 3 },
  276: { kind: 'sll2', name: 'Linux cooked v2', linkhdr: 0, linktype: 0, linkpl: 20, nlNosnap: 3 },
  0: { kind: 'null', name: 'BSD loopback', linkhdr: 0, linktype: 0, linkpl: 4, nlNosnap: 0 },
  108: { kind: 'loop', name: 'OpenBSD loopback', linkhdr: 0, linktype: 0, linkpl: 4, nlNosnap: 0 },
  101: { kind: 'raw', name: 'Raw IP', linkhdr: 0, linktype: null, linkpl: 0, nlNosnap: 0 },
  228: { kind: 'ipv4', name: 'Raw IPv4', linkhdr: 0, linktype: null, linkpl: 0, nlNosnap: 0 },
  229: { kind: 'ipv6', name: 'Raw IPv6', linkhdr: 0, linktype: null, linkpl: 0, nlNosnap: 0 },
  9: { kind: 'ppp', name: 'PPP', linkhdr: 0, linktype: 2, linkpl: 4, nlNosnap: 0 },
  50: { kind: 'ppp', name: 'PPP over serial', linkhdr: 0, linktype: 2, linkpl: 4, nlNosnap: 0 },
  51: { kind: 'ppp', name: 'PPPoE', linkhdr: 0, linktype: 6, linkpl: 8, nlNosnap: 0 },
  104: { kind: 'chdlc', name: 'Cisco HDLC', linkhdr: 0, linktype: 2, linkpl: 4, nlNosnap: 0 },
};

/** The mutable offsets of gencode.c's compiler state. */
export interface LinkState {
  kind: LinkKind;
  name: string;
  dlt: number;
  linkhdr: Off;
  linktype: Off | null;
  linkpl: Off;
  nl: number;
  nlNosnap: number;
  labelStackDepth: number;
  vlanStackDepth: number;
  isGeneve: boolean;
  /** BSD loopback stores the address family in the capturing host's byte order. */
  nullLittleEndian: boolean;
}

export function initLink(dlt: number, nullLittleEndian: boolean): LinkState {
  const info = LINKS[dlt];
  if (!info) throw new FilterSyntaxError(`link-layer type ${dlt} is not supported by the filter compiler`, 0);
  return {
    kind: info.kind, name: info.name, dlt,
    linkhdr: off(info.linkhdr), linktype: info.linktype === null ? null : off(info.linktype), linkpl: off(info.linkpl),
    nl: 0, nlNosnap: info.nlNosnap, labelStackDepth: 0, vlanStackDepth: 0, isGeneve: false, nullLittleEndian,
  };
}

/** Loads relative to gencode.c's offset bases (OR_LINKHDR, OR_LINKTYPE, OR_LLC, OR_LINKPL...). */
export const rel = {
  linkhdr: (s: LinkState, n: number, size: number): Val => ld(size, at(s.linkhdr, n)),
  linktype: (s: LinkState, n: number, size: number): Val => ld(size, at(s.linktype!, n)),
  llc: (s: LinkState, n: number, size: number): Val => ld(size, at(s.linkpl, n)),
  linkpl: (s: LinkState, n: number, size: number): Val => ld(size, at(s.linkpl, s.nl + n)),
  nosnap: (s: LinkState, n: number, size: number): Val => ld(size, at(s.linkpl, s.nlNosnap + n)),
  prevmpls: (s: LinkState, n: number, size: number): Val => ld(size, at(s.linkpl, s.nl - 4 + n)),
};

/** gen_bcmp: compares bytes 4 at a time from the end, then 2, then 1 (libpcap's order). */
export function bcmp(s: LinkState, base: 'linkhdr' | 'llc', offset: number, bytes: number[]): Bool {
  let size = bytes.length;
  let b: Bool | null = null;
  const push = (t: Bool) => { b = b ? and(b, t) : t; };
  while (size >= 4) {
    const p = size - 4;
    push(eq(rel[base](s, offset + p, 4), ((bytes[p]! << 24) | (bytes[p + 1]! << 16) | (bytes[p + 2]! << 8) | bytes[p + 3]!) >>> 0));
    size -= 4;
  }
  while (size >= 2) {
    const p = size - 2;
    push(eq(rel[base](s, offset + p, 2), (bytes[p]! << 8) | bytes[p + 1]!));
    size -= 2;
  }
  while (size > 0) { size--; push(eq(rel[base](s, offset + size, 1), bytes[size]!)); }
  return b ?? TRUE;
}

function snap(s: LinkState, orgcode: number, ptype: number): Bool {
  return bcmp(s, 'llc', 0, [LlcSap.SNAP, LlcSap.SNAP, 0x03, (orgcode >> 16) & 0xff, (orgcode >> 8) & 0xff, orgcode & 0xff, (ptype >> 8) & 0xff, ptype & 0xff]);
}

/** `not (type > 1500)`: the Ethernet type field is an 802.3 length. */
const isLength = (s: LinkState): Bool => not(cmp('jgt', rel.linktype(s, 0, 2), K(ETHERMTU)));

function etherLinktype(s: LinkState, p: number): Bool {
  switch (p) {
    case LlcSap.ISONS: case LlcSap.IP: case LlcSap.NETBEUI:
      return and(isLength(s), eq(rel.llc(s, 0, 2), (p << 8) | p));
    case LlcSap.IPX: {
      const b = or(snap(s, 0, EtherType.IPX), or(eq(rel.llc(s, 0, 1), LlcSap.IPX), eq(rel.llc(s, 0, 2), 0xffff)));
      return or(eq(rel.linktype(s, 0, 2), EtherType.IPX), and(isLength(s), b));
    }
    case EtherType.ATALK: case EtherType.AARP: {
      const sn = p === EtherType.ATALK ? snap(s, 0x080007, EtherType.ATALK) : snap(s, 0, EtherType.AARP);
      return or(eq(rel.linktype(s, 0, 2), p), and(isLength(s), sn));
    }
    default:
      if (p <= ETHERMTU) return and(isLength(s), eq(rel.linktype(s, 2, 1), p));
      return eq(rel.linktype(s, 0, 2), p);
  }
}

const SLL_P_802_3 = 0x0001, SLL_P_802_2 = 0x0004;
function sllLinktype(s: LinkState, p: number): Bool {
  const proto = (v: number) => eq(rel.linktype(s, 0, 2), v);
  switch (p) {
    case LlcSap.ISONS: case LlcSap.IP: case LlcSap.NETBEUI:
      return and(proto(SLL_P_802_2), eq(rel.llc(s, 0, 2), (p << 8) | p));
    case LlcSap.IPX: {
      const b = and(proto(SLL_P_802_2), or(eq(rel.llc(s, 0, 1), LlcSap.IPX), snap(s, 0, EtherType.IPX)));
      return or(proto(EtherType.IPX), or(proto(SLL_P_802_3), b));
    }
    case EtherType.ATALK: case EtherType.AARP: {
      const sn = p === EtherType.ATALK ? snap(s, 0x080007, EtherType.ATALK) : snap(s, 0, EtherType.AARP);
      return or(proto(p), and(proto(SLL_P_802_2), sn));
    }
    default:
      if (p <= ETHERMTU) return and(proto(SLL_P_802_2), eq(rel.linkpl(s, 0, 1), p));
      return proto(p);
  }
}

function pppType(p: number): number {
  switch (p) {
    case EtherType.IP: return PppProto.IP;
    case EtherType.IPV6: return PppProto.IPV6;
    case EtherType.DN: return PppProto.DECNET;
    case EtherType.ATALK: return PppProto.APPLETALK;
    case 0x0600: return PppProto.NS;
    case LlcSap.ISONS: return PppProto.OSI;
    case LlcSap.STP: return PppProto.BRPDU;
    case LlcSap.IPX: return PppProto.IPX;
    default: return p;
  }
}

function mplsLinktype(s: LinkState, p: number): Bool {
  const bos = meq(rel.prevmpls(s, 2, 1), 0x01, 0x01);
  if (p === EtherType.IP) return and(bos, meq(rel.linkpl(s, 0, 1), 0x40, 0xf0));
  if (p === EtherType.IPV6) return and(bos, meq(rel.linkpl(s, 0, 1), 0x60, 0xf0));
  throw new FilterSyntaxError('unsupported protocol over mpls', -1);
}

const bswap32 = (v: number): number => (((v & 0xff) << 24) | ((v & 0xff00) << 8) | ((v >>> 8) & 0xff00) | (v >>> 24)) >>> 0;

/** gen_linktype: is the packet's link-layer protocol `p` (an ethertype or an LLC SAP)? */
export function linktype(s: LinkState, p: number): Bool {
  if (s.labelStackDepth > 0) return mplsLinktype(s, p);
  switch (s.kind) {
    case 'ether': return etherLinktype(s, p);
    case 'sll': return sllLinktype(s, p);
    case 'sll2': return eq(rel.linktype(s, 0, 2), p);
    case 'null': case 'loop': {
      // Reading a file, libpcap accepts the BSD values of AF_INET6 (Darwin 30, BSD 24,
      // FreeBSD 28), in that order; AF_INET is 2 everywhere.
      const afs = p === EtherType.IP ? [2] : p === EtherType.IPV6 ? [30, 24, 28] : [];
      let b: Bool = FALSE;
      for (const af of afs) b = or(b, eq(rel.linktype(s, 0, 4), s.kind === 'null' && s.nullLittleEndian ? bswap32(af) : af));
      return b;
    }
    case 'raw':
      if (p === EtherType.IP) return meq(rel.linkhdr(s, 0, 1), 0x40, 0xf0);
      if (p === EtherType.IPV6) return meq(rel.linkhdr(s, 0, 1), 0x60, 0xf0);
      return FALSE;
    case 'ipv4': return p === EtherType.IP ? TRUE : FALSE;
    case 'ipv6': return p === EtherType.IPV6 ? TRUE : FALSE;
    case 'ppp': return eq(rel.linktype(s, 0, 2), pppType(p));
    case 'chdlc': return eq(rel.linktype(s, 0, 2), p === LlcSap.ISONS ? (p << 8) | p : p);
  }
}
