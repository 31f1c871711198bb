/**
 * A bounded FIFO of byte chunks, each remembering how many packets (and captured bytes) it
 * carries, so a consumer can count packets as out when their bytes are really written and as
 * dropped when they never will be. The bound is on bytes: a queue that would grow past
 * `limit` refuses the chunk and the caller drops (and counts) its packets.
 */
export interface QueuedChunk {
  bytes: Uint8Array;
  /** Bytes of `bytes` already written (a stream may take a chunk in several writes). */
  written: number;
  packets: number;
  packetBytes: number;
}

export class ByteQueue {
  private readonly items: QueuedChunk[] = [];
  private head = 0;
  /** Unwritten bytes queued. */
  size = 0;

  constructor(readonly limit: number) {}

  get length(): number {
    return this.items.length - this.head;
  }

  /** Room left before the limit. */
  get room(): number {
    return Math.max(0, this.limit - this.size);
  }

  /** Queues the chunk unless it would exceed the limit (unless `force`, used for headers). */
  push(bytes: Uint8Array, packets: number, packetBytes: number, force = false): boolean {
    if (!force && this.size + bytes.length > this.limit) return false;
    this.items.push({ bytes, written: 0, packets, packetBytes });
    this.size += bytes.length;
    return true;
  }

  peek(): QueuedChunk | undefined {
    return this.items[this.head];
  }

  /** Marks n more bytes of the head chunk written; returns the chunk when it is complete. */
  advance(n: number): QueuedChunk | null {
    const c = this.items[this.head];
    c.written += n;
    this.size -= n;
    if (c.written < c.bytes.length) return null;
    this.items[this.head++] = undefined as unknown as QueuedChunk;
    if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items.splice(0, this.head);
      this.head = 0;
    }
    return c;
  }

  /** Removes everything; returns the packets and bytes that will now never be written. */
  clear(): { packets: number; packetBytes: number } {
    let packets = 0;
    let packetBytes = 0;
    for (let k = this.head; k < this.items.length; k++) {
      packets += this.items[k].packets;
      packetBytes += this.items[k].packetBytes;
    }
    this.items.length = 0;
    this.head = 0;
    this.size = 0;
    return { packets, packetBytes };
  }
}
