/**
 * The decoder's result for the commonest packet, found without running its state machine:
 * untagged Ethernet, then IPv4 (not a later fragment) or IPv6 without extension headers,
 * then a whole TCP header or a UDP header on a port that carries no tunnel, then payload.
 * That is most of what a tap sees, and for it the general loop costs several times more
 * than these few checks.
 *
 * `decodePlain` fills the record exactly as the full decoder would (every layer, offset,
 * detail number and flag; the test in test/unit/decode-plain.test.ts compares the two on
 * every fixture packet and on damaged copies of them) and returns true, or returns false
 * without any promise about `rec` when the packet is anything else. Every condition below
 * is one under which the full decoder takes the same straight path without an anomaly.
 */
import type { PacketBatch } from '../core/batch.js';
import { LinkType } from '../core/linktypes.js';
import { DecodeRecord, Layer, LayerFlag } from './record.js';

const ETHERTYPE_IPV4 = 0x0800;
const ETHERTYPE_IPV6 = 0x86dd;
const PROTO_TCP = 6;
const PROTO_UDP = 17;

/** UDP ports the decoder enters as tunnels (VXLAN, GENEVE, TZSP, MPLS-in-UDP). */
function tunnelPort(p: number): boolean {
  return p === 4789 || p === 6081 || p === 37008 || p === 6635;
}

export function decodePlain(batch: PacketBatch, i: number, rec: DecodeRecord): boolean {
  if (batch.linktype[i] !== LinkType.ETHERNET) return false;
  const data = batch.data;
  const view = batch.view;
  const start = batch.offset[i];
  const end = start + batch.caplen[i];
  if (end - start < 14 + 20) return false;
  const etype = view.getUint16(start + 12);
  const ip = start + 14;
  let lim = end;
  let proto: number;
  let l4: number;
  let ipFlags = 0;
  let ipType: number;
  if (etype === ETHERTYPE_IPV4) {
    const vihl = data[ip];
    if (vihl >>> 4 !== 4) return false;
    const hl = (vihl & 0x0f) << 2;
    if (hl < 20 || hl > end - ip) return false;
    const total = view.getUint16(ip + 2);
    if (total !== 0 && total < hl) return false;
    const frag = view.getUint16(ip + 6);
    if (frag & 0x1fff) return false;
    if (frag & 0x2000) ipFlags = LayerFlag.FIRST_FRAGMENT;
    if (total !== 0 && ip + total < lim) lim = ip + total;
    proto = data[ip + 9];
    l4 = ip + hl;
    ipType = Layer.IPV4;
  } else if (etype === ETHERTYPE_IPV6) {
    if (end - ip < 40 || data[ip] >>> 4 !== 6) return false;
    const plen = view.getUint16(ip + 4);
    if (plen !== 0 && ip + 40 + plen < lim) lim = ip + 40 + plen;
    proto = data[ip + 6];
    l4 = ip + 40;
    ipType = Layer.IPV6;
  } else return false;

  const ipLim = lim;
  const avail = lim - l4;
  let l4End: number;
  let l4Info = 0;
  let l4Type: number;
  if (proto === PROTO_TCP) {
    if (avail < 20) return false;
    const hl = (data[l4 + 12] >>> 4) << 2;
    if (hl < 20 || hl > avail) return false;
    l4End = l4 + hl;
    l4Type = Layer.TCP;
  } else if (proto === PROTO_UDP) {
    if (avail < 8) return false;
    const ulen = view.getUint16(l4 + 4);
    if (ulen !== 0 && ulen < 8) return false;
    if (tunnelPort(view.getUint16(l4)) || tunnelPort(view.getUint16(l4 + 2))) return false;
    if (ulen !== 0 && l4 + ulen < lim) lim = l4 + ulen;
    l4End = l4 + 8;
    l4Info = lim;
    l4Type = Layer.UDP;
  } else return false;

  rec.reset(end);
  const types = rec.layerType;
  const starts = rec.layerStart;
  const ends = rec.layerEnd;
  const infos = rec.layerInfo;
  const flags = rec.layerFlags;
  types[0] = Layer.ETHERNET;
  starts[0] = start;
  ends[0] = ip;
  infos[0] = etype;
  flags[0] = 0;
  types[1] = ipType;
  starts[1] = ip;
  ends[1] = l4;
  infos[1] = ipLim;
  flags[1] = ipFlags;
  types[2] = l4Type;
  starts[2] = l4;
  ends[2] = l4End;
  infos[2] = l4Info;
  flags[2] = 0;
  rec.l3 = 1;
  rec.l4 = 2;
  rec.payloadStart = l4End;
  rec.payloadLength = lim > l4End ? lim - l4End : 0;
  let n = 3;
  if (l4End < lim) {
    types[3] = Layer.DATA;
    starts[3] = l4End;
    ends[3] = lim;
    infos[3] = lim;
    flags[3] = 0;
    n = 4;
  }
  rec.layerCount = n;
  return true;
}
