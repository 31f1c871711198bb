/**
 * Classic libpcap savefile format (https://www.ietf.org/archive/id/draft-ietf-opsawg-pcap).
 *
 *    0                   1                   2                   3
 *    0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |                          Magic Number                         |
 *   |          Major Version        |         Minor Version         |
 *   |                           Reserved1                           |
 *   |                           Reserved2                           |
 *   |                            SnapLen                            |
 *   | FCS |f|0 0 0 0 0 0 0 0 0 0 0 0|         LinkType              |
 *   +---------------------------------------------------------------+
 *   then records: ts seconds, ts micro/nanoseconds, captured length, original length, data
 *
 * Magic 0xa1b2c3d4 = microseconds, 0xa1b23c4d = nanoseconds; read in either byte order.
 */
import type { PacketBatch } from '../core/batch.js';
import { CaptureError } from '../core/errors.js';
import type { InterfaceInfo, ParseResult, RecordParser } from './types.js';

export const PCAP_MAGIC_MICRO = 0xa1b2c3d4;
export const PCAP_MAGIC_NANO = 0xa1b23c4d;
export const PCAP_HEADER_LEN = 24;
export const PCAP_RECORD_HEADER_LEN = 16;
/** libpcap's MAXIMUM_SNAPLEN: a larger captured length means a damaged file. */
export const MAX_CAPLEN = 262144;

export function isPcapMagic(b: Uint8Array): boolean {
  if (b.length < 4) return false;
  const be = ((b[0] << 24) | (b[1] << 16) | (b[2] << 8) | b[3]) >>> 0;
  const le = ((b[3] << 24) | (b[2] << 16) | (b[1] << 8) | b[0]) >>> 0;
  return be === PCAP_MAGIC_MICRO || be === PCAP_MAGIC_NANO || le === PCAP_MAGIC_MICRO || le === PCAP_MAGIC_NANO;
}

export class PcapParser implements RecordParser {
  readonly format = 'pcap' as const;
  readonly interfaces: InterfaceInfo[] = [];
  private headerDone = false;
  private littleEndian = true;
  private nanos = false;
  private linktype = 1;
  private maxCaplen = MAX_CAPLEN;
  private frameNumber = 0;
  private readonly name: string;

  constructor(name: string) {
    this.name = name;
  }

  parse(buf: Uint8Array, view: DataView, start: number, end: number, eof: boolean, batch: PacketBatch, fileOffset: number): ParseResult {
    let pos = start;
    if (!this.headerDone) {
      if (end - pos < PCAP_HEADER_LEN) {
        if (!eof) return { pos, need: PCAP_HEADER_LEN };
        return { pos, error: new CaptureError('E_TRUNCATED', this.name, fileOffset + end, `truncated pcap file header (${end - pos} of ${PCAP_HEADER_LEN} bytes)`) };
      }
      const magicLe = view.getUint32(pos, true);
      if (magicLe === PCAP_MAGIC_MICRO || magicLe === PCAP_MAGIC_NANO) this.littleEndian = true;
      else if (view.getUint32(pos, false) === PCAP_MAGIC_MICRO || view.getUint32(pos, false) === PCAP_MAGIC_NANO) this.littleEndian = false;
      else return { pos, error: new CaptureError('E_NOT_CAPTURE', this.name, fileOffset + pos, 'not a pcap file (bad magic number)') };
      const le = this.littleEndian;
      this.nanos = view.getUint32(pos, le) === PCAP_MAGIC_NANO;
      const snaplen = view.getUint32(pos + 16, le);
      this.linktype = view.getUint32(pos + 20, le) & 0xffff;
      this.maxCaplen = Math.max(MAX_CAPLEN, snaplen);
      this.interfaces.push({ linktype: this.linktype, snaplen, name: '', description: '', tsResolution: this.nanos ? 9 : 6 });
      this.headerDone = true;
      pos += PCAP_HEADER_LEN;
    }
    const le = this.littleEndian;
    const linktype = this.linktype;
    const nanoScale = this.nanos ? 1 : 1000;
    const maxCaplen = this.maxCaplen;
    let n = batch.count;
    const cap = batch.capacity;
    while (n < cap) {
      if (end - pos < PCAP_RECORD_HEADER_LEN) {
        if (eof && end > pos) {
          batch.count = n;
          return { pos, error: new CaptureError('E_TRUNCATED', this.name, fileOffset + pos, `truncated record header (${end - pos} of ${PCAP_RECORD_HEADER_LEN} bytes)`) };
        }
        break;
      }
      const incl = view.getUint32(pos + 8, le);
      if (incl > maxCaplen) {
        batch.count = n;
        return { pos, error: new CaptureError('E_BAD_RECORD', this.name, fileOffset + pos, `absurd captured length ${incl} (more than ${maxCaplen})`) };
      }
      const recEnd = pos + PCAP_RECORD_HEADER_LEN + incl;
      if (recEnd > end) {
        if (eof) {
          batch.count = n;
          return { pos, error: new CaptureError('E_TRUNCATED', this.name, fileOffset + pos, `truncated record: ${incl} captured bytes announced, ${end - pos - PCAP_RECORD_HEADER_LEN} present`) };
        }
        batch.count = n;
        return { pos, need: PCAP_RECORD_HEADER_LEN + incl };
      }
      batch.tsSec[n] = view.getUint32(pos, le);
      batch.tsNsec[n] = view.getUint32(pos + 4, le) * nanoScale;
      batch.caplen[n] = incl;
      batch.wirelen[n] = view.getUint32(pos + 12, le);
      batch.offset[n] = pos + PCAP_RECORD_HEADER_LEN;
      batch.linktype[n] = linktype;
      batch.iface[n] = 0;
      batch.flags[n] = 0;
      batch.number[n] = ++this.frameNumber;
      n++;
      pos = recEnd;
    }
    batch.count = n;
    return { pos };
  }
}

/** The 24-byte file header of a little-endian classic pcap. */
export function encodePcapHeader(linktype: number, snaplen: number, nanos: boolean): Uint8Array {
  const b = new Uint8Array(PCAP_HEADER_LEN);
  const v = new DataView(b.buffer);
  v.setUint32(0, nanos ? PCAP_MAGIC_NANO : PCAP_MAGIC_MICRO, true);
  v.setUint16(4, 2, true);
  v.setUint16(6, 4, true);
  v.setUint32(16, snaplen, true);
  v.setUint32(20, linktype, true);
  return b;
}

/**
 * Encodes packets of a batch as pcap records into `out` starting at `pos`; returns the new
 * position, or -1 when `out` has no room for the packet (the caller flushes and retries).
 */
export function encodePcapRecord(out: Uint8Array, outView: DataView, pos: number, batch: PacketBatch, i: number, nanos: boolean, snaplen: number): number {
  const caplen = Math.min(batch.caplen[i], snaplen);
  if (pos + PCAP_RECORD_HEADER_LEN + caplen > out.length) return -1;
  outView.setUint32(pos, batch.tsSec[i], true);
  outView.setUint32(pos + 4, nanos ? batch.tsNsec[i] : Math.floor(batch.tsNsec[i] / 1000), true);
  outView.setUint32(pos + 8, caplen, true);
  outView.setUint32(pos + 12, Math.max(batch.wirelen[i], caplen), true);
  const off = batch.offset[i];
  out.set(batch.data.subarray(off, off + caplen), pos + PCAP_RECORD_HEADER_LEN);
  return pos + PCAP_RECORD_HEADER_LEN + caplen;
}
