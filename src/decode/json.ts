/**
 * One JSON object per packet: frame number, timestamp, lengths, the layer stack with each
 * layer's main fields, the tunnel origin identity and the anomaly name. Output boundary.
 *
 * Timestamps are strings (`"1368908504.837063000"`): a JSON number cannot hold nanoseconds.
 */
import type { PacketBatch } from '../core/batch.js';
import { ANOMALY_NAMES } from './anomalies.js';
import { DecodeRecord, Layer, LayerFlag } from './record.js';
import { formatEpoch, formatIpv4, formatIpv6, formatMac, hex } from './format-util.js';
import { protocolPathString } from './protocol-path.js';
import { fabricPathFtag, fabricPathTtl } from '../protocols/fabricpath.js';
import { vntagDestinationVif, vntagSourceVif } from '../protocols/vntag.js';
import { pbbIsid } from '../protocols/pbb.js';
import { ieee80211Protected, ieee80211Subtype, ieee80211Type } from '../protocols/ieee80211.js';
import {
  awsGwlbAttachmentId,
  awsGwlbEndpointId,
  awsGwlbFlowCookie,
  erspanDirectionAt,
  erspanSessionIdAt,
  erspanVlanAt,
  geneveOptionsAt,
  greKeyAt,
  greSequenceAt,
  originIdentity,
  vniAt,
} from './tunnels.js';

type Json = Record<string, unknown>;

