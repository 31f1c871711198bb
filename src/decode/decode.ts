/**
 * The packet decoder: walks one packet's headers from the link layer inwards and records
 * each layer (type, header start, header end, one detail number) in a caller-owned
 * DecodeRecord. Tunnels re-enter the same loop with their inner frame (Suricata's idea),
 * so any nesting decodes, bounded by `maxTunnelDepth` and by MAX_LAYERS.
 *
 * Hot path (the hot-path rules of the team guide): one function, one loop over a `next`
 * state number and a handful of local integers; no objects, closures, strings or arrays are
 * created per packet. Every read is preceded by a length check against `lim`, the end of the
 * innermost enclosing datagram clipped to the captured bytes, so nothing is read past
 * `offset + caplen`, and Ethernet padding after an IP datagram is never taken for payload.
 *
 * Why one big function: the state lives in locals (registers), which measured about 1.6x
 * faster than sharing it through module variables with per-protocol step functions. The
 * price is V8's handling of a big function that deoptimizes on a cold branch; the warm-up
 * at the end of this file (warmup.ts) makes every branch run once at load time.
 *
 * Damage stops decoding and records the first reason in `rec.anomaly` (anomalies.ts).
 */
import { PacketBatch } from '../core/batch.js';
import { LinkType } from '../core/linktypes.js';
import { Anomaly } from './anomalies.js';
import { DecodeRecord, Layer, LayerFlag, MAX_LAYERS } from './record.js';
import { ETHERNET_HEADER_LENGTH, ETHERTYPE_MIN, EtherType } from '../protocols/ethernet.js';
import { VLAN_TAG_LENGTH } from '../protocols/vlan.js';
import { MPLS_ENTRY_LENGTH, MPLS_PW_CW_LENGTH } from '../protocols/mpls.js';
import { PPPOE_LAYER_LENGTH } from '../protocols/pppoe.js';
import { C_HDLC_HEADER_LENGTH, PppProtocol } from '../protocols/ppp.js';
import { SLL2_HEADER_LENGTH, SLL_HEADER_LENGTH, SllProtocol } from '../protocols/sll.js';
import { BsdAf, NULL_HEADER_LENGTH, isInet6Family, nullFamily } from '../protocols/null.js';
import { SNAP_HEADER_LENGTH, isSnap, llcHeaderLength } from '../protocols/llc.js';
import { ARP_FIXED_LENGTH, arpLength } from '../protocols/arp.js';
import { IPV4_MIN_HEADER_LENGTH, IpProto } from '../protocols/ipv4.js';
import { IPV6_HEADER_LENGTH, ipv6ExtensionLength } from '../protocols/ipv6.js';
import { TCP_MIN_HEADER_LENGTH } from '../protocols/tcp.js';
import { UDP_HEADER_LENGTH, UdpPort } from '../protocols/udp.js';
import { ICMP_HEADER_LENGTH, icmpIsEcho, icmpIsError } from '../protocols/icmp.js';
import { ICMPV6_ERROR_HEADER_LENGTH, ICMPV6_MIN_LENGTH, icmpv6IsEcho, icmpv6IsError } from '../protocols/icmpv6.js';
import { SCTP_COMMON_HEADER_LENGTH } from '../protocols/sctp.js';
import { GRE_BASE_LENGTH, GreFlag, greFixedLength } from '../protocols/gre.js';
import { ERSPAN_III_HEADER_LENGTH, ERSPAN_III_PLATFORM_LENGTH, ERSPAN_II_HEADER_LENGTH, ErspanFrameType } from '../protocols/erspan.js';
import { VXLAN_HEADER_LENGTH } from '../protocols/vxlan.js';
import { GENEVE_HEADER_LENGTH, geneveOptionsValid } from '../protocols/geneve.js';
import { TZSP_HEADER_LENGTH, TZSP_VERSION, TzspEncapsulation, TzspTag } from '../protocols/tzsp.js';
import { CISCO_METADATA_LENGTH } from '../protocols/cisco-metadata.js';
import { FABRICPATH_HEADER_LENGTH } from '../protocols/fabricpath.js';
import { VNTAG_LENGTH } from '../protocols/vntag.js';
import { PBB_HEADER_LENGTH } from '../protocols/pbb.js';
import {
  IEEE80211_CONTROL_MIN_LENGTH,
  IEEE80211_FCS_LENGTH,
  IEEE80211_HEADER_LENGTH,
  IEEE80211_TYPE_CONTROL,
  IEEE80211_TYPE_DATA,
  RADIOTAP_MIN_LENGTH,
  ieee80211CarriesLlc,
  ieee80211DataHeaderLength,
  ieee80211Type,
  RADIOTAP_FLAG_DATAPAD,
  RADIOTAP_FLAG_FCS,
  ieee80211Version,
  radiotapFlags,
  radiotapLength,
} from '../protocols/ieee80211.js';
import { warmupFrames } from './warmup.js';
import { decodePlain } from './plain.js';

export interface DecodeOptions {
  /** Encapsulations (GRE, VXLAN, GENEVE, TZSP, IP-in-IP) to enter at most; default 8. */
  maxTunnelDepth?: number;
  /** Extra UDP ports carrying VXLAN besides 4789. */
  vxlanPorts?: readonly number[];
  /** Extra UDP ports carrying GENEVE besides 6081. */
  genevePorts?: readonly number[];
}

export const DEFAULT_MAX_TUNNEL_DEPTH = 8;

/** Decoder states: which header is expected at `off`. */
const S = {
  DONE: 0,
  ETHERNET: 1,
  ETHERTYPE: 2, // dispatch on `etype`
  SLL: 3,
  SLL2: 4,
  NULL: 5,
  LOOP: 6,
  PPP: 7, // optional 0xff03, then the protocol field
  PPP_PROTO: 8, // dispatch on `etype` holding a PPP protocol number
  CHDLC: 9,
  VLAN: 10,
  MPLS: 11,
  PPPOE: 12,
  LLC: 13,
  ARP: 14,
  IPV4: 15,
  IPV6: 16,
  IPV6_EXT: 17,
  IPPROTO: 18, // dispatch on `proto`
  TCP: 19,
  UDP: 20,
  ICMP: 21,
  ICMPV6: 22,
  SCTP: 23,
  GRE: 24,
  ERSPAN_I: 25,
  ERSPAN_II: 26,
  ERSPAN_III: 27,
  VXLAN: 28,
  GENEVE: 29,
  TZSP: 30,
  CISCO_METADATA: 31,
  MPLS_PW_CW: 32,
  IP_BY_NIBBLE: 33, // IPv4 or IPv6 by the version nibble, else data
  DATA: 34,
  FABRICPATH: 35, // an Ethernet frame whose EtherType is 0x8903: the outer header first
  VNTAG: 36,
  PBB: 37,
  RADIOTAP: 38,
  IEEE80211: 39,
} as const;

