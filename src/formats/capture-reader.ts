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
}

export class CaptureReader {
  readonly name: string;
  private readonly source: ByteSource;
  private parser: RecordParser | null = null;
  private readonly bufferBytes: number;
  private readonly batchSize: number;
  /** Bytes of the input consumed so far (for progress and error offsets). */
  bytesRead = 0;
  packetsRead = 0;

  constructor(name: string, source: ByteSource, opts: CaptureReaderOptions = {}) {
    this.name = name;
    this.source = source;
    this.bufferBytes = opts.bufferBytes ?? 4 << 20;
    this.batchSize = opts.batchSize ?? 8192;
  }

  get format(): 'pcap' | 'pcapng' | 'unknown' {
    return this.parser?.format ?? 'unknown';
  }

  /** Interfaces seen so far (pcapng adds them as its blocks arrive). */
  get interfaces(): InterfaceInfo[] {
    return this.parser?.interfaces ?? [];
  }

  async *batches(): AsyncGenerator<PacketBatch> {
    let buf = new Uint8Array(this.bufferBytes);
    let view = new DataView(buf.buffer);
    const batch = new PacketBatch(this.batchSize, buf);
    let len = 0; // valid bytes in buf
    let pos = 0; // parse position in buf
    let base = 0; // input offset of buf[0]
    let eof = false;
    let need = 0;
    try {
      for (;;) {
        // Refill when the unparsed tail is short or the parser asked for more.
        if (!eof && (len - pos < need || len - pos < buf.length >> 1)) {
          if (pos > 0) {
            buf.copyWithin(0, pos, len);
            base += pos;
            len -= pos;
            pos = 0;
          }
          if (need > buf.length) {
            if (need > MAX_BLOCK_LEN) throw new CaptureError('E_BAD_RECORD', this.name, base, `record of ${need} bytes is larger than any capture allows`);
            const bigger = new Uint8Array(need + (need >> 1));
            bigger.set(buf.subarray(0, len));
            buf = bigger;
            view = new DataView(buf.buffer);
          }
          while (len < buf.length) {
            const n = await this.source.read(buf, len, buf.length - len);
            if (n === 0) {
              eof = true;
              break;
            }
            len += n;
            if (len - pos >= need && len >= buf.length >> 1) break;
          }
        }
        if (this.parser === null) {
          if (len === 0 && eof) throw new CaptureError('E_NOT_CAPTURE', this.name, 0, 'empty input, not a capture');
          if (len < 4 && !eof) continue;
          const head = buf.subarray(0, Math.min(len, 4));
          if (isPcapMagic(head)) this.parser = new PcapParser(this.name);
          else if (isPcapngMagic(head)) this.parser = new PcapngParser(this.name);
          else throw new CaptureError('E_NOT_CAPTURE', this.name, 0, 'not a pcap or pcapng capture (unknown magic number)');
        }
        batch.reset(buf);
        const r = this.parser.parse(buf, view, pos, len, eof, batch, base);
        const progressed = r.pos !== pos || batch.count > 0;
        pos = r.pos;
        need = r.need ?? 0;
        this.bytesRead = base + pos;
        if (batch.count > 0) {
          this.packetsRead += batch.count;
          yield batch;
        }
        if (r.error) throw r.error;
        if (eof && pos >= len) return;
        if (!progressed && eof) {
          throw new CaptureError('E_TRUNCATED', this.name, base + pos, 'truncated capture');
        }
        if (!progressed && need === 0) need = len - pos + 1;
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
