/**
 * `tapwire read -i IF`: live capture, with tcpdump's flags and behaviour — `-w FILE` writes
 * a microsecond pcap with the interface's link type and the snapshot length as its header
 * (pcapng with --pcapng or a .pcapng name), `-c N` stops after N packets, `-s N` sets the
 * snapshot length (0 = 262144), the expression is a kernel-side filter compiled by
 * libpcap. It prints "listening on ..." when it starts and the captured / received /
 * dropped figures when it ends (after -c, SIGINT or SIGTERM), on stderr.
 */
import type { PacketBatch } from '../../core/batch.js';
import { ExitCode, TapwireError, UsageError } from '../../core/errors.js';
import { DecodeRecord } from '../../decode/record.js';
import { decodePacket } from '../../decode/decode.js';
import { formatJson } from '../../decode/json.js';
import { formatTextLine } from '../../decode/text.js';
import { compileFilter } from '../../filter/index.js';
import { CaptureWriter } from '../../formats/capture-writer.js';
import { LiveCapture, DEFAULT_SNAPLEN, type CaptureStats } from '../../live/capture.js';
import { formatInterfaceList, listInterfaces } from '../../live/interfaces.js';
import { dropPrivileges } from '../../live/privileges.js';
import { LiveReader } from '../../live/reader.js';
import { PcapRecordWriter } from '../../live/pcap-records.js';
import { StdoutLines } from '../stdout-lines.js';

export interface ReadLiveOptions {
  /** Interface name, or several separated by commas (each packet keeps which one). */
  iface: string;
  write?: string;
  count?: number;
  snaplen?: number;
  expression?: string;
  /** Write pcapng (also chosen by a .pcapng file name). */
  pcapng?: boolean;
  /** pcap: nanosecond timestamps (tcpdump --nano); default microseconds like tcpdump. */
  nano?: boolean;
  /** Output without -w: text lines (default) or JSON. */
  format?: 'text' | 'json';
  /** tcpdump -p: do not put the interface in promiscuous mode. */
  noPromisc?: boolean;
  /** tcpdump --immediate-mode. */
  immediate?: boolean;
  /** tcpdump -B: kernel buffer in KiB. */
  bufferKiB?: number;
  /** tcpdump -Q: in, out or inout. */
  direction?: 'in' | 'out' | 'inout';
  /** tcpdump -Z: switch to this user once the interfaces are open. */
  user?: string;
  /** Where the expression runs: libpcap's kernel filter (default, as tcpdump), JS, or both. */
  filterIn?: 'kernel' | 'js' | 'both';
  /** Suppress the "listening on" and statistics lines. */
  quiet?: boolean;
  /** Stop after this many milliseconds (tests, benchmarks). */
  durationMs?: number;
  /** Ends the capture when aborted (like SIGINT). */
  signal?: AbortSignal;
  /** Where libpcap is read: 'poll' (default) or 'thread' (a libuv pool thread; benchmarks). */
  dispatch?: 'poll' | 'thread';
  /** Receives the final statistics (tests, benchmarks). */
  onStats?: (s: LiveRunStats) => void;
}

export interface LiveRunStats extends CaptureStats {
  captured: number;
  /** Packets the JS filter rejected (filterIn js/both). */
  filtered: number;
}

const DLT_NAMES: Record<number, string> = { 1: 'EN10MB (Ethernet)', 113: 'LINUX_SLL (Linux cooked v1)', 276: 'LINUX_SLL2 (Linux cooked v2)', 101: 'RAW (Raw IP)', 0: 'NULL (BSD loopback)' };

/** `tapwire read -D`: the interfaces libpcap can capture on, like tcpdump -D. */
export function printInterfaces(): number {
  process.stdout.write(formatInterfaceList(listInterfaces()) + '\n');
  return ExitCode.ok;
}

