/**
 * Streams any capture (pcap or pcapng, plain or gzip, a file or stdin) as batches, with
 * memory bounded by `bufferBytes` whatever the file size.
 *
 * One read buffer is reused: a batch points into it and stays valid until the next batch
 * is requested. Parsing is synchronous over the buffer; there is one await per refill.
 */
import { PacketBatch } from '../core/batch.js';
import { CaptureError } from '../core/errors.js';
import { openByteSource, type ByteSource } from './byte-source.js';
import { isPcapMagic, PcapParser } from './pcap.js';
import { isPcapngMagic, PcapngParser, MAX_BLOCK_LEN } from './pcapng.js';
import type { InterfaceInfo, RecordParser } from './types.js';

export interface CaptureReaderOptions {
  /** Size of the read buffer (the memory bound). Default 4 MiB. */
  bufferBytes?: number;
  /** Packets per batch. Default 8192. */
  batchSize?: number;
  /**
   * Read into buffers and batches taken from this pool instead of reusing two buffers: a
   * batch then stays valid for as long as someone the consumer shared it with holds it, so
   * worker threads read packets in place (a sharded pipeline). Memory is bounded by the pool.
   */
  sharedBuffers?: SharedBufferPool;
  /**
   * The two read buffers to alternate between, instead of new ones of `bufferBytes` (a
   * consumer that wants the packets in memory of its own: the flow analyzer reads into
   * WebAssembly memory, where its checksum code sums payloads in place). Both the same size;
   * they take the place of `bufferBytes` and cannot go with `sharedBuffers`. A record larger
   * than half a buffer gets a bigger buffer of the reader's own, for as long as it needs one.
   */
  readBuffers?: [Uint8Array, Uint8Array];
}

/**
 * Buffers and batches that other threads may hold after the reader has moved on. Each one
 * handed out is held once by the caller, who releases it when done; the pool reuses it when
 * everyone it was shared with has released it too.
 */
export interface SharedBufferPool {
  /** A buffer of at least `bytes` bytes; waits while every buffer is held. */
  buffer(bytes: number): Promise<Uint8Array>;
  /** An empty batch of `capacity` packets over `data`; waits while every batch is held. */
  batch(capacity: number, data: Uint8Array): Promise<PacketBatch>;
  release(item: Uint8Array | PacketBatch): void;
}

export class CaptureReader {
  readonly name: string;
  private readonly source: ByteSource;
  private parser: RecordParser | null = null;
  private readonly bufferBytes: number;
  private readonly batchSize: number;
  private readonly pool: SharedBufferPool | null;
  private readonly readBuffers: [Uint8Array, Uint8Array] | null;
  /** Bytes of the input consumed so far (for progress and error offsets). */
  bytesRead = 0;
  packetsRead = 0;

  constructor(name: string, source: ByteSource, opts: CaptureReaderOptions = {}) {
    this.name = name;
    this.source = source;
    const given = opts.readBuffers;
    if (given) {
      const [a, b] = given;
      if (opts.sharedBuffers) throw new TypeError('CaptureReader: readBuffers and sharedBuffers cannot go together');
      if (a.length === 0 || a.length !== b.length) throw new TypeError(`CaptureReader: readBuffers must be two non-empty buffers of one size (got ${a.length} and ${b.length} bytes)`);
      // A read into one must never touch the other, which holds the batch being handed out.
      if (a.buffer === b.buffer && a.byteOffset < b.byteOffset + b.byteLength && b.byteOffset < a.byteOffset + a.byteLength) {
        throw new TypeError('CaptureReader: the two readBuffers overlap');
      }
      if (opts.bufferBytes !== undefined && opts.bufferBytes !== a.length) throw new TypeError(`CaptureReader: bufferBytes ${opts.bufferBytes} differs from the readBuffers' ${a.length}`);
    }
    this.bufferBytes = given?.[0].length ?? opts.bufferBytes ?? 4 << 20;
    this.batchSize = opts.batchSize ?? 8192;
    this.pool = opts.sharedBuffers ?? null;
    this.readBuffers = given ?? null;
  }

  get format(): 'pcap' | 'pcapng' | 'unknown' {
    return this.parser?.format ?? 'unknown';
  }

  /** Interfaces seen so far (pcapng adds them as its blocks arrive). */
  get interfaces(): InterfaceInfo[] {
    return this.parser?.interfaces ?? [];
  }

