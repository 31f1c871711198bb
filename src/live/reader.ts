/**
 * Reads one or more live captures as one stream of batches: each round drains every
 * capture that has packets into one batch (packet i keeps its capture's index in
 * `batch.iface`), and parks on the event loop only when none has any.
 */
import { PacketBatch } from '../core/batch.js';
import type { LiveCapture } from './capture.js';

export interface LiveReaderOptions {
  /** Packets per batch. */
  batchSize?: number;
  /** Bytes of the batch buffer; at least one snaplen. */
  bufferBytes?: number;
  /** Precede each packet with a pcap record header (1 µs, 2 ns): see PcapRecordWriter. */
  recordHeader?: 0 | 1 | 2;
  /** 'poll' (default): readiness on the event loop, dispatch on the main thread. 'thread':
   * dispatch blocks on a libuv pool thread (one interface only; kept for measurement). */
  dispatch?: 'poll' | 'thread';
}

export class LiveReader {
  readonly batch: PacketBatch;
  private readonly buf: Uint8Array;
  private stopped = false;
  private numbered = 0;
  private first = 0;
  private readonly recordHeader: 0 | 1 | 2;
  private readonly thread: boolean;
  /** Bytes used in the buffer by the last batch (with record headers: the pcap records). */
  used = 0;

  constructor(readonly captures: LiveCapture[], opts: LiveReaderOptions = {}) {
    this.recordHeader = opts.recordHeader ?? 0;
    this.thread = opts.dispatch === 'thread' && captures.length === 1;
    const maxSnap = Math.max(...captures.map((c) => c.snaplen));
    this.buf = new Uint8Array(Math.max(opts.bufferBytes ?? 8 << 20, maxSnap * 2));
    this.batch = new PacketBatch(opts.batchSize ?? 8192, this.buf);
  }

  /** Packets delivered so far. */
  get packets(): number {
    return this.numbered;
  }

  /** The buffer behind the batches (with record headers, a run of pcap records). */
  get buffer(): Uint8Array {
    return this.buf;
  }

  async *batches(): AsyncGenerator<PacketBatch> {
    const caps = this.captures;
    const b = this.batch;
    while (!this.stopped) {
      b.reset(this.buf);
      let pos = 0;
      if (this.thread) {
        if (!caps[0].open) return;
        pos = await caps[0].fillThread(b, 0, 0, this.numbered, this.recordHeader);
        if (b.count === 0) continue;
        this.numbered += b.count;
        this.used = pos;
        yield b;
        continue;
      }
      // Rotate who goes first so one busy interface cannot starve the others.
      for (let k = 0; k < caps.length; k++) {
        const c = (this.first + k) % caps.length;
        pos = caps[c].fill(b, pos, c, this.numbered + b.count, this.recordHeader);
        if (b.full) break;
      }
      this.first = (this.first + 1) % caps.length;
      if (b.count === 0) {
        if (caps.every((c) => !c.open)) return;
        await Promise.race(caps.map((c) => c.readable()));
        continue;
      }
      this.numbered += b.count;
      this.used = pos;
      yield b;
    }
  }

  /** Ends the stream; captures stay open (for final statistics) until close(). */
  stop(): void {
    this.stopped = true;
    if (this.thread) for (const c of this.captures) c.interrupt();
  }

  close(): void {
    this.stopped = true;
    for (const c of this.captures) c.close();
  }
}
