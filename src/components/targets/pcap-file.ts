/**
 * `pcap_file`: writes a session's packets to pcap or pcapng files, with rotation by size
 * (tcpdump -C), by time on clock boundaries (tcpdump -G, but a 1h interval rotates at :00),
 * a ring of N files (-W), retention by bytes and age, and a command run on each closed file.
 *
 * Crash safety: every write() call hands the kernel whole records only (one fs write per
 * piece of a batch, no user-space buffer kept across batches), so a killed process leaves
 * files readable up to the last complete packet. A failed or short write (disk full) is
 * truncated back to the last whole record, counted (errors.write) and its packets dropped
 * with reason `error`; the target keeps going with the next batch.
 *
 * Speed: the write of a batch runs in libuv's thread pool while the pipeline goes on with the
 * next one (the kernel's copy into the page cache is most of a file target's cost, and it
 * then uses the second core). One write is in flight at most: the next write(), a rotation
 * and close() wait for it, and its packets count as `out` when it has completed.
 *
 * Reload: the pipeline starts the new targets before it closes the old ones. A file this
 * process has already written (the same plain path in the old and new config) is continued,
 * not truncated: pcapng gets a new section (SHB + IDBs), pcap gets more records when its
 * header is the same (else it starts over, as a changed link type or snaplen needs).
 *
 * Time: rotation and file names use ctx.nowMs, taken as milliseconds since the epoch (the
 * pipeline sets it to packet time on replay, so a replayed capture rotates as it would have
 * live); a value that cannot be a wall-clock time (before 2001, e.g. unset) falls back to the
 * system clock. Intervals are aligned to the epoch in UTC, or in local time with `utc: false`.
 */
import fs from 'node:fs';
import path from 'node:path';
import { ExitCode, TapwireError } from '../../core/errors.js';
import type { PacketBatch } from '../../core/batch.js';
import { bool, checkKeys, duration, num, size, str, type Obj, type Problems } from '../../pipeline/problems.js';
import { ComponentCounters, DropReason } from '../counters.js';
import type { BatchContext, Target } from '../types.js';
import { CAPTURE_KEYS, captureOptions, durationValue, sizeValue, validateCapture, type CaptureOptions } from './config.js';
import { FileRing } from './file-ring.js';
import { StreamEncoder } from './stream-encoder.js';
import { PCAP_MAGIC_MICRO, PCAP_MAGIC_NANO } from '../../formats/pcap.js';
import { unsupportedDirectives } from './strftime.js';

/** Files written by this process: a reloaded target continues them instead of truncating. */
const WRITTEN = new Set<string>();

export interface PcapFileOptions extends CaptureOptions {
  path: string;
  rotateSize?: number;
  rotateIntervalMs?: number;
  maxFiles?: number;
  retainBytes?: number;
  retainAgeMs?: number;
  onClose?: readonly string[];
  utc: boolean;
}

export class PcapFileTarget implements Target {
  readonly type: string = 'pcap_file';
  readonly counters: ComponentCounters;
  readonly up = true;
  readonly ring: FileRing;
  private readonly enc: StreamEncoder;
  private fh: fs.promises.FileHandle | null = null;
  private filePath = '';
  /** Bytes in the open file that are known to be whole records. */
  private fileSize = 0;
  private filePackets = 0;
  private nextRotateMs = Infinity;
  private openedAny = false;
  /** The latest ctx.nowMs seen: close() dates the last file on the same clock as the others. */
  private lastNowMs = -1;
  /** The write still in flight (see Speed above), or null. */
  private pending: Promise<void> | null = null;

  constructor(readonly name: string, private readonly o: PcapFileOptions, type = 'pcap_file') {
    this.type = type;
    this.counters = new ComponentCounters('target', name, type);
    this.enc = new StreamEncoder(o);
    this.ring = new FileRing({
      path: o.path,
      rotating: o.rotateSize !== undefined || o.rotateIntervalMs !== undefined || o.maxFiles !== undefined,
      maxFiles: o.maxFiles,
      retainBytes: o.retainBytes,
      retainAgeMs: o.retainAgeMs,
      onClose: o.onClose,
      utc: o.utc,
      counters: this.counters,
    });
  }

