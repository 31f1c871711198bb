/**
 * `stdout`: a pcap (or pcapng) stream on standard output, for
 * `tapwire run cfg.yaml | tcpdump -r -` or Zeek / Suricata / Wireshark reading a pipe.
 *
 * Writes go through fs.write on fd 1 from a bounded queue (`queue_bytes`), not through
 * process.stdout: on Linux process.stdout writes to a pipe synchronously, which would freeze
 * the whole event loop (every other target and socket) behind one slow reader. When the
 * queue is full the target waits for the reader (`on_full: wait`, the default: lossless, like
 * tcpdump -w - in a pipe) or drops with reason queue_full (`on_full: drop`, for live sources
 * that must not slow down). When the reader goes away (EPIPE) the stream ends quietly, the
 * target is marked down and later packets are dropped with reason target_down.
 */
import fs from 'node:fs';
import type { PacketBatch } from '../../core/batch.js';
import { checkKeys, size, str, type Obj, type Problems } from '../../pipeline/problems.js';
import { ComponentCounters, DropReason } from '../counters.js';
import type { BatchContext, Target } from '../types.js';
import { ByteQueue } from './byte-queue.js';
import { CAPTURE_KEYS, captureOptions, sizeValue, validateCapture, type CaptureOptions } from './config.js';
import { StreamEncoder } from './stream-encoder.js';

export interface StdoutOptions extends CaptureOptions {
  queueBytes: number;
  onFull: 'wait' | 'drop';
  /** The descriptor to write (1; tests may pass another). */
  fd?: number;
}

export class StdoutTarget implements Target {
  readonly type = 'stdout';
  readonly counters: ComponentCounters;
  private readonly enc: StreamEncoder;
  private readonly queue: ByteQueue;
  private readonly fd: number;
  private headerSent = false;
  private down = false;
  private pumping = false;
  private waiters: (() => void)[] = [];

  constructor(readonly name: string, private readonly o: StdoutOptions) {
    this.counters = new ComponentCounters('target', name, this.type);
    this.enc = new StreamEncoder(o);
    this.queue = new ByteQueue(o.queueBytes);
    this.fd = o.fd ?? 1;
  }

  get up(): boolean {
    return !this.down;
  }

  async start(): Promise<void> {}

  async write(batch: PacketBatch, keep: Uint8Array | null, ctx: BatchContext): Promise<void> {
    const enc = this.enc;
    enc.encode(batch, keep, ctx);
    const c = this.counters;
    c.in(enc.inPackets, enc.inBytes);
    c.drop(DropReason.linktype, enc.linktypeDropped, enc.linktypeDroppedBytes);
    if (this.down) return c.drop(DropReason.target_down, enc.count, enc.bytesOf(0, enc.count));
    if (enc.count === 0 && enc.headLen === 0) return;
    let from = 0;
    if (!this.headerSent) {
      const header = enc.fileHeader();
      if (header === null) return; // no record yet fixes the link type: nothing to say
      this.queue.push(header, 0, 0, true);
      this.headerSent = true;
      from = enc.headLen;
    }
    let take = enc.count;
    const need = enc.pos - from;
    if (this.queue.size > 0 && this.queue.size + need > this.o.queueBytes) {
      if (this.o.onFull === 'wait') await this.roomFor(need);
      else take = enc.fitting(from, this.queue.room);
    }
    if (this.down) return c.drop(DropReason.target_down, enc.count, enc.bytesOf(0, enc.count));
    const end = take === enc.count ? enc.pos : enc.startOf(take);
    // Copy: the encoder reuses its buffer for the next batch while this chunk waits.
    if (end > from) this.queue.push(enc.buf.slice(from, end), take, enc.bytesOf(0, take), true);
    c.drop(DropReason.queue_full, enc.count - take, enc.bytesOf(take, enc.count));
    this.pump();
  }

  /** Resolves when `need` more bytes fit (or the queue is empty, or the reader is gone). */
  private roomFor(need: number): Promise<void> {
    return this.until(() => this.queue.size === 0 || this.queue.size + need <= this.o.queueBytes);
  }

  /** Resolves once `cond()` holds or the reader is gone; re-checked after every write. */
  private until(cond: () => boolean): Promise<void> {
    return new Promise((resolve) => {
      const check = (): void => {
        if (this.down || cond()) resolve();
        else this.waiters.push(check);
      };
      check();
    });
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  private pump(): void {
    if (this.pumping || this.down) return;
    const chunk = this.queue.peek();
    if (!chunk) return this.wake();
    this.pumping = true;
    fs.write(this.fd, chunk.bytes, chunk.written, chunk.bytes.length - chunk.written, null, (err, n) => {
      this.pumping = false;
      if (err) {
        if (err.code === 'EAGAIN') {
          // A non-blocking pipe is full: try again shortly rather than spin.
          setTimeout(() => this.pump(), 2);
          return;
        }
        if (err.code !== 'EPIPE') this.counters.error('write');
        this.markDown();
        return;
      }
      const done = this.queue.advance(n);
      if (done) this.counters.out(done.packets, done.packetBytes);
      this.wake();
      this.pump();
    });
  }

  private markDown(): void {
    this.down = true;
    const lost = this.queue.clear();
    this.counters.drop(DropReason.target_down, lost.packets, lost.packetBytes);
    this.wake();
  }

  async close(): Promise<void> {
    if (!this.headerSent && !this.down) {
      this.queue.push(this.enc.idleHeader(), 0, 0, true);
      this.headerSent = true;
      this.pump();
    }
    // Let the reader take what is queued; fd 1 itself stays open for the process.
    await this.until(() => this.queue.length === 0);
  }
}

export const stdout = {
  validate(o: Obj, path: string, p: Problems): void {
    checkKeys(o, path, ['type', 'name', ...CAPTURE_KEYS, 'queue_bytes', 'on_full'], p);
    validateCapture(o, path, p);
    size(o, 'queue_bytes', path, p);
    str(o, 'on_full', path, p, { choices: ['wait', 'drop'] });
  },
  create(name: string, o: Obj): Target {
    return new StdoutTarget(name, {
      ...captureOptions(o),
      queueBytes: sizeValue(o.queue_bytes) ?? 64 * 1024 * 1024,
      onFull: (o.on_full as 'wait' | 'drop' | undefined) ?? 'wait',
    });
  },
};
