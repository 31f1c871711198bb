/**
 * Semantics of pcap-filter: the AST becomes the predicate tree following libpcap 1.10's
 * gencode.c function by function (gen_host, gen_port, gen_proto, gen_vlan, ...), walking the
 * AST in the order yacc reduces it, because `vlan`, `mpls`, `pppoes` and `geneve` move the
 * offsets used by every primitive generated after them, whatever the boolean structure.
 */
import { isIPv6 } from 'node:net';
import type { Arth, IdValue, Node, Qual } from './ast.js';
import { FilterSyntaxError } from './errors.js';
import { type Bool, type Val, FALSE, K, TRUE, add, and, cmp, eq, ld, meq, not, or } from './ir.js';
import { type LinkState, REG_WLAN_HDR, REG_WLAN_LINKPL, at, bcmp, linktype, off, onVarUse, rel, replaceVal, wlanDataFrame, wlanFcCompare, wlanPrologue } from './linklayer.js';
import { ETHER_PROTOCOLS, EtherType, IpProto, ISO_PROTOCOLS, LlcSap } from './names.js';
import { PROTOCOLS, SERVICES } from './services.js';

/**
 * An arithmetic value, with (802.11 only) the libpcap scratch register holding it and the
 * register stores its code performs, in program order (see ScratchRegs).
 */
interface ArthVal { v: Val; cond: Bool | null; reg: number; stores: Store[] }
interface Store { r: number; v: Val }

/**
 * libpcap's scratch-register allocator (alloc_reg/free_reg: round robin from the last
 * register handed out), followed on 802.11 only. There libpcap 1.10 gives the per-packet
 * offsets their registers at first use, so an arithmetic relation generated earlier may have
 * used and freed the same slot; its stores, which run after the prologue, then overwrite the
 * offset (`len > 100 or type ctl` reads the frame control at byte 100). Reproduced: each
 * relation records its stores, and finish() turns those that hit an offset's register into
 * assignments of that offset.
 */
class ScratchRegs {
  private readonly used = new Array<boolean>(16).fill(false);
  private cur = 0;
  alloc(): number {
    for (let n = 0; n < 16; n++) {
      if (!this.used[this.cur]) { this.used[this.cur] = true; return this.cur; }
      this.cur = (this.cur + 1) % 16;
    }
    throw new FilterSyntaxError('too many registers needed to evaluate expression', -1);
  }
  free(r: number): void { if (r >= 0) this.used[r] = false; }
}
const PROTO_UNDEF = -1;
const GENEVE_PORT = 6081;
const NET_PROTOS = new Set(['ip', 'arp', 'rarp', 'atalk', 'decnet', 'sca', 'lat', 'moprc', 'mopdl', 'ip6']);
const TRANSPORT_PROTOS = new Set(['sctp', 'tcp', 'udp', 'icmp', 'igmp', 'igrp', 'pim', 'vrrp', 'carp']);

const andc = (a: Bool | null, b: Bool | null): Bool | null => (a && b ? and(a, b) : a ?? b);

export class CodeGen {
  private pos = 0;
  private nextReg = 0;
  /** Set when libpcap would skip optimisation (and so never say "rejects all packets"). */
  noOptimize = false;
  /** 802.11: libpcap's scratch registers, the numbers the offsets got, relations' stores. */
  private readonly scratch: ScratchRegs | null;
  private plSlot = -1;
  private hdrSlot = -1;
  private readonly relStores: { ph: Bool; stores: Store[] }[] = [];

  constructor(private readonly s: LinkState, private readonly netmask: number) {
    this.scratch = s.wlan ? new ScratchRegs() : null;
    // On 802.11 the first registers hold the offsets computed by the prologue.
    if (s.wlan) this.nextReg = REG_WLAN_HDR + 1;
    const w = s.wlan;
    onVarUse(w ? (v) => {
      if (v.k === 'reg' && v.r === REG_WLAN_LINKPL) { if (this.plSlot < 0) this.plSlot = this.scratch!.alloc(); }
      else if (v === w.hdr && this.hdrSlot < 0) this.hdrSlot = this.scratch!.alloc();
    } : null);
  }

  private err(msg: string): never { throw new FilterSyntaxError(msg, this.pos); }

  /** What tapwire leaves out on 802.11 (see README "Not supported"). */
  private wlanUnsupported(what: string): void {
    if (this.s.kind === 'wlan') this.err(`${what} on ${this.s.name} is not supported by the filter compiler`);
  }

  /**
   * finish_parse's insert_compute_vloffsets: on 802.11 the variable offsets the expression
   * uses are computed before it, for every packet.
   */
  finish(pred: Bool): Bool {
    onVarUse(null);
    let hdrClobbered = false;
    for (const { ph, stores } of this.relStores) {
      let b: Bool = TRUE;
      for (const st of stores) {
        if (st.r === this.plSlot) b = and(b, { k: 'set', r: REG_WLAN_LINKPL, v: st.v });
        else if (st.r === this.hdrSlot && this.s.wlan?.radiotap) { b = and(b, { k: 'set', r: REG_WLAN_HDR, v: st.v }); hdrClobbered = true; }
      }
      Object.assign(ph, b); // the placeholder is a leaf: it kept its identity through balance()
    }
    // A radiotap length that arithmetic overwrites must live in a register, like in libpcap.
    if (hdrClobbered) pred = replaceVal(pred, this.s.wlan!.hdr, { k: 'reg', r: REG_WLAN_HDR });
    const { prologue, noOptimize } = wlanPrologue(this.s, pred, hdrClobbered);
    if (noOptimize) this.noOptimize = true;
    return prologue ? and(prologue, pred) : pred;
  }

  private alloc(): number { return this.scratch ? this.scratch.alloc() : -1; }
  private free(r: number): void { this.scratch?.free(r); }

  gen(n: Node): Bool {
    this.pos = n.pos;
    switch (n.k) {
      case 'and': { const a = this.gen(n.a); return and(a, this.gen(n.b)); }
      case 'or': { const a = this.gen(n.a); return or(a, this.gen(n.b)); }
      case 'not': return not(this.gen(n.a));
      case 'pname': return this.protoAbbrev(n.proto);
      case 'rel': return this.relation(n.op, n.reversed, n.a, n.b);
      case 'id': return this.id(n.q, n.id);
      case 'other': return this.other(n);
    }
  }

  // ---- protocol abbreviations and `proto` ------------------------------------------------

