/**
 * Wireshark display-field names -> values, printed the way
 * `tshark -T fields -E separator=/t -E occurrence=a -E aggregator=, -E quote=n` prints them,
 * so that `tapwire read -T fields` can be diffed against tshark column by column.
 *
 * A field that occurs in several layers (tunnels, stacked VLANs, the datagram quoted in an
 * ICMP error) prints every occurrence, outermost first, comma-joined. Number formats follow
 * tshark 4.0 (BASE_HEX fields as 0x with the field's width, times with 9 decimals).
 *
 * This is an output boundary: strings and closures are fine here; decodePacket stays clean.
 */
import type { PacketBatch } from '../core/batch.js';
import { DecodeRecord, Layer, LayerFlag } from './record.js';
import { formatEpoch, formatIpv4, formatIpv6, formatMac, hex } from './format-util.js';
import { protocolPathString } from './protocol-path.js';
import { greKeyOffset, greSequenceOffset } from '../protocols/gre.js';
import { arpSenderProto, arpTargetHw, arpTargetProto } from '../protocols/arp.js';

export interface FieldPrinter {
  readonly names: readonly string[];
  /**
   * Capture format of the input ('pcap' by default): may be set after compiling, once the
   * reader knows it (frame.interface_id prints only for pcapng, as in tshark).
   */
  captureFormat: 'pcap' | 'pcapng';
  /** One TSV line (no newline) for packet i. */
  format(batch: PacketBatch, i: number, rec: DecodeRecord): string;
}

export interface FieldListOptions {
  /**
   * Capture file format of the input. tshark 4.0 shows frame.interface_id only for pcapng
   * files (classic pcap has no interface table); default 'pcap'.
   */
  format?: 'pcap' | 'pcapng';
}

interface Ctx {
  batch: PacketBatch;
  i: number;
  rec: DecodeRecord;
  data: Uint8Array;
  view: DataView;
  opts: FieldListOptions;
}

/** Per-layer extractor: returns the value for layer k, or null when the field is absent there. */
type LayerGetter = (c: Ctx, s: number, k: number) => string | null;

interface FieldDef {
  /** Frame-level field (one value). */
  frame?: (c: Ctx) => string;
  /** Layer-level field: the layer types it occurs in. */
  layers?: readonly number[];
  get?: LayerGetter;
}

/** Whether `bytes` bytes from layer k's start were captured (quoted headers may be cut). */
function has(c: Ctx, s: number, k: number, bytes: number): boolean {
  const lim = c.rec.layerType[k] === Layer.TCP || c.rec.layerType[k] === Layer.SCTP ? c.rec.layerEnd[k] : c.rec.end;
  return s + bytes <= lim;
}

/** End of the packet as it was on the wire (beyond the captured bytes when snapped). */
function wireEnd(c: Ctx): number {
  return c.batch.offset[c.i] + c.batch.wirelen[c.i];
}

/**
 * End of the IP datagram that carries layer k, from the IP header's own length field; a
 * zero length (TSO / BIG TCP, jumbograms) means "up to the end of the frame", as in tshark.
 */
function datagramEnd(c: Ctx, k: number): number {
  // A length claiming more than its container holds (the frame, a PPPoE session payload)
  // is cut to the container, as tshark does.
  const r = c.rec;
  let w = wireEnd(c);
  for (let j = 0; j < k; j++) if (r.layerType[j] === Layer.PPPOE) w = Math.min(w, r.layerStart[j] + 6 + c.view.getUint16(r.layerStart[j] + 4));
  for (let j = k - 1; j >= 0; j--) {
    const s = r.layerStart[j];
    if (r.layerType[j] === Layer.IPV4) {
      const t = c.view.getUint16(s + 2);
      return t === 0 ? w : Math.min(s + t, w);
    }
    if (r.layerType[j] === Layer.IPV6) {
      const p = c.view.getUint16(s + 4);
      return p === 0 ? w : Math.min(s + 40 + p, w);
    }
  }
  return w;
}

