/**
 * `strip`: hands tools the frame they expect. Terminates tunnels (VXLAN, GENEVE, GRE,
 * ERSPAN, TZSP) so the innermost frame is what remains, then removes 802.1Q/802.1ad tags
 * and MPLS labels. An inner IP packet without an Ethernet header (GRE carrying IP) gets a
 * synthetic one (zero MACs) so that every output stays Ethernet.
 *
 * Nothing is lost about where the packet came from: each distinct origin (source interface,
 * tunnel type and identity, outer source address, outer VLAN) becomes an interface of the
 * pipeline's origin table, described in words (e.g. `vxlan vni=100`), and pcapng outputs
 * write it as the packet's interface.
 */
import type { PacketBatch } from '../../core/batch.js';
import { LinkType } from '../../core/linktypes.js';
import { decodePacket } from '../../decode/decode.js';
import { DecodeRecord, Layer, LayerFlag } from '../../decode/record.js';
import { isTunnelLayer, originIdentity, outerIpIndex } from '../../decode/tunnels.js';
import { bool, checkKeys, type Obj, type Problems } from '../../pipeline/problems.js';
import { ComponentCounters } from '../counters.js';
import type { Action, BatchContext } from '../types.js';

const ETHERTYPE_IPV4 = 0x0800;
const ETHERTYPE_IPV6 = 0x86dd;

function mix(h: number, v: number): number {
  h = Math.imul(h ^ v, 0x9e3779b1);
  return (h ^ (h >>> 15)) >>> 0;
}

export class StripAction implements Action {
  readonly type = 'strip';
  readonly modifiesBytes = true;
  readonly editsColumns = true;
  readonly counters: ComponentCounters;
  private readonly rec = new DecodeRecord();

  constructor(readonly name: string, private readonly tunnels: boolean, private readonly vlan: boolean, private readonly mpls: boolean) {
    this.counters = new ComponentCounters('action', name, this.type);
  }

  apply(batch: PacketBatch, keep: Uint8Array, ctx: BatchContext): void {
    let n = 0, inBytes = 0, outBytes = 0;
    for (let i = 0; i < batch.count; i++) {
      if (!keep[i]) continue;
      n++;
      inBytes += batch.caplen[i];
      this.stripOne(batch, i, ctx);
      outBytes += batch.caplen[i];
    }
    this.counters.in(n, inBytes);
    this.counters.out(n, outBytes);
  }

  private stripOne(batch: PacketBatch, i: number, ctx: BatchContext): void {
    const rec = this.rec;
    const { data, view } = batch;
    decodePacket(batch, i, rec);
    let start = batch.offset[i];
    let eth = -1; // layer index of the Ethernet header that now starts the frame
    if (batch.linktype[i] === LinkType.ETHERNET && rec.layerCount > 0 && rec.layerType[0] === Layer.ETHERNET) eth = 0;
    let originKey = 0;
    if (this.tunnels) {
      let t = -1;
      for (let k = 0; k < rec.layerCount; k++) if (isTunnelLayer(rec.layerType[k]) && !(rec.layerFlags[k] & LayerFlag.QUOTED)) t = k;
      if (t >= 0 && t + 1 < rec.layerCount) {
        const inner = t + 1;
        const innerType = rec.layerType[inner];
        if (innerType === Layer.ETHERNET) {
          start = rec.layerStart[inner];
          eth = inner;
        } else if ((innerType === Layer.IPV4 || innerType === Layer.IPV6) && rec.layerStart[inner] - 14 >= batch.offset[i]) {
          start = rec.layerStart[inner] - 14;
          data.fill(0, start, start + 12);
          view.setUint16(start + 12, innerType === Layer.IPV4 ? ETHERTYPE_IPV4 : ETHERTYPE_IPV6);
          eth = -2; // synthetic: no tags follow
        }
        if (start !== batch.offset[i]) {
          originKey = this.tunnelKey(batch, i, rec, t);
        }
      }
    }
    if (eth >= 0 && (this.vlan || this.mpls)) start = this.stripTags(batch, rec, eth, start);
    const removed = start - batch.offset[i];
    if (removed === 0) return;
    batch.offset[i] = start;
    batch.caplen[i] -= removed;
    batch.wirelen[i] = Math.max(batch.caplen[i], batch.wirelen[i] - removed);
    batch.linktype[i] = LinkType.ETHERNET;
    if (originKey !== 0) {
      let id = ctx.origins.lookup(originKey);
      if (id < 0) {
        const base = ctx.interfaceInfo(batch.iface[i], LinkType.ETHERNET);
        id = ctx.origins.add(originKey, { name: base.name ?? `if${batch.iface[i]}`, description: originIdentity(batch, rec), linktype: LinkType.ETHERNET, tsResolution: base.tsResolution ?? 9 });
      }
      batch.iface[i] = id;
    }
  }