  private ipfrag(): Bool { return meq(rel.linkpl(this.s, 6, 2), 0, 0x1fff); }

  /** gen_proto_abbrev */
  protoAbbrev(p: string): Bool {
    const lt = (v: number) => linktype(this.s, v);
    switch (p) {
      case 'sctp': return this.proto(IpProto.SCTP, 'default', 'default');
      case 'tcp': return this.proto(IpProto.TCP, 'default', 'default');
      case 'udp': return this.proto(IpProto.UDP, 'default', 'default');
      case 'icmp': return this.proto(IpProto.ICMP, 'ip', 'default');
      case 'igmp': return this.proto(IpProto.IGMP, 'ip', 'default');
      case 'igrp': return this.proto(IpProto.IGRP, 'ip', 'default');
      case 'pim': return this.proto(IpProto.PIM, 'default', 'default');
      case 'vrrp': return this.proto(IpProto.VRRP, 'ip', 'default');
      case 'carp': return this.proto(IpProto.CARP, 'ip', 'default');
      case 'ip': return lt(EtherType.IP);
      case 'arp': return lt(EtherType.ARP);
      case 'rarp': return lt(EtherType.REVARP);
      case 'link': return this.err('link layer applied in wrong context');
      case 'atalk': return lt(EtherType.ATALK);
      case 'aarp': return lt(EtherType.AARP);
      case 'decnet': return lt(EtherType.DN);
      case 'sca': return lt(EtherType.SCA);
      case 'lat': return lt(EtherType.LAT);
      case 'mopdl': return lt(EtherType.MOPDL);
      case 'moprc': return lt(EtherType.MOPRC);
      case 'ip6': return lt(EtherType.IPV6);
      case 'icmp6': return this.proto(IpProto.ICMPV6, 'ip6', 'default');
      case 'ah': return this.proto(IpProto.AH, 'default', 'default');
      case 'esp': return this.proto(IpProto.ESP, 'default', 'default');
      case 'iso': return lt(LlcSap.ISONS);
      case 'esis': return this.proto(ISO_PROTOCOLS.esis!, 'iso', 'default');
      case 'isis': return this.proto(ISO_PROTOCOLS.isis!, 'iso', 'default');
      case 'clnp': return this.proto(ISO_PROTOCOLS.clnp!, 'iso', 'default');
      case 'l1': return this.isisAny([0x0f, 0x11, 0x12, 0x18, 0x1a]);
      case 'l2': return this.isisAny([0x10, 0x11, 0x14, 0x19, 0x1b]);
      case 'iih': return this.isisAny([0x0f, 0x10, 0x11]);
      case 'lsp': return this.isisAny([0x12, 0x14]);
      case 'snp': return this.isisAny([0x18, 0x19, 0x1a, 0x1b]);
      case 'csnp': return this.isisAny([0x18, 0x19]);
      case 'psnp': return this.isisAny([0x1a, 0x1b]);
      case 'stp': return lt(LlcSap.STP);
      case 'ipx': return lt(LlcSap.IPX);
      case 'netbeui': return lt(LlcSap.NETBEUI);
      case 'radio': return this.err("'radio' is not a valid protocol type");
    }
    return this.err(`unknown protocol qualifier '${p}'`);
  }

  private isisAny(types: number[]): Bool {
    let b: Bool = FALSE;
    let first = true;
    for (const t of types) {
      const x = this.proto(t, 'isis', 'default');
      b = first ? x : or(b, x);
      first = false;
    }
    return b;
  }

  /** gen_proto: `[ip|ip6|link|iso|isis] proto N` */
  proto(v: number, p: string, dir: string): Bool {
    if (dir !== 'default') this.err("direction applied to 'proto'");
    // Range checks of newer libpcap: 1.10 accepted these values and then never matched.
    if ((p === 'default' || p === 'ip' || p === 'ip6' || p === 'iso') && v > 255) this.err(`protocol number ${v} greater than maximum 255`);
    if (p === 'isis' && v > 31) this.err(`IS-IS PDU type ${v} greater than maximum 31`);
    if (p === 'link') {
      if (v > 65535) this.err(`EtherType ${v} greater than maximum 65535`);
      if ((this.s.kind === 'ether' || this.s.kind === 'sll') && v > 255 && v <= 1500) this.err(`LLC DSAP ${v} greater than maximum 255`);
    }
    switch (p) {
      case 'default': return or(this.proto(v, 'ip', dir), this.proto(v, 'ip6', dir));
      case 'link': return linktype(this.s, v);
      case 'ip': return and(linktype(this.s, EtherType.IP), eq(rel.linkpl(this.s, 9, 1), v));
      case 'ip6': {
        const b0 = linktype(this.s, EtherType.IPV6);
        const viaFrag = and(eq(rel.linkpl(this.s, 6, 1), IpProto.FRAGMENT), eq(rel.linkpl(this.s, 40, 1), v));
        return and(b0, or(eq(rel.linkpl(this.s, 6, 1), v), viaFrag));
      }
      case 'iso':
        if (this.s.kind === 'chdlc') return and(linktype(this.s, LlcSap.ISONS), eq(rel.nosnap(this.s, 1, 1), v));
        return and(linktype(this.s, LlcSap.ISONS), eq(rel.nosnap(this.s, 0, 1), v));
      case 'isis': return and(this.proto(ISO_PROTOCOLS.isis!, 'iso', 'default'), eq(rel.nosnap(this.s, 4, 1), v));
      case 'arp': case 'rarp': return this.err(`${p} does not encapsulate another protocol`);
      default: return this.err(`'${p} proto' is bogus`);
    }
  }

  private protochain(v: number, p: string): Bool {
    // libpcap turns its optimiser off for protochain (the header walk jumps backwards).
    this.noOptimize = true;
    if (v > 255) this.err(`protocol number ${v} greater than maximum 255`);
    switch (p) {
      case 'default': return or(this.protochain(v, 'ip'), this.protochain(v, 'ip6'));
      case 'ip': case 'ip6': {
        if (this.s.linkpl.v) this.err("'protochain' not supported with variable length headers");
        const v6 = p === 'ip6';
        const nl = at(this.s.linkpl, this.s.nl);
        return and(linktype(this.s, v6 ? EtherType.IPV6 : EtherType.IP), { k: 'protochain', v6, nl, proto: v });
      }
      default: return this.err('bad protocol applied for \'protochain\'');
    }
  }

  // ---- hosts and nets ------------------------------------------------------------------------