/** Whether layer k belongs to a datagram quoted in an ICMP (v4) error message. */
function quotedByIcmpV4(c: Ctx, k: number): boolean {
  if ((c.rec.layerFlags[k] & LayerFlag.QUOTED) === 0) return false;
  for (let j = k - 1; j >= 0; j--) if ((c.rec.layerFlags[j] & LayerFlag.QUOTED) === 0) return c.rec.layerType[j] === Layer.ICMP;
  return false;
}

/** Classes (0x%04x) or types (0x%02x) of the options of GENEVE layer k, comma-joined; null if none. */
function geneveOptionList(c: Ctx, s: number, k: number, cls: boolean): string | null {
  const end = c.rec.layerEnd[k];
  let p = s + 8;
  let out = '';
  while (p + 4 <= end) {
    out += (out ? ',' : '') + (cls ? hex(c.view.getUint16(p), 4) : hex(c.data[p + 2], 2));
    p += 4 + ((c.data[p + 3] & 0x1f) << 2);
  }
  return out || null;
}

const u8 = (off: number): LayerGetter => (c, s, k) => (has(c, s, k, off + 1) ? String(c.data[s + off]) : null);
const u16 = (off: number): LayerGetter => (c, s, k) => (has(c, s, k, off + 2) ? String(c.view.getUint16(s + off)) : null);
const u32 = (off: number): LayerGetter => (c, s, k) => (has(c, s, k, off + 4) ? String(c.view.getUint32(s + off)) : null);
const bit = (off: number, mask: number): LayerGetter => (c, s, k) => (has(c, s, k, off + 1) ? (c.data[s + off] & mask ? '1' : '0') : null);

const notServiceTag = (c: Ctx, k: number): boolean => (c.rec.layerFlags[k] & LayerFlag.SERVICE_TAG) === 0;

