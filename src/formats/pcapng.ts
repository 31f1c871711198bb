/**
 * pcapng (draft-ietf-opsawg-pcapng). Every block has the same frame:
 *
 *    0                   1                   2                   3
 *    0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *   +---------------------------------------------------------------+
 *   |                          Block Type                           |
 *   |                      Block Total Length                       |
 *   /                          Block Body                           /
 *   |                      Block Total Length                       |
 *   +---------------------------------------------------------------+
 *
 * A Section Header Block (SHB) sets the byte order (magic 0x1A2B3C4D) for its section and
 * starts a new list of Interface Description Blocks (IDB). Packets come in Enhanced (EPB),
 * Simple (SPB) or obsolete Packet Blocks (PB). Unknown blocks are skipped.
 */
import type { PacketBatch } from '../core/batch.js';
import { CaptureError } from '../core/errors.js';
import type { InterfaceInfo, ParseResult, RecordParser } from './types.js';

export const BlockType = {
  SHB: 0x0a0d0d0a,
  IDB: 0x00000001,
  PB: 0x00000002,
  SPB: 0x00000003,
  NRB: 0x00000004,
  ISB: 0x00000005,
  EPB: 0x00000006,
  DSB: 0x0000000a,
  CB_COPY: 0x00000bad,
  CB_NOCOPY: 0x40000bad,
} as const;

export const BYTE_ORDER_MAGIC = 0x1a2b3c4d;
export const Option = { END: 0, COMMENT: 1, IF_NAME: 2, IF_DESCRIPTION: 3, IF_TSRESOL: 9, IF_TSOFFSET: 14, EPB_FLAGS: 2, SHB_USERAPPL: 4 } as const;
/** Blocks larger than this are taken as damage, not data. */
export const MAX_BLOCK_LEN = 64 * 1024 * 1024;
/** tsSec value of a packet that has no timestamp (Simple Packet Block). */
export const NO_TIMESTAMP = -1;

export function isPcapngMagic(b: Uint8Array): boolean {
  return b.length >= 4 && b[0] === 0x0a && b[1] === 0x0d && b[2] === 0x0d && b[3] === 0x0a;
}

const utf8 = new TextDecoder();

/** Per-interface timestamp conversion: ts64 is a count of 1/units seconds. */
interface IfaceClock {
  units: number;
  offsetSec: number;
}

export class PcapngParser implements RecordParser {
  readonly format = 'pcapng' as const;
  readonly interfaces: InterfaceInfo[] = [];
  private readonly clocks: IfaceClock[] = [];
  private le = true;
  private inSection = false;
  /** Index in `interfaces` of the current section's interface 0. */
  private sectionBase = 0;
  private frameNumber = 0;
  private readonly name: string;

  constructor(name: string) {
    this.name = name;
  }

  private err(code: 'E_TRUNCATED' | 'E_BAD_RECORD' | 'E_NOT_CAPTURE' | 'E_UNSUPPORTED', at: number, detail: string): CaptureError {
    return new CaptureError(code, this.name, at, detail);
  }