  private hostop(addr: number, mask: number, dir: string, proto: number, srcOff: number, dstOff: number): Bool {
    switch (dir) {
      case 'src': case 'dst': {
        const b0 = linktype(this.s, proto);
        return and(b0, meq(rel.linkpl(this.s, dir === 'src' ? srcOff : dstOff, 4), addr, mask));
      }
      case 'and': return and(this.hostop(addr, mask, 'src', proto, srcOff, dstOff), this.hostop(addr, mask, 'dst', proto, srcOff, dstOff));
      case 'default': case 'or': return or(this.hostop(addr, mask, 'src', proto, srcOff, dstOff), this.hostop(addr, mask, 'dst', proto, srcOff, dstOff));
      case 'ra': case 'ta': return this.err(`'${dir}' is only supported on 802.11 with 802.11 headers`);
      default: return this.err(`'${dir}' and 'address${dir.slice(4)}' are not valid qualifiers for addresses other than 802.11 MAC addresses`);
    }
  }

  private host(addr: number, mask: number, p: string, dir: string, type: string): Bool {
    const typestr = type === 'net' ? 'net' : 'host';
    switch (p) {
      case 'default': {
        let b = this.host(addr, mask, 'ip', dir, type);
        if (this.s.labelStackDepth === 0) {
          b = or(b, this.host(addr, mask, 'arp', dir, type));
          b = or(b, this.host(addr, mask, 'rarp', dir, type));
        }
        return b;
      }
      case 'link': return this.err(`link-layer modifier applied to ${typestr}`);
      case 'ip': return this.hostop(addr, mask, dir, EtherType.IP, 12, 16);
      case 'rarp': return this.hostop(addr, mask, dir, EtherType.REVARP, 14, 24);
      case 'arp': return this.hostop(addr, mask, dir, EtherType.ARP, 14, 24);
      case 'decnet': return this.dnhostop(addr, dir);
      case 'ip6': return this.err(`'ip6' modifier applied to ip ${typestr}`);
      default: return this.err(`'${p}' modifier applied to ${typestr}`);
    }
  }

  private hostop6(a: number[], m: number[], dir: string, srcOff: number, dstOff: number): Bool {
    switch (dir) {
      case 'src': case 'dst': {
        const o = dir === 'src' ? srcOff : dstOff;
        // A word under a zero mask always matches; libpcap's optimiser deletes its load.
        let b: Bool = TRUE;
        for (let w = 3; w >= 0; w--) if (m[w] !== 0) b = and(meq(rel.linkpl(this.s, o + 4 * w, 4), a[w]!, m[w]!), b);
        return and(linktype(this.s, EtherType.IPV6), b);
      }
      case 'and': return and(this.hostop6(a, m, 'src', srcOff, dstOff), this.hostop6(a, m, 'dst', srcOff, dstOff));
      case 'default': case 'or': return or(this.hostop6(a, m, 'src', srcOff, dstOff), this.hostop6(a, m, 'dst', srcOff, dstOff));
      case 'ra': case 'ta': return this.err(`'${dir}' is only supported on 802.11 with 802.11 headers`);
      default: return this.err(`'${dir}' and 'address${dir.slice(4)}' are not valid qualifiers for addresses other than 802.11 MAC addresses`);
    }
  }

  private dnhostop(addr: number, dir: string): Bool {
    let sh: number, lh: number;
    switch (dir) {
      case 'dst': sh = 1; lh = 7; break;
      case 'src': sh = 3; lh = 15; break;
      case 'and': return and(this.dnhostop(addr, 'src'), this.dnhostop(addr, 'dst'));
      case 'default': case 'or': return or(this.dnhostop(addr, 'src'), this.dnhostop(addr, 'dst'));
      default: return this.err(`'${dir}' is not a valid qualifier for decnet addresses`);
    }
    // DECnet addresses are little-endian on the wire: libpcap compares against ntohs(addr).
    const sw = (v: number) => ((v & 0xff) << 8) | ((v >> 8) & 0xff);
    const L = (o: number, size: number) => rel.linkpl(this.s, o, size);
    let b1 = and(meq(L(2, 2), sw(0x0681), sw(0x07ff)), eq(L(2 + 1 + lh, 2), sw(addr)));
    b1 = or(and(meq(L(2, 1), 0x06, 0x07), eq(L(2 + lh, 2), sw(addr))), b1);
    b1 = or(and(meq(L(2, 2), sw(0x0281), sw(0x07ff)), eq(L(2 + 1 + sh, 2), sw(addr))), b1);
    b1 = or(and(meq(L(2, 1), 0x02, 0x07), eq(L(2 + sh, 2), sw(addr))), b1);
    return and(linktype(this.s, EtherType.DN), b1);
  }

  private ehostop(mac: number[], dir: string): Bool {
    switch (dir) {
      case 'src': return bcmp(this.s, 'linkhdr', 6, mac);
      case 'dst': return bcmp(this.s, 'linkhdr', 0, mac);
      case 'and': return and(this.ehostop(mac, 'src'), this.ehostop(mac, 'dst'));
      case 'default': case 'or': return or(this.ehostop(mac, 'src'), this.ehostop(mac, 'dst'));
      case 'ra': case 'ta': return this.err(`'${dir}' is only supported on 802.11 with 802.11 headers`);
      default: return this.err(`'${dir}' and 'address${dir.slice(4)}' are only supported on 802.11 with 802.11 headers`);
    }
  }

  private requireEthernet(): void {
    if (this.s.kind !== 'ether') this.err('ethernet addresses supported only on ethernet/FDDI/token ring/802.11/ATM LANE/Fibre Channel');
  }

  // ---- ports ------------------------------------------------------------------------------

  private portop(port: number, hi: number, proto: number, dir: string, v6: boolean): Bool {
    const atom = (o: number): Bool => {
      const v = v6 ? rel.linkpl(this.s, 40 + o, 2) : this.tranIpv4(o, 2);
      if (port === hi) return eq(v, port);
      const lo = Math.min(port, hi), up = Math.max(port, hi);
      // gen_portrangeatom loads the port twice: once per bound.
      const v2 = v6 ? rel.linkpl(this.s, 40 + o, 2) : this.tranIpv4(o, 2);
      return and(cmp('jge', v, K(lo)), not(cmp('jgt', v2, K(up))));
    };
    let b1: Bool;
    switch (dir) {
      case 'src': b1 = atom(0); break;
      case 'dst': b1 = atom(2); break;
      case 'and': b1 = and(atom(0), atom(2)); break;
      case 'default': case 'or': b1 = or(atom(0), atom(2)); break;
      case 'ra': case 'ta': return this.err(`'${dir}' is not a valid qualifier for ports`);
      default: return this.err(`'${dir}' and 'address${dir.slice(4)}' are not valid qualifiers for ports`);
    }
    if (v6) return and(eq(rel.linkpl(this.s, 6, 1), proto), b1);
    return and(and(eq(rel.linkpl(this.s, 9, 1), proto), this.ipfrag()), b1);
  }