const DEFS: Record<string, FieldDef> = {
  // frame
  'frame.number': { frame: (c) => String(c.batch.number[c.i]) },
  'frame.time_epoch': { frame: (c) => (c.batch.tsSec[c.i] < 0 ? '' : formatEpoch(c.batch.tsSec[c.i], c.batch.tsNsec[c.i])) },
  'frame.len': { frame: (c) => String(c.batch.wirelen[c.i]) },
  'frame.cap_len': { frame: (c) => String(c.batch.caplen[c.i]) },
  'frame.interface_id': { frame: (c) => (c.opts.format === 'pcapng' ? String(c.batch.iface[c.i]) : '') },
  'frame.protocols': { frame: (c) => protocolPathString(c.batch, c.i, c.rec) },

  // Ethernet (eth.type only for Ethernet II frames; 802.3 frames carry a length instead)
  'eth.src': { layers: [Layer.ETHERNET], get: (c, s) => formatMac(c.data, s + 6) },
  'eth.dst': { layers: [Layer.ETHERNET], get: (c, s) => formatMac(c.data, s) },
  'eth.type': { layers: [Layer.ETHERNET], get: (c, s, k) => (c.rec.layerInfo[k] >= 0x600 ? hex(c.rec.layerInfo[k], 4) : null) },
  'eth.len': { layers: [Layer.ETHERNET], get: (c, s, k) => (c.rec.layerInfo[k] < 0x600 ? String(c.rec.layerInfo[k]) : null) },

  // 802.1Q (tshark shows 802.1ad service tags under ieee8021ad.*)
  'vlan.id': { layers: [Layer.VLAN], get: (c, s, k) => (notServiceTag(c, k) ? String(c.view.getUint16(s) & 0x0fff) : null) },
  'vlan.priority': { layers: [Layer.VLAN], get: (c, s, k) => (notServiceTag(c, k) ? String(c.data[s] >>> 5) : null) },
  'vlan.dei': { layers: [Layer.VLAN], get: (c, s, k) => (notServiceTag(c, k) ? String((c.data[s] >>> 4) & 1) : null) },
  'vlan.etype': { layers: [Layer.VLAN], get: (c, s, k) => (notServiceTag(c, k) && c.rec.layerInfo[k] >= 0x600 ? hex(c.rec.layerInfo[k], 4) : null) },
  'vlan.len': { layers: [Layer.VLAN], get: (c, s, k) => (notServiceTag(c, k) && c.rec.layerInfo[k] < 0x600 ? String(c.rec.layerInfo[k]) : null) },
  'ieee8021ad.id': { layers: [Layer.VLAN], get: (c, s, k) => (notServiceTag(c, k) ? null : String(c.view.getUint16(s) & 0x0fff)) },

  // MPLS
  'mpls.label': { layers: [Layer.MPLS], get: (c, s) => String(c.view.getUint32(s) >>> 12) },
  'mpls.exp': { layers: [Layer.MPLS], get: (c, s) => String((c.data[s + 2] >>> 1) & 7) },
  'mpls.bottom': { layers: [Layer.MPLS], get: (c, s) => String(c.data[s + 2] & 1) },
  'mpls.ttl': { layers: [Layer.MPLS], get: (c, s) => String(c.data[s + 3]) },

  // PPP / PPPoE
  'pppoe.session_id': { layers: [Layer.PPPOE], get: (c, s) => hex(c.view.getUint16(s + 2), 4) },
  'ppp.protocol': { layers: [Layer.PPP, Layer.PPPOE], get: (c, s, k) => hex(c.rec.layerInfo[k], 4) },

  // ARP
  'arp.opcode': { layers: [Layer.ARP], get: u16(6) },
  'arp.src.hw_mac': { layers: [Layer.ARP], get: (c, s) => (c.data[s + 4] === 6 ? formatMac(c.data, s + 8) : null) },
  'arp.src.proto_ipv4': { layers: [Layer.ARP], get: (c, s) => (c.data[s + 5] === 4 ? formatIpv4(c.data, arpSenderProto(c.data, s)) : null) },
  'arp.dst.hw_mac': { layers: [Layer.ARP], get: (c, s) => (c.data[s + 4] === 6 ? formatMac(c.data, arpTargetHw(c.data, s)) : null) },
  'arp.dst.proto_ipv4': { layers: [Layer.ARP], get: (c, s) => (c.data[s + 5] === 4 ? formatIpv4(c.data, arpTargetProto(c.data, s)) : null) },

  // IPv4
  // tshark's IPv6 dissector fills ip.version too.
  'ip.version': { layers: [Layer.IPV4, Layer.IPV6], get: (c, s) => String(c.data[s] >>> 4) },
  'ip.hdr_len': { layers: [Layer.IPV4], get: (c, s) => String((c.data[s] & 15) << 2) },
  'ip.dsfield': { layers: [Layer.IPV4], get: (c, s) => hex(c.data[s + 1], 2) },
  'ip.len': {
    layers: [Layer.IPV4],
    get: (c, s) => {
      const t = c.view.getUint16(s + 2);
      return String(t !== 0 ? t : wireEnd(c) - s); // 0 = segmentation offload: tshark shows the frame's
    },
  },
  'ip.id': { layers: [Layer.IPV4], get: (c, s) => hex(c.view.getUint16(s + 4), 4) },
  'ip.flags.df': { layers: [Layer.IPV4], get: bit(6, 0x40) },
  'ip.flags.mf': { layers: [Layer.IPV4], get: bit(6, 0x20) },
  'ip.frag_offset': { layers: [Layer.IPV4], get: (c, s) => String(c.view.getUint16(s + 6) & 0x1fff) },
  'ip.ttl': { layers: [Layer.IPV4], get: u8(8) },
  'ip.proto': { layers: [Layer.IPV4], get: u8(9) },
  'ip.checksum': { layers: [Layer.IPV4], get: (c, s) => hex(c.view.getUint16(s + 10), 4) },
  'ip.src': { layers: [Layer.IPV4], get: (c, s) => formatIpv4(c.data, s + 12) },
  'ip.dst': { layers: [Layer.IPV4], get: (c, s) => formatIpv4(c.data, s + 16) },

  // IPv6
  'ipv6.tclass': { layers: [Layer.IPV6], get: (c, s) => hex((c.view.getUint16(s) >>> 4) & 0xff, 8) },
  'ipv6.flow': { layers: [Layer.IPV6], get: (c, s) => hex(c.view.getUint32(s) & 0xfffff, 6) },
  'ipv6.plen': { layers: [Layer.IPV6], get: u16(4) },
  'ipv6.nxt': { layers: [Layer.IPV6], get: u8(6) },
  'ipv6.hlim': { layers: [Layer.IPV6], get: u8(7) },
  'ipv6.src': { layers: [Layer.IPV6], get: (c, s) => formatIpv6(c.data, s + 8) },
  'ipv6.dst': { layers: [Layer.IPV6], get: (c, s) => formatIpv6(c.data, s + 24) },

  // TCP
  'tcp.srcport': { layers: [Layer.TCP], get: u16(0) },
  'tcp.dstport': { layers: [Layer.TCP], get: u16(2) },
  // tshark 4.0 leaves out the raw sequence numbers of a segment quoted in an ICMP (v4) error,
  // but shows them when the quote is in an ICMPv6 error (checked on the corpus).
  'tcp.seq_raw': { layers: [Layer.TCP], get: (c, s, k) => (quotedByIcmpV4(c, k) ? null : String(c.view.getUint32(s + 4))) },
  'tcp.ack_raw': { layers: [Layer.TCP], get: (c, s, k) => (quotedByIcmpV4(c, k) || !has(c, s, k, 12) ? null : String(c.view.getUint32(s + 8))) },
  'tcp.hdr_len': { layers: [Layer.TCP], get: (c, s, k) => (has(c, s, k, 13) ? String((c.data[s + 12] >>> 4) << 2) : null) },
  'tcp.flags': { layers: [Layer.TCP], get: (c, s, k) => (has(c, s, k, 14) ? hex(c.view.getUint16(s + 12) & 0x0fff, 4) : null) },
  'tcp.flags.fin': { layers: [Layer.TCP], get: bit(13, 0x01) },
  'tcp.flags.syn': { layers: [Layer.TCP], get: bit(13, 0x02) },
  'tcp.flags.reset': { layers: [Layer.TCP], get: bit(13, 0x04) },
  'tcp.flags.push': { layers: [Layer.TCP], get: bit(13, 0x08) },
  'tcp.flags.ack': { layers: [Layer.TCP], get: bit(13, 0x10) },
  'tcp.window_size_value': { layers: [Layer.TCP], get: u16(14) },
  'tcp.len': {
    layers: [Layer.TCP],
    get: (c, s, k) => {
      if (!has(c, s, k, 13) || c.rec.layerFlags[k] & LayerFlag.QUOTED) return null;
      const n = datagramEnd(c, k) - s - ((c.data[s + 12] >>> 4) << 2);
      return String(n < 0 ? 0 : n);
    },
  },

  // UDP
  'udp.srcport': { layers: [Layer.UDP], get: u16(0) },
  'udp.dstport': { layers: [Layer.UDP], get: u16(2) },
  'udp.length': { layers: [Layer.UDP], get: u16(4) },
  'udp.checksum': { layers: [Layer.UDP], get: (c, s) => hex(c.view.getUint16(s + 6), 4) },

  // ICMP / ICMPv6
  'icmp.type': { layers: [Layer.ICMP], get: u8(0) },
  'icmp.code': { layers: [Layer.ICMP], get: u8(1) },
  'icmpv6.type': { layers: [Layer.ICMPV6], get: u8(0) },
  'icmpv6.code': { layers: [Layer.ICMPV6], get: u8(1) },

  // SCTP
  'sctp.srcport': { layers: [Layer.SCTP], get: u16(0) },
  'sctp.dstport': { layers: [Layer.SCTP], get: u16(2) },
  'sctp.verification_tag': { layers: [Layer.SCTP], get: (c, s, k) => (has(c, s, k, 8) ? hex(c.view.getUint32(s + 4), 8) : null) },

  // Tunnels
  'gre.proto': { layers: [Layer.GRE], get: (c, s) => hex(c.view.getUint16(s + 2), 4) },
  'gre.key': {
    layers: [Layer.GRE],
    get: (c, s) => {
      const o = greKeyOffset(c.view, s);
      return o < 0 ? null : hex(c.view.getUint32(o), 8);
    },
  },
  'gre.sequence_number': {
    layers: [Layer.GRE],
    get: (c, s) => {
      const o = greSequenceOffset(c.view, s);
      return o < 0 ? null : String(c.view.getUint32(o));
    },
  },
  'erspan.version': { layers: [Layer.ERSPAN], get: (c, s, k) => (c.rec.layerInfo[k] >= 2 ? String(c.data[s] >>> 4) : null) },
  'erspan.vlan': { layers: [Layer.ERSPAN], get: (c, s, k) => (c.rec.layerInfo[k] >= 2 ? String(c.view.getUint16(s) & 0x0fff) : null) },
  'erspan.spanid': { layers: [Layer.ERSPAN], get: (c, s, k) => (c.rec.layerInfo[k] >= 2 ? String(c.view.getUint16(s + 2) & 0x03ff) : null) },
  'erspan.direction': { layers: [Layer.ERSPAN], get: (c, s, k) => (c.rec.layerInfo[k] === 3 ? String((c.data[s + 11] >>> 3) & 1) : null) },
  'vxlan.vni': { layers: [Layer.VXLAN], get: (c, s) => String(c.view.getUint32(s + 4) >>> 8) },
  'vxlan.flags': { layers: [Layer.VXLAN], get: (c, s) => hex(c.view.getUint16(s), 4) },
  'geneve.vni': { layers: [Layer.GENEVE], get: (c, s) => hex(c.view.getUint32(s + 4) >>> 8, 6) },
  'geneve.proto_type': { layers: [Layer.GENEVE], get: (c, s) => hex(c.view.getUint16(s + 2), 4) },
  'geneve.version': { layers: [Layer.GENEVE], get: (c, s) => String(c.data[s] >>> 6) },
  'geneve.option.class': { layers: [Layer.GENEVE], get: (c, s, k) => geneveOptionList(c, s, k, true) },
  'geneve.option.type': { layers: [Layer.GENEVE], get: (c, s, k) => geneveOptionList(c, s, k, false) },
  'tzsp.encap': { layers: [Layer.TZSP], get: u16(2) },
};

