/**
 * Batches for the socket receive path: datagrams arrive one 'message' event at a time and
 * are copied into the batch being filled; the source's consumer takes whole batches. A fixed
 * pool of batches bounds memory: when every batch is full or held, a datagram is dropped
 * and counted (queue_full), never buffered without limit.
 */
import { PacketBatch } from '../../core/batch.js';
import { WakeSignal } from '../../core/signal.js';

interface Slot {
  batch: PacketBatch;
  buf: Buffer;
  pos: number;
}

export class DatagramQueue {
  private readonly free: Slot[] = [];
  private readonly ready: Slot[] = [];
  private filling: Slot | null;
  private held: Slot | null = null;
  private readonly signal = new WakeSignal();
  private stopped = false;
  /** The batch the last append() went to. */
  batch: PacketBatch;
  dropped = 0;
  droppedBytes = 0;

  constructor(slots = 4, capacity = 4096, bytes = 4 << 20) {
    for (let k = 0; k < slots; k++) {
      const buf = Buffer.allocUnsafe(bytes);
      this.free.push({ batch: new PacketBatch(capacity, buf), buf, pos: 0 });
    }
    this.filling = this.free.pop()!;
    this.batch = this.filling.batch;
  }

  /** Copies src[start, end) as a new packet of `this.batch`; returns its index, or -1 (dropped). */
  append(src: Buffer, start: number, end: number): number {
    const len = end - start;
    let s = this.filling;
    if (s !== null && (s.batch.count >= s.batch.capacity || s.pos + len > s.buf.length)) {
      this.ready.push(s);
      s = this.filling = null;
      this.signal.notify();
    }
    if (s === null) s = this.filling = this.free.pop() ?? null;
    if (s === null || len > s.buf.length) {
      this.dropped++;
      this.droppedBytes += len;
      return -1;
    }
    src.copy(s.buf, s.pos, start, end);
    const b = s.batch;
    const i = b.count++;
    b.offset[i] = s.pos;
    b.caplen[i] = len;
    b.wirelen[i] = len;
    s.pos += len;
    this.batch = b;
    this.signal.notify();
    return i;
  }

  /** Takes back the last packet appended (it turned out unusable). */
  unappend(): void {
    const s = this.filling;
    if (s === null || s.batch.count === 0) return;
    const i = --s.batch.count;
    s.pos = s.batch.offset[i];
  }

  /** Offset where packet i of the filling batch started (before any decapsulation). */
  get fillingPos(): number {
    return this.filling?.pos ?? 0;
  }

  /** The next batch with packets; the previous one is recycled. Null once stopped. */
  async next(): Promise<PacketBatch | null> {
    if (this.held !== null) {
      const h = this.held;
      h.batch.reset(h.buf);
      h.pos = 0;
      this.free.push(h);
      this.held = null;
    }
    let settled = false;
    for (;;) {
      if (this.stopped) return null;
      let s = this.ready.shift();
      if (s === undefined && !settled && this.filling !== null && this.filling.batch.count > 0) {
        // Each datagram is its own event and the consumer resumes after the first one; let
        // the rest of this poll phase's datagrams in first, or batches hold one packet.
        settled = true;
        await new Promise<void>((resolve) => setImmediate(resolve));
        continue;
      }
      if (s === undefined && this.filling !== null && this.filling.batch.count > 0) {
        s = this.filling;
        this.filling = this.free.pop() ?? null;
      }
      if (s !== undefined) {
        this.held = s;
        return s.batch;
      }
      await this.signal.wait();
    }
  }

  stop(): void {
    this.stopped = true;
    this.signal.notify();
  }
}
