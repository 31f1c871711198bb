/**
 * Builds a large, realistic benchmark capture by tiling real captures, so the project can
 * benchmark on its own (without the team's shared corpus). Each copy of a seed capture has
 * its IPv4 addresses shifted (checksums patched, RFC 1624) and its timestamps moved on, so
 * every copy is a new set of flows. Deterministic: same seeds, same bytes.
 *
 * Usage: node dist/bench/make-bench-pcap.js OUT.pcap [TARGET_MiB=1024] [SEED_DIR ...]
 * (default seed dir: test/fixtures; every Ethernet pcap/pcapng under it is a seed).
 */
import fs from 'node:fs';
import path from 'node:path';
import { loadCaptureSync } from '../src/formats/index.js';
import { encodePcapHeader } from '../src/formats/pcap.js';
import { LinkType } from '../src/core/linktypes.js';

interface Seed {
  t: number[]; // microseconds
  orig: number[];
  data: Uint8Array[];
}

function walk(dir: string, acc: string[] = []): string[] {
  for (const e of fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) walk(p, acc);
    else if (/\.(pcap|pcapng)$/.test(e.name)) acc.push(p);
  }
  return acc;
}

function loadSeed(file: string): Seed | null {
  let loaded;
  try {
    loaded = loadCaptureSync(file);
  } catch {
    return null;
  }
  const { batch } = loaded;
  const seed: Seed = { t: [], orig: [], data: [] };
  for (let i = 0; i < batch.count; i++) {
    if (batch.linktype[i] !== LinkType.ETHERNET || batch.tsSec[i] < 0 || batch.caplen[i] > 262144) continue;
    seed.t.push(batch.tsSec[i] * 1e6 + Math.floor(batch.tsNsec[i] / 1000));
    seed.orig.push(batch.wirelen[i]);
    seed.data.push(batch.copyPacket(i));
  }
  return seed.data.length ? seed : null;
}

function fold(s: number): number {
  while (s > 0xffff) s = (s & 0xffff) + (s >>> 16);
  return s;
}

/** RFC 1624: checksum' = ~(~checksum + ~old + new). A zero UDP checksum means "none". */
function patch(v: DataView, off: number, oldWord: number, newWord: number): void {
  if (off + 2 > v.byteLength) return;
  const c = v.getUint16(off);
  if (c === 0) return;
  v.setUint16(off, ~fold((~c & 0xffff) + (~oldWord & 0xffff) + newWord) & 0xffff);
}

function shiftIPv4(pkt: Uint8Array, k: number): void {
  const v = new DataView(pkt.buffer, pkt.byteOffset, pkt.byteLength);
  if (pkt.length < 14) return;
  let off = 14;
  let type = v.getUint16(12);
  while ((type === 0x8100 || type === 0x88a8) && off + 4 <= pkt.length) {
    type = v.getUint16(off + 2);
    off += 4;
  }
  if (type !== 0x0800 || off + 20 > pkt.length) return;
  const ihl = (pkt[off] & 0x0f) * 4;
  const proto = pkt[off + 9];
  const l4 = off + ihl;
  const frag = v.getUint16(off + 6) & 0x1fff;
  for (const a of [off + 12, off + 16]) {
    const old = v.getUint16(a);
    const nw = (old & 0xff00) | (((old & 0xff) + k) & 0xff);
    v.setUint16(a, nw);
    patch(v, off + 10, old, nw);
    if (frag === 0 && proto === 6) patch(v, l4 + 16, old, nw);
    if (frag === 0 && proto === 17) patch(v, l4 + 6, old, nw);
  }
}

export function makeBenchPcap(out: string, targetMiB: number, seedDirs: string[]): { packets: number; bytes: number } {
  const seeds: Seed[] = [];
  for (const d of seedDirs) for (const f of walk(d)) {
    const s = loadSeed(f);
    if (s) seeds.push(s);
  }
  if (!seeds.length) throw new Error(`no Ethernet captures under ${seedDirs.join(', ')}`);
  const target = targetMiB * 1024 * 1024;
  const fd = fs.openSync(out, 'w');
  fs.writeSync(fd, encodePcapHeader(LinkType.ETHERNET, 262144, false));
  let written = 24;
  let packets = 0;
  let copy = 0;
  let clock = 1_700_000_000 * 1e6;
  const chunk = new Uint8Array(8 << 20);
  const cv = new DataView(chunk.buffer);
  let used = 0;
  while (written < target) {
    copy++;
    const k = (copy % 251) + 1;
    for (const s of seeds) {
      const base = s.t[0];
      let last = 0;
      for (let i = 0; i < s.data.length; i++) {
        const dt = Math.max(0, Math.min(s.t[i] - base, 60e6));
        const t = clock + dt;
        last = Math.max(last, dt);
        const data = Uint8Array.from(s.data[i]);
        shiftIPv4(data, k);
        if (used + 16 + data.length > chunk.length) {
          fs.writeSync(fd, chunk, 0, used);
          used = 0;
        }
        cv.setUint32(used, Math.floor(t / 1e6), true);
        cv.setUint32(used + 4, t % 1e6, true);
        cv.setUint32(used + 8, data.length, true);
        cv.setUint32(used + 12, s.orig[i], true);
        chunk.set(data, used + 16);
        used += 16 + data.length;
        written += 16 + data.length;
        packets++;
      }
      clock += last + 1000;
      if (written >= target) break;
    }
  }
  fs.writeSync(fd, chunk, 0, used);
  fs.closeSync(fd);
  return { packets, bytes: written };
}

if (process.argv[1] && import.meta.url.endsWith(path.basename(process.argv[1]))) {
  const [out, mib = '1024', ...dirs] = process.argv.slice(2);
  if (!out) {
    console.error('usage: make-bench-pcap.js OUT.pcap [TARGET_MiB] [SEED_DIR ...]');
    process.exit(1);
  }
  const r = makeBenchPcap(out, Number(mib), dirs.length ? dirs : [path.resolve('test/fixtures')]);
  console.log(`${out}: ${r.packets} packets, ${(r.bytes / 1048576).toFixed(1)} MiB`);
}
