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
export const at = (o: Off, n: number): Val => {
  if (o.v && varUse) varUse(o.v);
  return o.v ? add(o.v, o.k + n) : K(o.k + n);
};

/**
 * Told of every use of a variable offset while code is generated: on 802.11 the code generator
 * gives the offset its libpcap register number at its first use (gen_abs_offset_varpart).
 */
let varUse: ((v: Val) => void) | null = null;
export function onVarUse(hook: ((v: Val) => void) | null): void { varUse = hook; }

export type LinkKind = 'ether' | 'sll' | 'sll2' | 'null' | 'loop' | 'raw' | 'ipv4' | 'ipv6' | 'ppp' | 'chdlc' | 'wlan';

export interface LinkInfo {
  kind: LinkKind;
  /** libpcap's description, used in its error messages ("no VLAN support for ..."). */
  name: string;
  linkhdr: number;
  linktype: number | null;
  linkpl: number;
  /** off_nl: where the network layer starts in the link-layer payload (802.2+SNAP: 8). */
  nl?: number;
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
  // 802.11 has no type field: off_linktype is where the LLC header of a 24-byte data header
  // would be (libpcap never reads it for 802.11); the payload offset is computed per packet.
  105: { kind: 'wlan', name: '802.11', linkhdr: 0, linktype: 24, linkpl: 0, nl: 8, nlNosnap: 3 },
  127: { kind: 'wlan', name: '802.11 plus radiotap header', linkhdr: 0, linktype: 24, linkpl: 0, nl: 8, nlNosnap: 3 },
};

/** LINKTYPE_IEEE802_11_RADIOTAP: the 802.11 header follows a radiotap header of variable length. */
const DLT_IEEE802_11_RADIO = 127;

/**
 * The scratch register holding the offset of the 802.11 payload (the LLC header), set by the
 * prologue (wlanPrologue) before the filter runs; CodeGen allocates its own registers after it.
 */
export const REG_WLAN_LINKPL = 0;
/** The radiotap length, when arithmetic overwrites it (see wlanPrologue); otherwise an expression. */
export const REG_WLAN_HDR = 1;

/**
 * The radiotap header length, as gen_load_radiotap_llprefixlen computes it: the little-endian
 * 16-bit field at bytes 2-3, loaded a byte at a time (high byte first). Used as the variable part
 * of the link-header offset. It is an expression rather than a register so that libpcap's
 * optimiser emulation can still fold tests on the 802.11 header (wlan type / subtype / dir),
 * which libpcap optimises whenever the payload offset is not needed.
 */
function radiotapLen(): Val {
  return { k: 'bin', op: '|', a: { k: 'bin', op: '<<', a: ld(1, K(3)), b: K(8) }, b: ld(1, K(2)) };
}

/** What insert_compute_vloffsets needs to know about an 802.11 capture (fixed at init). */
export interface WlanInfo {
  radiotap: boolean;
  /** Start of the 802.11 header: constant 0, or the radiotap length expression. */
  hdr: Val;
}

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
  /** Set for 802.11 captures (the outermost link type: never changed by vlan/pppoes). */
  wlan: WlanInfo | null;
}

export function initLink(dlt: number, nullLittleEndian: boolean): LinkState {
  const info = LINKS[dlt];
  if (!info) throw new FilterSyntaxError(`link-layer type ${dlt} is not supported by the filter compiler`, 0);
  let wlan: WlanInfo | null = null;
  let linkhdr = off(info.linkhdr), linkpl = off(info.linkpl);
  if (info.kind === 'wlan') {
    const radiotap = dlt === DLT_IEEE802_11_RADIO;
    wlan = { radiotap, hdr: radiotap ? radiotapLen() : K(0) };
    if (radiotap) linkhdr = off(0, wlan.hdr);
    linkpl = off(0, { k: 'reg', r: REG_WLAN_LINKPL });
  }
  return {
    kind: info.kind, name: info.name, dlt,
    linkhdr, linktype: info.linktype === null ? null : off(info.linktype), linkpl,
    nl: info.nl ?? 0, nlNosnap: info.nlNosnap, labelStackDepth: 0, vlanStackDepth: 0, isGeneve: false, nullLittleEndian, wlan,
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
    case 'wlan': return and(wlanDataFrame(s), llcLinktype(s, p));
  }
}

