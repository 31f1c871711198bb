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
   * Give every refill a new SharedArrayBuffer instead of reusing two buffers: batches then
   * stay valid after the next one is read, and worker threads can read them without a copy
   * (a sharded pipeline). Memory is then bounded by the consumer, not by the reader.
   */
  sharedBuffers?: boolean;
}

export class CaptureReader {
  readonly name: string;
  private readonly source: ByteSource;
  private parser: RecordParser | null = null;
  private readonly bufferBytes: number;
  private readonly batchSize: number;
  private readonly shared: boolean;
  /** Bytes of the input consumed so far (for progress and error offsets). */
  bytesRead = 0;
  packetsRead = 0;

  constructor(name: string, source: ByteSource, opts: CaptureReaderOptions = {}) {
    this.name = name;
    this.source = source;
    this.bufferBytes = opts.bufferBytes ?? 4 << 20;
    this.batchSize = opts.batchSize ?? 8192;
    this.shared = opts.sharedBuffers ?? false;
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
   * into that buffer starts *before* the batch is handed to the consumer.
   */
  async *batches(): AsyncGenerator<PacketBatch> {
    const alloc = (size: number) => (this.shared ? new Uint8Array(new SharedArrayBuffer(size)) : new Uint8Array(size));
    let cur = alloc(this.bufferBytes);
    let spare = this.shared ? cur : alloc(this.bufferBytes);
    let view = new DataView(cur.buffer);
    let batch = new PacketBatch(this.batchSize, cur);
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
        // Shared buffers: a new batch each time, since the consumer may still hold the last one.
        if (this.shared && batch.count > 0) batch = new PacketBatch(this.batchSize, cur);
        batch.reset(cur);
        const start = pos;
        const r = this.parser.parse(cur, view, pos, len, eof, batch, base);
        pos = r.pos;
        const need = r.need ?? 0;
        this.bytesRead = base + pos;
        const rest = len - pos;
        let next: Promise<number> | null = null;
        let nextBuf = spare;
        if (!r.error && !eof && (need > 0 || rest < cur.length >> 1)) {
          const want = Math.max(need, rest + 1);
          if (want > MAX_BLOCK_LEN) throw new CaptureError('E_BAD_RECORD', this.name, base + pos, `record of ${need} bytes is larger than any capture allows`);
          if (this.shared || want > nextBuf.length >> 1) nextBuf = alloc(Math.max(this.bufferBytes, 2 * want));
          nextBuf.set(cur.subarray(pos, len), 0);
          next = fill(nextBuf, rest);
        }
        if (batch.count > 0) {
          this.packetsRead += batch.count;
          yield batch;
        }
        if (r.error) {
          if (next) await next.catch(() => 0);
          throw r.error;
        }
        if (next !== null) {
          // The consumer is done with `cur`: it becomes the spare buffer.
          len = await next;
          spare = cur;
          cur = nextBuf;
          view = new DataView(cur.buffer);
          base += pos;
          pos = 0;
          continue;
        }
        if (pos >= len && eof) return;
        if (pos === start && batch.count === 0) throw new CaptureError('E_TRUNCATED', this.name, base + pos, 'truncated capture');
      }
    } finally {
      await this.source.close();
    }
  }
}

/** Opens a capture file ('-' = stdin) for streaming. */
export async function openCapture(path: string, opts: CaptureReaderOptions = {}): Promise<CaptureReader> {
  const source = await openByteSource(path);
  return new CaptureReader(path, source, opts);
}
