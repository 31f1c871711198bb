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

/** Fills `out[i]` with each packet's symmetric flow hash (plain packets decode cheaply, see plain.ts). */
export function computeFlowHashes(batch: PacketBatch, rec: DecodeRecord, out: Uint32Array, opts?: DecodeOptions): void {
  for (let i = 0; i < batch.count; i++) {
    decodePacket(batch, i, rec, opts);
    out[i] = flowHashOf(batch, i, rec);
  }
}