  /** gen_port / gen_portrange for IPv4 OR'd with gen_port6 / gen_portrange6. */
  private port(lo: number, hi: number, proto: number, dir: string): Bool {
    const one = (v6: boolean): Bool => {
      const b0 = linktype(this.s, v6 ? EtherType.IPV6 : EtherType.IP);
      let b1: Bool;
      if (proto === PROTO_UNDEF) {
        b1 = or(or(this.portop(lo, hi, IpProto.TCP, dir, v6), this.portop(lo, hi, IpProto.UDP, dir, v6)), this.portop(lo, hi, IpProto.SCTP, dir, v6));
      } else b1 = this.portop(lo, hi, proto, dir, v6);
      return and(b0, b1);
    };
    const v4 = one(false);
    return or(v4, one(true));
  }

  /** A load relative to the IPv4 transport header (OR_TRAN_IPV4): ldxb 4*([nl]&0xf). */
  private tranIpv4(o: number, size: number): Val {
    const nl = at(this.s.linkpl, this.s.nl);
    const hlen: Val = { k: 'bin', op: '<<', a: { k: 'bin', op: '&', a: ld(1, nl), b: K(0xf) }, b: K(2) };
    return ld(size, { k: 'bin', op: '+', a: hlen, b: add(nl, o) });
  }

  private portProto(p: string, what: 'port' | 'portrange'): number {
    switch (p) {
      case 'udp': return IpProto.UDP;
      case 'tcp': return IpProto.TCP;
      case 'sctp': return IpProto.SCTP;
      case 'default': return PROTO_UNDEF;
      default: return this.err(`illegal qualifier of '${what}'`);
    }
  }

  /** pcap_nametoport over the built-in services table: the port and which protocol it names. */
  private nameToPort(name: string): [number, number] | null {
    if (/^[0-9]+$/.test(name)) return [parseInt(name, 10), PROTO_UNDEF];
    const e = SERVICES[name];
    if (!e) return null;
    const [tcp, udp, sctp] = e;
    if (tcp >= 0) return [tcp, udp === tcp ? PROTO_UNDEF : IpProto.TCP];
    if (udp >= 0) return [udp, IpProto.UDP];
    if (sctp >= 0) return [sctp, IpProto.SCTP];
    return null;
  }

  private checkRealProto(p: string, real: number, what: string, name: string): number {
    const pn = (n: number) => (n === IpProto.TCP ? 'tcp' : n === IpProto.UDP ? 'udp' : 'sctp');
    const want = p === 'udp' ? IpProto.UDP : p === 'tcp' ? IpProto.TCP : p === 'sctp' ? IpProto.SCTP : PROTO_UNDEF;
    if (want === PROTO_UNDEF) return real;
    if (real !== PROTO_UNDEF && real !== want) this.err(`${what} '${name}' is ${pn(real)}`);
    return want;
  }

  // ---- ids: gen_ncode, gen_scode, gen_mcode, gen_mcode6, gen_ecode ------------------------

  private id(q: Qual, id: IdValue): Bool {
    if (q.addr === 'undef') this.err('syntax error');
    switch (id.t) {
      case 'num': return this.ncode(null, id.n, q);
      case 'hid': return this.ncode(id.s, 0, q);
      case 'name': return this.scode(id.s, q);
      case 'hidlen': case 'hidmask': return this.mcode(id, q);
      case 'hid6': return this.mcode6(id.s, id.len, q);
      case 'eid': {
        if ((q.addr === 'host' || q.addr === 'default') && q.proto === 'link') {
          // gen_wlanhostop (address fields chosen by the to-DS/from-DS bits) is left out.
          this.wlanUnsupported('matching 802.11 MAC addresses (ether/wlan host, src, dst, ra, ta, addr1-4)');
          this.requireEthernet();
          return this.ehostop(parseMac(id.s), q.dir);
        }
        return this.err('ethernet address used in non-ether expression');
      }
      case 'aid': return this.err('ARCnet addresses supported only on ARCnet');
    }
  }

  private ncode(s: string | null, v: number, q: Qual): Bool {
    const { proto, dir } = q;
    let vlen = 32;
    if (s !== null) {
      if (proto === 'decnet') {
        const dn = /^(\d+)\.(\d+)$/.exec(s);
        if (!dn || parseInt(dn[1]!, 10) > 63 || parseInt(dn[2]!, 10) > 1023) this.err(`invalid DECnet address '${s}'`);
        v = ((parseInt(dn[1]!, 10) << 10) | parseInt(dn[2]!, 10)) & 0xffff;
        vlen = 16;
      } else {
        const r = atoin(s);
        if (!r) this.err(`invalid IPv4 address '${s}'`);
        [v, vlen] = r;
      }
    }
    switch (q.addr) {
      case 'default': case 'host': case 'net': {
        if (proto === 'decnet') {
          // A bare number is not a DECnet area.node address (newer libpcap rejects it; 1.10 read it as 0.N).
          if (s === null) this.err(`invalid DECnet address '${v}'`);
          return this.host(v, 0, proto, dir, q.addr);
        }
        if (proto === 'link') this.err('illegal link layer address');
        let mask = 0xffffffff;
        if (s === null && q.addr === 'net') {
          while (v && (v & 0xff000000) === 0) { v = (v << 8) >>> 0; mask = (mask << 8) >>> 0; }
        } else {
          // Promote a short address: `host 10.1` is 10.1.0.0 with mask 255.255.0.0.
          v = vlen === 0 ? 0 : (v << (32 - vlen)) >>> 0;
          mask = vlen === 0 ? 0 : (mask << (32 - vlen)) >>> 0;
        }
        return this.host(v, mask, proto, dir, q.addr);
      }
      case 'port': case 'portrange': {
        const real = this.portProto(proto, q.addr);
        if (v > 65535) this.err(`illegal port number ${v} > 65535`);
        return this.port(v, v, real, dir);
      }
      case 'gateway': return this.err("'gateway' requires a name");
      case 'proto': return this.proto(v, proto, dir);
      case 'protochain': return this.protochain(v, proto);
    }
    return this.err('syntax error');
  }

