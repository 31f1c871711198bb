/**
 * Oracle helpers for the filter tests: per-packet verdicts from the installed tcpdump.
 *
 * How a verdict is recovered: each capture is rewritten as a classic pcap whose packet i
 * carries the timestamp i+1 seconds (bytes, lengths and link type unchanged), then
 * `tcpdump -r marked.pcap -w - EXPR` runs and the timestamps of the records it writes name
 * the packets it kept. Runs go in parallel child processes; nothing is cached between runs.
 */
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { BatchBuilder, type PacketBatch } from '../../src/core/batch.js';
import { loadCaptureSync } from '../../src/formats/index.js';

export interface Capture {
  name: string;
  batch: PacketBatch;
  linktype: number;
  /** The marked copy tcpdump reads. */
  marked: string;
}

export const haveTcpdump = (): boolean => spawnSync('tcpdump', ['--version']).status === 0;

const tmpRoot = (): string => fs.mkdtempSync(path.join(os.tmpdir(), 'tapwire-filter-'));
let tmpDir: string | null = null;

/** Link type of a capture file (its first interface). */
export function linktypeOf(file: string): number {
  return loadCaptureSync(file).interfaces[0]?.linktype ?? -1;
}

/** Loads a capture and writes its marked copy (classic pcap, ts = packet number). */
export function loadCapture(file: string): Capture {
  return loadGroup([file], file);
}

/** Several captures of one link type as one marked capture (tcpdump verdicts are per packet). */
export function loadGroup(files: string[], name: string): Capture {
  let total = 0, bytes = 0, linktype = -1;
  const loaded = files.map((f) => loadCaptureSync(f));
  for (const l of loaded) {
    total += l.batch.count;
    for (let i = 0; i < l.batch.count; i++) bytes += l.batch.caplen[i]!;
    linktype = l.interfaces[0]?.linktype ?? 1;
  }
  const builder = new BatchBuilder(total + 1, bytes + 1);
  for (const l of loaded) {
    for (let i = 0; i < l.batch.count; i++) builder.add(l.batch.packet(i), { wirelen: l.batch.wirelen[i]!, linktype });
  }
  return writeMarked(builder.batch, linktype, name);
}

/**
 * Link types the corpus lacks, made from Ethernet packets: the Ethernet header is replaced by
 * a Linux cooked v1 / v2 header (packet type and ifindex varying, for inbound/outbound and
 * ifindex) or an OpenBSD loopback header (address family in network order; IP packets only).
 */
export function synthesize(eth: Capture, linktype: 113 | 276 | 108): Capture {
  const b = eth.batch;
  let bytes = 0;
  for (let i = 0; i < b.count; i++) bytes += b.caplen[i]! + 20;
  const builder = new BatchBuilder(b.count + 1, bytes + 1);
  for (let i = 0; i < b.count; i++) {
    const p = b.packet(i);
    if (p.length < 14) continue;
    const type = (p[12]! << 8) | p[13]!;
    const payload = p.subarray(14);
    let head: Uint8Array;
    if (linktype === 108) {
      const af = type === 0x0800 ? 2 : type === 0x86dd ? [24, 28, 30][i % 3]! : -1;
      if (af < 0) continue;
      head = Uint8Array.of(0, 0, 0, af);
    } else if (linktype === 113) {
      head = new Uint8Array(16);
      head[1] = i % 5; // 0 host, 1 broadcast, 2 multicast, 3 otherhost, 4 outgoing
      head[3] = 1; head[5] = 6; head.set(p.subarray(6, 12), 6);
      head[14] = p[12]!; head[15] = p[13]!;
    } else {
      head = new Uint8Array(20);
      head[0] = p[12]!; head[1] = p[13]!;
      head[7] = 1 + (i % 3); // ifindex
      head[9] = 1; head[10] = i % 5; head[11] = 6; head.set(p.subarray(6, 12), 12);
    }
    const out = new Uint8Array(head.length + payload.length);
    out.set(head);
    out.set(payload, head.length);
    builder.add(out, { wirelen: b.wirelen[i]! - 14 + head.length, linktype });
  }
  return writeMarked(builder.batch, linktype, `${eth.name}-as-${linktype}`);
}

