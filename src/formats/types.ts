import type { PacketBatch } from '../core/batch.js';
import type { CaptureError } from '../core/errors.js';

/** One capture interface: a pcap file's single link, or a pcapng Interface Description Block. */
export interface InterfaceInfo {
  linktype: number;
  snaplen: number;
  /** if_name (pcapng), or a source name. */
  name: string;
  /** if_description (pcapng): tapwire writes the origin identity (e.g. a VNI) here. */
  description: string;
  /** Decimal digits of the timestamp resolution (6 = microseconds, 9 = nanoseconds). */
  tsResolution: number;
}

export interface ParseResult {
  /** Where parsing stopped: everything before it was consumed. */
  pos: number;
  /** Set when the record at `pos` is incomplete: at least this many bytes from `pos` are needed. */
  need?: number;
  /** Set when the input is damaged at `pos`; packets before it are in the batch. */
  error?: CaptureError;
}

/**
 * A capture format parser: consumes complete records from a byte window into a batch.
 * It keeps its own state (byte order, interfaces) between calls, so any chunking works.
 */
export interface RecordParser {
  readonly format: 'pcap' | 'pcapng';
  readonly interfaces: InterfaceInfo[];
  parse(buf: Uint8Array, view: DataView, start: number, end: number, eof: boolean, batch: PacketBatch, fileOffset: number): ParseResult;
}