  parse(buf: Uint8Array, view: DataView, start: number, end: number, eof: boolean, batch: PacketBatch, fileOffset: number): ParseResult {
    let pos = start;
    while (!batch.full) {
      if (end - pos < 12) {
        if (eof && end > pos) return { pos, error: this.err('E_TRUNCATED', fileOffset + pos, `truncated block header (${end - pos} of 12 bytes)`) };
        if (!eof) return { pos, need: 12 };
        break;
      }
      let type = view.getUint32(pos, this.le);
      if (type === BlockType.SHB) {
        const bom = view.getUint32(pos + 8, true);
        if (bom === BYTE_ORDER_MAGIC) this.le = true;
        else if (view.getUint32(pos + 8, false) === BYTE_ORDER_MAGIC) this.le = false;
        else return { pos, error: this.err('E_BAD_RECORD', fileOffset + pos, 'section header block with a bad byte-order magic') };
      } else if (!this.inSection) {
        return { pos, error: this.err('E_NOT_CAPTURE', fileOffset + pos, 'not a pcapng file (no section header block)') };
      }
      const le = this.le;
      type = view.getUint32(pos, le);
      const blen = view.getUint32(pos + 4, le);
      if (blen < 12 || (blen & 3) !== 0 || blen > MAX_BLOCK_LEN) {
        return { pos, error: this.err('E_BAD_RECORD', fileOffset + pos, `bad block total length ${blen}`) };
      }
      if (end - pos < blen) {
        if (eof) return { pos, error: this.err('E_TRUNCATED', fileOffset + pos, `truncated block: ${blen} bytes announced, ${end - pos} present`) };
        return { pos, need: blen };
      }
      const trailing = view.getUint32(pos + blen - 4, le);
      if (trailing !== blen) {
        return { pos, error: this.err('E_BAD_RECORD', fileOffset + pos, `block trailing length ${trailing} disagrees with leading length ${blen}`) };
      }
      const bodyEnd = pos + blen - 4;
      switch (type) {
        case BlockType.SHB: {
          const major = view.getUint16(pos + 12, le);
          if (major !== 1) return { pos, error: this.err('E_UNSUPPORTED', fileOffset + pos, `unsupported pcapng version ${major}.${view.getUint16(pos + 14, le)}`) };
          this.inSection = true;
          this.sectionBase = this.interfaces.length;
          break;
        }
        case BlockType.IDB:
          this.readInterface(buf, view, pos, bodyEnd);
          break;
        case BlockType.EPB:
        case BlockType.PB: {
          const r = this.readPacket(buf, view, pos, bodyEnd, type, batch, fileOffset);
          if (r) return { pos, error: r };
          break;
        }
        case BlockType.SPB: {
          const iface = this.sectionBase;
          if (iface >= this.interfaces.length) return { pos, error: this.err('E_BAD_RECORD', fileOffset + pos, 'simple packet block before any interface description') };
          const n = batch.count++;
          const origlen = view.getUint32(pos + 8, le);
          const snap = this.interfaces[iface].snaplen;
          let caplen = Math.min(origlen, blen - 16);
          if (snap > 0 && caplen > snap) caplen = snap;
          batch.offset[n] = pos + 12;
          batch.caplen[n] = caplen;
          batch.wirelen[n] = origlen;
          batch.tsSec[n] = NO_TIMESTAMP;
          batch.tsNsec[n] = 0;
          batch.linktype[n] = this.interfaces[iface].linktype;
          batch.iface[n] = iface;
          batch.flags[n] = 0;
          batch.number[n] = ++this.frameNumber;
          break;
        }
        case BlockType.CB_COPY:
        case BlockType.CB_NOCOPY:
          // Not packets; tshark numbers them as frames all the same, so frame numbers stay aligned.
          this.frameNumber++;
          break;
        default:
          break; // NRB, ISB, DSB and unknown blocks carry nothing a packet path needs.
      }
      pos += blen;
    }
    return { pos };
  }

  private readInterface(buf: Uint8Array, view: DataView, pos: number, bodyEnd: number): void {
    const le = this.le;
    const info: InterfaceInfo = { linktype: view.getUint16(pos + 8, le), snaplen: view.getUint32(pos + 12, le), name: '', description: '', tsResolution: 6 };
    const clock: IfaceClock = { units: 1e6, offsetSec: 0 };
    forEachOption(view, pos + 16, bodyEnd, le, (code, at, len) => {
      if (code === Option.IF_NAME) info.name = utf8.decode(buf.subarray(at, at + len));
      else if (code === Option.IF_DESCRIPTION) info.description = utf8.decode(buf.subarray(at, at + len));
      else if (code === Option.IF_TSRESOL && len >= 1) {
        const v = buf[at];
        const exp = v & 0x7f;
        clock.units = v & 0x80 ? 2 ** exp : 10 ** exp;
        info.tsResolution = v & 0x80 ? Math.ceil(exp * Math.log10(2)) : exp;
      } else if (code === Option.IF_TSOFFSET && len >= 8) {
        clock.offsetSec = Number(view.getBigInt64(at, le));
      }
    });
    this.interfaces.push(info);
    this.clocks.push(clock);
  }