  /**
   * Two buffers alternate so that reading overlaps processing: once a buffer is parsed,
   * its unparsed tail (at most a partial record) moves to the other buffer and the next read
   * into that buffer starts *before* the batch is handed to the consumer. With a pool, the
   * other buffer is any free one of the pool, and each batch is a fresh one of the pool.
   */
  async *batches(): AsyncGenerator<PacketBatch> {
    const pool = this.pool;
    // Without a pool, reading alternates between these two.
    const home = pool ? null : (this.readBuffers ?? [new Uint8Array(this.bufferBytes), new Uint8Array(this.bufferBytes)]);
    let cur = home ? home[0] : await pool!.buffer(this.bufferBytes);
    let view = new DataView(cur.buffer, cur.byteOffset, cur.byteLength);
    let batch: PacketBatch | null = pool ? null : new PacketBatch(this.batchSize, cur);
    let eof = false;
    /** Reads into buf from `from` until it is at least half full or the input ends. */
    const fill = async (buf: Uint8Array, from: number): Promise<number> => {
      let len = from;
      while (len < buf.length) {
        const n = await this.source.read(buf, len, buf.length - len);
        if (n === 0) {
          eof = true;
          break;
        }
        len += n;
        if (len >= buf.length >> 1) break;
      }
      return len;
    };
    let len = 0; // valid bytes in cur
    let pos = 0; // parse position in cur
    let base = 0; // input offset of cur[0]
    let next: Promise<number> | null = null; // the read into nextBuf in flight
    let nextBuf = cur;
    /** A larger buffer not in use, kept for the next record that needs one. */
    let big: Uint8Array | null = null;
    try {
      len = await fill(cur, 0);
      for (;;) {
        if (this.parser === null) {
          if (len === 0) throw new CaptureError('E_NOT_CAPTURE', this.name, 0, 'empty input, not a capture');
          const head = cur.subarray(0, Math.min(len, 4));
          if (isPcapMagic(head)) this.parser = new PcapParser(this.name);
          else if (isPcapngMagic(head)) this.parser = new PcapngParser(this.name);
          else throw new CaptureError('E_NOT_CAPTURE', this.name, 0, 'not a pcap or pcapng capture (unknown magic number)');
        }
        batch ??= await pool!.batch(this.batchSize, cur);
        batch.reset(cur);
        const start = pos;
        const r = this.parser.parse(cur, view, pos, len, eof, batch, base);
        pos = r.pos;
        const need = r.need ?? 0;
        this.bytesRead = base + pos;
        const rest = len - pos;
        if (!r.error && !eof && (need > 0 || rest < cur.length >> 1)) {
          const want = Math.max(need, rest + 1);
          if (want > MAX_BLOCK_LEN) throw new CaptureError('E_BAD_RECORD', this.name, base + pos, `record of ${need} bytes is larger than any capture allows`);
          const size = Math.max(this.bufferBytes, 2 * want);
          if (home) {
            // A home buffer whenever the record fits, so that a larger one serves only the
            // records that need it (the consumer is done with both home buffers but `cur`).
            nextBuf = cur === home[0] ? home[1] : home[0];
            if (want > nextBuf.length >> 1) {
              // A power of two, so that a run of slightly growing records can keep one.
              nextBuf = big !== null && want <= big.length >> 1 ? big : new Uint8Array(2 ** Math.ceil(Math.log2(size)));
              big = null;
            }
          } else nextBuf = await pool!.buffer(size);
          nextBuf.set(cur.subarray(pos, len), 0);
          next = fill(nextBuf, rest);
        }
        if (batch.count > 0) {
          this.packetsRead += batch.count;
          yield batch;
          // The consumer has shared the batch with whoever still needs it.
          if (pool) {
            pool.release(batch);
            batch = null;
          }
        }
        if (r.error) {
          if (next) await next.catch(() => 0);
          throw r.error;
        }
        if (next !== null) {
          // The consumer is done with `cur`: it is free again (or goes back to the pool).
          len = await next;
          next = null;
          if (pool) pool.release(cur);
          else if (cur !== home![0] && cur !== home![1]) big = cur;
          cur = nextBuf;
          view = new DataView(cur.buffer, cur.byteOffset, cur.byteLength);
          base += pos;
          pos = 0;
          continue;
        }
        if (pos >= len && eof) return;
        if (pos === start && batch !== null && batch.count === 0) throw new CaptureError('E_TRUNCATED', this.name, base + pos, 'truncated capture');
      }
    } finally {
      if (pool) {
        // A read still in flight (the consumer stopped early) writes into nextBuf: the pool
        // gets it back once that read has ended.
        const buf = nextBuf;
        if (next) void next.catch(() => 0).then(() => pool.release(buf));
        pool.release(cur);
        if (batch) pool.release(batch);
      }
      await this.source.close();
    }
  }
}

/** Opens a capture file ('-' = stdin) for streaming. */
export async function openCapture(path: string, opts: CaptureReaderOptions = {}): Promise<CaptureReader> {
  const source = await openByteSource(path);
  return new CaptureReader(path, source, opts);
}