  private scode(name: string, q: Qual): Bool {
    const { proto, dir } = q;
    switch (q.addr) {
      case 'net': return this.err(`unknown network '${name}'`);
      case 'default': case 'host':
        if (proto === 'link') return this.err(`unknown ether host '${name}'`);
        return this.err(`unknown host '${name}'`);
      case 'port': {
        this.portProto(proto, 'port');
        const r = this.nameToPort(name);
        if (!r) this.err(`unknown port '${name}'`);
        const real = this.checkRealProto(proto, r[1], 'port', name);
        if (r[0] > 65535) this.err(`illegal port number ${r[0]} > 65535`);
        return this.port(r[0], r[0], real, dir);
      }
      case 'portrange': {
        this.portProto(proto, 'portrange');
        const m = /^(\d+)-(\d+)/.exec(name);
        let p1: number, p2: number, real: number;
        if (m) { p1 = parseInt(m[1]!, 10); p2 = parseInt(m[2]!, 10); real = PROTO_UNDEF; }
        else {
          const dash = name.indexOf('-');
          if (dash < 0) this.err(`unknown port in range '${name}'`);
          const a = this.nameToPort(name.slice(0, dash)), b = this.nameToPort(name.slice(dash + 1));
          if (!a || !b) this.err(`unknown port in range '${name}'`);
          [p1, p2] = [a[0], b[0]];
          real = a[1] === b[1] ? b[1] : PROTO_UNDEF;
        }
        real = this.checkRealProto(proto, real, 'port in range', name);
        if (p1 > 65535) this.err(`illegal port number ${p1} > 65535`);
        if (p2 > 65535) this.err(`illegal port number ${p2} > 65535`);
        return this.port(p1, p2, real, dir);
      }
      case 'gateway': return this.err(`unknown host '${name}'`);
      case 'proto': return this.proto(this.lookupProto(name, proto), proto, dir);
      case 'protochain': return this.protochain(this.lookupProto(name, proto), proto);
    }
    return this.err('syntax error');
  }

  private lookupProto(name: string, p: string): number {
    switch (p) {
      case 'default': case 'ip': case 'ip6': {
        const v = PROTOCOLS[name];
        if (v === undefined) this.err(`unknown ip proto '${name}'`);
        return v;
      }
      case 'link': {
        const v = ETHER_PROTOCOLS[name];
        if (v === undefined) this.err(`unknown ether proto '${name}'`);
        return v;
      }
      case 'iso': {
        const v = ISO_PROTOCOLS[name];
        if (v === undefined) this.err(`unknown osi proto '${name}'`);
        return v;
      }
      default: return this.err(`unknown protocol: ${name}`);
    }
  }

  private mcode(id: Extract<IdValue, { t: 'hidlen' } | { t: 'hidmask' }>, q: Qual): Bool {
    const r = atoin(id.s);
    if (!r) this.err(`invalid IPv4 address '${id.s}'`);
    const n = r[1] === 0 ? 0 : (r[0] << (32 - r[1])) >>> 0;
    let m: number;
    if (id.t === 'hidmask') {
      const mr = atoin(id.mask);
      if (!mr) this.err(`invalid IPv4 address '${id.mask}'`);
      m = mr[1] === 0 ? 0 : (mr[0] << (32 - mr[1])) >>> 0;
      if ((n & ~m) >>> 0) this.err(`non-network bits set in "${id.s} mask ${id.mask}"`);
    } else {
      if (id.len > 32) this.err('mask length must be <= 32');
      m = id.len === 0 ? 0 : (0xffffffff << (32 - id.len)) >>> 0;
      if ((n & ~m) >>> 0) this.err(`non-network bits set in "${id.s}/${id.len}"`);
    }
    if (q.addr !== 'net') this.err('Mask syntax for networks only');
    if (q.proto === 'decnet') this.err("'decnet' is not a valid qualifier for 'net'");
    return this.host(n, m, q.proto, q.dir, q.addr);
  }

  private mcode6(s: string, len: number, q: Qual): Bool {
    if (!isIPv6(s)) this.err(`invalid ip6 address ${s}`);
    if (len > 128) this.err('mask length must be <= 128');
    const a = parseIPv6(s);
    const m = [0, 0, 0, 0].map((_, i) => {
      const bits = Math.max(0, Math.min(32, len - 32 * i));
      return bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
    });
    if (a.some((w, i) => (w & ~m[i]!) >>> 0)) this.err(`non-network bits set in "${s}/${len}"`);
    if (q.addr === 'default' || q.addr === 'host') {
      if (len !== 128) this.err('Mask syntax for networks only');
    } else if (q.addr !== 'net') this.err('invalid qualifier against IPv6 address');
    switch (q.proto) {
      case 'default': case 'ip6': return this.hostop6(a, m, q.dir, 8, 24);
      case 'link': return this.err(`link-layer modifier applied to ip6 ${q.addr === 'net' ? 'net' : 'host'}`);
      default: return this.err(`'${q.proto}' modifier applied to ip6 ${q.addr === 'net' ? 'net' : 'host'}`);
    }
  }

  // ---- arithmetic ------------------------------------------------------------------------

  private arth(a: Arth): ArthVal {
    const leaf = (v: Val): ArthVal => { const reg = this.alloc(); return { v, cond: null, reg, stores: [{ r: reg, v }] }; };
    switch (a.k) {
      case 'num': return leaf(K(a.v));
      case 'len': return leaf({ k: 'len' });
      case 'neg': {
        const x = this.arth(a.a);
        const v: Val = { k: 'neg', a: x.v };
        return { v, cond: x.cond, reg: x.reg, stores: [...x.stores, { r: x.reg, v }] };
      }
      case 'bin': {
        const x = this.arth(a.a), y = this.arth(a.b);
        this.pos = a.pos;
        if (y.v.k === 'k' && y.v.v === 0 && (a.op === '/' || a.op === '%')) this.err(a.op === '/' ? 'division by zero' : 'modulus by zero');
        // gen_arth keeps only the LEFT operand's protocol test: in `ip[12:4] - icmp[9:2] > 0`
        // libpcap never checks that the packet is ICMP. Copied as is.
        const v: Val = { k: 'bin', op: a.op, a: x.v, b: y.v };
        this.free(x.reg);
        this.free(y.reg);
        const reg = this.alloc();
        return { v, cond: x.cond, reg, stores: [...x.stores, ...y.stores, { r: reg, v }] };
      }
      case 'load': return this.load(a.proto, this.arth(a.index), a.size, a.pos);
    }
  }

