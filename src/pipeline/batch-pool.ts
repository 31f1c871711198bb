/**
 * The memory a sharded pipeline's threads share: a fixed set of SharedArrayBuffers that the
 * main thread reads packets into (data buffers) and describes them in (column sets, one per
 * batch, with a flow-hash column), and that the workers read in place.
 *
 * Each buffer has a reference count in shared memory. Whoever takes a buffer holds it once;
 * the main thread adds one reference per worker it sends a batch to; a worker drops its
 * reference with an atomic decrement once it has copied its shard out, no message needed.
 * A buffer whose count is back to 0 is reused. So memory is bounded by the pool, nothing
 * is allocated per batch, and a reader that finds every buffer held waits: slow workers
 * slow the sources down instead of letting batches queue up.
 *
 * Why not new SharedArrayBuffers per batch: a SharedArrayBuffer is freed only when every
 * thread that saw it has garbage-collected its handle, so memory grew to several times the
 * single-thread figure.
 */
import { PacketBatch, type BatchColumns } from '../core/batch.js';
import type { SharedBufferPool } from '../formats/capture-reader.js';

/** refs[0] counts releases (a worker bumps it and wakes a waiting reader); refs[1 + slot] is a slot's count. */
const SIGNAL = 0;
/** Bytes of one packet's columns: tsSec, number (f64); offset, caplen, wirelen, tsNsec, iface, flags, hash (u32); linktype (u16). */
const COLUMN_BYTES = 46;
/** Atomics.waitAsync (Node 16 and later), which this TypeScript lib does not declare yet. */
const waitAsync = (Atomics as unknown as { waitAsync(a: Int32Array, index: number, value: number): { value: Promise<string> | string } }).waitAsync;

export interface PoolLayout {
  /** Slots [0, dataSlots) hold data buffers, the next `batchSlots` hold column sets. */
  dataSlots: number;
  batchSlots: number;
  /** Packets per column set. */
  capacity: number;
  refs: SharedArrayBuffer;
}

/** A column set laid out in `buf` (8-byte columns first, for alignment). */
export function columnsOn(buf: SharedArrayBuffer, capacity: number): { columns: BatchColumns; hash: Uint32Array } {
  const c = capacity;
  return {
    columns: {
      tsSec: new Float64Array(buf, 0, c),
      number: new Float64Array(buf, 8 * c, c),
      offset: new Uint32Array(buf, 16 * c, c),
      caplen: new Uint32Array(buf, 20 * c, c),
      wirelen: new Uint32Array(buf, 24 * c, c),
      tsNsec: new Uint32Array(buf, 28 * c, c),
      iface: new Uint32Array(buf, 32 * c, c),
      flags: new Uint32Array(buf, 36 * c, c),
      linktype: new Uint16Array(buf, 44 * c, c),
    },
    hash: new Uint32Array(buf, 40 * c, c),
  };
}

interface ColumnSlot {
  buf: SharedArrayBuffer;
  batch: PacketBatch;
  hash: Uint32Array;
}

/** The main thread's side: hands out free buffers, counts who holds them. */
export class BatchPool implements SharedBufferPool {
  readonly layout: PoolLayout;
  private readonly refs: Int32Array;
  private readonly data: (Uint8Array | null)[];
  private readonly cols: (ColumnSlot | null)[];
  /** Slot of each SharedArrayBuffer handed out (a batch is known by its columns' buffer). */
  private readonly slotOf = new Map<ArrayBufferLike, number>();
  /** Per worker, the buffer it last received for each slot: a slot's buffer is sent once. */
  private readonly known: (SharedArrayBuffer | null)[][];
  private failure: Error | null = null;

  constructor(dataSlots: number, batchSlots: number, capacity: number, workers: number) {
    const refs = new SharedArrayBuffer(4 * (1 + dataSlots + batchSlots));
    this.layout = { dataSlots, batchSlots, capacity, refs };
    this.refs = new Int32Array(refs);
    this.data = new Array<Uint8Array | null>(dataSlots).fill(null);
    this.cols = new Array<ColumnSlot | null>(batchSlots).fill(null);
    this.known = Array.from({ length: workers }, () => new Array<SharedArrayBuffer | null>(dataSlots + batchSlots).fill(null));
  }

  async buffer(bytes: number): Promise<Uint8Array> {
    const slot = await this.take(0, this.layout.dataSlots, (s) => (this.data[s]?.length ?? 0) >= bytes);
    let buf = this.data[slot];
    if (buf === null || buf.length < bytes) {
      if (buf !== null) this.slotOf.delete(buf.buffer);
      buf = new Uint8Array(new SharedArrayBuffer(bytes));
      this.data[slot] = buf;
      this.slotOf.set(buf.buffer, slot);
    }
    return buf;
  }

