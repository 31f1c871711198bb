/**
 * Reading the tunnel chain of a decoded packet: which encapsulations it crossed, their
 * outer addresses, VNI, ERSPAN session/direction, GENEVE options (with the AWS Gateway Load
 * Balancer identities). This is the packet's origin identity.
 *
 * The numeric accessors (`tunnelIndex`, `vniAt`, `erspanSessionIdAt`, ...) allocate nothing
 * and may be used per packet; `geneveOptionsAt`, `outerAddressesAt` and `originIdentity`
 * build objects/strings and belong at output boundaries (pcapng interface descriptions, logs).
 */
import type { PacketBatch } from '../core/batch.js';
import { DecodeRecord, Layer } from './record.js';
import { formatIpv4, formatIpv6 } from './format-util.js';
import { AwsGwlbOption, GENEVE_HEADER_LENGTH, GENEVE_OPTION_HEADER_LENGTH, GeneveOptionClass, findGeneveOption } from '../protocols/geneve.js';
import { greKeyOffset, greSequenceOffset } from '../protocols/gre.js';

export function isTunnelLayer(type: number): boolean {
  return type === Layer.GRE || type === Layer.ERSPAN || type === Layer.VXLAN || type === Layer.GENEVE || type === Layer.TZSP;
}

/** Index of the n-th (0 = outermost) tunnel layer of the record, or -1. */
export function tunnelIndex(rec: DecodeRecord, nth = 0): number {
  for (let k = 0; k < rec.layerCount; k++) if (isTunnelLayer(rec.layerType[k]) && nth-- === 0) return k;
  return -1;
}

/** Index of the IPv4/IPv6 layer that carries layer k (the tunnel's outer header), or -1. */
export function outerIpIndex(rec: DecodeRecord, k: number): number {
  for (let j = k - 1; j >= 0; j--) if (rec.layerType[j] === Layer.IPV4 || rec.layerType[j] === Layer.IPV6) return j;
  return -1;
}

/** VNI of a VXLAN or GENEVE layer k, else -1. */
export function vniAt(batch: PacketBatch, rec: DecodeRecord, k: number): number {
  const t = rec.layerType[k];
  if (t !== Layer.VXLAN && t !== Layer.GENEVE) return -1;
  return batch.view.getUint32(rec.layerStart[k] + 4) >>> 8;
}

/** VNI of the innermost VXLAN/GENEVE layer, or -1 (allocation-free, for flow keys). */
export function innermostVni(batch: PacketBatch, rec: DecodeRecord): number {
  for (let k = rec.layerCount - 1; k >= 0; k--) {
    const v = vniAt(batch, rec, k);
    if (v >= 0) return v;
  }
  return -1;
}

/** ERSPAN type (1, 2 or 3) of layer k, else 0. */
export function erspanTypeAt(rec: DecodeRecord, k: number): number {
  return rec.layerType[k] === Layer.ERSPAN ? rec.layerInfo[k] : 0;
}

/** ERSPAN session id of layer k (type II/III), else -1. */
export function erspanSessionIdAt(batch: PacketBatch, rec: DecodeRecord, k: number): number {
  if (rec.layerType[k] !== Layer.ERSPAN || rec.layerInfo[k] < 2) return -1;
  return batch.view.getUint16(rec.layerStart[k] + 2) & 0x03ff;
}

/** ERSPAN VLAN of the mirrored frame (type II/III), else -1. */
export function erspanVlanAt(batch: PacketBatch, rec: DecodeRecord, k: number): number {
  if (rec.layerType[k] !== Layer.ERSPAN || rec.layerInfo[k] < 2) return -1;
  return batch.view.getUint16(rec.layerStart[k]) & 0x0fff;
}

/** ERSPAN type III direction: 0 ingress, 1 egress; -1 when the type carries none. */
export function erspanDirectionAt(batch: PacketBatch, rec: DecodeRecord, k: number): number {
  if (rec.layerType[k] !== Layer.ERSPAN || rec.layerInfo[k] !== 3) return -1;
  return (batch.data[rec.layerStart[k] + 11] >>> 3) & 1;
}

/** GRE key of layer k, or -1 when absent. */
export function greKeyAt(batch: PacketBatch, rec: DecodeRecord, k: number): number {
  if (rec.layerType[k] !== Layer.GRE) return -1;
  const o = greKeyOffset(batch.view, rec.layerStart[k]);
  return o < 0 ? -1 : batch.view.getUint32(o);
}

/** GRE sequence number of layer k, or -1 when absent. */
export function greSequenceAt(batch: PacketBatch, rec: DecodeRecord, k: number): number {
  if (rec.layerType[k] !== Layer.GRE) return -1;
  const o = greSequenceOffset(batch.view, rec.layerStart[k]);
  return o < 0 ? -1 : batch.view.getUint32(o);
}

export interface GeneveOption {
  cls: number;
  type: number;
  data: Uint8Array;
}