  private readPacket(buf: Uint8Array, view: DataView, pos: number, bodyEnd: number, type: number, batch: PacketBatch, fileOffset: number): CaptureError | null {
    const le = this.le;
    const obsolete = type === BlockType.PB;
    const localIface = obsolete ? view.getUint16(pos + 8, le) : view.getUint32(pos + 8, le);
    const iface = this.sectionBase + localIface;
    if (iface >= this.interfaces.length) return this.err('E_BAD_RECORD', fileOffset + pos, `packet block names interface ${localIface}, which was not described`);
    const caplen = view.getUint32(pos + 20, le);
    const dataStart = pos + 28;
    const dataEnd = dataStart + caplen;
    if (dataEnd > bodyEnd) return this.err('E_BAD_RECORD', fileOffset + pos, `captured length ${caplen} exceeds its block`);
    const n = batch.count++;
    batch.offset[n] = dataStart;
    batch.caplen[n] = caplen;
    batch.wirelen[n] = view.getUint32(pos + 24, le);
    const clock = this.clocks[iface];
    splitTimestamp(view.getUint32(pos + 12, le), view.getUint32(pos + 16, le), clock.units, batch, n);
    if (clock.offsetSec !== 0) batch.tsSec[n] += clock.offsetSec;
    batch.linktype[n] = this.interfaces[iface].linktype;
    batch.iface[n] = iface;
    batch.flags[n] = 0;
    batch.number[n] = ++this.frameNumber;
    const optStart = dataStart + ((caplen + 3) & ~3);
    if (optStart < bodyEnd) {
      forEachOption(view, optStart, bodyEnd, le, (code, at, len) => {
        if (code === Option.EPB_FLAGS && len >= 4) batch.flags[n] = view.getUint32(at, le);
        else if (code === Option.COMMENT) batch.addComment(n, utf8.decode(buf.subarray(at, at + len)));
      });
    }
    return null;
  }
}

/** Walks a pcapng option list, stopping at opt_endofopt or at the first option that overruns. */
function forEachOption(view: DataView, pos: number, end: number, le: boolean, visit: (code: number, at: number, len: number) => void): void {
  while (pos + 4 <= end) {
    const code = view.getUint16(pos, le);
    const len = view.getUint16(pos + 2, le);
    if (code === Option.END) return;
    if (pos + 4 + len > end) return;
    visit(code, pos + 4, len);
    pos += 4 + ((len + 3) & ~3);
  }
}

/**
 * Splits a 64-bit count of 1/units seconds (high, low words) into seconds and nanoseconds
 * without BigInt: long division in 16-bit limbs keeps every intermediate below 2^53.
 */
export function splitTimestamp(high: number, low: number, units: number, batch: PacketBatch, n: number): void {
  if (units > 2 ** 36) {
    const v = (BigInt(high) << 32n) | BigInt(low);
    const u = BigInt(units);
    batch.tsSec[n] = Number(v / u);
    batch.tsNsec[n] = Math.floor((Number(v % u) / units) * 1e9);
    return;
  }
  let rem = 0;
  let q = 0;
  let cur = rem * 65536 + (high >>> 16);
  let d = Math.floor(cur / units);
  rem = cur - d * units;
  q = d;
  cur = rem * 65536 + (high & 0xffff);
  d = Math.floor(cur / units);
  rem = cur - d * units;
  q = q * 65536 + d;
  cur = rem * 65536 + (low >>> 16);
  d = Math.floor(cur / units);
  rem = cur - d * units;
  q = q * 65536 + d;
  cur = rem * 65536 + (low & 0xffff);
  d = Math.floor(cur / units);
  rem = cur - d * units;
  q = q * 65536 + d;
  batch.tsSec[n] = q;
  batch.tsNsec[n] = units === 1e9 ? rem : units < 1e9 && 1e9 % units === 0 ? rem * (1e9 / units) : Math.floor((rem / units) * 1e9);
}

// ---------------------------------------------------------------- writing

function pad4(n: number): number {
  return (n + 3) & ~3;
}

const utf8enc = new TextEncoder();

function optionBytes(code: number, value: Uint8Array): Uint8Array {
  const b = new Uint8Array(4 + pad4(value.length));
  const v = new DataView(b.buffer);
  v.setUint16(0, code, true);
  v.setUint16(2, value.length, true);
  b.set(value, 4);
  return b;
}

function block(type: number, body: Uint8Array[], options: Uint8Array[]): Uint8Array {
  const optLen = options.length ? options.reduce((s, o) => s + o.length, 0) + 4 : 0;
  const bodyLen = body.reduce((s, o) => s + o.length, 0);
  const total = 12 + bodyLen + optLen;
  const b = new Uint8Array(total);
  const v = new DataView(b.buffer);
  v.setUint32(0, type, true);
  v.setUint32(4, total, true);
  let p = 8;
  for (const part of body) {
    b.set(part, p);
    p += part.length;
  }
  for (const o of options) {
    b.set(o, p);
    p += o.length;
  }
  // opt_endofopt is four zero bytes, already there
  v.setUint32(total - 4, total, true);
  return b;
}