  /** The file being written, or '' between files. */
  get currentPath(): string {
    return this.filePath;
  }

  async start(): Promise<void> {
    const dir = path.dirname(this.o.path);
    if (!dir.includes('%')) {
      try {
        // An output directory that does not exist yet is created, as a broker's first run needs.
        fs.mkdirSync(dir, { recursive: true });
        fs.accessSync(dir, fs.constants.W_OK);
      } catch (e) {
        throw new TapwireError('E_OUTPUT', `target ${this.name}: cannot write in ${dir} (${(e as NodeJS.ErrnoException).code}); create the directory or fix its permissions`, ExitCode.output);
      }
    }
    this.ring.adoptExisting();
    // A reloaded target continues this process's file (see Reload above): in its precision,
    // whatever source the next packet comes from, so that the header still matches.
    if (this.enc.format === 'pcap' && this.enc.nanos === undefined && !this.ring.rotating && WRITTEN.has(this.o.path)) {
      this.enc.nanos = pcapFileNanos(this.o.path);
    }
  }

  /** Leaves nothing behind: a target of a dropped reload never wrote (see Target.discard). */
  async discard(): Promise<void> {
    await this.settle();
    const fh = this.fh;
    this.fh = null;
    await fh?.close().catch(() => this.counters.error('close'));
    await this.ring.settle();
  }

  /** `weights`: bytes to count per packet instead of caplen (see StreamEncoder.encode). */
  async write(batch: PacketBatch, keep: Uint8Array | null, ctx: BatchContext, weights: Uint32Array | null = null): Promise<void> {
    const now = wallClock(ctx.nowMs);
    this.lastNowMs = now;
    const enc = this.enc;
    // The encoder writes into the chunk buffer the pending write does not use.
    enc.encode(batch, keep, ctx, weights);
    await this.settle();
    if (this.fh !== null && now >= this.nextRotateMs) await this.closeFile(now);
    this.counters.in(enc.inPackets, enc.inBytes);
    this.counters.drop(DropReason.linktype, enc.linktypeDropped, enc.linktypeDroppedBytes);
    if (enc.count > 0) await this.writeRecords(now);
    this.ring.enforce(now, this.fileSize, this.fh !== null);
  }

  private async writeRecords(now: number): Promise<void> {
    const enc = this.enc;
    const limit = this.o.rotateSize;
    let pieceStart = 0;
    let pieceFirst = 0;
    if (this.fh === null) {
      if (!(await this.openFile(now))) return this.dropFrom(0);
      pieceStart = enc.headLen; // the new file's header already holds this batch's IDBs
    }
    if (limit !== undefined) {
      for (let k = 0; k < enc.count; k++) {
        const grown = this.fileSize + (enc.ends[k] - pieceStart);
        if (grown <= limit || this.filePackets + (k - pieceFirst) === 0) continue;
        // Record k would take the file past rotate_size: the file ends before it.
        await this.writePiece(pieceStart, enc.startOf(k), pieceFirst, k);
        await this.closeFile(now);
        if (!(await this.openFile(now))) return this.dropFrom(k);
        pieceStart = enc.startOf(k);
        pieceFirst = k;
      }
    }
    await this.writePiece(pieceStart, enc.pos, pieceFirst, enc.count);
  }

  private dropFrom(k: number): void {
    this.counters.drop(DropReason.error, this.enc.count - k, this.enc.bytesOf(k, this.enc.count));
  }

