/**
 * `dedupe`: drops a packet seen again within `window` (default 5 ms of packet time).
 * Two copies of one packet taken at two tap points differ in what the path changed, so the
 * comparison starts at the innermost IP header (outer tunnel headers and MACs ignored) and
 * skips the IPv4 TTL and header checksum and the IPv6 hop limit. Non-IP frames compare whole.
 *
 * Table: direct-mapped, 2^16 slots of (second hash, length, time); a collision only
 * forgets an older packet, it never drops a packet wrongly (both 32-bit hashes must match).
 */
import type { PacketBatch } from '../../core/batch.js';
import { decodePacket } from '../../decode/decode.js';
import { DecodeRecord, Layer } from '../../decode/record.js';
import { checkKeys, duration, Problems, type Obj } from '../../pipeline/problems.js';
import { ComponentCounters, DropReason } from '../counters.js';
import type { Action } from '../types.js';

const SLOTS = 1 << 16;

export class DedupeAction implements Action {
  readonly type = 'dedupe';
  readonly modifiesBytes = false;
  readonly counters: ComponentCounters;
  private readonly rec = new DecodeRecord();
  private readonly slotHash = new Uint32Array(SLOTS);
  private readonly slotLen = new Uint32Array(SLOTS);
  private readonly slotTime = new Float64Array(SLOTS).fill(-Infinity);
  private readonly windowSec: number;

  constructor(readonly name: string, windowMs: number) {
    this.counters = new ComponentCounters('action', name, this.type);
    this.windowSec = windowMs / 1000;
  }

  apply(batch: PacketBatch, keep: Uint8Array): void {
    let n = 0, bytes = 0, dropped = 0, droppedBytes = 0;
    const data = batch.data;
    const rec = this.rec;
    for (let i = 0; i < batch.count; i++) {
      if (!keep[i]) continue;
      n++;
      bytes += batch.caplen[i];
      decodePacket(batch, i, rec);
      const end = batch.offset[i] + batch.caplen[i];
      let start = batch.offset[i];
      let skipA = -1, skipB = -1, skipC = -1;
      if (rec.l3 >= 0) {
        start = rec.layerStart[rec.l3];
        if (rec.layerType[rec.l3] === Layer.IPV4) {
          skipA = start + 8; // TTL
          skipB = start + 10; // header checksum
          skipC = start + 11;
        } else {
          skipA = start + 7; // hop limit
        }
      }
      // Two independent 32-bit hashes (FNV-1a and a multiplicative one) over the compared bytes.
      let h1 = 0x811c9dc5;
      let h2 = 0x9747b28c;
      for (let k = start; k < end; k++) {
        const b = k === skipA || k === skipB || k === skipC ? 0 : data[k];
        h1 = Math.imul(h1 ^ b, 0x01000193);
        h2 = Math.imul(h2 + b + 1, 0x5bd1e995) ^ (h2 >>> 15);
      }
      const len = end - start;
      const slot = (h1 >>> 0) & (SLOTS - 1);
      const t = batch.tsSec[i] + batch.tsNsec[i] / 1e9;
      if (this.slotHash[slot] === h2 >>> 0 && this.slotLen[slot] === len && t - this.slotTime[slot] <= this.windowSec && t >= this.slotTime[slot]) {
        keep[i] = 0;
        dropped++;
        droppedBytes += batch.caplen[i];
        continue;
      }
      this.slotHash[slot] = h2 >>> 0;
      this.slotLen[slot] = len;
      this.slotTime[slot] = t;
    }
    this.counters.in(n, bytes);
    this.counters.out(n - dropped, bytes - droppedBytes);
    this.counters.drop(DropReason.dedupe, dropped, droppedBytes);
  }
}

export const dedupe = {
  validate(o: Obj, path: string, p: Problems): void {
    checkKeys(o, path, ['type', 'name', 'window'], p);
    duration(o, 'window', path, p);
  },
  create(name: string, o: Obj): Action {
    return new DedupeAction(name, duration(o, 'window', '', new Problems()) ?? 5);
  },
};