/** Every field name tapwire can print. */
export const FIELD_NAMES: readonly string[] = Object.keys(DEFS);

/**
 * Compiles a list of field names once; the printer then formats packets. Throws on an
 * unknown name, listing the valid ones.
 */
export function compileFieldList(names: string[], opts: FieldListOptions = {}): FieldPrinter {
  const unknown = names.filter((n) => !(n in DEFS));
  if (unknown.length > 0) {
    throw new Error(`unknown field${unknown.length > 1 ? 's' : ''} ${unknown.map((n) => `'${n}'`).join(', ')}; valid fields: ${FIELD_NAMES.join(', ')}`);
  }
  const defs = names.map((n) => DEFS[n]);
  const c: Ctx = { batch: null as unknown as PacketBatch, i: 0, rec: null as unknown as DecodeRecord, data: new Uint8Array(0), view: new DataView(new ArrayBuffer(0)), opts: { ...opts } };
  return {
    names: [...names],
    get captureFormat(): 'pcap' | 'pcapng' {
      return c.opts.format ?? 'pcap';
    },
    set captureFormat(f: 'pcap' | 'pcapng') {
      c.opts.format = f;
    },
    format(batch: PacketBatch, i: number, rec: DecodeRecord): string {
      c.batch = batch;
      c.i = i;
      c.rec = rec;
      c.data = batch.data;
      c.view = batch.view;
      let line = '';
      for (let f = 0; f < defs.length; f++) {
        if (f > 0) line += '\t';
        const d = defs[f];
        if (d.frame !== undefined) {
          line += d.frame(c);
          continue;
        }
        let first = true;
        for (let k = 0; k < rec.layerCount; k++) {
          if (!d.layers!.includes(rec.layerType[k])) continue;
          const v = d.get!(c, rec.layerStart[k], k);
          if (v === null) continue;
          line += first ? v : ',' + v;
          first = false;
        }
      }
      return line;
    },
  };
}
