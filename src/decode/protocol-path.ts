/**
 * The protocol path of a decoded packet in tshark's vocabulary (frame.protocols, io,phs):
 * `eth:ethertype:vlan:ethertype:ip:tcp`. Shared by fields.ts (joined as a string) and
 * stats.ts (walked as numbers through a trie, allocation-free), so it fills a caller-owned
 * Uint16Array with name codes instead of building strings.
 */
import type { PacketBatch } from '../core/batch.js';
import { LinkType } from '../core/linktypes.js';
import { DecodeRecord, Layer, LayerFlag } from './record.js';

/** tshark protocol names by code (index into this array). */
export const PROTO_NAMES = [
  '', 'eth', 'ethertype', 'sll', 'null', 'ppp', 'chdlc', 'vlan', 'ieee8021ad', 'mpls',
  'pwethcw', 'pppoes', 'llc', 'arp', 'ip', 'ipv6', 'ipv6.hopopts', 'ipv6.routing', 'ipv6.fraghdr', 'ipv6.dstopts',
  'ah', 'tcp', 'udp', 'icmp', 'icmpv6', 'sctp', 'gre', 'erspan', 'vxlan', 'geneve',
  'tzsp', 'cmd', 'data', 'raw', 'cfp', 'vntag', 'ieee8021ah', 'radiotap', 'wlan_radio', 'wlan',
] as const;

export const ProtoName = {
  ETH: 1, ETHERTYPE: 2, SLL: 3, NULL: 4, PPP: 5, CHDLC: 6, VLAN: 7, IEEE8021AD: 8, MPLS: 9,
  PWETHCW: 10, PPPOES: 11, LLC: 12, ARP: 13, IP: 14, IPV6: 15, HOPOPTS: 16, ROUTING: 17, FRAGHDR: 18, DSTOPTS: 19,
  AH: 20, TCP: 21, UDP: 22, ICMP: 23, ICMPV6: 24, SCTP: 25, GRE: 26, ERSPAN: 27, VXLAN: 28, GENEVE: 29,
  TZSP: 30, CMD: 31, DATA: 32, RAW: 33, CFP: 34, VNTAG: 35, IEEE8021AH: 36, RADIOTAP: 37, WLAN_RADIO: 38,
  WLAN: 39,
} as const;

/** Longest possible path: two names per layer plus a link prefix. */
export const MAX_PATH = 2 * 64 + 2;

/**
 * Writes the name codes of packet i's protocol path into `out`; returns how many.
 * `out` must hold MAX_PATH entries.
 */
export function fillProtocolPath(batch: PacketBatch, i: number, rec: DecodeRecord, out: Uint16Array): number {
  let n = 0;
  const lt = batch.linktype[i];
  // tshark names LINKTYPE_RAW's pseudo-header `raw`; LINKTYPE_IPV4/IPV6 start at `ip`.
  if (lt === LinkType.RAW) out[n++] = ProtoName.RAW;
  const types = rec.layerType;
  for (let k = 0; k < rec.layerCount; k++) {
    const info = rec.layerInfo[k];
    switch (types[k]) {
      case Layer.ETHERNET:
        out[n++] = ProtoName.ETH;
        if (info >= 0x600) out[n++] = ProtoName.ETHERTYPE;
        break;
      case Layer.LINUX_SLL:
      case Layer.LINUX_SLL2:
        out[n++] = ProtoName.SLL;
        if (info >= 0x600) out[n++] = ProtoName.ETHERTYPE;
        break;
      case Layer.NULL:
        out[n++] = ProtoName.NULL;
        break;
      case Layer.PPP:
        out[n++] = ProtoName.PPP;
        break;
      case Layer.CHDLC:
        out[n++] = ProtoName.CHDLC;
        break;
      case Layer.FABRICPATH:
        // tshark's Ethernet dissector hands the frame to FabricPath before its EtherType.
        out[n++] = ProtoName.ETH;
        out[n++] = ProtoName.CFP;
        break;
      case Layer.VNTAG:
        out[n++] = ProtoName.VNTAG;
        if (info >= 0x600) out[n++] = ProtoName.ETHERTYPE;
        break;
      case Layer.PBB:
        // tshark's 802.1ad dissector takes an I-tag that follows a service tag as its own.
        if (k > 0 && types[k - 1] === Layer.VLAN && rec.layerFlags[k - 1] & LayerFlag.SERVICE_TAG) break;
        out[n++] = ProtoName.IEEE8021AH;
        out[n++] = ProtoName.ETHERTYPE;
        break;
      case Layer.RADIOTAP:
        out[n++] = ProtoName.RADIOTAP;
        out[n++] = ProtoName.WLAN_RADIO;
        break;
      case Layer.IEEE80211:
        out[n++] = ProtoName.WLAN;
        break;
      case Layer.VLAN:
        out[n++] = rec.layerFlags[k] & LayerFlag.SERVICE_TAG ? ProtoName.IEEE8021AD : ProtoName.VLAN;
        if (info >= 0x600) out[n++] = ProtoName.ETHERTYPE;
        break;
      case Layer.MPLS:
        // tshark's MPLS dissector takes the whole label stack as one protocol.
        if (k === 0 || types[k - 1] !== Layer.MPLS) out[n++] = ProtoName.MPLS;
        break;
      case Layer.MPLS_PW_CW:
        out[n++] = ProtoName.PWETHCW;
        break;
      case Layer.PPPOE:
        out[n++] = ProtoName.PPPOES;
        out[n++] = ProtoName.PPP;
        break;
      case Layer.LLC:
        out[n++] = ProtoName.LLC;
        break;
      case Layer.ARP:
        out[n++] = ProtoName.ARP;
        break;
      case Layer.IPV4:
        out[n++] = ProtoName.IP;
        break;
      case Layer.IPV6:
        out[n++] = ProtoName.IPV6;
        break;
      case Layer.IPV6_EXT:
        out[n++] = info === 0 ? ProtoName.HOPOPTS : info === 43 ? ProtoName.ROUTING : info === 44 ? ProtoName.FRAGHDR : info === 60 ? ProtoName.DSTOPTS : ProtoName.AH;
        break;
      case Layer.TCP:
        out[n++] = ProtoName.TCP;
        break;
      case Layer.UDP:
        out[n++] = ProtoName.UDP;
        break;
      case Layer.ICMP:
        out[n++] = ProtoName.ICMP;
        break;
      case Layer.ICMPV6:
        out[n++] = ProtoName.ICMPV6;
        break;
      case Layer.SCTP:
        out[n++] = ProtoName.SCTP;
        break;
      case Layer.GRE:
        out[n++] = ProtoName.GRE;
        break;
      case Layer.ERSPAN:
        out[n++] = ProtoName.ERSPAN;
        break;
      case Layer.VXLAN:
        out[n++] = ProtoName.VXLAN;
        break;
      case Layer.GENEVE:
        out[n++] = ProtoName.GENEVE;
        break;
      case Layer.TZSP:
        out[n++] = ProtoName.TZSP;
        break;
      case Layer.CISCO_METADATA:
        out[n++] = ProtoName.CMD;
        break;
      case Layer.DATA:
        out[n++] = ProtoName.DATA;
        break;
    }
  }
  return n;
}

const scratch = new Uint16Array(MAX_PATH);

/** frame.protocols as a string (output boundary only). */
export function protocolPathString(batch: PacketBatch, i: number, rec: DecodeRecord): string {
  const n = fillProtocolPath(batch, i, rec, scratch);
  let s = '';
  for (let k = 0; k < n; k++) s += (k ? ':' : '') + PROTO_NAMES[scratch[k]];
  return s;
}