  async batch(capacity: number, data: Uint8Array): Promise<PacketBatch> {
    if (capacity > this.layout.capacity) throw new Error(`batches of ${capacity} packets do not fit the pool's ${this.layout.capacity}`);
    const first = this.layout.dataSlots;
    const slot = await this.take(first, this.layout.batchSlots, (s) => this.cols[s - first] !== null);
    let c = this.cols[slot - first];
    if (c === null) {
      const buf = new SharedArrayBuffer(COLUMN_BYTES * this.layout.capacity);
      const { columns, hash } = columnsOn(buf, this.layout.capacity);
      c = { buf, batch: new PacketBatch(capacity, data, columns), hash };
      this.cols[slot - first] = c;
      this.slotOf.set(buf, slot);
    } else if (c.batch.capacity !== capacity) {
      c.batch = new PacketBatch(capacity, data, columnsOn(c.buf, this.layout.capacity).columns);
    }
    c.batch.reset(data);
    return c.batch;
  }

  /** Whether a batch lives in this pool (else a sharded pipeline copies it in). */
  owns(batch: PacketBatch): boolean {
    return this.slotOf.has(batch.offset.buffer) && this.slotOf.has(batch.data.buffer);
  }

  /** The flow-hash column of a batch of the pool. */
  hashOf(batch: PacketBatch): Uint32Array {
    return this.cols[this.slotOf.get(batch.offset.buffer)! - this.layout.dataSlots]!.hash;
  }

  /** Adds `holders` references to a batch and its data buffer; returns their slots. */
  share(batch: PacketBatch, holders: number): { data: number; cols: number } {
    const data = this.slotOf.get(batch.data.buffer)!;
    const cols = this.slotOf.get(batch.offset.buffer)!;
    Atomics.add(this.refs, 1 + data, holders);
    Atomics.add(this.refs, 1 + cols, holders);
    return { data, cols };
  }

  /** The buffer of `slot` if `worker` has not received it yet, else null. */
  newTo(worker: number, slot: number): SharedArrayBuffer | null {
    const d = this.layout.dataSlots;
    const buf = slot < d ? (this.data[slot]!.buffer as SharedArrayBuffer) : this.cols[slot - d]!.buf;
    if (this.known[worker][slot] === buf) return null;
    this.known[worker][slot] = buf;
    return buf;
  }

  release(item: Uint8Array | PacketBatch): void {
    releaseSlot(this.refs, this.slotOf.get(item instanceof PacketBatch ? item.offset.buffer : item.buffer)!);
  }

  /** A worker has failed: whoever waits for a buffer gets the error instead. */
  fail(e: Error): void {
    this.failure ??= e;
    Atomics.add(this.refs, SIGNAL, 1);
    Atomics.notify(this.refs, SIGNAL);
  }

  /** Takes a free slot of [first, first + count), one that `fits` if there is one. */
  private async take(first: number, count: number, fits: (slot: number) => boolean): Promise<number> {
    for (;;) {
      if (this.failure) throw this.failure;
      const seen = Atomics.load(this.refs, SIGNAL);
      let pick = -1;
      for (let s = first; s < first + count; s++) {
        if (Atomics.load(this.refs, 1 + s) !== 0) continue;
        if (fits(s)) {
          pick = s;
          break;
        }
        if (pick < 0) pick = s;
      }
      if (pick >= 0) {
        Atomics.store(this.refs, 1 + pick, 1);
        return pick;
      }
      await waitAsync(this.refs, SIGNAL, seen).value;
    }
  }
}

function releaseSlot(refs: Int32Array, slot: number): void {
  if (Atomics.sub(refs, 1 + slot, 1) !== 1) return;
  Atomics.add(refs, SIGNAL, 1);
  Atomics.notify(refs, SIGNAL);
}

/** A worker's side: the pool's buffers as they arrive, and the release of a batch. */
export class PoolView {
  private readonly refs: Int32Array;
  private readonly data: Uint8Array[] = [];
  private readonly cols: { batch: PacketBatch; hash: Uint32Array }[] = [];

  constructor(private readonly layout: PoolLayout) {
    this.refs = new Int32Array(layout.refs);
  }

  /** Records a buffer the main thread sent for a slot (new, or replaced by a bigger one). */
  install(slot: number, buf: SharedArrayBuffer): void {
    const d = this.layout.dataSlots;
    if (slot < d) this.data[slot] = new Uint8Array(buf);
    else {
      const { columns, hash } = columnsOn(buf, this.layout.capacity);
      this.cols[slot - d] = { batch: new PacketBatch(this.layout.capacity, new Uint8Array(0), columns), hash };
    }
  }

  /** The batch in column set `cols` over data buffer `data`, holding `count` packets. */
  batch(data: number, cols: number, count: number): { batch: PacketBatch; hash: Uint32Array } {
    const c = this.cols[cols - this.layout.dataSlots];
    c.batch.reset(this.data[data]);
    c.batch.count = count;
    return c;
  }

  release(data: number, cols: number): void {
    releaseSlot(this.refs, cols);
    releaseSlot(this.refs, data);
  }
}