const EMPTY_PORTS: readonly number[] = [];

/**
 * Next state for an EtherType, short-cutting the two common ones so that a plain
 * Ethernet/IP packet does not spend a loop turn in the ETHERTYPE dispatch state.
 */
function afterEtherType(t: number): number {
  return t === EtherType.IPV4 ? S.IPV4 : t === EtherType.IPV6 ? S.IPV6 : S.ETHERTYPE;
}

/** Same for IP protocol numbers: TCP and UDP skip the IPPROTO dispatch state. */
function afterIpProto(p: number): number {
  return p === IpProto.TCP ? S.TCP : p === IpProto.UDP ? S.UDP : S.IPPROTO;
}

function portIn(port: number, list: readonly number[]): boolean {
  for (let k = 0; k < list.length; k++) if (list[k] === port) return true;
  return false;
}

/**
 * Decodes packet `i` of `batch` into `rec` (which is reset first). Never throws on packet
 * content and never reads outside the packet's captured bytes.
 */
export function decodePacket(batch: PacketBatch, i: number, rec: DecodeRecord, opts?: DecodeOptions): void {
  // Extra tunnel ports change what a plain UDP packet is: only the general loop knows them.
  if ((opts === undefined || (opts.vxlanPorts === undefined && opts.genevePorts === undefined)) && decodePlain(batch, i, rec)) return;
  decodeLayers(batch, i, rec, opts);
}