/** Section Header Block, little-endian, version 1.0, section length unknown. */
export function encodeSectionHeader(userAppl = 'tapwire'): Uint8Array {
  const body = new Uint8Array(16);
  const v = new DataView(body.buffer);
  v.setUint32(0, BYTE_ORDER_MAGIC, true);
  v.setUint16(4, 1, true);
  v.setUint16(6, 0, true);
  v.setInt32(8, -1, true);
  v.setInt32(12, -1, true);
  return block(BlockType.SHB, [body], [optionBytes(Option.SHB_USERAPPL, utf8enc.encode(userAppl))]);
}

/** Interface Description Block with nanosecond resolution; name and description carry the origin. */
export function encodeInterfaceBlock(info: { linktype: number; snaplen: number; name?: string; description?: string }): Uint8Array {
  const body = new Uint8Array(8);
  const v = new DataView(body.buffer);
  v.setUint16(0, info.linktype, true);
  v.setUint32(4, info.snaplen, true);
  const opts: Uint8Array[] = [];
  if (info.name) opts.push(optionBytes(Option.IF_NAME, utf8enc.encode(info.name)));
  if (info.description) opts.push(optionBytes(Option.IF_DESCRIPTION, utf8enc.encode(info.description)));
  opts.push(optionBytes(Option.IF_TSRESOL, Uint8Array.of(9)));
  return block(BlockType.IDB, [body], opts);
}

/**
 * Encodes packet i as an Enhanced Packet Block into `out` at `pos`; returns the new position,
 * or -1 when it does not fit (the caller flushes and retries).
 */
export function encodeEnhancedPacket(out: Uint8Array, view: DataView, pos: number, batch: PacketBatch, i: number, ifaceId: number, snaplen: number, comments: readonly string[] | undefined): number {
  const caplen = Math.min(batch.caplen[i], snaplen);
  const flags = batch.flags[i];
  let commentBytes: Uint8Array[] | null = null;
  let optLen = 0;
  if (flags !== 0) optLen += 8;
  if (comments && comments.length) {
    commentBytes = comments.map((c) => utf8enc.encode(c));
    for (const c of commentBytes) optLen += 4 + pad4(c.length);
  }
  if (optLen) optLen += 4;
  const total = 32 + pad4(caplen) + optLen;
  if (pos + total > out.length) return -1;
  const sec = batch.tsSec[i] < 0 ? 0 : batch.tsSec[i];
  // Nanoseconds since the epoch need 64 bits; sec * 1e9 exceeds 2^53, so build the two
  // 32-bit words from 16-bit pieces where every intermediate stays exact.
  const sh = Math.floor(sec / 65536);
  const a = sh * 1e9; // < 2^46
  const a1 = Math.floor(a / 65536);
  const c = (a - a1 * 65536) * 65536 + (sec - sh * 65536) * 1e9 + batch.tsNsec[i];
  const carry = Math.floor(c / 4294967296);
  const high = a1 + carry;
  const low = c - carry * 4294967296;
  view.setUint32(pos, BlockType.EPB, true);
  view.setUint32(pos + 4, total, true);
  view.setUint32(pos + 8, ifaceId, true);
  view.setUint32(pos + 12, high, true);
  view.setUint32(pos + 16, low, true);
  view.setUint32(pos + 20, caplen, true);
  view.setUint32(pos + 24, Math.max(batch.wirelen[i], caplen), true);
  const off = batch.offset[i];
  out.set(batch.data.subarray(off, off + caplen), pos + 28);
  let p = pos + 28 + caplen;
  while (p & 3) out[p++] = 0;
  if (optLen) {
    if (flags !== 0) {
      view.setUint16(p, Option.EPB_FLAGS, true);
      view.setUint16(p + 2, 4, true);
      view.setUint32(p + 4, flags, true);
      p += 8;
    }
    if (commentBytes) {
      for (const c of commentBytes) {
        view.setUint16(p, Option.COMMENT, true);
        view.setUint16(p + 2, c.length, true);
        out.set(c, p + 4);
        p += 4 + c.length;
        while (p & 3) out[p++] = 0;
      }
    }
    view.setUint32(p, 0, true);
    p += 4;
  }
  view.setUint32(p, total, true);
  return p + 4;
}
