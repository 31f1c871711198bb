/**
 * Symmetric flow hash: both directions of a flow get the same 32-bit value, so `balance`
 * sends a conversation to one tool, `sample by flow` keeps or drops whole flows, and
 * re-encapsulation picks one outer source port per flow. Computed once per source batch
 * into a column, from the innermost IP header and ports (the mirrored packet, not the tunnel).
 */
import type { PacketBatch } from '../core/batch.js';
import { decodePacket, type DecodeOptions } from '../decode/decode.js';
import { DecodeRecord, Layer } from '../decode/record.js';
import { fmix32 } from '../core/hash.js';
import { LinkType } from '../core/linktypes.js';


/** Hash of one endpoint: address words and port. */
function endpoint(view: DataView, addr: number, words: number, port: number): number {
  let h = port * 0x9e3779b1;
  for (let k = 0; k < words; k++) h = fmix32(h ^ view.getUint32(addr + 4 * k));
  return h >>> 0;
}

export function flowHashOf(batch: PacketBatch, i: number, rec: DecodeRecord): number {
  const view = batch.view;
  if (rec.l3 < 0) {
    // Not IP: hash the frame's first bytes symmetrically enough (sum of MAC words).
    const start = batch.offset[i];
    if (rec.end - start < 12) return 0;
    return fmix32((view.getUint32(start) + view.getUint32(start + 6)) >>> 0);
  }
  const ip = rec.layerStart[rec.l3];
  const v4 = rec.layerType[rec.l3] === Layer.IPV4;
  const src = v4 ? ip + 12 : ip + 8;
  const dst = v4 ? ip + 16 : ip + 24;
  const words = v4 ? 1 : 4;
  let proto = 0;
  let sport = 0;
  let dport = 0;
  if (rec.l4 >= 0) {
    const t = rec.layerType[rec.l4];
    proto = t;
    if ((t === Layer.TCP || t === Layer.UDP || t === Layer.SCTP) && rec.layerStart[rec.l4] + 4 <= rec.end) {
      sport = view.getUint16(rec.layerStart[rec.l4]);
      dport = view.getUint16(rec.layerStart[rec.l4] + 2);
    }
  }
  // Addition is commutative: (a, b) and (b, a) give the same sum.
  return fmix32((endpoint(view, src, words, sport) + endpoint(view, dst, words, dport) + proto) >>> 0);
}

/**
 * The common case without the decoder: untagged Ethernet, IPv4 without options, an
 * unfragmented-or-first TCP segment with a whole header. Returns the same value as
 * `flowHashOf` after a full decode (a test checks this on every fixture packet), or -1 when
 * the packet is anything else (tags, tunnels, UDP with its tunnel ports, damage...).
 */
export function fastFlowHash(batch: PacketBatch, i: number): number {
  if (batch.linktype[i] !== LinkType.ETHERNET) return -1;
  const data = batch.data;
  const view = batch.view;
  const off = batch.offset[i];
  const end = off + batch.caplen[i];
  const ip = off + 14;
  if (ip + 20 > end || view.getUint16(off + 12) !== 0x0800 || data[ip] !== 0x45 || data[ip + 9] !== 6) return -1;
  if ((view.getUint16(ip + 6) & 0x1fff) !== 0) return -1;
  const total = view.getUint16(ip + 2);
  if (total !== 0 && total < 20) return -1;
  const lim = total !== 0 && ip + total < end ? ip + total : end;
  const tcp = ip + 20;
  if (lim - tcp < 20) return -1;
  const hl = (data[tcp + 12] >>> 4) << 2;
  if (hl < 20 || hl > lim - tcp) return -1;
  return fmix32((endpoint(view, ip + 12, 1, view.getUint16(tcp)) + endpoint(view, ip + 16, 1, view.getUint16(tcp + 2)) + Layer.TCP) >>> 0);
}

/** Fills `out[i]` with each packet's symmetric flow hash, decoding only when it must. */
export function computeFlowHashes(batch: PacketBatch, rec: DecodeRecord, out: Uint32Array, opts?: DecodeOptions): void {
  for (let i = 0; i < batch.count; i++) {
    const h = fastFlowHash(batch, i);
    if (h >= 0) {
      out[i] = h;
      continue;
    }
    decodePacket(batch, i, rec, opts);
    out[i] = flowHashOf(batch, i, rec);
  }
}
