/**
 * A session works on its own batch: the packets its filter selected, with columns copied
 * (so `slice` can shorten one session's copy without touching another's). Bytes are shared
 * with the source batch unless an action rewrites them (`mask`, `strip`): then the session
 * copies the selected packets' bytes into its own buffer first (copy on write, per session).
 */
import { PacketBatch } from '../core/batch.js';
import { PacketShapes } from './packet-shapes.js';

export class SessionBatch {
  batch: PacketBatch;
  /** Flow hash of each selected packet (copied from the source's column). */
  flowHash: Uint32Array;
  /** Decoded header positions of each selected packet (copied when the source has them). */
  shapes: PacketShapes;
  private own: Uint8Array = new Uint8Array(0);

  constructor(capacity: number, private readonly ownsBytes: boolean) {
    this.batch = new PacketBatch(capacity);
    this.flowHash = new Uint32Array(capacity);
    this.shapes = new PacketShapes(capacity);
  }

  /** Copies the packets of `src` whose `sel[i]` is set; returns how many. */
  select(src: PacketBatch, sel: Uint8Array, srcHash: Uint32Array | null, srcShapes: PacketShapes | null): number {
    if (this.batch.capacity < src.count) {
      this.batch = new PacketBatch(src.capacity);
      this.flowHash = new Uint32Array(src.capacity);
      this.shapes = new PacketShapes(src.capacity);
    }
    const b = this.batch;
    let bytes = 0;
    if (this.ownsBytes) {
      for (let i = 0; i < src.count; i++) if (sel[i]) bytes += src.caplen[i];
      if (this.own.length < bytes) this.own = new Uint8Array(Math.max(bytes, this.own.length * 2, 1 << 16));
      b.reset(this.own);
    } else {
      b.reset(src.data);
    }
    let n = 0;
    let pos = 0;
    for (let i = 0; i < src.count; i++) {
      if (!sel[i]) continue;
      if (this.ownsBytes) {
        const off = src.offset[i];
        this.own.set(src.data.subarray(off, off + src.caplen[i]), pos);
        b.offset[n] = pos;
        pos += src.caplen[i];
      } else {
        b.offset[n] = src.offset[i];
      }
      b.caplen[n] = src.caplen[i];
      b.copyMeta(src, i, n);
      if (srcHash !== null) this.flowHash[n] = srcHash[i];
      if (srcShapes !== null) this.shapes.copyFrom(srcShapes, i, n);
      const c = src.comments?.get(i);
      if (c) for (const text of c) b.addComment(n, text);
      n++;
    }
    b.count = n;
    this.shapes.count = n;
    return n;
  }
}