  /**
   * Starts writing chunk bytes [from, to), holding records [first, end), in one call and
   * returns without waiting for it (see Speed above). The file size moves on at once; a
   * failed write moves it back.
   */
  private async writePiece(from: number, to: number, first: number, end: number): Promise<void> {
    await this.settle();
    if (to <= from) return;
    const fh = this.fh as fs.promises.FileHandle;
    const n = end - first;
    const bytes = this.enc.bytesOf(first, end);
    const at = this.fileSize;
    this.fileSize += to - from;
    this.filePackets += n;
    this.pending = this.writeAll(fh, this.enc.buf, from, to - from, at).then((ok) => {
      if (ok) {
        this.counters.out(n, bytes);
        return;
      }
      this.counters.drop(DropReason.error, n, bytes);
      this.fileSize = at;
      this.filePackets -= n;
    });
  }

  /** Waits for the write in flight, if any. */
  private async settle(): Promise<void> {
    if (this.pending === null) return;
    const p = this.pending;
    this.pending = null;
    await p;
  }

  /** Writes everything or nothing at file offset `at`: a failed write is cut back to `at`. */
  private async writeAll(fh: fs.promises.FileHandle, buf: Uint8Array, off: number, len: number, at: number): Promise<boolean> {
    let done = 0;
    try {
      while (done < len) {
        const { bytesWritten } = await fh.write(buf, off + done, len - done, at + done);
        if (bytesWritten === 0) throw Object.assign(new Error('short write'), { code: 'ENOSPC' });
        done += bytesWritten;
      }
      return true;
    } catch {
      this.counters.error('write');
      if (done > 0) await fh.truncate(at).catch(() => this.counters.error('truncate'));
      return false;
    }
  }

  private async openFile(now: number): Promise<boolean> {
    const p = this.ring.nextPath(now);
    let header = this.enc.fileHeader() ?? this.enc.idleHeader();
    let at = 0;
    try {
      fs.mkdirSync(path.dirname(p), { recursive: true }); // strftime directories (%Y/%m/...)
      // Only a plain path can meet a file of an earlier target; a ring slot is meant to be reused.
      at = !this.ring.rotating && WRITTEN.has(p) ? await continuable(p, this.enc.format, header) : -1;
      this.fh = await fs.promises.open(p, at >= 0 ? 'r+' : 'w');
    } catch {
      this.counters.error('open');
      this.fh = null;
      return false;
    }
    WRITTEN.add(p);
    if (at < 0) at = 0;
    else if (this.enc.format === 'pcap') header = new Uint8Array(0); // same header: records follow
    this.filePath = p;
    this.fileSize = at;
    this.filePackets = 0;
    this.openedAny = true;
    this.nextRotateMs = this.o.rotateIntervalMs ? nextBoundary(now, this.o.rotateIntervalMs, this.o.utc) : Infinity;
    if (header.length > 0 && !(await this.writeAll(this.fh, header, 0, header.length, at))) {
      await this.fh.close().catch(() => undefined);
      this.fh = null;
      return false;
    }
    this.fileSize = at + header.length;
    return true;
  }

  private async closeFile(now: number): Promise<void> {
    await this.settle();
    const fh = this.fh;
    if (fh === null) return;
    this.fh = null;
    await fh.close().catch(() => this.counters.error('close'));
    this.ring.fileClosed(this.filePath, this.fileSize, now);
    this.filePath = '';
    this.fileSize = 0;
  }

  async close(): Promise<void> {
    // An idle run still leaves one valid (empty) capture, as tcpdump -w does.
    const now = this.lastNowMs >= 0 ? this.lastNowMs : Date.now();
    if (!this.openedAny) await this.openFile(now);
    await this.closeFile(now);
    await this.ring.settle();
  }
}

/**
 * Where a file written earlier by this process can be continued: its size, when it is a
 * pcapng (a new section may follow) or a pcap with exactly our header; -1 to start over.
 */
async function continuable(p: string, format: 'pcap' | 'pcapng', header: Uint8Array): Promise<number> {
  let fh: fs.promises.FileHandle | null = null;
  try {
    fh = await fs.promises.open(p, 'r');
    const size = (await fh.stat()).size;
    if (size === 0) return -1;
    if (format === 'pcapng') return size;
    const head = new Uint8Array(header.length);
    await fh.read(head, 0, head.length, 0);
    return Buffer.compare(head, header) === 0 ? size : -1;
  } catch {
    return -1;
  } finally {
    await fh?.close();
  }
}

