/**
 * Writes batches as pcap or pcapng to a file or stdout ('-'), gathering many packets per
 * system call through one output buffer.
 *
 * pcapng output keeps where each packet came from: every distinct (source, interface) pair
 * gets its own Interface Description Block with a name and description (e.g. the tunnel
 * identity), and packets keep their direction flags and comments.
 */
import fs from 'node:fs';
import type { PacketBatch } from '../core/batch.js';
import { ExitCode, TapwireError } from '../core/errors.js';
import { encodePcapHeader, encodePcapRecord, MAX_CAPLEN } from './pcap.js';
import { encodeEnhancedPacket, encodeInterfaceBlock, encodeSectionHeader } from './pcapng.js';
import type { InterfaceInfo } from './types.js';

export type CaptureFormat = 'pcap' | 'pcapng';

export interface CaptureWriterOptions {
  format?: CaptureFormat;
  /** Link type of a pcap file (pcap holds one); default: the first packet's. */
  linktype?: number;
  snaplen?: number;
  /** pcap only: nanosecond timestamps (magic a1b23c4d). Default true. */
  nanos?: boolean;
  bufferBytes?: number;
}

/** Chooses the format from the options, else from the file extension. */
export function formatForPath(path: string, explicit?: CaptureFormat): CaptureFormat {
  if (explicit) return explicit;
  return /\.pcapng(\.gz)?$/i.test(path) ? 'pcapng' : 'pcap';
}

interface Output {
  write(buf: Uint8Array, len: number): Promise<void>;
  close(): Promise<void>;
}

function fileOutput(path: string): Output {
  let fd: number;
  try {
    fd = fs.openSync(path, 'w');
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    throw new TapwireError('E_OUTPUT', `${path}: cannot create (${err.code ?? err.message})`, ExitCode.output);
  }
  return {
    async write(buf, len) {
      let off = 0;
      while (off < len) {
        try {
          off += fs.writeSync(fd, buf, off, len - off);
        } catch (e) {
          const err = e as NodeJS.ErrnoException;
          throw new TapwireError('E_OUTPUT', `${path}: write failed (${err.code ?? err.message})`, ExitCode.output);
        }
      }
    },
    async close() {
      fs.closeSync(fd);
    },
  };
}

function stdoutOutput(): Output {
  const out = process.stdout;
  let failure: Error | null = null;
  out.on('error', (e) => {
    failure = e;
  });
  return {
    async write(buf, len) {
      if (failure) throw new TapwireError('E_OUTPUT', `stdout: ${(failure as NodeJS.ErrnoException).code ?? failure.message}`, ExitCode.output);
      // Copy: the caller reuses its buffer while the stream may still hold this chunk.
      const ok = out.write(Buffer.from(buf.subarray(0, len)));
      if (!ok) await new Promise<void>((resolve) => out.once('drain', resolve));
    },
    async close() {
      await new Promise<void>((resolve) => (out.writableLength === 0 ? resolve() : out.once('drain', resolve)));
    },
  };
}

export class CaptureWriter {
  readonly path: string;
  readonly format: CaptureFormat;
  private readonly out: Output;
  private buf: Uint8Array;
  private view: DataView;
  private pos = 0;
  /** Packets are cut to this many bytes. */
  private readonly snaplen: number;
  /** pcap: nanosecond timestamps. Settable until the first packet (e.g. to match the input). */
  nanos: boolean;
  /** The snapshot length recorded in the file header (default: the cut length). */
  headerSnaplen: number;
  private linktype: number | undefined;
  private headerWritten = false;
  /** pcapng: key "ifaceIndex/linktype" -> output interface id. */
  private readonly ifaceIds = new Map<number, number>();
  private nextIface = 0;
  /** Describes input interfaces for pcapng IDBs; set by the caller (reader's interfaces, source names). */
  interfaceInfo: (iface: number, linktype: number) => { name?: string; description?: string } = () => ({});
  packetsWritten = 0;
  bytesWritten = 0;
  /** Packets a pcap file could not hold because their link type differs from the file's. */
  skippedLinktype = 0;