function layerJson(batch: PacketBatch, rec: DecodeRecord, k: number): Json {
  const d = batch.data;
  const v = batch.view;
  const s = rec.layerStart[k];
  const info = rec.layerInfo[k];
  const o: Json = {};
  switch (rec.layerType[k]) {
    case Layer.ETHERNET:
      Object.assign(o, { type: 'eth', src: formatMac(d, s + 6), dst: formatMac(d, s) }, info >= 0x600 ? { ethertype: hex(info, 4) } : { length: info });
      break;
    case Layer.LINUX_SLL:
    case Layer.LINUX_SLL2:
      Object.assign(o, { type: rec.layerType[k] === Layer.LINUX_SLL ? 'sll' : 'sll2', protocol: hex(info, 4) });
      break;
    case Layer.NULL:
      Object.assign(o, { type: 'null', family: info });
      break;
    case Layer.PPP:
      Object.assign(o, { type: 'ppp', protocol: hex(info, 4) });
      break;
    case Layer.CHDLC:
      Object.assign(o, { type: 'chdlc', protocol: hex(info, 4) });
      break;
    case Layer.FABRICPATH:
      Object.assign(o, { type: 'cfp', src: formatMac(d, s + 6), dst: formatMac(d, s), ftag: fabricPathFtag(v, s), ttl: fabricPathTtl(d, s) });
      break;
    case Layer.VNTAG:
      Object.assign(o, { type: 'vntag', dst_vif: vntagDestinationVif(v, s), src_vif: vntagSourceVif(v, s), ethertype: hex(info, 4) });
      break;
    case Layer.PBB:
      Object.assign(o, { type: 'ieee8021ah', isid: pbbIsid(v, s), src: formatMac(d, s + 10), dst: formatMac(d, s + 4), ethertype: hex(info, 4) });
      break;
    case Layer.RADIOTAP:
      Object.assign(o, { type: 'radiotap', length: info });
      break;
    case Layer.IEEE80211:
      Object.assign(o, { type: 'wlan', frame_type: ieee80211Type(d, s), subtype: ieee80211Subtype(d, s), protected: ieee80211Protected(d, s) });
      break;
    case Layer.VLAN:
      Object.assign(o, {
        type: rec.layerFlags[k] & LayerFlag.SERVICE_TAG ? 'ieee8021ad' : 'vlan',
        id: v.getUint16(s) & 0x0fff,
        priority: d[s] >>> 5,
        ethertype: hex(info, 4),
      });
      break;
    case Layer.MPLS:
      Object.assign(o, { type: 'mpls', label: v.getUint32(s) >>> 12, tc: (d[s + 2] >>> 1) & 7, bottom: (d[s + 2] & 1) === 1, ttl: d[s + 3] });
      break;
    case Layer.MPLS_PW_CW:
      o.type = 'pwethcw';
      break;
    case Layer.PPPOE:
      Object.assign(o, { type: 'pppoes', session: v.getUint16(s + 2), protocol: hex(info, 4) });
      break;
    case Layer.LLC:
      Object.assign(o, { type: 'llc', dsap: hex(d[s], 2), ssap: hex(d[s + 1], 2) }, info ? { ethertype: hex(info, 4) } : {});
      break;
    case Layer.ARP:
      Object.assign(o, { type: 'arp', opcode: v.getUint16(s + 6) });
      if (d[s + 4] === 6 && d[s + 5] === 4) Object.assign(o, { sha: formatMac(d, s + 8), spa: formatIpv4(d, s + 14), tha: formatMac(d, s + 18), tpa: formatIpv4(d, s + 24) });
      break;
    case Layer.IPV4:
      Object.assign(o, {
        type: 'ip',
        src: formatIpv4(d, s + 12),
        dst: formatIpv4(d, s + 16),
        proto: d[s + 9],
        ttl: d[s + 8],
        len: v.getUint16(s + 2),
        id: v.getUint16(s + 4),
        mf: (d[s + 6] & 0x20) !== 0,
        frag_offset: v.getUint16(s + 6) & 0x1fff,
      });
      break;
    case Layer.IPV6:
      Object.assign(o, { type: 'ipv6', src: formatIpv6(d, s + 8), dst: formatIpv6(d, s + 24), nxt: d[s + 6], hlim: d[s + 7], plen: v.getUint16(s + 4) });
      break;
    case Layer.IPV6_EXT:
      Object.assign(o, { type: 'ipv6_ext', header: info, nxt: d[s] });
      break;
    case Layer.TCP:
      Object.assign(o, { type: 'tcp', srcport: v.getUint16(s), dstport: v.getUint16(s + 2), seq: v.getUint32(s + 4) });
      if (rec.layerEnd[k] - s >= 20) Object.assign(o, { ack: v.getUint32(s + 8), flags: hex(v.getUint16(s + 12) & 0x0fff, 4), window: v.getUint16(s + 14) });
      break;
    case Layer.UDP:
      Object.assign(o, { type: 'udp', srcport: v.getUint16(s), dstport: v.getUint16(s + 2), length: v.getUint16(s + 4) });
      break;
    case Layer.ICMP:
      Object.assign(o, { type: 'icmp', icmp_type: d[s], code: d[s + 1] });
      break;
    case Layer.ICMPV6:
      Object.assign(o, { type: 'icmpv6', icmp_type: d[s], code: d[s + 1] });
      break;
    case Layer.SCTP:
      Object.assign(o, { type: 'sctp', srcport: v.getUint16(s), dstport: v.getUint16(s + 2) });
      break;
    case Layer.GRE: {
      Object.assign(o, { type: 'gre', version: v.getUint16(s) & 7, proto: hex(info, 4) });
      const key = greKeyAt(batch, rec, k);
      const seq = greSequenceAt(batch, rec, k);
      if (key >= 0) o.key = key;
      if (seq >= 0) o.seq = seq;
      break;
    }
    case Layer.ERSPAN: {
      Object.assign(o, { type: 'erspan', erspan_type: info });
      if (info >= 2) Object.assign(o, { session: erspanSessionIdAt(batch, rec, k), vlan: erspanVlanAt(batch, rec, k) });
      if (info === 3) o.direction = erspanDirectionAt(batch, rec, k) ? 'egress' : 'ingress';
      break;
    }
    case Layer.VXLAN:
      Object.assign(o, { type: 'vxlan', vni: vniAt(batch, rec, k) });
      break;
    case Layer.GENEVE: {
      Object.assign(o, { type: 'geneve', vni: vniAt(batch, rec, k), proto: hex(info, 4) });
      const opts = geneveOptionsAt(batch, rec, k);
      if (opts.length) o.options = opts.map((x) => ({ class: hex(x.cls, 4), type: x.type, data: Buffer.from(x.data).toString('hex') }));
      const ep = awsGwlbEndpointId(batch, rec, k);
      const at = awsGwlbAttachmentId(batch, rec, k);
      const fc = awsGwlbFlowCookie(batch, rec, k);
      if (ep !== null) o.gwlb_endpoint_id = '0x' + ep.toString(16).padStart(16, '0');
      if (at !== null) o.gwlb_attachment_id = '0x' + at.toString(16).padStart(16, '0');
      if (fc >= 0) o.gwlb_flow_cookie = hex(fc, 8);
      break;
    }
    case Layer.TZSP:
      Object.assign(o, { type: 'tzsp', encapsulation: info });
      break;
    case Layer.CISCO_METADATA:
      Object.assign(o, { type: 'cmd', ethertype: hex(info, 4) });
      break;
    case Layer.DATA:
      Object.assign(o, { type: 'data', length: rec.layerEnd[k] - s });
      break;
  }
  if (rec.layerFlags[k] & LayerFlag.QUOTED) o.quoted = true;
  return o;
}

export function formatJson(batch: PacketBatch, i: number, rec: DecodeRecord): string {
  const layers: Json[] = [];
  for (let k = 0; k < rec.layerCount; k++) layers.push(layerJson(batch, rec, k));
  const o: Json = {
    frame: batch.number[i],
    ts: batch.tsSec[i] < 0 ? null : formatEpoch(batch.tsSec[i], batch.tsNsec[i]),
    caplen: batch.caplen[i],
    len: batch.wirelen[i],
    interface: batch.iface[i],
    linktype: batch.linktype[i],
    protocols: protocolPathString(batch, i, rec),
    layers,
  };
  const origin = originIdentity(batch, rec);
  if (origin !== '') o.tunnel = origin;
  if (rec.anomaly !== 0) o.anomaly = ANOMALY_NAMES[rec.anomaly];
  return JSON.stringify(o);
}
