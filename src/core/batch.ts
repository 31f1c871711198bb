/**
 * A batch of packets: one byte buffer plus typed-array columns. A packet is an index `i`
 * into the columns; its bytes are `data[offset[i] .. offset[i] + caplen[i])`.
 *
 * Why columns and not objects: a reader fills tens of thousands of packets per batch, and
 * one object per packet is what makes a JavaScript packet path slow (allocation, GC, hidden
 * class churn). Columns are allocated once per batch and reused.
 *
 * Ownership: a source may reuse a batch (and the buffer behind it) after its consumer has
 * finished with it, i.e. once the consumer asks for the next batch. A consumer that keeps
 * packets longer must copy them (`PacketBatch.copyPacket`).
 */
/** The columns of a batch, for building one around arrays that came from elsewhere (a worker message). */
export interface BatchColumns {
  offset: Uint32Array;
  caplen: Uint32Array;
  wirelen: Uint32Array;
  tsSec: Float64Array;
  tsNsec: Uint32Array;
  linktype: Uint16Array;
  iface: Uint32Array;
  flags: Uint32Array;
  number: Float64Array;
}

export class PacketBatch {
  /** The bytes of every packet of the batch (may be a shared read buffer). */
  data: Uint8Array;
  /** One DataView over `data`, for multi-byte reads (never create one per packet). */
  view: DataView;
  /** Number of packets in the batch. */
  count = 0;
  readonly capacity: number;

  readonly offset: Uint32Array;
  readonly caplen: Uint32Array;
  /** Original (on the wire) length, as recorded (normally at least caplen). */
  readonly wirelen: Uint32Array;
  /** Timestamp: whole seconds since the epoch and nanoseconds within the second. */
  readonly tsSec: Float64Array;
  readonly tsNsec: Uint32Array;
  /** LINKTYPE_* of each packet (pcapng files may mix link types). */
  readonly linktype: Uint16Array;
  /** Index of the interface (pcapng IDB, or the source's interface table). */
  readonly iface: Uint32Array;
  /** pcapng epb_flags (bits 0-1: direction 1 = inbound, 2 = outbound). */
  readonly flags: Uint32Array;
  /** Position of the packet in its source, starting at 1 (tshark's frame.number). */
  readonly number: Float64Array;
  /** Packet comments, rare, so kept sparse: packet index -> comments. */
  comments: Map<number, string[]> | null = null;

  constructor(capacity: number, data: Uint8Array = new Uint8Array(0), columns?: BatchColumns) {
    this.capacity = capacity;
    this.data = data;
    this.view = new DataView(data.buffer, data.byteOffset, data.byteLength);
    this.offset = columns?.offset ?? new Uint32Array(capacity);
    this.caplen = columns?.caplen ?? new Uint32Array(capacity);
    this.wirelen = columns?.wirelen ?? new Uint32Array(capacity);
    this.tsSec = columns?.tsSec ?? new Float64Array(capacity);
    this.tsNsec = columns?.tsNsec ?? new Uint32Array(capacity);
    this.linktype = columns?.linktype ?? new Uint16Array(capacity);
    this.iface = columns?.iface ?? new Uint32Array(capacity);
    this.flags = columns?.flags ?? new Uint32Array(capacity);
    this.number = columns?.number ?? new Float64Array(capacity);
  }

  /** Points the batch at a new buffer and empties it. */
  reset(data: Uint8Array): void {
    if (data !== this.data) {
      this.data = data;
      this.view = new DataView(data.buffer, data.byteOffset, data.byteLength);
    }
    this.count = 0;
    this.comments = null;
  }

  get full(): boolean {
    return this.count >= this.capacity;
  }

  addComment(i: number, text: string): void {
    if (this.comments === null) this.comments = new Map();
    const list = this.comments.get(i);
    if (list) list.push(text);
    else this.comments.set(i, [text]);
  }

  /**
   * Sets packet n's columns to those of packet i of `from`, all but where its bytes are
   * (offset, caplen) and its comments, which the caller places.
   */
  copyMeta(from: PacketBatch, i: number, n: number): void {
    this.wirelen[n] = from.wirelen[i];
    this.tsSec[n] = from.tsSec[i];
    this.tsNsec[n] = from.tsNsec[i];
    this.linktype[n] = from.linktype[i];
    this.iface[n] = from.iface[i];
    this.flags[n] = from.flags[i];
    this.number[n] = from.number[i];
  }

  /** The bytes of packet i, as a view (no copy). */
  packet(i: number): Uint8Array {
    return this.data.subarray(this.offset[i], this.offset[i] + this.caplen[i]);
  }

  /** A copy of packet i's bytes that survives reuse of the batch. */
  copyPacket(i: number): Uint8Array {
    return this.data.slice(this.offset[i], this.offset[i] + this.caplen[i]);
  }

  /** Timestamp of packet i as seconds, for display (loses sub-microsecond precision). */
  time(i: number): number {
    return this.tsSec[i] + this.tsNsec[i] / 1e9;
  }
}

/** Builds batches from packets that are not already in one buffer (tests, generators). */
export class BatchBuilder {
  private buf: Uint8Array;
  private used = 0;
  readonly batch: PacketBatch;

  constructor(capacity = 1024, bytes = 1 << 20) {
    this.buf = new Uint8Array(bytes);
    this.batch = new PacketBatch(capacity, this.buf);
  }

  add(bytes: Uint8Array, opts: { wirelen?: number; tsSec?: number; tsNsec?: number; linktype?: number; iface?: number; flags?: number } = {}): number {
    const b = this.batch;
    if (b.full) throw new Error('batch full');
    if (this.used + bytes.length > this.buf.length) {
      const bigger = new Uint8Array(Math.max(this.buf.length * 2, this.used + bytes.length));
      bigger.set(this.buf.subarray(0, this.used));
      this.buf = bigger;
      const count = b.count;
      b.reset(bigger);
      b.count = count;
    }
    this.buf.set(bytes, this.used);
    const i = b.count++;
    b.offset[i] = this.used;
    b.caplen[i] = bytes.length;
    b.wirelen[i] = opts.wirelen ?? bytes.length;
    b.tsSec[i] = opts.tsSec ?? 0;
    b.tsNsec[i] = opts.tsNsec ?? 0;
    b.linktype[i] = opts.linktype ?? 1;
    b.iface[i] = opts.iface ?? 0;
    b.flags[i] = opts.flags ?? 0;
    b.number[i] = i + 1;
    this.used += bytes.length;
    return i;
  }
}
