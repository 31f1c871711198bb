/**
 * Loads a whole capture into one batch, synchronously. For tests, fuzzing and small files;
 * the streaming reader (capture-reader.ts) is the one with bounded memory.
 */
import fs from 'node:fs';
import zlib from 'node:zlib';
import { PacketBatch } from '../core/batch.js';
import type { CaptureError } from '../core/errors.js';
import { CaptureError as CaptureErrorClass } from '../core/errors.js';
import { isPcapMagic, PcapParser } from './pcap.js';
import { isPcapngMagic, PcapngParser } from './pcapng.js';
import type { InterfaceInfo } from './types.js';

export interface LoadedCapture {
  batch: PacketBatch;
  interfaces: InterfaceInfo[];
  format: 'pcap' | 'pcapng';
  /** Set when the file is damaged; every packet before the damage is in `batch`. */
  error: CaptureError | null;
}

/** Parses capture bytes already in memory. */
export function parseCaptureBytes(bytes: Uint8Array, name = 'capture'): LoadedCapture {
  let data = bytes;
  if (data.length >= 2 && data[0] === 0x1f && data[1] === 0x8b) data = zlib.gunzipSync(data);
  const head = data.subarray(0, 4);
  const parser = isPcapMagic(head) ? new PcapParser(name) : isPcapngMagic(head) ? new PcapngParser(name) : null;
  if (parser === null) throw new CaptureErrorClass('E_NOT_CAPTURE', name, 0, 'not a pcap or pcapng capture (unknown magic number)');
  // Every record takes at least 12 bytes, which bounds the packet count.
  const batch = new PacketBatch(Math.floor(data.length / 12) + 1, data);
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const r = parser.parse(data, view, 0, data.length, true, batch, 0);
  return { batch, interfaces: parser.interfaces, format: parser.format, error: r.error ?? null };
}

export function loadCaptureSync(path: string): LoadedCapture {
  return parseCaptureBytes(fs.readFileSync(path), path);
}