export async function readLive(opts: ReadLiveOptions): Promise<number> {
  const devices = opts.iface.split(',').map((d) => d.trim()).filter(Boolean);
  if (devices.length === 0) throw new UsageError('-i needs an interface name (see tapwire read -D)');
  const snaplen = opts.snaplen === undefined || opts.snaplen === 0 ? DEFAULT_SNAPLEN : opts.snaplen;
  const expression = opts.expression?.trim() || undefined;
  const filterIn = opts.filterIn ?? 'kernel';
  const direction = opts.direction === 'in' ? 1 : opts.direction === 'out' ? 2 : 0;
  const captures: LiveCapture[] = [];
  try {
    for (const dev of devices) {
      captures.push(new LiveCapture(dev, { snaplen, promisc: !opts.noPromisc, immediate: opts.immediate, bufferSize: opts.bufferKiB ? opts.bufferKiB * 1024 : undefined, filter: filterIn === 'js' ? undefined : expression, direction: direction as 0 | 1 | 2 }));
    }
  } catch (e) {
    for (const c of captures) c.close();
    throw e;
  }
  if (opts.user) dropPrivileges(opts.user);

  const jsFilters = filterIn !== 'kernel' && expression ? captures.map((c) => compileJs(expression, c.linktype)) : null;
  // Like tcpdump -w: a pcap written straight from the capture buffer (no JS per packet),
  // when no JS filter runs and every interface has the same link type.
  const nanos = opts.nano ?? false;
  const direct = opts.write !== undefined && opts.write !== '-' && !opts.pcapng && !/\.pcapng$/i.test(opts.write) && jsFilters === null && captures.every((c) => c.linktype === captures[0].linktype);
  const records = direct ? new PcapRecordWriter(opts.write!, captures[0].linktype, Math.max(...captures.map((c) => c.snaplen)), nanos) : null;
  const writer = opts.write !== undefined && !direct ? new CaptureWriter(opts.write, { format: opts.pcapng ? 'pcapng' : undefined, snaplen, nanos: opts.nano ?? false }) : null;
  if (writer !== null) writer.interfaceInfo = (iface) => ({ name: captures[iface]?.device, description: expression ? `filter: ${expression}` : '' });
  const lines = writer === null && records === null ? new StdoutLines() : null;
  const rec = new DecodeRecord();
  const reader = new LiveReader(captures, { recordHeader: records === null ? 0 : nanos ? 2 : 1, dispatch: opts.dispatch });
  if (!opts.quiet) {
    const c = captures[0];
    process.stderr.write(`tapwire: listening on ${devices.join(', ')}, link-type ${DLT_NAMES[c.linktype] ?? c.linktype}, snapshot length ${c.snaplen} bytes\n`);
  }

  const stop = () => reader.stop();
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  const timer = opts.durationMs !== undefined ? setTimeout(stop, opts.durationMs) : null;
  opts.signal?.addEventListener('abort', stop);
  let captured = 0;
  let filtered = 0;
  let keep = new Uint8Array(0);
  const limit = opts.count;
  try {
    for await (const batch of reader.batches()) {
      if (keep.length < batch.count) keep = new Uint8Array(batch.capacity);
      const kept = select(batch, keep, jsFilters, limit === undefined ? Infinity : limit - captured);
      filtered += kept.rejected;
      captured += kept.n;
      if (records !== null) {
        // Records are contiguous from the buffer's start; -c may cut the run short.
        const end = kept.n === batch.count ? reader.used : kept.n === 0 ? 0 : batch.offset[kept.n - 1] + batch.caplen[kept.n - 1];
        records.write(reader.buffer, 0, end);
      } else if (writer !== null) await writer.writeBatch(batch, keep);
      else {
        for (let i = 0; i < batch.count; i++) {
          if (keep[i] === 0) continue;
          decodePacket(batch, i, rec);
          lines!.push(opts.format === 'json' ? formatJson(batch, i, rec) : formatTextLine(batch, i, rec));
        }
        if (!(await lines!.flush())) break;
      }
      if (limit !== undefined && captured >= limit) break;
    }
  } finally {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
    if (timer) clearTimeout(timer);
    opts.signal?.removeEventListener('abort', stop);
  }
  const stats = { received: 0, droppedKernel: 0, droppedInterface: 0, captured, filtered };
  for (const c of captures) {
    const s = c.stats();
    stats.received += s.received;
    stats.droppedKernel += s.droppedKernel;
    stats.droppedInterface += s.droppedInterface;
  }
  reader.close();
  if (writer !== null) await writer.close(captures[0].linktype);
  records?.close();
  if (lines !== null) await lines.flush();
  opts.onStats?.(stats);
  if (!opts.quiet) {
    const s = (n: number) => (n === 1 ? '' : 's');
    process.stderr.write(
      `${captured} packet${s(captured)} captured\n${stats.received} packet${s(stats.received)} received by filter\n${stats.droppedKernel} packet${s(stats.droppedKernel)} dropped by kernel\n` +
        (stats.droppedInterface ? `${stats.droppedInterface} packet${s(stats.droppedInterface)} dropped by interface\n` : ''),
    );
  }
  return ExitCode.ok;
}

type Match = (data: Uint8Array, view: DataView, off: number, caplen: number, wirelen: number) => boolean;

function compileJs(expr: string, linktype: number): Match {
  try {
    const f = compileFilter(expr, linktype);
    return f.match.bind(f);
  } catch (e) {
    throw new TapwireError('E_FILTER', `bad filter expression: ${(e as Error).message}`, ExitCode.usage);
  }
}

/** Marks the packets to keep: the JS filter (if any), then the -c budget. */
function select(batch: PacketBatch, keep: Uint8Array, filters: Match[] | null, budget: number): { n: number; rejected: number } {
  let n = 0;
  let rejected = 0;
  for (let i = 0; i < batch.count; i++) {
    let pass = true;
    if (filters !== null) {
      pass = filters[batch.iface[i]](batch.data, batch.view, batch.offset[i], batch.caplen[i], batch.wirelen[i]);
      if (!pass) rejected++;
    }
    if (pass && n >= budget) pass = false;
    keep[i] = pass ? 1 : 0;
    if (pass) n++;
  }
  return { n, rejected };
}