function writeMarked(b: PacketBatch, linktype: number, name: string): Capture {
  let size = 24;
  for (let i = 0; i < b.count; i++) size += 16 + b.caplen[i]!;
  const out = new Uint8Array(size);
  const v = new DataView(out.buffer);
  v.setUint32(0, 0xa1b2c3d4, true);
  v.setUint16(4, 2, true);
  v.setUint16(6, 4, true);
  v.setUint32(16, 262144, true);
  v.setUint32(20, linktype, true);
  let p = 24;
  for (let i = 0; i < b.count; i++) {
    v.setUint32(p, i + 1, true);
    v.setUint32(p + 4, 0, true);
    v.setUint32(p + 8, b.caplen[i]!, true);
    v.setUint32(p + 12, b.wirelen[i]!, true);
    out.set(b.data.subarray(b.offset[i]!, b.offset[i]! + b.caplen[i]!), p + 16);
    p += 16 + b.caplen[i]!;
  }
  tmpDir ??= tmpRoot();
  const marked = path.join(tmpDir, `${path.basename(name)}.${Math.random().toString(36).slice(2)}.pcap`);
  fs.writeFileSync(marked, out);
  return { name, batch: b, linktype, marked };
}

/** tcpdump's verdicts: a 0/1 array per packet, or an error string when it rejects the filter. */
export type Oracle = Uint8Array | string;

function runOne(cap: Capture, expr: string): Promise<Oracle> {
  return new Promise((resolve) => {
    const child = spawn('tcpdump', ['-r', cap.marked, '-w', '-', expr], { stdio: ['ignore', 'pipe', 'pipe'] });
    const chunks: Buffer[] = [];
    let err = '';
    child.stdout.on('data', (c: Buffer) => chunks.push(c));
    child.stderr.on('data', (c: Buffer) => { err += c.toString(); });
    child.on('close', (code) => {
      if (code !== 0) { resolve(err.split('\n').filter((l) => !l.startsWith('reading from')).join(' ').trim() || `exit ${code}`); return; }
      const buf = Buffer.concat(chunks);
      const verdicts = new Uint8Array(cap.batch.count);
      let p = 24;
      while (p + 16 <= buf.length) {
        const n = buf.readUInt32LE(p);
        const incl = buf.readUInt32LE(p + 8);
        if (n >= 1 && n <= verdicts.length) verdicts[n - 1] = 1;
        p += 16 + incl;
      }
      resolve(verdicts);
    });
  });
}

/** Runs tcpdump for every (capture, expression) pair with `parallel` processes at a time. */
export async function tcpdumpVerdicts(jobs: { cap: Capture; expr: string }[], parallel = Math.max(2, os.cpus().length * 2)): Promise<Oracle[]> {
  const results: Oracle[] = new Array(jobs.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < jobs.length) {
      const i = next++;
      results[i] = await runOne(jobs[i]!.cap, jobs[i]!.expr);
    }
  };
  await Promise.all(Array.from({ length: parallel }, worker));
  return results;
}

/** Removes the marked copies. */
export function cleanup(): void {
  if (tmpDir) fs.rmSync(tmpDir, { recursive: true, force: true });
  tmpDir = null;
}

/** Where the shared corpus lives when the project sits next to it (../shared/corpus). */
export function corpusDir(): string | null {
  const here = path.resolve(process.cwd(), '..', 'shared', 'corpus');
  return fs.existsSync(here) ? here : null;
}

/** The project's own fixtures directory (tests run from the repository root). */
export const FIXTURES = path.resolve(process.cwd(), 'test', 'fixtures', 'filter');

/**
 * 802.11 captures the corpus lacks, made from the 802.11 frames it has (so that tcpdump judges
 * every path of libpcap's per-packet offset code): for LINKTYPE 105, every frame without its
 * radiotap header, QoS data frames also as plain data frames, and truncated copies; for
 * LINKTYPE 127, the same frames behind radiotap headers with and without TSFT, with the flags
 * field present or not, with the DATAPAD flag (Atheros padding inserted after the 802.11
 * header, as libpcap rounds the payload offset up to a multiple of 4), with an extension
 * presence word (libpcap then ignores DATAPAD), and truncated at every interesting length.
 */