// ---- 802.11 -------------------------------------------------------------------------------

const jset = (v: Val, mask: number): Bool => cmp('jset', v, K(mask));

/**
 * gen_check_802_11_data_frame: frame-control bits b2 clear and b3 set. libpcap ANDs the b2
 * test in front of the b3 test, so b2 is read first.
 */
export function wlanDataFrame(s: LinkState): Bool {
  return and(not(jset(rel.linkhdr(s, 0, 1), 0x04)), jset(rel.linkhdr(s, 0, 1), 0x08));
}

/**
 * gen_llc_linktype: 802.2 is assumed; an Ethertype is only looked for where a SNAP header
 * would carry it (the SNAP DSAP/SSAP/OUI are not checked, as in libpcap).
 */
function llcLinktype(s: LinkState, p: number): Bool {
  switch (p) {
    case LlcSap.IP: case LlcSap.ISONS: case LlcSap.NETBEUI: return eq(rel.llc(s, 0, 2), (p << 8) | p);
    case LlcSap.IPX: return eq(rel.llc(s, 0, 1), LlcSap.IPX);
    case EtherType.ATALK: return snap(s, 0x080007, EtherType.ATALK);
    default:
      if (p <= ETHERMTU) return eq(rel.llc(s, 0, 1), p);
      return eq(rel.llc(s, 6, 2), p);
  }
}

/**
 * gen_p80211_type / gen_p80211_fcdir: a masked compare on a frame-control byte. A compare
 * with 0 is what libpcap's optimiser turns into `jset mask` (negated), and that form folds
 * only with an identical jset, never with a compare of the same bits against another value
 * (`type mgt and type ctl` is not "rejects all packets" for libpcap 1.10). Written that way.
 */
export function wlanFcCompare(s: LinkState, byte: number, value: number, mask: number): Bool {
  const v = rel.linkhdr(s, byte, 1);
  return value === 0 ? not(jset(v, mask)) : meq(v, value, mask);
}

/** The predicate with every value `from` (by identity) replaced by `to`. */
export function replaceVal(b: Bool, from: Val, to: Val): Bool {
  const val = (v: Val): Val => {
    if (v === from) return to;
    switch (v.k) {
      case 'ld': return { k: 'ld', size: v.size, at: val(v.at) };
      case 'bin': return { k: 'bin', op: v.op, a: val(v.a), b: val(v.b) };
      case 'neg': return { k: 'neg', a: val(v.a) };
      default: return v;
    }
  };
  const walk = (x: Bool): Bool => {
    switch (x.k) {
      case 'and': case 'or': return { k: x.k, a: walk(x.a), b: walk(x.b) };
      case 'not': return { k: 'not', a: walk(x.a) };
      case 'if': return { k: 'if', c: walk(x.c), a: walk(x.a), b: walk(x.b) };
      case 'cmp': return { ...x, a: val(x.a), b: val(x.b) };
      case 'set': return { k: 'set', r: x.r, v: val(x.v) };
      case 'protochain': return { ...x, nl: val(x.nl) };
      default: return x;
    }
  };
  return walk(b);
}

/** True when some value in the predicate satisfies `hit` (loads, offsets, registers). */
function mentionsVal(b: Bool, hit: (v: Val) => boolean): boolean {
  const val = (v: Val): boolean => {
    if (hit(v)) return true;
    switch (v.k) {
      case 'ld': return val(v.at);
      case 'bin': return val(v.a) || val(v.b);
      case 'neg': return val(v.a);
      default: return false;
    }
  };
  const walk = (x: Bool): boolean => {
    switch (x.k) {
      case 'and': case 'or': return walk(x.a) || walk(x.b);
      case 'not': return walk(x.a);
      case 'if': return walk(x.c) || walk(x.a) || walk(x.b);
      case 'cmp': return val(x.a) || val(x.b);
      case 'set': return val(x.v);
      case 'protochain': return val(x.nl);
      default: return false;
    }
  };
  return walk(b);
}