  /** gen_load: `proto[index:size]` with the protocol test that must hold before reading. */
  private load(p: string, idx: ArthVal, size: number, pos: number): ArthVal {
    // gen_load: a register for the result first, then the index's is freed.
    const reg = this.alloc();
    this.free(idx.reg);
    const r = this.loadValue(p, idx, size, pos);
    return { v: r.v, cond: r.cond, reg, stores: [...idx.stores, { r: reg, v: r.v }] };
  }

  private loadValue(p: string, idx: ArthVal, size: number, pos: number): { v: Val; cond: Bool | null } {
    this.pos = pos;
    if (size !== 1 && size !== 2 && size !== 4) this.err('data size must be 1, 2, or 4');
    const s = this.s;
    if (p === 'link') return { v: ld(size, addVal(at(s.linkhdr, 0), idx.v)), cond: idx.cond };
    if (NET_PROTOS.has(p)) {
      const v = ld(size, addVal(at(s.linkpl, s.nl), idx.v));
      return { v, cond: andc(idx.cond, this.protoAbbrev(p)) };
    }
    if (TRANSPORT_PROTOS.has(p)) {
      const nl = at(s.linkpl, s.nl);
      const hlen: Val = { k: 'bin', op: '<<', a: { k: 'bin', op: '&', a: ld(1, nl), b: K(0xf) }, b: K(2) };
      const v = ld(size, addVal({ k: 'bin', op: '+', a: hlen, b: nl }, idx.v));
      const b = and(this.protoAbbrev(p), this.ipfrag());
      return { v, cond: and(this.protoAbbrev('ip'), andc(idx.cond, b)!) };
    }
    if (p === 'icmp6') {
      const v = ld(size, addVal(at(s.linkpl, s.nl + 40), idx.v));
      const b = and(linktype(s, EtherType.IPV6), eq(rel.linkpl(s, 6, 1), IpProto.ICMPV6));
      return { v, cond: andc(idx.cond, b) };
    }
    if (p === 'radio') {
      // Relative to the start of the packet, i.e. of the radiotap header.
      if (s.kind !== 'wlan' || !s.wlan?.radiotap) this.err('radio information not present in capture');
      return { v: ld(size, addVal(K(0), idx.v)), cond: idx.cond };
    }
    return this.err('unsupported index operation');
  }

  private relation(op: 'jgt' | 'jge' | 'jeq', reversed: boolean, a: Arth, b: Arth): Bool {
    const x = this.arth(a), y = this.arth(b);
    // Marked opaque: libpcap's optimiser does not fold a user relation (computed through the
    // scratch registers) against the primitives' own tests; see unsat.ts.
    let c: Bool = { k: 'cmp', op, a: x.v, b: y.v, opaque: true };
    if (reversed) c = not(c);
    if (this.scratch) {
      this.free(x.reg);
      this.free(y.reg);
      // The stores run in the relation's block, after its protocol tests, before the compare.
      const ph: Bool = { k: 'set', r: -1, v: K(0) };
      this.relStores.push({ ph, stores: [...x.stores, ...y.stores] });
      c = and(ph, c);
    }
    const cond = andc(x.cond, y.cond);
    return cond ? and(cond, c) : c;
  }

  // ---- the `other` productions -------------------------------------------------------------

  private other(n: Extract<Node, { k: 'other' }>): Bool {
    const s = this.s;
    switch (n.what) {
      case 'less': return not(cmp('jgt', { k: 'len' }, K(n.num!)));
      case 'greater': return cmp('jge', { k: 'len' }, K(n.num!));
      case 'byte': {
        if (n.num2! > 255) this.err(`byte argument ${n.num2} greater than maximum 255`);
        const v = rel.linkhdr(s, n.num!, 1);
        switch (n.op) {
          case '=': return eq(v, n.num2!);
          case '<': return not(cmp('jge', v, K(n.num2!)));
          case '>': return cmp('jgt', v, K(n.num2!));
          default: return not(eq({ k: 'bin', op: n.op!, a: v, b: K(n.num2!) }, 0));
        }
      }
      case 'broadcast': return this.broadcast(n.proto ?? 'default');
      case 'multicast': return this.multicast(n.proto ?? 'default');
      case 'inbound': case 'outbound': {
        let b: Bool;
        if (s.kind === 'sll') b = eq(rel.linkhdr(s, 0, 2), 4);
        else if (s.kind === 'sll2') b = eq(rel.linkhdr(s, 10, 1), 4);
        else return this.err(`inbound/outbound not supported on ${s.name} when reading savefiles`);
        return n.what === 'inbound' ? not(b) : b;
      }
      case 'ifindex':
        if (s.kind !== 'sll2') this.err(`ifindex not supported on ${s.name} when reading savefiles`);
        return eq(rel.linkhdr(s, 4, 4), n.num!);
      case 'vlan': return this.vlan(n.num);
      case 'mpls': return this.mpls(n.num);
      case 'pppoed': return linktype(s, EtherType.PPPOED);
      case 'pppoes': return this.pppoes(n.num);
      case 'geneve': return this.geneve(n.num);
      case 'vxlan': return this.vxlan(n.num);
      case 'llc': return this.llc(n.arg);
      case 'wlan': return this.p80211(n.num!, n.num2!);
    }
    return this.err(`'${n.what}' is not supported`);
  }

  /** gen_p80211_type (mask on byte 0) / gen_p80211_fcdir (mask 3 on byte 1). */
  private p80211(value: number, mask: number): Bool {
    const dir = mask === 3;
    if (this.s.kind !== 'wlan') this.err(dir ? 'frame direction supported only with 802.11 headers' : '802.11 link-layer types supported only on 802.11');
    return wlanFcCompare(this.s, dir ? 1 : 0, value, mask);
  }

  private broadcast(p: string): Bool {
    if (p === 'default' || p === 'link') {
      this.wlanUnsupported('link-layer broadcast');
      if (this.s.kind !== 'ether') this.err('not a broadcast link');
      return this.ehostop([0xff, 0xff, 0xff, 0xff, 0xff, 0xff], 'dst');
    }
    if (p === 'ip') {
      if (this.netmask >>> 0 === 0xffffffff) this.err("netmask not known, so 'ip broadcast' not supported");
      const hostmask = ~this.netmask >>> 0;
      const b0 = linktype(this.s, EtherType.IP);
      const b1 = meq(rel.linkpl(this.s, 16, 4), 0, hostmask);
      const b2 = meq(rel.linkpl(this.s, 16, 4), hostmask, hostmask);
      return and(b0, or(b1, b2));
    }
    return this.err('only link-layer/IP broadcast filters supported');
  }