/** The general decoder: decodePacket without its shortcut for plain packets (plain.ts). */
export function decodeLayers(batch: PacketBatch, i: number, rec: DecodeRecord, opts?: DecodeOptions): void {
  const data = batch.data;
  const view = batch.view;
  const start = batch.offset[i];
  const end = start + batch.caplen[i];
  rec.reset(end);

  const maxDepth = opts?.maxTunnelDepth ?? DEFAULT_MAX_TUNNEL_DEPTH;
  const vxlanPorts = opts?.vxlanPorts ?? EMPTY_PORTS;
  const genevePorts = opts?.genevePorts ?? EMPTY_PORTS;

  const types = rec.layerType;
  const starts = rec.layerStart;
  const ends = rec.layerEnd;
  const infos = rec.layerInfo;
  const flagsArr = rec.layerFlags;

  let off = start;
  /** End of the innermost enclosing datagram, clipped to the captured bytes. */
  let lim = end;
  let etype = 0;
  let proto = 0;
  /** LayerFlag.QUOTED while decoding the datagram quoted in an ICMP error. */
  let quoted = 0;
  let depth = 0;
  /** Whether the innermost IP header is IPv6 (extension headers apply). */
  let inV6 = false;
  /** The GRE header that carries the current payload had a sequence number (ERSPAN II vs I). */
  let greSeq = false;
  let anomaly = 0;
  let n = 0;

  let next: number;
  switch (batch.linktype[i]) {
    case LinkType.ETHERNET:
      next = S.ETHERNET;
      break;
    case LinkType.LINUX_SLL:
      next = S.SLL;
      break;
    case LinkType.LINUX_SLL2:
      next = S.SLL2;
      break;
    case LinkType.NULL:
      next = S.NULL;
      break;
    case LinkType.LOOP:
      next = S.LOOP;
      break;
    case LinkType.RAW:
    case LinkType.IPV4:
    case LinkType.IPV6:
      // As tshark does, trust the version nibble over the link type's promise.
      next = S.IP_BY_NIBBLE;
      break;
    case LinkType.PPP:
    case LinkType.PPP_HDLC:
      next = S.PPP;
      break;
    case LinkType.C_HDLC:
      next = S.CHDLC;
      break;
    case LinkType.IEEE802_11:
      next = S.IEEE80211;
      break;
    case LinkType.IEEE802_11_RADIOTAP:
      next = S.RADIOTAP;
      break;
    default:
      next = S.DONE;
      anomaly = Anomaly.unknown_linktype;
  }

  // Each state either records a layer (at most MAX_LAYERS) or moves to one that does, so the
  // loop is bounded; `guard` is a belt-and-braces bound on dispatch-only steps.
  let guard = 4 * MAX_LAYERS;
  while (next !== S.DONE && guard-- > 0) {
    if (n >= MAX_LAYERS) {
      anomaly = Anomaly.too_many_layers;
      break;
    }
    const avail = lim - off;
    switch (next) {
      case S.ETHERNET: {
        if (avail < ETHERNET_HEADER_LENGTH) {
          anomaly = Anomaly.ethernet_truncated;
          next = S.DONE;
          break;
        }
        const t = view.getUint16(off + 12);
        if (t === EtherType.FABRICPATH) {
          next = S.FABRICPATH;
          break;
        }
        types[n] = Layer.ETHERNET;
        starts[n] = off;
        off += ETHERNET_HEADER_LENGTH;
        ends[n] = off;
        infos[n] = t;
        flagsArr[n++] = quoted;
        if (t >= ETHERTYPE_MIN) {
          etype = t;
          next = afterEtherType(t);
        } else if (t <= 1500) {
          // 802.3 length: bounds the LLC frame (what follows is padding).
          if (off + t < lim) lim = off + t;
          next = S.LLC;
        } else next = S.DATA;
        break;
      }
      case S.ETHERTYPE:
        switch (etype) {
          case EtherType.IPV4:
            next = S.IPV4;
            break;
          case EtherType.IPV6:
            next = S.IPV6;
            break;
          case EtherType.VLAN:
          case EtherType.QINQ:
          case EtherType.QINQ_9100:
            next = S.VLAN;
            break;
          case EtherType.MPLS:
          case EtherType.MPLS_MULTICAST:
            next = S.MPLS;
            break;
          case EtherType.ARP:
            next = S.ARP;
            break;
          case EtherType.RARP:
            // Cisco HDLC reuses 0x8035 for SLARP, which is not ARP-shaped.
            next = types[n - 1] === Layer.CHDLC ? S.DATA : S.ARP;
            break;
          case EtherType.PPPOE_SESSION:
            next = S.PPPOE;
            break;
          case EtherType.TEB:
            next = S.ETHERNET;
            break;
          case EtherType.CISCO_METADATA:
            next = S.CISCO_METADATA;
            break;
          case EtherType.ERSPAN_II:
            // Only meaningful as a GRE protocol type; the S flag tells type II from type I.
            next = types[n - 1] === Layer.GRE ? (greSeq ? S.ERSPAN_II : S.ERSPAN_I) : S.DATA;
            break;
          case EtherType.ERSPAN_III:
            next = types[n - 1] === Layer.GRE ? S.ERSPAN_III : S.DATA;
            break;
          case EtherType.PPP:
            next = S.PPP;
            break;
          case EtherType.VNTAG:
            next = S.VNTAG;
            break;
          case EtherType.PBB:
            next = S.PBB;
            break;
          default:
            next = S.DATA;
        }
        break;
      case S.FABRICPATH:
      case S.VNTAG:
      case S.PBB:
      case S.RADIOTAP:
      case S.IEEE80211:
        n = decodeRareLink(next, data, view, off, lim, start + batch.wirelen[i], quoted, rec, n);
        off = rare.off;
        lim = rare.lim;
        next = rare.next;
        if (rare.anomaly !== 0) anomaly = rare.anomaly;
        if (rare.etype >= 0) etype = rare.etype;
        break;
      case S.SLL:
      case S.SLL2: {
        const len = next === S.SLL ? SLL_HEADER_LENGTH : SLL2_HEADER_LENGTH;
        if (avail < len) {
          anomaly = Anomaly.sll_truncated;
          next = S.DONE;
          break;
        }
        const p = next === S.SLL ? view.getUint16(off + 14) : view.getUint16(off);
        types[n] = next === S.SLL ? Layer.LINUX_SLL : Layer.LINUX_SLL2;
        starts[n] = off;
        off += len;
        ends[n] = off;
        infos[n] = p;
        flagsArr[n++] = quoted;
        if (p >= ETHERTYPE_MIN) {
          etype = p;
          next = S.ETHERTYPE;
        } else next = p === SllProtocol.LLC ? S.LLC : S.DATA;
        break;
      }
      case S.NULL:
      case S.LOOP: {
        if (avail < NULL_HEADER_LENGTH) {
          anomaly = Anomaly.null_truncated;
          next = S.DONE;
          break;
        }
        // NULL is in the capturing host's byte order (most often little-endian); LOOP is big-endian.
        const af = nullFamily(view, off, next === S.NULL);
        types[n] = Layer.NULL;
        starts[n] = off;
        off += NULL_HEADER_LENGTH;
        ends[n] = off;
        infos[n] = af;
        flagsArr[n++] = quoted;
        next = af === BsdAf.INET ? S.IPV4 : isInet6Family(af) ? S.IPV6 : S.DATA;
        break;
      }
      case S.PPP: {
        let p = off;
        if (avail >= 2 && data[p] === 0xff && data[p + 1] === 0x03) p += 2;
        if (p >= lim) {
          anomaly = Anomaly.ppp_truncated;
          next = S.DONE;
          break;
        }
        // Protocol-field compression: an odd first byte is a 1-byte protocol.
        let pp: number;
        if (data[p] & 1) pp = data[p++];
        else {
          if (p + 2 > lim) {
            anomaly = Anomaly.ppp_truncated;
            next = S.DONE;
            break;
          }
          pp = view.getUint16(p);
          p += 2;
        }
        types[n] = Layer.PPP;
        starts[n] = off;
        ends[n] = p;
        infos[n] = pp;
        flagsArr[n++] = quoted;
        off = p;
        etype = pp;
        next = S.PPP_PROTO;
        break;
      }
      case S.PPP_PROTO:
        next =
          etype === PppProtocol.IPV4
            ? S.IPV4
            : etype === PppProtocol.IPV6
              ? S.IPV6
              : etype === PppProtocol.MPLS_UNICAST || etype === PppProtocol.MPLS_MULTICAST
                ? S.MPLS
                : S.DATA;
        break;
      case S.CHDLC: {
        if (avail < C_HDLC_HEADER_LENGTH) {
          anomaly = Anomaly.ppp_truncated;
          next = S.DONE;
          break;
        }
        etype = view.getUint16(off + 2);
        types[n] = Layer.CHDLC;
        starts[n] = off;
        off += C_HDLC_HEADER_LENGTH;
        ends[n] = off;
        infos[n] = etype;
        flagsArr[n++] = quoted;
        next = S.ETHERTYPE;
        break;
      }
      case S.VLAN: {
        if (avail < VLAN_TAG_LENGTH) {
          anomaly = Anomaly.vlan_truncated;
          next = S.DONE;
          break;
        }
        const tpid = etype;
        const t = view.getUint16(off + 2);
        types[n] = Layer.VLAN;
        starts[n] = off;
        off += VLAN_TAG_LENGTH;
        ends[n] = off;
        infos[n] = t;
        flagsArr[n++] = quoted | (tpid === EtherType.QINQ ? LayerFlag.SERVICE_TAG : tpid === EtherType.QINQ_9100 ? LayerFlag.QINQ_9100 : 0);
        if (t >= ETHERTYPE_MIN) {
          etype = t;
          next = afterEtherType(t);
        } else if (t <= 1500) {
          if (off + t < lim) lim = off + t;
          next = S.LLC;
        } else next = S.DATA;
        break;
      }
      case S.MPLS: {
        if (avail < MPLS_ENTRY_LENGTH) {
          anomaly = Anomaly.mpls_truncated;
          next = S.DONE;
          break;
        }
        const bottom = data[off + 2] & 1;
        types[n] = Layer.MPLS;
        starts[n] = off;
        off += MPLS_ENTRY_LENGTH;
        ends[n] = off;
        infos[n] = 0;
        flagsArr[n++] = quoted;
        if (!bottom) next = S.MPLS;
        else if (off >= lim) next = S.DONE;
        else {
          const nib = data[off] >>> 4;
          next = nib === 4 || nib === 6 ? S.IP_BY_NIBBLE : nib === 0 ? S.MPLS_PW_CW : lim - off >= ETHERNET_HEADER_LENGTH ? S.ETHERNET : S.DATA;
        }
        break;
      }
      case S.MPLS_PW_CW: {
        if (avail < MPLS_PW_CW_LENGTH) {
          anomaly = Anomaly.mpls_pw_cw_truncated;
          next = S.DONE;
          break;
        }
        types[n] = Layer.MPLS_PW_CW;
        starts[n] = off;
        off += MPLS_PW_CW_LENGTH;
        ends[n] = off;
        infos[n] = 0;
        flagsArr[n++] = quoted;
        next = lim - off >= ETHERNET_HEADER_LENGTH ? S.ETHERNET : S.DATA;
        break;
      }
      case S.PPPOE: {
        if (avail < PPPOE_LAYER_LENGTH) {
          anomaly = Anomaly.pppoe_truncated;
          next = S.DONE;
          break;
        }
        // LENGTH counts the PPP frame from the protocol field on; it bounds the payload.
        const plen = view.getUint16(off + 4);
        etype = view.getUint16(off + 6);
        types[n] = Layer.PPPOE;
        starts[n] = off;
        ends[n] = off + PPPOE_LAYER_LENGTH;
        infos[n] = etype;
        flagsArr[n++] = quoted;
        if (off + 6 + plen < lim && plen >= 2) lim = off + 6 + plen;
        off += PPPOE_LAYER_LENGTH;
        next = S.PPP_PROTO;
        break;
      }
      case S.LLC: {
        if (avail < 3) {
          anomaly = Anomaly.llc_truncated;
          next = S.DONE;
          break;
        }
        let len = llcHeaderLength(data, off);
        let t = 0;
        const snap = isSnap(data, off);
        if (snap) len = SNAP_HEADER_LENGTH;
        if (avail < len) {
          anomaly = Anomaly.llc_truncated;
          next = S.DONE;
          break;
        }
        // SNAP with OUI 0 (RFC 1042) or 0x0000f8 (802.1H) carries an EtherType.
        if (snap && data[off + 3] === 0 && data[off + 4] === 0 && (data[off + 5] === 0 || data[off + 5] === 0xf8)) t = view.getUint16(off + 6);
        types[n] = Layer.LLC;
        starts[n] = off;
        off += len;
        ends[n] = off;
        infos[n] = t;
        flagsArr[n++] = quoted;
        if (t >= ETHERTYPE_MIN) {
          etype = t;
          next = S.ETHERTYPE;
        } else next = S.DATA;
        break;
      }
      case S.ARP: {
        if (avail < ARP_FIXED_LENGTH || avail < arpLength(data, off)) {
          anomaly = Anomaly.arp_truncated;
          next = S.DONE;
          break;
        }
        types[n] = Layer.ARP;
        starts[n] = off;
        ends[n] = off + arpLength(data, off);
        infos[n] = 0;
        flagsArr[n++] = quoted;
        next = S.DONE;
        break;
      }
      case S.IP_BY_NIBBLE: {
        const nib = avail > 0 ? data[off] >>> 4 : 0;
        next = nib === 4 ? S.IPV4 : nib === 6 ? S.IPV6 : S.DATA;
        break;
      }
      case S.IPV4: {
        if (avail < IPV4_MIN_HEADER_LENGTH) {
          anomaly = Anomaly.ipv4_truncated_header;
          next = S.DONE;
          break;
        }
        if (data[off] >>> 4 !== 4) {
          anomaly = Anomaly.ipv4_bad_version;
          next = S.DONE;
          break;
        }
        const hl = (data[off] & 0x0f) << 2;
        if (hl < IPV4_MIN_HEADER_LENGTH) {
          anomaly = Anomaly.ipv4_bad_ihl;
          next = S.DONE;
          break;
        }
        if (hl > avail) {
          anomaly = Anomaly.ipv4_truncated_header;
          next = S.DONE;
          break;
        }
        const total = view.getUint16(off + 2);
        const frag = view.getUint16(off + 6);
        let f = quoted;
        if (frag & 0x1fff) f |= LayerFlag.FRAGMENT;
        else if (frag & 0x2000) f |= LayerFlag.FIRST_FRAGMENT;
        types[n] = Layer.IPV4;
        starts[n] = off;
        ends[n] = off + hl;
        flagsArr[n] = f;
        if (quoted === 0) rec.l3 = n;
        // Total length 0 is what TCP segmentation offload leaves: trust the captured length.
        if (total !== 0 && total < hl) {
          infos[n++] = lim;
          anomaly = Anomaly.ipv4_bad_total_length;
          next = S.DONE;
          break;
        }
        if (total !== 0 && off + total < lim) lim = off + total;
        infos[n++] = lim;
        proto = data[off + 9];
        off += hl;
        inV6 = false;
        next = f & LayerFlag.FRAGMENT ? S.DATA : afterIpProto(proto);
        break;
      }
      case S.IPV6: {
        if (avail < IPV6_HEADER_LENGTH) {
          anomaly = Anomaly.ipv6_truncated_header;
          next = S.DONE;
          break;
        }
        if (data[off] >>> 4 !== 6) {
          anomaly = Anomaly.ipv6_bad_version;
          next = S.DONE;
          break;
        }
        const plen = view.getUint16(off + 4);
        types[n] = Layer.IPV6;
        starts[n] = off;
        ends[n] = off + IPV6_HEADER_LENGTH;
        flagsArr[n] = quoted;
        if (quoted === 0) rec.l3 = n;
        // Payload length 0 means a jumbogram (hop-by-hop option): trust the captured length.
        if (plen !== 0 && off + IPV6_HEADER_LENGTH + plen < lim) lim = off + IPV6_HEADER_LENGTH + plen;
        infos[n++] = lim;
        proto = data[off + 6];
        off += IPV6_HEADER_LENGTH;
        inV6 = true;
        next = afterIpProto(proto);
        break;
      }
      case S.IPV6_EXT: {
        if (avail < 2) {
          anomaly = Anomaly.ipv6_ext_truncated;
          next = S.DONE;
          break;
        }
        const len = ipv6ExtensionLength(data, off, proto);
        if (len > avail) {
          anomaly = proto === IpProto.AH ? Anomaly.ah_truncated : Anomaly.ipv6_ext_truncated;
          next = S.DONE;
          break;
        }
        let f = quoted;
        if (proto === IpProto.FRAGMENT) {
          const fo = view.getUint16(off + 2);
          if (fo >>> 3) f |= LayerFlag.FRAGMENT;
          else if (fo & 1) f |= LayerFlag.FIRST_FRAGMENT;
          // Mark the IPv6 header itself too, so fragment checks need not walk extensions.
          for (let k = n - 1; k >= 0; k--) {
            if (types[k] === Layer.IPV6) {
              flagsArr[k] |= f & (LayerFlag.FRAGMENT | LayerFlag.FIRST_FRAGMENT);
              break;
            }
          }
        }
        types[n] = Layer.IPV6_EXT;
        starts[n] = off;
        ends[n] = off + len;
        infos[n] = proto;
        flagsArr[n++] = f;
        proto = data[off];
        off += len;
        next = f & LayerFlag.FRAGMENT ? S.DATA : afterIpProto(proto);
        break;
      }
      case S.IPPROTO:
        switch (proto) {
          case IpProto.TCP:
            next = S.TCP;
            break;
          case IpProto.UDP:
            next = S.UDP;
            break;
          case IpProto.ICMP:
            next = S.ICMP;
            break;
          case IpProto.ICMPV6:
            next = S.ICMPV6;
            break;
          case IpProto.SCTP:
            next = S.SCTP;
            break;
          case IpProto.GRE:
            next = S.GRE;
            break;
          case IpProto.IPIP:
          case IpProto.IPV6:
          case IpProto.MPLS_IN_IP:
            if (quoted !== 0) next = S.DATA;
            else if (depth >= maxDepth) {
              anomaly = Anomaly.tunnel_depth_exceeded;
              next = S.DONE;
            } else {
              depth++;
              next = proto === IpProto.IPIP ? S.IPV4 : proto === IpProto.IPV6 ? S.IPV6 : S.MPLS;
            }
            break;
          case IpProto.HOPOPTS:
          case IpProto.ROUTING:
          case IpProto.FRAGMENT:
          case IpProto.DSTOPTS:
            next = inV6 ? S.IPV6_EXT : S.DATA;
            break;
          case IpProto.AH:
            next = S.IPV6_EXT; // AH has the same shape after IPv4 (RFC 4302)
            break;
          case IpProto.NO_NEXT:
            next = S.DATA; // nothing should follow; whatever does is data
            break;
          default:
            next = S.DATA; // ESP and everything tapwire does not decode
        }
        break;
      case S.TCP: {
        // A quoted segment (ICMP error) usually carries only its first 8 bytes: keep the
        // ports and sequence number, without an anomaly.
        if (quoted !== 0 && avail >= 8 && avail < TCP_MIN_HEADER_LENGTH) {
          types[n] = Layer.TCP;
          starts[n] = off;
          ends[n] = lim;
          infos[n] = 0;
          flagsArr[n++] = quoted;
          next = S.DONE;
          break;
        }
        if (avail < TCP_MIN_HEADER_LENGTH) {
          anomaly = Anomaly.tcp_truncated_header;
          next = S.DONE;
          break;
        }
        const hl = (data[off + 12] >>> 4) << 2;
        if (hl < TCP_MIN_HEADER_LENGTH) {
          anomaly = Anomaly.tcp_bad_data_offset;
          next = S.DONE;
          break;
        }
        if (hl > avail && quoted === 0) {
          anomaly = Anomaly.tcp_truncated_header;
          next = S.DONE;
          break;
        }
        const he = hl > avail ? lim : off + hl;
        types[n] = Layer.TCP;
        starts[n] = off;
        ends[n] = he;
        infos[n] = 0;
        flagsArr[n] = quoted;
        if (quoted === 0) {
          rec.l4 = n;
          rec.payloadStart = he;
          rec.payloadLength = lim - he;
        }
        n++;
        off = he;
        next = S.DATA;
        break;
      }
      case S.UDP: {
        if (avail < UDP_HEADER_LENGTH) {
          anomaly = Anomaly.udp_truncated_header;
          next = S.DONE;
          break;
        }
        const ulen = view.getUint16(off + 4);
        types[n] = Layer.UDP;
        starts[n] = off;
        ends[n] = off + UDP_HEADER_LENGTH;
        flagsArr[n] = quoted;
        if (quoted === 0) rec.l4 = n;
        // Length 0 is legal for IPv6 jumbograms; below 8 it is damage.
        if (ulen !== 0 && ulen < UDP_HEADER_LENGTH) {
          infos[n++] = lim;
          anomaly = Anomaly.udp_bad_length;
          next = S.DONE;
          break;
        }
        if (ulen !== 0 && off + ulen < lim) lim = off + ulen;
        infos[n++] = lim;
        const sp = view.getUint16(off);
        const dp = view.getUint16(off + 2);
        off += UDP_HEADER_LENGTH;
        if (quoted === 0) {
          rec.payloadStart = off;
          rec.payloadLength = lim > off ? lim - off : 0;
        }
        next = S.DATA;
        if (quoted !== 0) break;
        if (dp === UdpPort.VXLAN || sp === UdpPort.VXLAN || portIn(dp, vxlanPorts) || portIn(sp, vxlanPorts)) next = S.VXLAN;
        else if (dp === UdpPort.GENEVE || sp === UdpPort.GENEVE || portIn(dp, genevePorts) || portIn(sp, genevePorts)) next = S.GENEVE;
        else if (dp === UdpPort.TZSP || sp === UdpPort.TZSP) next = S.TZSP;
        else if (dp === UdpPort.MPLS || sp === UdpPort.MPLS) next = S.MPLS;
        if (next === S.MPLS) {
          // MPLS-in-UDP has no tunnel header of its own: count the encapsulation here.
          if (depth >= maxDepth) {
            anomaly = Anomaly.tunnel_depth_exceeded;
            next = S.DONE;
          } else depth++;
        } else if (next !== S.DATA && depth >= maxDepth) {
          anomaly = Anomaly.tunnel_depth_exceeded;
          next = S.DONE;
        }
        break;
      }
      case S.ICMP: {
        if (avail < ICMP_HEADER_LENGTH) {
          anomaly = Anomaly.icmp_truncated;
          next = S.DONE;
          break;
        }
        const type = data[off];
        types[n] = Layer.ICMP;
        starts[n] = off;
        ends[n] = off + ICMP_HEADER_LENGTH;
        infos[n] = 0;
        flagsArr[n] = quoted;
        if (quoted === 0) {
          rec.l4 = n;
          rec.payloadStart = off + ICMP_HEADER_LENGTH;
          rec.payloadLength = avail - ICMP_HEADER_LENGTH;
        }
        n++;
        off += ICMP_HEADER_LENGTH;
        if (icmpIsError(type) && quoted === 0) {
          quoted = LayerFlag.QUOTED;
          next = off < lim ? S.IPV4 : S.DONE;
        } else next = icmpIsEcho(type) ? S.DATA : S.DONE;
        break;
      }
      case S.ICMPV6: {
        if (avail < ICMPV6_MIN_LENGTH) {
          anomaly = Anomaly.icmpv6_truncated;
          next = S.DONE;
          break;
        }
        const type = data[off];
        const hl = avail < ICMPV6_ERROR_HEADER_LENGTH ? avail : ICMPV6_ERROR_HEADER_LENGTH;
        types[n] = Layer.ICMPV6;
        starts[n] = off;
        ends[n] = off + hl;
        infos[n] = 0;
        flagsArr[n] = quoted;
        if (quoted === 0) {
          rec.l4 = n;
          rec.payloadStart = off + hl;
          rec.payloadLength = avail - hl;
        }
        n++;
        off += hl;
        if (icmpv6IsError(type) && quoted === 0 && hl === ICMPV6_ERROR_HEADER_LENGTH) {
          quoted = LayerFlag.QUOTED;
          next = off < lim ? S.IPV6 : S.DONE;
        } else next = icmpv6IsEcho(type) ? S.DATA : S.DONE;
        break;
      }
      case S.SCTP: {
        if (avail < SCTP_COMMON_HEADER_LENGTH) {
          // A quoted SCTP header (ICMP error) has its ports in the first 8 bytes.
          if (quoted === 0 || avail < 8) anomaly = Anomaly.sctp_truncated;
          else {
            types[n] = Layer.SCTP;
            starts[n] = off;
            ends[n] = lim;
            infos[n] = 0;
            flagsArr[n++] = quoted;
          }
          next = S.DONE;
          break;
        }
        types[n] = Layer.SCTP;
        starts[n] = off;
        ends[n] = off + SCTP_COMMON_HEADER_LENGTH;
        infos[n] = 0;
        flagsArr[n] = quoted;
        if (quoted === 0) {
          rec.l4 = n;
          rec.payloadStart = off + SCTP_COMMON_HEADER_LENGTH;
          rec.payloadLength = avail - SCTP_COMMON_HEADER_LENGTH;
        }
        n++;
        next = S.DONE; // chunks are SCTP's own; not decoded yet
        break;
      }
      case S.GRE: {
        if (avail < GRE_BASE_LENGTH) {
          anomaly = Anomaly.gre_truncated;
          next = S.DONE;
          break;
        }
        const gf = view.getUint16(off);
        const ver = gf & 7;
        if (ver > 1) {
          anomaly = Anomaly.gre_bad_version;
          next = S.DONE;
          break;
        }
        let he = off + greFixedLength(gf);
        if (he > lim) {
          anomaly = Anomaly.gre_truncated;
          next = S.DONE;
          break;
        }
        if (ver === 0 && gf & GreFlag.ROUTING) {
          // RFC 1701 source route entries, ended by an entry with family 0 and length 0.
          let ok = false;
          while (he + 4 <= lim) {
            const af = view.getUint16(he);
            const sl = data[he + 3];
            he += 4 + sl;
            if (af === 0 && sl === 0) {
              ok = true;
              break;
            }
          }
          if (!ok || he > lim) {
            anomaly = Anomaly.gre_bad_routing;
            next = S.DONE;
            break;
          }
        }
        if (quoted !== 0) {
          types[n] = Layer.GRE;
          starts[n] = off;
          ends[n] = he;
          infos[n] = view.getUint16(off + 2);
          flagsArr[n++] = quoted;
          next = S.DONE;
          break;
        }
        if (depth >= maxDepth) {
          anomaly = Anomaly.tunnel_depth_exceeded;
          next = S.DONE;
          break;
        }
        depth++;
        etype = view.getUint16(off + 2);
        greSeq = (gf & GreFlag.SEQUENCE) !== 0;
        types[n] = Layer.GRE;
        starts[n] = off;
        ends[n] = he;
        infos[n] = etype;
        flagsArr[n++] = 0;
        rec.tunnelCount++;
        off = he;
        next = etype === 0 ? S.DONE : S.ETHERTYPE; // 0 = keepalive
        break;
      }
      case S.ERSPAN_I:
        // Type I has no header: record an empty layer so the tunnel chain shows it.
        types[n] = Layer.ERSPAN;
        starts[n] = off;
        ends[n] = off;
        infos[n] = 1;
        flagsArr[n++] = 0;
        rec.tunnelCount++;
        next = S.ETHERNET;
        break;
      case S.ERSPAN_II: {
        if (avail < ERSPAN_II_HEADER_LENGTH) {
          anomaly = Anomaly.erspan_truncated;
          next = S.DONE;
          break;
        }
        if (data[off] >>> 4 !== 1) {
          anomaly = Anomaly.erspan_bad_version;
          next = S.DONE;
          break;
        }
        types[n] = Layer.ERSPAN;
        starts[n] = off;
        off += ERSPAN_II_HEADER_LENGTH;
        ends[n] = off;
        infos[n] = 2;
        flagsArr[n++] = 0;
        rec.tunnelCount++;
        next = S.ETHERNET;
        break;
      }
      case S.ERSPAN_III: {
        if (avail < ERSPAN_III_HEADER_LENGTH) {
          anomaly = Anomaly.erspan_truncated;
          next = S.DONE;
          break;
        }
        if (data[off] >>> 4 !== 2) {
          anomaly = Anomaly.erspan_bad_version;
          next = S.DONE;
          break;
        }
        const hl = ERSPAN_III_HEADER_LENGTH + (data[off + 11] & 1 ? ERSPAN_III_PLATFORM_LENGTH : 0);
        if (avail < hl) {
          anomaly = Anomaly.erspan_truncated;
          next = S.DONE;
          break;
        }
        const ft = (data[off + 10] >>> 2) & 0x1f;
        types[n] = Layer.ERSPAN;
        starts[n] = off;
        off += hl;
        ends[n] = off;
        infos[n] = 3;
        flagsArr[n++] = 0;
        rec.tunnelCount++;
        next = ft === ErspanFrameType.ETHERNET ? S.ETHERNET : ft === ErspanFrameType.IP ? S.IP_BY_NIBBLE : S.DATA;
        break;
      }
      case S.VXLAN: {
        if (avail < VXLAN_HEADER_LENGTH) {
          anomaly = Anomaly.vxlan_truncated;
          next = S.DONE;
          break;
        }
        depth++;
        types[n] = Layer.VXLAN;
        starts[n] = off;
        off += VXLAN_HEADER_LENGTH;
        ends[n] = off;
        infos[n] = 0;
        flagsArr[n++] = 0;
        rec.tunnelCount++;
        next = S.ETHERNET;
        break;
      }
      case S.GENEVE: {
        if (avail < GENEVE_HEADER_LENGTH) {
          anomaly = Anomaly.geneve_truncated;
          next = S.DONE;
          break;
        }
        if (data[off] >>> 6 !== 0) {
          anomaly = Anomaly.geneve_bad_version;
          next = S.DONE;
          break;
        }
        const hl = GENEVE_HEADER_LENGTH + ((data[off] & 0x3f) << 2);
        if (hl > avail) {
          anomaly = Anomaly.geneve_truncated;
          next = S.DONE;
          break;
        }
        if (!geneveOptionsValid(data, off + GENEVE_HEADER_LENGTH, off + hl)) {
          anomaly = Anomaly.geneve_bad_option;
          next = S.DONE;
          break;
        }
        depth++;
        etype = view.getUint16(off + 2);
        types[n] = Layer.GENEVE;
        starts[n] = off;
        off += hl;
        ends[n] = off;
        infos[n] = etype;
        flagsArr[n++] = 0;
        rec.tunnelCount++;
        next = S.ETHERTYPE;
        break;
      }
      case S.TZSP: {
        if (avail < TZSP_HEADER_LENGTH + 1) {
          anomaly = Anomaly.tzsp_truncated;
          next = S.DONE;
          break;
        }
        if (data[off] !== TZSP_VERSION) {
          anomaly = Anomaly.tzsp_bad_version;
          next = S.DONE;
          break;
        }
        const ttype = data[off + 1];
        const enc = view.getUint16(off + 2);
        // Walk the tagged fields up to the END tag; each step advances at least one byte.
        let p = off + TZSP_HEADER_LENGTH;
        let ended = false;
        while (p < lim) {
          const tag = data[p];
          if (tag === TzspTag.END) {
            p++;
            ended = true;
            break;
          }
          if (tag === TzspTag.PADDING) {
            p++;
            continue;
          }
          if (p + 2 > lim) break;
          p += 2 + data[p + 1];
        }
        if (!ended || p > lim) {
          anomaly = p > lim ? Anomaly.tzsp_bad_tag : Anomaly.tzsp_truncated;
          next = S.DONE;
          break;
        }
        depth++;
        types[n] = Layer.TZSP;
        starts[n] = off;
        ends[n] = p;
        infos[n] = enc;
        flagsArr[n++] = 0;
        rec.tunnelCount++;
        off = p;
        next = ttype <= 1 && enc === TzspEncapsulation.ETHERNET ? S.ETHERNET : S.DATA;
        break;
      }
      case S.CISCO_METADATA: {
        if (avail < CISCO_METADATA_LENGTH) {
          anomaly = Anomaly.cisco_metadata_truncated;
          next = S.DONE;
          break;
        }
        // After an EtherType 0x8909 the next type ends the header; in GRE (as tshark reads
        // it, and as the corpus captures show) it comes first.
        etype = types[n - 1] === Layer.GRE ? view.getUint16(off) : view.getUint16(off + 6);
        types[n] = Layer.CISCO_METADATA;
        starts[n] = off;
        off += CISCO_METADATA_LENGTH;
        ends[n] = off;
        infos[n] = etype;
        flagsArr[n++] = quoted;
        next = S.ETHERTYPE;
        break;
      }
      case S.DATA:
        if (off < lim) {
          types[n] = Layer.DATA;
          starts[n] = off;
          ends[n] = lim;
          infos[n] = lim;
          flagsArr[n++] = quoted;
        }
        next = S.DONE;
        break;
      default:
        next = S.DONE;
    }
  }
  rec.layerCount = n;
  rec.anomaly = anomaly;
}