/**
 * insert_compute_vloffsets for 802.11 (gen_load_radiotap_llprefixlen and
 * gen_load_802_11_header_len): code run for every packet BEFORE the filter, and only when the
 * filter uses the variable offsets. Every branch ends true; a load out of range in it rejects
 * the packet, as in BPF. `noOptimize` mirrors libpcap turning its optimiser off whenever the
 * payload offset is computed (that code jumps inside a statement list).
 */
export function wlanPrologue(s: LinkState, pred: Bool, hdrInReg: boolean): { prologue: Bool | null; noOptimize: boolean } {
  const w = s.wlan;
  if (!w) return { prologue: null, noOptimize: false };
  const H: Val = hdrInReg ? { k: 'reg', r: REG_WLAN_HDR } : w.hdr;
  const usesPl = mentionsVal(pred, (v) => v.k === 'reg' && v.r === REG_WLAN_LINKPL);
  // The payload offset is computed from the header offset, so it needs it too.
  const usesHdr = w.radiotap && (usesPl || mentionsVal(pred, hdrInReg ? (v) => v.k === 'reg' && v.r === REG_WLAN_HDR : (v) => v === w.hdr));
  if (!usesPl && !usesHdr) return { prologue: null, noOptimize: false };
  // The radiotap length is read up front even where the filter reads it again later: its two
  // loads reject a packet shorter than 4 bytes whatever the expression tests first.
  let pro: Bool = TRUE;
  if (usesHdr) pro = hdrInReg ? { k: 'set', r: REG_WLAN_HDR, v: w.hdr } : { k: 'cmp', op: 'jge', a: w.hdr, b: K(0), opaque: true };
  if (!usesPl) return { prologue: pro, noOptimize: false };
  const P: Val = { k: 'reg', r: REG_WLAN_LINKPL };
  const setP = (v: Val): Bool => ({ k: 'set', r: REG_WLAN_LINKPL, v });
  const fc = ld(1, H);
  // 24 bytes of data-frame header; QoS data frames (subtype bit 0x80) carry 2 more.
  let data: Bool = { k: 'if', c: jset(fc, 0x80), a: setP(add(P, 2)), b: TRUE };
  if (w.radiotap) data = and(data, radiotapDatapad(P, setP));
  const isData = and(jset(fc, 0x08), not(jset(fc, 0x04)));
  pro = and(pro, and(setP(add(H, 24)), { k: 'if', c: isData, a: data, b: TRUE }));
  return { prologue: pro, noOptimize: true };
}

/**
 * Atheros pads the 802.11 header of data frames to a multiple of 4 and says so with the
 * DATAPAD bit (0x20) of the radiotap flags field. libpcap looks only at the first presence word
 * (little-endian at byte 4, tested with byte-swapped masks): flags present (bit 1) and no
 * extension word (bit 31); the flags byte is at 16 when TSFT (bit 0, 8 bytes) precedes it,
 * else at 8. It then rounds the payload OFFSET (radiotap length included) up to a multiple of 4.
 */
function radiotapDatapad(P: Val, setP: (v: Val) => Bool): Bool {
  const present = ld(4, K(4));
  const flagsNoExt = and(jset(present, 0x02000000), not(jset(present, 0x00000080)));
  const datapad: Bool = { k: 'if', c: jset(present, 0x01000000), a: jset(ld(1, K(16)), 0x20), b: jset(ld(1, K(8)), 0x20) };
  const roundup = setP({ k: 'bin', op: '&', a: add(P, 3), b: K(0xfffffffc) });
  return { k: 'if', c: and(flagsNoExt, datapad), a: roundup, b: TRUE };
}