  private multicast(p: string): Bool {
    if (p === 'default' || p === 'link') {
      this.wlanUnsupported('link-layer multicast');
      if (this.s.kind !== 'ether') this.err('link-layer multicast filters supported only on ethernet/FDDI/token ring/ARCNET/802.11/ATM LANE/Fibre Channel');
      return cmp('jset', rel.linkhdr(this.s, 0, 1), K(1));
    }
    if (p === 'ip') return and(linktype(this.s, EtherType.IP), cmp('jge', rel.linkpl(this.s, 16, 1), K(224)));
    if (p === 'ip6') return and(linktype(this.s, EtherType.IPV6), eq(rel.linkpl(this.s, 24, 1), 255));
    return this.err('link-layer multicast filters supported only on ethernet/FDDI/token ring/ARCNET/802.11/ATM LANE/Fibre Channel');
  }

  private vlan(num: number | undefined): Bool {
    const s = this.s;
    if (s.labelStackDepth > 0) this.err('no VLAN match after MPLS');
    // 1.10 reads 802.1Q tags after an 802.11 LLC/SNAP header too (gen_vlan_no_bpf_extensions).
    if (s.kind !== 'ether' && s.kind !== 'wlan') this.err(`no VLAN support for ${s.name}`);
    let b = or(or(linktype(s, EtherType.VLAN_8021Q), linktype(s, EtherType.QINQ_88A8)), linktype(s, EtherType.QINQ_9100));
    if (num !== undefined) {
      if (num > 4095) this.err(`VLAN tag ${num} greater than maximum 4095`);
      b = and(b, meq(rel.linkpl(s, 0, 2), num, 0x0fff));
    }
    // Both the payload and the type field move past the tag, for everything after this.
    s.linkpl = off(s.linkpl.k + 4, s.linkpl.v);
    s.linktype = off(s.linktype!.k + 4, s.linktype!.v);
    s.vlanStackDepth++;
    return b;
  }

  private mpls(num: number | undefined): Bool {
    const s = this.s;
    let b: Bool;
    if (s.labelStackDepth > 0) b = meq(rel.prevmpls(s, 2, 1), 0, 0x01);
    else if (s.kind === 'ether' || s.kind === 'chdlc') b = linktype(s, EtherType.MPLS);
    else if (s.kind === 'ppp' && (s.dlt === 9 || s.linkhdr.k > 0)) b = linktype(s, 0x0281);
    else return this.err(`no MPLS support for ${s.name}`);
    if (num !== undefined) {
      if (num > 0xfffff) this.err(`MPLS label ${num} greater than maximum 1048575`);
      b = and(b, meq(rel.linkpl(s, 0, 4), (num << 12) >>> 0, 0xfffff000));
    }
    s.nlNosnap += 4;
    s.nl += 4;
    s.labelStackDepth++;
    return b;
  }

  private pppoes(num: number | undefined): Bool {
    const s = this.s;
    // libpcap 1.10 then stores the radiotap length in the PPP header's register and never sets
    // the one its earlier 802.11 tests read: not reproducible without its register allocator.
    if (s.wlan?.radiotap) this.wlanUnsupported("'pppoes'");
    let b = linktype(s, EtherType.PPPOES);
    if (num !== undefined) {
      if (num > 0xffff) this.err(`PPPoE session number ${num} greater than maximum 65535`);
      b = and(b, meq(rel.linkpl(s, 0, 4), num, 0xffff));
    }
    // From here on the packet is PPP: type field after the 6-byte PPPoE header.
    s.linkhdr = off(s.linkpl.k + s.nl + 6, s.linkpl.v);
    s.linktype = s.linkhdr;
    s.linkpl = off(s.linkhdr.k + 2, s.linkhdr.v);
    s.nl = 0;
    s.nlNosnap = 0;
    s.kind = 'ppp';
    s.name = 'PPP';
    return b;
  }

  private geneve(vni: number | undefined): Bool {
    const s = this.s;
    // libpcap's 802.11 prologue then computes the Geneve payload register instead of the
    // 802.11 one (it reads the offsets as left after parsing): left out.
    this.wlanUnsupported("'geneve'");
    if (vni !== undefined && vni > 0xffffff) this.err(`Geneve VNI ${vni} greater than maximum 16777215`);
    const rHdrlen = this.nextReg++;
    const check = (v6: boolean): Bool => {
      const tran = (o: number, size: number) => (v6 ? rel.linkpl(s, 40 + o, size) : this.tranIpv4(o, size));
      let b = and(linktype(s, v6 ? EtherType.IPV6 : EtherType.IP), this.portop(GENEVE_PORT, GENEVE_PORT, IpProto.UDP, 'dst', v6));
      b = and(b, meq(tran(8, 1), 0, 0xc0));
      if (vni !== undefined) b = and(b, meq(tran(12, 4), (vni << 8) >>> 0, 0xffffff00));
      const hl: Val = v6 ? K(40) : { k: 'bin', op: '<<', a: { k: 'bin', op: '&', a: ld(1, at(s.linkpl, s.nl)), b: K(0xf) }, b: K(2) };
      return and(b, { k: 'set', r: rHdrlen, v: hl });
    };
    const b0 = or(check(false), check(true));
    // gen_geneve_offsets: where the Geneve header, its protocol field and its payload are.
    const rG = this.nextReg++, rType = this.nextReg++, rHdr = this.nextReg++, rPl = this.nextReg++;
    const base = s.linkpl.v ? { k: 'bin', op: '+', a: { k: 'reg', r: rHdrlen }, b: s.linkpl.v } as Val : { k: 'reg', r: rHdrlen } as Val;
    const G: Val = { k: 'reg', r: rG };
    const optlen: Val = { k: 'bin', op: '*', a: { k: 'bin', op: '&', a: ld(1, G), b: K(0x3f) }, b: K(4) };
    let offs: Bool = { k: 'set', r: rG, v: add(base, s.linkpl.k + s.nl + 8) };
    offs = and(offs, { k: 'set', r: rType, v: add(G, 2) });
    offs = and(offs, { k: 'set', r: rHdr, v: { k: 'bin', op: '+', a: add(optlen, 8), b: G } });
    const hdr: Val = { k: 'reg', r: rHdr };
    const teb = and({ k: 'set', r: rType, v: add(hdr, 12) }, { k: 'set', r: rPl, v: add(hdr, 14) });
    offs = and(offs, { k: 'if', c: eq(ld(2, add(G, 2)), EtherType.TEB), a: teb, b: { k: 'set', r: rPl, v: hdr } });
    s.linkhdr = off(0, hdr);
    s.linktype = off(0, { k: 'reg', r: rType });
    s.linkpl = off(0, { k: 'reg', r: rPl });
    s.nl = 0;
    s.nlNosnap = 0;
    s.kind = 'ether';
    s.isGeneve = true;
    return and(b0, offs);
  }