/** The options of GENEVE layer k (copies; output boundary only). */
export function geneveOptionsAt(batch: PacketBatch, rec: DecodeRecord, k: number): GeneveOption[] {
  const out: GeneveOption[] = [];
  if (rec.layerType[k] !== Layer.GENEVE) return out;
  const d = batch.data;
  const end = rec.layerEnd[k];
  let p = rec.layerStart[k] + GENEVE_HEADER_LENGTH;
  while (p + GENEVE_OPTION_HEADER_LENGTH <= end) {
    const len = (d[p + 3] & 0x1f) << 2;
    if (p + GENEVE_OPTION_HEADER_LENGTH + len > end) break;
    out.push({ cls: batch.view.getUint16(p), type: d[p + 2] & 0x7f, data: d.slice(p + 4, p + 4 + len) });
    p += GENEVE_OPTION_HEADER_LENGTH + len;
  }
  return out;
}

function gwlbOption(batch: PacketBatch, rec: DecodeRecord, k: number, type: number, size: number): number {
  if (rec.layerType[k] !== Layer.GENEVE) return -1;
  const o = findGeneveOption(batch.data, batch.view, rec.layerStart[k], rec.layerEnd[k], GeneveOptionClass.AWS_GWLB, type);
  if (o < 0 || ((batch.data[o - 1] & 0x1f) << 2) < size) return -1;
  return o;
}

/** AWS GWLB endpoint id (option 0x0108/1, 64 bits) of GENEVE layer k, or null. */
export function awsGwlbEndpointId(batch: PacketBatch, rec: DecodeRecord, k: number): bigint | null {
  const o = gwlbOption(batch, rec, k, AwsGwlbOption.ENDPOINT_ID, 8);
  return o < 0 ? null : batch.view.getBigUint64(o);
}

/** AWS GWLB attachment id (option 0x0108/2, 64 bits) of GENEVE layer k, or null. */
export function awsGwlbAttachmentId(batch: PacketBatch, rec: DecodeRecord, k: number): bigint | null {
  const o = gwlbOption(batch, rec, k, AwsGwlbOption.ATTACHMENT_ID, 8);
  return o < 0 ? null : batch.view.getBigUint64(o);
}

/** AWS GWLB flow cookie (option 0x0108/3, 32 bits) of GENEVE layer k, or -1. */
export function awsGwlbFlowCookie(batch: PacketBatch, rec: DecodeRecord, k: number): number {
  const o = gwlbOption(batch, rec, k, AwsGwlbOption.FLOW_COOKIE, 4);
  return o < 0 ? -1 : batch.view.getUint32(o);
}

/** Source and destination of the IP header carrying layer k, as text; null if none. */
export function outerAddressesAt(batch: PacketBatch, rec: DecodeRecord, k: number): { src: string; dst: string } | null {
  const j = outerIpIndex(rec, k);
  if (j < 0) return null;
  const s = rec.layerStart[j];
  if (rec.layerType[j] === Layer.IPV4) return { src: formatIpv4(batch.data, s + 12), dst: formatIpv4(batch.data, s + 16) };
  return { src: formatIpv6(batch.data, s + 8), dst: formatIpv6(batch.data, s + 24) };
}

/**
 * A short origin-identity string for the packet's tunnel chain, outermost first, e.g.
 * `vxlan vni=100 src=192.168.203.1` or `gre key=0x2a src=10.0.0.1 / erspan2 session=8`.
 * Empty when the packet crossed no tunnel. Output boundary only (builds strings).
 */
export function originIdentity(batch: PacketBatch, rec: DecodeRecord): string {
  const parts: string[] = [];
  for (let k = 0; k < rec.layerCount; k++) {
    const t = rec.layerType[k];
    if (!isTunnelLayer(t)) continue;
    let s: string;
    if (t === Layer.VXLAN) s = `vxlan vni=${vniAt(batch, rec, k)}`;
    else if (t === Layer.GENEVE) {
      s = `geneve vni=${vniAt(batch, rec, k)}`;
      const ep = awsGwlbEndpointId(batch, rec, k);
      const at = awsGwlbAttachmentId(batch, rec, k);
      const fc = awsGwlbFlowCookie(batch, rec, k);
      if (ep !== null) s += ` gwlbe=0x${ep.toString(16).padStart(16, '0')}`;
      if (at !== null) s += ` attachment=0x${at.toString(16).padStart(16, '0')}`;
      if (fc >= 0) s += ` cookie=0x${fc.toString(16).padStart(8, '0')}`;
    } else if (t === Layer.GRE) {
      const key = greKeyAt(batch, rec, k);
      s = key >= 0 ? `gre key=0x${key.toString(16)}` : 'gre';
    } else if (t === Layer.ERSPAN) {
      const type = erspanTypeAt(rec, k);
      s = `erspan${type}`;
      const sid = erspanSessionIdAt(batch, rec, k);
      if (sid >= 0) s += ` session=${sid}`;
      const dir = erspanDirectionAt(batch, rec, k);
      if (dir >= 0) s += dir ? ' dir=egress' : ' dir=ingress';
      // ERSPAN rides in the GRE just before it: the addresses are already printed there.
      parts.push(s);
      continue;
    } else s = 'tzsp';
    const a = outerAddressesAt(batch, rec, k);
    if (a !== null) s += ` src=${a.src}`;
    parts.push(s);
  }
  return parts.join(' / ');
}