  /** A number naming the origin: source interface, tunnel kind and identity, outer source. */
  private tunnelKey(batch: PacketBatch, i: number, rec: DecodeRecord, t: number): number {
    let h = mix(0x1234567, batch.iface[i] + 1);
    for (let k = 0; k <= t; k++) {
      const type = rec.layerType[k];
      if (!isTunnelLayer(type)) continue;
      h = mix(h, type);
      const s = rec.layerStart[k];
      if ((type === Layer.VXLAN || type === Layer.GENEVE) && s + 8 <= rec.end) h = mix(h, batch.view.getUint32(s + 4));
      else if (type === Layer.ERSPAN && s + 4 <= rec.end) h = mix(h, batch.view.getUint32(s));
      const ip = outerIpIndex(rec, k);
      if (ip >= 0 && rec.layerType[ip] === Layer.IPV4) h = mix(h, batch.view.getUint32(rec.layerStart[ip] + 12));
    }
    return h || 1;
  }

  /** Removes VLAN tags / MPLS labels following Ethernet layer `eth`; returns the new frame start. */
  private stripTags(batch: PacketBatch, rec: DecodeRecord, eth: number, start: number): number {
    const { data, view } = batch;
    let k = eth + 1;
    let etype = -1;
    let innerEthernet = -1;
    while (k < rec.layerCount) {
      const type = rec.layerType[k];
      if (type === Layer.VLAN && this.vlan) {
        etype = rec.layerInfo[k];
        k++;
      } else if (type === Layer.MPLS && this.mpls) {
        k++;
        const next = k < rec.layerCount ? rec.layerType[k] : Layer.NONE;
        if (next === Layer.MPLS) continue;
        if (next === Layer.IPV4) etype = ETHERTYPE_IPV4;
        else if (next === Layer.IPV6) etype = ETHERTYPE_IPV6;
        else if (next === Layer.ETHERNET) innerEthernet = k;
        else return start; // unknown payload under the labels: leave the frame as it is
        break;
      } else break;
    }
    if (innerEthernet >= 0) return rec.layerStart[innerEthernet];
    if (etype < 0) return start;
    const tagsEnd = k < rec.layerCount ? rec.layerStart[k] : rec.layerEnd[k - 1];
    const tagBytes = tagsEnd - (start + 14);
    if (tagBytes <= 0) return start;
    data.copyWithin(start + tagBytes, start, start + 12);
    view.setUint16(start + tagBytes + 12, etype);
    return start + tagBytes;
  }
}

export const strip = {
  validate(o: Obj, path: string, p: Problems): void {
    checkKeys(o, path, ['type', 'name', 'tunnels', 'vlan', 'mpls'], p);
    bool(o, 'tunnels', path, p);
    bool(o, 'vlan', path, p);
    bool(o, 'mpls', path, p);
  },
  create(name: string, o: Obj): Action {
    return new StripAction(name, o.tunnels !== false, o.vlan !== false, o.mpls !== false);
  },
};