  constructor(path: string, opts: CaptureWriterOptions = {}) {
    this.path = path;
    this.format = formatForPath(path, opts.format);
    this.snaplen = opts.snaplen ?? MAX_CAPLEN;
    this.nanos = opts.nanos ?? true;
    this.headerSnaplen = this.snaplen;
    this.linktype = opts.linktype;
    this.buf = new Uint8Array(opts.bufferBytes ?? 1 << 20);
    this.view = new DataView(this.buf.buffer);
    this.out = path === '-' ? stdoutOutput() : fileOutput(path);
  }

  private append(bytes: Uint8Array): void {
    if (this.pos + bytes.length > this.buf.length) this.grow(bytes.length);
    this.buf.set(bytes, this.pos);
    this.pos += bytes.length;
  }

  private grow(atLeast: number): void {
    const bigger = new Uint8Array(Math.max(this.buf.length * 2, this.pos + atLeast));
    bigger.set(this.buf.subarray(0, this.pos));
    this.buf = bigger;
    this.view = new DataView(bigger.buffer);
  }

  private async flush(): Promise<void> {
    if (this.pos === 0) return;
    await this.out.write(this.buf, this.pos);
    this.bytesWritten += this.pos;
    this.pos = 0;
  }

  private writeHeader(firstLinktype: number): void {
    if (this.format === 'pcap') {
      this.linktype ??= firstLinktype;
      this.append(encodePcapHeader(this.linktype, this.headerSnaplen, this.nanos));
    } else {
      this.append(encodeSectionHeader());
    }
    this.headerWritten = true;
  }

  private pcapngIface(batch: PacketBatch, i: number): number {
    const key = batch.iface[i] * 65536 + batch.linktype[i];
    let id = this.ifaceIds.get(key);
    if (id === undefined) {
      id = this.nextIface++;
      this.ifaceIds.set(key, id);
      const meta = this.interfaceInfo(batch.iface[i], batch.linktype[i]);
      this.append(encodeInterfaceBlock({ linktype: batch.linktype[i], snaplen: this.headerSnaplen, name: meta.name, description: meta.description }));
    }
    return id;
  }

  /** Writes the packets of a batch; with `keep`, only those whose verdict byte is non-zero. */
  async writeBatch(batch: PacketBatch, keep?: Uint8Array): Promise<void> {
    for (let i = 0; i < batch.count; i++) {
      if (keep !== undefined && keep[i] === 0) continue;
      if (!this.headerWritten) this.writeHeader(batch.linktype[i]);
      if (this.format === 'pcap') {
        if (batch.linktype[i] !== this.linktype) {
          this.skippedLinktype++;
          continue;
        }
        let next = encodePcapRecord(this.buf, this.view, this.pos, batch, i, this.nanos, this.snaplen);
        if (next < 0) {
          await this.flush();
          if (16 + batch.caplen[i] > this.buf.length) this.grow(16 + batch.caplen[i]);
          next = encodePcapRecord(this.buf, this.view, this.pos, batch, i, this.nanos, this.snaplen);
        }
        this.pos = next;
      } else {
        const id = this.pcapngIface(batch, i);
        const comments = batch.comments?.get(i);
        let next = encodeEnhancedPacket(this.buf, this.view, this.pos, batch, i, id, this.snaplen, comments);
        if (next < 0) {
          await this.flush();
          if (this.buf.length < 64 + batch.caplen[i] * 2) this.grow(64 + batch.caplen[i] * 2);
          next = encodeEnhancedPacket(this.buf, this.view, this.pos, batch, i, id, this.snaplen, comments);
        }
        this.pos = next;
      }
      this.packetsWritten++;
    }
    if (this.pos > this.buf.length >> 1) await this.flush();
  }

  /** Writes the file header even when no packet came (an empty but valid capture). */
  async close(defaultLinktype = 1): Promise<void> {
    if (!this.headerWritten) this.writeHeader(defaultLinktype);
    await this.flush();
    await this.out.close();
  }
}

export type { InterfaceInfo };