/** What decodeRareLink hands back to the decoder loop (etype -1: unchanged). */
const rare = { off: 0, lim: 0, next: 0, anomaly: 0, etype: -1 };
/** Set by a radiotap header whose DATAPAD flag is set, for the 802.11 header that follows it. */
let radiotapPad = false;

/**
 * The link layers few captures have (FabricPath, VN-Tag, 802.1ah, radiotap, 802.11), out of
 * the decoder loop: inside it they made every Ethernet packet measurably slower. Records at
 * most one layer at `n`; returns the new layer count and leaves the rest in `rare`.
 */
function decodeRareLink(state: number, data: Uint8Array, view: DataView, off: number, lim: number, wireEnd: number, quoted: number, rec: DecodeRecord, n: number): number {
  const avail = lim - off;
  rare.anomaly = 0;
  rare.etype = -1;
  rare.next = S.DONE;
  rare.lim = lim;
  rare.off = off;
  let type: number;
  let len: number;
  let info: number;
  switch (state) {
    case S.FABRICPATH:
      // As Zeek: the outer header and at least an Ethernet header after it.
      if (avail < FABRICPATH_HEADER_LENGTH + ETHERNET_HEADER_LENGTH) {
        // The outer Ethernet header is whole (the decoder saw its EtherType): keep it.
        rec.layerType[n] = Layer.ETHERNET;
        rec.layerStart[n] = off;
        rec.layerEnd[n] = off + ETHERNET_HEADER_LENGTH;
        rec.layerInfo[n] = EtherType.FABRICPATH;
        rec.layerFlags[n] = quoted;
        rare.anomaly = Anomaly.fabricpath_truncated;
        return n + 1;
      }
      type = Layer.FABRICPATH;
      len = FABRICPATH_HEADER_LENGTH;
      info = view.getUint16(off + len - 2);
      rare.next = S.ETHERNET;
      break;
    case S.VNTAG:
    case S.PBB: {
      // A tag that ends with the next EtherType (VN-Tag; 802.1ah's I-tag and customer addresses).
      const vntag = state === S.VNTAG;
      len = vntag ? VNTAG_LENGTH : PBB_HEADER_LENGTH;
      if (avail < len) {
        rare.anomaly = vntag ? Anomaly.vntag_truncated : Anomaly.pbb_truncated;
        return n;
      }
      type = vntag ? Layer.VNTAG : Layer.PBB;
      info = view.getUint16(off + len - 2);
      rare.etype = info;
      if (info >= ETHERTYPE_MIN) rare.next = afterEtherType(info);
      else if (vntag && info <= 1500) {
        // An 802.3 length after VN-Tag, as after a VLAN tag: it bounds the LLC frame (tshark too).
        if (off + len + info < lim) rare.lim = off + len + info;
        rare.next = S.LLC;
      } else rare.next = S.DATA;
      break;
    }
    case S.RADIOTAP:
      len = avail >= RADIOTAP_MIN_LENGTH ? radiotapLength(data, off) : 0;
      if (len < RADIOTAP_MIN_LENGTH || len > avail) {
        rare.anomaly = Anomaly.radiotap_truncated;
        radiotapPad = false;
        return n;
      }
      const flags = radiotapFlags(data, view, off, len);
      // The FCS is not part of what the frame carries; a snap length may have cut it already.
      if (flags & RADIOTAP_FLAG_FCS) rare.lim = Math.max(off + len, Math.min(lim, wireEnd - IEEE80211_FCS_LENGTH));
      radiotapPad = (flags & RADIOTAP_FLAG_DATAPAD) !== 0;
      type = Layer.RADIOTAP;
      info = len;
      rare.next = S.IEEE80211;
      break;
    default: {
      // S.IEEE80211. Management and control frames, and frames of an unknown protocol version,
      // are one layer to their end (tshark's `wlan`).
      const pad = radiotapPad;
      radiotapPad = false;
      const kind = avail >= 2 ? ieee80211Type(data, off) : -1;
      const min = kind === IEEE80211_TYPE_CONTROL ? IEEE80211_CONTROL_MIN_LENGTH : IEEE80211_HEADER_LENGTH;
      const decoded = kind === IEEE80211_TYPE_DATA && ieee80211Version(data, off) === 0;
      len = decoded ? ieee80211DataHeaderLength(data, off) : avail;
      // Atheros pads the header to a multiple of 4 (radiotap DATAPAD), as tshark and tcpdump read it.
      if (decoded && pad) len = (len + 3) & ~3;
      if (kind < 0 || avail < min || avail < len) {
        rare.anomaly = Anomaly.ieee80211_truncated;
        return n;
      }
      type = Layer.IEEE80211;
      info = data[off];
      if (decoded) rare.next = ieee80211CarriesLlc(data, off) ? S.LLC : S.DATA;
    }
  }
  rec.layerType[n] = type;
  rec.layerStart[n] = off;
  rec.layerEnd[n] = off + len;
  rec.layerInfo[n] = info;
  rec.layerFlags[n] = quoted;
  rare.off = off + len;
  return n + 1;
}