/** Whether an existing pcap file has nanosecond timestamps; undefined when it is no pcap. */
function pcapFileNanos(p: string): boolean | undefined {
  const head = new Uint8Array(4);
  try {
    const fd = fs.openSync(p, 'r');
    try {
      if (fs.readSync(fd, head, 0, 4, 0) < 4) return undefined;
    } finally {
      fs.closeSync(fd);
    }
  } catch {
    return undefined;
  }
  const magic = new DataView(head.buffer).getUint32(0, true);
  return magic === PCAP_MAGIC_NANO ? true : magic === PCAP_MAGIC_MICRO ? false : undefined;
}

/**
 * Rotation needs wall-clock time (names, boundaries). ctx.nowMs is packet time on replay; a
 * value before 2001 cannot be one (an unset 0, or a monotonic clock), so the system clock is
 * used instead of naming files after 1970.
 */
export function wallClock(nowMs: number): number {
  return nowMs >= 1e12 ? nowMs : Date.now();
}

/** Next multiple of `interval` after `now`, in UTC or in local time. */
export function nextBoundary(now: number, interval: number, utc: boolean): number {
  const off = utc ? 0 : -new Date(now).getTimezoneOffset() * 60000;
  return Math.floor((now + off) / interval) * interval + interval - off;
}

const KEYS = ['type', 'name', 'path', ...CAPTURE_KEYS, 'rotate_size', 'rotate_interval', 'max_files', 'retain_bytes', 'retain_age', 'on_close', 'utc'] as const;

export function validatePcapFile(o: Obj, path: string, p: Problems, extraKeys: readonly string[] = []): void {
  checkKeys(o, path, [...KEYS, ...extraKeys], p);
  const file = str(o, 'path', path, p, { required: true });
  if (file !== undefined) {
    if (file === '') p.add(`${path}.path`, 'must not be empty');
    const bad = unsupportedDirectives(file);
    if (bad.length) p.add(`${path}.path`, `unsupported strftime directive(s) ${bad.join(', ')} (supported: %Y %m %d %H %M %S %y %j %s %F %T %%)`);
  }
  validateCapture(o, path, p);
  const rs = size(o, 'rotate_size', path, p);
  if (rs !== undefined && rs < 1024) p.add(`${path}.rotate_size`, `must be at least 1k, got ${rs} bytes`);
  const ri = duration(o, 'rotate_interval', path, p);
  if (ri !== undefined && ri < 1000) p.add(`${path}.rotate_interval`, 'must be at least 1s');
  num(o, 'max_files', path, p, { integer: true, min: 1, max: 1000000 });
  size(o, 'retain_bytes', path, p);
  duration(o, 'retain_age', path, p);
  bool(o, 'utc', path, p);
  const oc = o.on_close;
  if (oc !== undefined && (!Array.isArray(oc) || oc.length === 0 || !oc.every((a) => typeof a === 'string' && a !== ''))) {
    p.add(`${path}.on_close`, 'must be a list like [gzip, -9] (command and arguments; the file path is appended)');
  }
}

export function pcapFileOptions(o: Obj): PcapFileOptions {
  return {
    ...captureOptions(o, /\.pcapng$/i.test(String(o.path)) ? 'pcapng' : 'pcap'),
    path: o.path as string,
    rotateSize: sizeValue(o.rotate_size),
    rotateIntervalMs: durationValue(o.rotate_interval),
    maxFiles: o.max_files as number | undefined,
    retainBytes: sizeValue(o.retain_bytes),
    retainAgeMs: durationValue(o.retain_age),
    onClose: o.on_close as string[] | undefined,
    utc: (o.utc as boolean | undefined) ?? true,
  };
}

export const pcapFile = {
  validate: (o: Obj, path: string, p: Problems): void => validatePcapFile(o, path, p),
  create: (name: string, o: Obj): Target => new PcapFileTarget(name, pcapFileOptions(o)),
};