  /**
   * `vxlan [vni]` (libpcap 1.11+, not in Debian's 1.10): UDP destination port 4789, the I flag
   * set, then everything after it reads the inner Ethernet frame 16 bytes past the UDP header.
   */
  private vxlan(vni: number | undefined): Bool {
    const s = this.s;
    this.wlanUnsupported("'vxlan'");
    if (vni !== undefined && vni > 0xffffff) this.err(`VXLAN VNI ${vni} greater than maximum 16777215`);
    const rHdrlen = this.nextReg++;
    const check = (v6: boolean): Bool => {
      const tran = (o: number, size: number) => (v6 ? rel.linkpl(s, 40 + o, size) : this.tranIpv4(o, size));
      let b = and(linktype(s, v6 ? EtherType.IPV6 : EtherType.IP), this.portop(4789, 4789, IpProto.UDP, 'dst', v6));
      b = and(b, eq(tran(8, 1), 0x08));
      if (vni !== undefined) b = and(b, meq(tran(12, 4), (vni << 8) >>> 0, 0xffffff00));
      const hl: Val = v6 ? K(40) : { k: 'bin', op: '<<', a: { k: 'bin', op: '&', a: ld(1, at(s.linkpl, s.nl)), b: K(0xf) }, b: K(2) };
      return and(b, { k: 'set', r: rHdrlen, v: hl });
    };
    const b0 = or(check(false), check(true));
    const rHdr = this.nextReg++;
    const base = s.linkpl.v ? { k: 'bin', op: '+', a: { k: 'reg', r: rHdrlen }, b: s.linkpl.v } as Val : { k: 'reg', r: rHdrlen } as Val;
    const offs: Bool = { k: 'set', r: rHdr, v: add(base, s.linkpl.k + s.nl + 16) };
    const hdr: Val = { k: 'reg', r: rHdr };
    s.linkhdr = off(0, hdr);
    s.linktype = off(12, hdr);
    s.linkpl = off(14, hdr);
    s.nl = 0;
    s.nlNosnap = 3;
    s.kind = 'ether';
    return and(b0, offs);
  }

  private llc(arg: string | undefined): Bool {
    const s = this.s;
    if (s.kind !== 'ether' && s.kind !== 'wlan') this.err(`'llc' not supported for ${s.name}`);
    // gen_llc: an 802.3 length field and not Novell "raw" 802.3 (0xFFFF); on 802.11 every data
    // frame is taken to carry 802.2.
    const base = s.kind === 'wlan' ? wlanDataFrame(s) : and(isLength(s), not(eq(rel.llc(s, 0, 2), 0xffff)));
    if (arg === undefined) return base;
    const ctl = rel.llc(s, 2, 1);
    const S: Record<string, number> = { rr: 0x01, rnr: 0x05, rej: 0x09 };
    const U: Record<string, number> = { ui: 0x03, ua: 0x63, disc: 0x43, dm: 0x0f, sabme: 0x6f, test: 0xe3, xid: 0xaf, frmr: 0x87 };
    const a = arg.toLowerCase();
    if (a === 'i') return and(base, not(cmp('jset', ctl, K(0x01))));
    if (a === 's') return and(base, meq(ctl, 0x01, 0x03));
    if (a === 'u') return and(base, meq(ctl, 0x03, 0x03));
    if (S[a] !== undefined) return and(base, meq(ctl, S[a]!, 0x0f));
    if (U[a] !== undefined) return and(base, meq(ctl, U[a]!, 0xef));
    return this.err(`unknown LLC type name "${arg}"`);
  }
}

const isLength = (s: LinkState): Bool => not(cmp('jgt', rel.linktype(s, 0, 2), K(1500)));

function addVal(a: Val, b: Val): Val {
  if (b.k === 'k') return add(a, b.v);
  if (a.k === 'k' && a.v === 0) return b;
  return { k: 'bin', op: '+', a: b, b: a };
}

/** __pcap_atoin: dotted IPv4 prefix -> [value, number of bits given]. */
function atoin(s: string): [number, number] | null {
  const parts = s.split('.');
  let v = 0;
  for (const p of parts) {
    const n = /^0[xX]/.test(p) ? parseInt(p, 16) : parseInt(p, 10);
    if (!Number.isFinite(n) || n > 255) return null;
    v = ((v << 8) | n) >>> 0;
  }
  return [v, parts.length * 8];
}

function parseIPv6(s: string): number[] {
  let text = s;
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (v4) {
    const b = v4[1]!.split('.').map(Number);
    text = text.slice(0, -v4[1]!.length) + `${((b[0]! << 8) | b[1]!).toString(16)}:${((b[2]! << 8) | b[3]!).toString(16)}`;
  }
  const [head, tail] = text.includes('::') ? text.split('::') : [text, null];
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const groups = tail === null ? h : [...h, ...new Array(8 - h.length - t.length).fill('0'), ...t];
  const w: number[] = [];
  for (let i = 0; i < 4; i++) w.push(((parseInt(groups[2 * i]!, 16) << 16) | parseInt(groups[2 * i + 1]!, 16)) >>> 0);
  return w;
}

/** pcap_ether_aton over the scanner's MAC forms: a:b:c:d:e:f, a-b-..., a.b...., aabb.ccdd.eeff, aabbccddeeff. */
function parseMac(s: string): number[] {
  let parts: string[];
  if (/^[0-9A-Fa-f]{12}$/.test(s)) parts = s.match(/../g)!;
  else if (/^[0-9A-Fa-f]{4}\.[0-9A-Fa-f]{4}\.[0-9A-Fa-f]{4}$/.test(s)) parts = s.replace(/\./g, '').match(/../g)!;
  else parts = s.split(/[:.\-]/);
  return parts.map((p) => parseInt(p, 16));
}

