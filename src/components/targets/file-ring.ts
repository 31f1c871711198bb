/**
 * The life of rotated capture files: their names, how many and how old may stay, and the
 * command run on each one when it is closed.
 *
 * Names (predictable, unlike tcpdump's `file.pcap1`):
 * - a path with strftime directives is expanded at the file's open time (UTC by default);
 *   when two files would get the same name (size rotation within one second) the later one
 *   gets `-1`, `-2`... before the extension;
 * - a plain path with rotation gets a number before the extension: `ring0.pcap`,
 *   `ring1.pcap`... With `max_files` N the numbers cycle through 0..N-1 zero-padded to the
 *   same width (tcpdump -W), so the ring reuses N names;
 * - a plain path without rotation is used as it is.
 *
 * Retention deletes the oldest *closed* files (never the one being written) while there are
 * more than `max_files`, while all files together exceed `retain_bytes`, or while a closed
 * file is older than `retain_age`. Files that an earlier run left in the same directory and
 * that match the naming scheme count too, so a restart does not forget them.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type { ComponentCounters } from '../counters.js';
import { hasDirectives, patternRegex, splitExtension, strftime } from './strftime.js';

export interface RingOptions {
  path: string;
  /** Any of rotate_size / rotate_interval / max_files set: file names must vary. */
  rotating: boolean;
  maxFiles?: number;
  retainBytes?: number;
  retainAgeMs?: number;
  /** Command and arguments; the closed file's path is appended. Run without a shell. */
  onClose?: readonly string[];
  utc: boolean;
  counters: ComponentCounters;
}

interface ClosedFile {
  path: string;
  size: number;
  closedMs: number;
}

const escapeRe = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

export class FileRing {
  /** Closed files still on disk, oldest first. */
  readonly closed: ClosedFile[] = [];
  /** The latest on_close runs (at most 1000), for tests and diagnostics. */
  readonly onCloseRuns: { path: string; ok: boolean }[] = [];
  private seq = 0;
  private readonly pending = new Set<Promise<void>>();
  private readonly patterned: boolean;

  constructor(private readonly o: RingOptions) {
    this.patterned = hasDirectives(o.path);
  }

  /** True when file names vary (rotation or a ring); false for one plain file. */
  get rotating(): boolean {
    return this.o.rotating;
  }

  /** Takes in files of earlier runs that this naming scheme could have produced. */
  adoptExisting(): void {
    if (!this.o.rotating) return;
    const dir = path.dirname(this.o.path);
    if (hasDirectives(dir)) return; // a directory per day etc.: not scanned, documented
    const base = path.basename(this.o.path);
    const { stem, ext } = splitExtension(base);
    const re = this.patterned ? patternRegex(base) : new RegExp(`^${escapeRe(stem)}\\d+${escapeRe(ext)}$`);
    let names: string[];
    try {
      names = fs.readdirSync(dir);
    } catch {
      return; // the directory may not exist yet; opening the first file reports that
    }
    const found: ClosedFile[] = [];
    for (const n of names) {
      if (!re.test(n)) continue;
      try {
        const st = fs.statSync(path.join(dir, n));
        if (st.isFile()) found.push({ path: path.join(dir, n), size: st.size, closedMs: st.mtimeMs });
      } catch {
        /* vanished meanwhile */
      }
    }
    found.sort((a, b) => a.closedMs - b.closedMs);
    this.closed.push(...found);
    if (!this.patterned && found.length > 0) {
      // Continue the numbers after the newest file instead of overwriting it first
      // (a ring: after the most recently written; otherwise: after the highest number).
      const num = (f: ClosedFile): number => Number(path.basename(f.path).slice(stem.length, path.basename(f.path).length - ext.length));
      this.seq = (this.o.maxFiles ? num(found[found.length - 1]) : Math.max(...found.map(num))) + 1;
    }
  }

  /** The path of the next file, opened at time `nowMs`. */
  nextPath(nowMs: number): string {
    const o = this.o;
    if (!o.rotating) return strftime(o.path, nowMs, o.utc);
    let p: string;
    if (this.patterned) {
      const name = strftime(o.path, nowMs, o.utc);
      p = name;
      const { stem, ext } = splitExtension(name);
      for (let k = 1; this.isTaken(p); k++) p = `${stem}-${k}${ext}`;
    } else {
      const { stem, ext } = splitExtension(o.path);
      if (o.maxFiles) {
        const width = String(o.maxFiles - 1).length;
        p = `${stem}${String(this.seq % o.maxFiles).padStart(width, '0')}${ext}`;
      } else {
        p = `${stem}${this.seq}${ext}`;
      }
      this.seq++;
      // The ring reuses this name: the old file is overwritten, so it leaves the list.
      const at = this.closed.findIndex((f) => f.path === p);
      if (at >= 0) this.closed.splice(at, 1);
    }
    return p;
  }

  private isTaken(p: string): boolean {
    return this.closed.some((f) => f.path === p) || fs.existsSync(p);
  }

  /** Records a closed file, runs on_close for it and applies retention. */
  fileClosed(p: string, size: number, nowMs: number): void {
    this.closed.push({ path: p, size, closedMs: nowMs });
    const cmd = this.o.onClose;
    if (cmd && cmd.length > 0) {
      const run = new Promise<void>((resolve) => {
        execFile(cmd[0], [...cmd.slice(1), p], { windowsHide: true }, (err) => {
          // A failing hook must never stop the capture: count it and go on.
          if (err) this.o.counters.error('on_close');
          this.onCloseRuns.push({ path: p, ok: !err });
          if (this.onCloseRuns.length > 1000) this.onCloseRuns.shift();
          resolve();
        });
      });
      this.pending.add(run);
      void run.then(() => this.pending.delete(run));
    }
  }

  /** Deletes the oldest closed files beyond the limits; `currentSize` is the open file's. */
  enforce(nowMs: number, currentSize: number, currentOpen: boolean): void {
    const o = this.o;
    const closed = this.closed;
    if (o.maxFiles) while (closed.length > 0 && closed.length + (currentOpen ? 1 : 0) > o.maxFiles) this.remove();
    if (o.retainBytes !== undefined) {
      let total = currentSize;
      for (const f of closed) total += f.size;
      while (closed.length > 0 && total > o.retainBytes) total -= this.remove();
    }
    if (o.retainAgeMs !== undefined) while (closed.length > 0 && closed[0].closedMs < nowMs - o.retainAgeMs) this.remove();
  }

  private remove(): number {
    const f = this.closed.shift() as ClosedFile;
    try {
      fs.unlinkSync(f.path);
    } catch (e) {
      // Already gone (an on_close hook may move files away) is fine; anything else is counted.
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') this.o.counters.error('retention_delete');
    }
    return f.size;
  }

  /** Waits for every on_close command started so far. */
  async settle(): Promise<void> {
    while (this.pending.size > 0) await Promise.all([...this.pending]);
  }
}
