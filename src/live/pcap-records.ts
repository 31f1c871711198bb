/**
 * The `read -i -w FILE` fast path: the addon lays each packet out behind its pcap record
 * header (LiveReader recordHeader), so a batch is already a run of pcap records and is
 * written with one system call, with no JavaScript work per packet — as tcpdump's
 * pcap_dump does in C. Host byte order, as libpcap writes; readers accept either.
 */
import fs from 'node:fs';
import os from 'node:os';
import { ExitCode, TapwireError } from '../core/errors.js';

export class PcapRecordWriter {
  private readonly fd: number;
  bytesWritten = 0;

  constructor(readonly path: string, linktype: number, snaplen: number, nanos: boolean) {
    try {
      this.fd = fs.openSync(path, 'w');
    } catch (e) {
      throw new TapwireError('E_OUTPUT', `${path}: cannot create (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`, ExitCode.output);
    }
    const h = Buffer.alloc(24);
    const le = os.endianness() === 'LE';
    const u32 = (v: number, at: number) => (le ? h.writeUInt32LE(v, at) : h.writeUInt32BE(v, at));
    const u16 = (v: number, at: number) => (le ? h.writeUInt16LE(v, at) : h.writeUInt16BE(v, at));
    u32(nanos ? 0xa1b23c4d : 0xa1b2c3d4, 0);
    u16(2, 4);
    u16(4, 6);
    u32(snaplen, 16);
    u32(linktype, 20);
    this.write(h, 0, 24);
  }

  write(buf: Uint8Array, start: number, end: number): void {
    let off = start;
    while (off < end) {
      try {
        off += fs.writeSync(this.fd, buf, off, end - off);
      } catch (e) {
        throw new TapwireError('E_OUTPUT', `${this.path}: write failed (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`, ExitCode.output);
      }
    }
    this.bytesWritten += end - start;
  }

  close(): void {
    fs.closeSync(this.fd);
  }
}