/**
 * Runs every decoder branch once before the decoder gets hot (see warmup.ts for why): each
 * warm-up frame whole (on a plain Uint8Array and on a Node Buffer, the two kinds of batch
 * buffers, with and without options), then cut at every length, then with the first bytes
 * of each of its headers inverted one at a time.
 */
function warmUp(): void {
  const frames = warmupFrames();
  let bytes = 0;
  for (const f of frames) bytes += f.bytes.length;
  const rec = new DecodeRecord();
  const opts: DecodeOptions = { vxlanPorts: [8472], genevePorts: [6082], maxTunnelDepth: 1 };
  const plain = new PacketBatch(1, new Uint8Array(bytes));
  const node = new PacketBatch(1, Buffer.alloc(bytes));
  plain.count = node.count = 1;
  let pos = 0;
  for (const f of frames) {
    const len = f.bytes.length;
    for (const b of [plain, node]) {
      b.data.set(f.bytes, pos);
      b.offset[0] = pos;
      b.caplen[0] = b.wirelen[0] = len;
      b.linktype[0] = f.linktype;
      decodePacket(b, 0, rec);
      decodeLayers(b, 0, rec);
      decodeLayers(b, 0, rec, opts);
    }
    const starts = Array.from(rec.layerStart.subarray(0, rec.layerCount), (s) => s - pos);
    for (let cut = 0; cut < len; cut++) {
      plain.caplen[0] = cut;
      decodePacket(plain, 0, rec);
      decodeLayers(plain, 0, rec);
    }
    plain.caplen[0] = len;
    const d = plain.data;
    for (const s of starts) {
      for (let k = s; k < s + 4 && k < len; k++) {
        d[pos + k] ^= 0xff;
        decodePacket(plain, 0, rec);
        decodeLayers(plain, 0, rec);
        d[pos + k] ^= 0xff;
      }
    }
    pos += len;
  }
}

warmUp();