export function synthesizeWlan(plain: Capture[], radiotap: Capture[]): Capture[] {
  const mpdus: Uint8Array[] = [];
  const frames = (c: Capture, strip: boolean) => {
    for (let i = 0; i < c.batch.count; i++) {
      const p = c.batch.packet(i);
      if (c.batch.caplen[i] !== c.batch.wirelen[i]) continue;
      const h = strip ? (p.length >= 4 ? p[2]! | (p[3]! << 8) : p.length) : 0;
      if (p.length >= h + 24) mpdus.push(p.slice(h));
    }
  };
  for (const c of plain) frames(c, false);
  for (const c of radiotap) frames(c, true);
  // QoS data frames (type data, subtype bit 0x80) again without their QoS control field.
  for (const m of [...mpdus]) {
    if ((m[0]! & 0x8c) === 0x88 && m.length >= 26) {
      const n = new Uint8Array(m.length - 2);
      n.set(m.subarray(0, 24));
      n.set(m.subarray(26), 24);
      n[0] = m[0]! & ~0x80;
      mpdus.push(n);
    }
  }
  const isData = (m: Uint8Array) => (m[0]! & 0x0c) === 0x08;
  const hdrLen = (m: Uint8Array) => (isData(m) && (m[0]! & 0x80) ? 26 : 24);
  const out105: Uint8Array[] = [...mpdus];
  const out127: Uint8Array[] = [];
  // Radiotap variants: [present word, header bytes after the presence word(s), DATAPAD byte index or -1].
  const le32 = (v: number) => Uint8Array.of(v & 255, (v >>> 8) & 255, (v >>> 16) & 255, v >>> 24);
  const variants: { present: number[]; body: number[]; pad: boolean }[] = [
    { present: [0], body: [], pad: false }, // nothing but the 8-byte header
    { present: [0x02], body: [0x20, 0], pad: true }, // flags, DATAPAD, length 10
    { present: [0x02], body: [0x20], pad: true }, // flags, DATAPAD, length 9
    { present: [0x02], body: [0x10, 0, 0, 0], pad: false }, // flags without DATAPAD (FCS bit)
    { present: [0x03], body: [1, 2, 3, 4, 5, 6, 7, 8, 0x20, 0], pad: true }, // TSFT + flags with DATAPAD
    { present: [0x03], body: [1, 2, 3, 4, 5, 6, 7, 8, 0x00, 0x20], pad: false }, // TSFT + flags, DATAPAD clear
    { present: [0x80000003, 0], body: [1, 2, 3, 4, 5, 6, 7, 8, 0x20, 0x20], pad: false }, // extension word: ignored
    { present: [0x01], body: [0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20], pad: false }, // TSFT only
  ];
  mpdus.forEach((m, i) => {
    for (const [k, v] of variants.entries()) {
      if ((i + k) % 2 === 1 && !isData(m)) continue; // fewer copies of management/control frames
      const head: number[] = [0, 0, 0, 0];
      for (const w of v.present) head.push(...le32(w));
      head.push(...v.body);
      const rtlen = head.length;
      head[2] = rtlen & 255; head[3] = rtlen >> 8;
      const hl = hdrLen(m);
      // libpcap's rounding is of the payload offset (radiotap length included).
      const padTo = v.pad && isData(m) ? ((rtlen + hl + 3) & ~3) - (rtlen + hl) : 0;
      const p = new Uint8Array(rtlen + m.length + padTo);
      p.set(head);
      p.set(m.subarray(0, hl), rtlen);
      p.set(m.subarray(hl), rtlen + hl + padTo);
      out127.push(p);
    }
  });
  const truncate = (list: Uint8Array[], cuts: number[]) => list.filter((_, i) => i % 7 === 0).flatMap((p) => cuts.map((n) => p.subarray(0, Math.min(n, p.length))));
  const t105 = truncate(out105, [1, 2, 23, 24, 25, 26, 27, 30, 31, 32, 33, 34, 40, 45]);
  const t127 = truncate(out127, [1, 2, 3, 4, 5, 7, 8, 9, 10, 16, 17, 18, 20, 30, 33, 34, 36, 40, 44, 50, 60, 70]);
  const build = (list: Uint8Array[], trunc: Uint8Array[], linktype: number, name: string): Capture => {
    let bytes = 0;
    for (const p of [...list, ...trunc]) bytes += p.length;
    const builder = new BatchBuilder(list.length + trunc.length + 1, bytes + 1);
    for (const p of list) builder.add(p, { wirelen: p.length, linktype });
    for (const p of trunc) builder.add(p, { wirelen: p.length + 100, linktype });
    return writeMarked(builder.batch, linktype, name);
  };
  return [build(out105, t105, 105, 'wlan-synth-105'), build(out127, t127, 127, 'wlan-synth-127')];
}
