/**
 * `dedupe`: drops a packet seen again within `window` (default 5 ms of packet time).
 * Two copies of one packet taken at two tap points differ in what the path changed, so the
 * comparison starts at the innermost IP header (outer tunnel headers and MACs ignored) and
 * skips the IPv4 TTL and header checksum and the IPv6 hop limit. Non-IP frames compare whole.
 * The IP header is at the start of its words, so the changed bytes sit in one word (masked).
 * Past 64 payload bytes the transport checksum stands for the rest of the payload.
 *
 * Hashing: the compared bytes, as 32-bit words, alternate between two hash chains (even
 * words into one, odd words into the other). Each step of a chain is a bijection of its
 * state, so two packets that differ in one word always differ in a chain; both 32-bit values
 * and the length must match for a duplicate. Table: direct-mapped, 2^16 slots of (hashes,
 * length, time); a slot collision only forgets an older packet, never drops one wrongly.
 */
import type { PacketBatch } from '../../core/batch.js';
import { fmix32 } from '../../core/hash.js';
import { Layer } from '../../decode/record.js';
import { ShapeDecoder } from '../../pipeline/packet-shapes.js';
import { checkKeys, duration, Problems, type Obj } from '../../pipeline/problems.js';
import { ComponentCounters, DropReason } from '../counters.js';
import type { Action, BatchContext } from '../types.js';

const SLOTS = 1 << 16;
/** Payload bytes hashed when a transport checksum covers the rest. */
const PAYLOAD_HASHED = 64;

export class DedupeAction implements Action {
  readonly type = 'dedupe';
  readonly modifiesBytes = false;
  readonly editsColumns = false;
  readonly readsShapes = true;
  readonly counters: ComponentCounters;
  private readonly decoder = new ShapeDecoder();
  private readonly slotEven = new Int32Array(SLOTS);
  private readonly slotOdd = new Int32Array(SLOTS);
  private readonly slotLen = new Uint32Array(SLOTS);
  private readonly slotTime = new Float64Array(SLOTS).fill(-Infinity);
  private readonly windowSec: number;

  constructor(readonly name: string, windowMs: number) {
    this.counters = new ComponentCounters('action', name, this.type);
    this.windowSec = windowMs / 1000;
  }

  apply(batch: PacketBatch, keep: Uint8Array, ctx: BatchContext): void {
    let n = 0, bytes = 0, dropped = 0, droppedBytes = 0;
    const { data, view } = batch;
    const shapes = ctx.shapes ?? this.decoder.decode(batch);
    for (let i = 0; i < batch.count; i++) {
      if (!keep[i]) continue;
      n++;
      bytes += batch.caplen[i];
      const off = batch.offset[i];
      let end = off + batch.caplen[i];
      let start = off;
      if (shapes.l4[i] >= 0 && shapes.payloadLength[i] > PAYLOAD_HASHED && checksummed(view, off + shapes.l4[i], shapes.l4Type[i], end)) {
        // The transport checksum already summarises the payload: hashing the headers, the
        // first payload bytes and the length is as discriminating and far cheaper.
        end = off + shapes.payload[i] + PAYLOAD_HASHED;
      }
      // The 32-bit word (from `start`) holding the bytes a second tap point changes, and the
      // mask that clears them: IPv4 TTL and header checksum, IPv6 hop limit.
      let maskAt = -1;
      let mask = -1;
      if (shapes.l3[i] >= 0) {
        start = off + shapes.l3[i];
        if (shapes.l3Type[i] === Layer.IPV4) {
          maskAt = start + 8;
          mask = 0x00ff0000; // keep only the protocol byte of TTL|proto|checksum
        } else {
          maskAt = start + 4;
          mask = 0xffffff00 | 0; // payload length|next header, hop limit cleared
        }
      }
      // The two chains (see the header comment), int32 throughout so V8 stays in registers.
      let even = 0x811c9dc5 | 0;
      let odd = 0x9747b28c | 0;
      let k = start;
      for (; k + 8 <= end; k += 8) {
        let w = view.getInt32(k);
        let v = view.getInt32(k + 4);
        if (k === maskAt) w &= mask;
        else if (k + 4 === maskAt) v &= mask;
        even = Math.imul(even ^ w, 0x01000193);
        odd = Math.imul(odd ^ v, 0x5bd1e995);
        odd ^= odd >>> 15;
      }
      if (k + 4 <= end) {
        let w = view.getInt32(k);
        if (k === maskAt) w &= mask;
        even = Math.imul(even ^ w, 0x01000193);
        k += 4;
      }
      for (; k < end; k++) {
        odd = Math.imul(odd ^ data[k], 0x5bd1e995);
        odd ^= odd >>> 15;
      }
      const len = batch.offset[i] + batch.caplen[i] - start;
      const slot = fmix32(even ^ odd) & (SLOTS - 1);
      const t = batch.tsSec[i] + batch.tsNsec[i] / 1e9;
      if (this.slotEven[slot] === even && this.slotOdd[slot] === odd && this.slotLen[slot] === len && t - this.slotTime[slot] <= this.windowSec && t >= this.slotTime[slot]) {
        keep[i] = 0;
        dropped++;
        droppedBytes += batch.caplen[i];
        continue;
      }
      this.slotEven[slot] = even;
      this.slotOdd[slot] = odd;
      this.slotLen[slot] = len;
      this.slotTime[slot] = t;
    }
    this.counters.in(n, bytes);
    this.counters.out(n - dropped, bytes - droppedBytes);
    this.counters.drop(DropReason.dedupe, dropped, droppedBytes);
  }

}

/** True when the transport header (type `t` at `l4`) carries a checksum over its payload. */
function checksummed(view: DataView, l4: number, t: number, end: number): boolean {
  if (t === Layer.TCP) return l4 + 18 <= end;
  if (t === Layer.UDP) return l4 + 8 <= end && view.getUint16(l4 + 6) !== 0;
  return t === Layer.ICMP || t === Layer.ICMPV6;
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
