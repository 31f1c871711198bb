/**
 * `tapwire read`: the file-side of tcpdump and tshark in one command. Reads a capture as
 * batches, applies an optional pcap-filter expression, then prints (text, json, fields),
 * summarises (--stats) or writes (-w) the packets.
 */
import fs from 'node:fs';
import type { PacketBatch } from '../../core/batch.js';
import { ExitCode, TapwireError, UsageError } from '../../core/errors.js';
import { DecodeRecord } from '../../decode/record.js';
import { decodePacket, type DecodeOptions } from '../../decode/decode.js';
import { compileFieldList, FIELD_NAMES } from '../../decode/fields.js';
import { formatTextLine } from '../../decode/text.js';
import { formatJson } from '../../decode/json.js';
import { ProtocolStats } from '../../decode/stats.js';
import { FilterByLinktype } from '../../filter/by-linktype.js';
import { openCapture } from '../../formats/index.js';
import { CaptureWriter } from '../../formats/capture-writer.js';
import { parseCommandLine, parseCount } from '../args.js';
import { READ_HELP } from '../help.js';
import { Progress } from '../progress.js';
import { StdoutLines } from '../stdout-lines.js';

export async function readCommand(argv: string[]): Promise<number> {
  const args = parseCommandLine('read', argv, {
        read: { type: 'string', short: 'r' },
        write: { type: 'string', short: 'w' },
        count: { type: 'string', short: 'c' },
        snaplen: { type: 'string', short: 's' },
        type: { type: 'string', short: 'T', default: 'text' },
        field: { type: 'string', short: 'e', multiple: true },
        stats: { type: 'boolean' },
        pcapng: { type: 'boolean' },
        'vxlan-port': { type: 'string', multiple: true },
        'list-fields': { type: 'boolean' },
        numeric: { type: 'boolean', short: 'n' },
        quiet: { type: 'boolean', short: 'q' },
        interface: { type: 'string', short: 'i' },
        'list-interfaces': { type: 'boolean', short: 'D' },
        'no-promiscuous-mode': { type: 'boolean', short: 'p' },
        'buffer-size': { type: 'string', short: 'B' },
        direction: { type: 'string', short: 'Q' },
        'relinquish-privileges': { type: 'string', short: 'Z' },
        'immediate-mode': { type: 'boolean' },
        nano: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
  });
  const o = args.values;
  if (o.help) {
    process.stdout.write(READ_HELP);
    return ExitCode.ok;
  }
  if (o['list-interfaces']) return (await import('./live.js')).printInterfaces();
  if (o['list-fields']) {
    process.stdout.write(FIELD_NAMES.join('\n') + '\n');
    return ExitCode.ok;
  }
  const format = o.type;
  if (format !== 'text' && format !== 'json' && format !== 'fields') throw new UsageError(`-T must be text, json or fields, not '${format}'`);
  const limit = parseCount(o.count, '-c');
  const snaplen = parseCount(o.snaplen, '-s');
  const expression = args.positionals.join(' ').trim();
  if (o.interface !== undefined) {
    if (format === 'fields') throw new UsageError('-T fields is for files; live capture prints text or json');
    const direction = o.direction;
    if (direction !== undefined && direction !== 'in' && direction !== 'out' && direction !== 'inout') throw new UsageError(`-Q must be in, out or inout, not '${direction}'`);
    const { readLive } = await import('./live.js');
    return readLive({
      iface: o.interface,
      write: o.write,
      count: limit,
      snaplen,
      expression: expression || undefined,
      pcapng: o.pcapng,
      format,
      quiet: o.quiet,
      noPromisc: o['no-promiscuous-mode'],
      bufferKiB: parseCount(o['buffer-size'], '-B'),
      direction,
      user: o['relinquish-privileges'],
      immediate: o['immediate-mode'],
      nano: o.nano,
    });
  }
  if (o.read === undefined) throw new UsageError("tapwire read needs -r FILE (or -r - for standard input), or -i INTERFACE. Try 'tapwire read --help'.");
  if (format === 'fields' && !o.field?.length) throw new UsageError('-T fields needs at least one -e FIELD (see --list-fields)');
  const vxlanPorts = (o['vxlan-port'] ?? []).map((p) => {
    const n = Number(p);
    if (!Number.isInteger(n) || n < 1 || n > 65535) throw new UsageError(`--vxlan-port needs a UDP port, got '${p}'`);
    return n;
  });
  const filter = expression ? new FilterByLinktype(expression) : null;
  let fields;
  try {
    fields = format === 'fields' ? compileFieldList(o.field ?? []) : null;
  } catch (e) {
    throw new UsageError((e as Error).message);
  }

  const decodeOptions: DecodeOptions = vxlanPorts.length ? { vxlanPorts } : {};
  const reader = await openCapture(o.read);
  const writer = o.write !== undefined ? new CaptureWriter(o.write, { format: o.pcapng ? 'pcapng' : undefined, snaplen: snaplen || undefined }) : null;
  if (writer) {
    writer.interfaceInfo = (iface) => {
      const info = reader.interfaces[iface];
      return info ? { name: info.name, description: info.description } : {};
    };
  }
  const stats = o.stats ? new ProtocolStats() : null;
  const lines = writer === null && stats === null ? new StdoutLines() : null;
  const total = o.read === '-' ? 0 : fs.statSync(o.read).size;
  const progress = new Progress('reading', total, !o.quiet && (writer !== null || stats !== null));
  const rec = new DecodeRecord();
  let keep = new Uint8Array(0);
  let emitted = 0;

  let first = true;
  const onBatch = async (batch: PacketBatch): Promise<boolean> => {
    if (first && writer !== null && reader.format === 'pcap') {
      // Like tcpdump -w: keep the input's timestamp precision and snapshot length.
      const input = reader.interfaces[0];
      writer.nanos = input.tsResolution === 9;
      if (snaplen === undefined) writer.headerSnaplen = input.snaplen;
    }
    if (first && fields !== null && reader.format !== 'unknown') fields.captureFormat = reader.format; // frame.interface_id exists in pcapng only
    first = false;
    if (keep.length < batch.count) keep = new Uint8Array(batch.capacity);
    if (filter !== null) filter.select(batch, keep);
    else keep.fill(1, 0, batch.count);
    let kept = 0;
    for (let i = 0; i < batch.count; i++) {
      if (keep[i] === 0) continue;
      if (limit !== undefined && emitted + kept >= limit) {
        keep.fill(0, i, batch.count);
        break;
      }
      kept++;
      if (writer !== null) continue;
      decodePacket(batch, i, rec, decodeOptions);
      if (stats !== null) stats.add(batch, i, rec);
      else if (fields !== null) lines!.push(fields.format(batch, i, rec));
      else if (format === 'json') lines!.push(formatJson(batch, i, rec));
      else lines!.push(formatTextLine(batch, i, rec));
    }
    emitted += kept;
    if (writer !== null) await writer.writeBatch(batch, keep);
    else if (lines !== null && !(await lines.flush())) return false; // reader of our stdout went away
    progress.update(reader.bytesRead, reader.packetsRead);
    return limit === undefined || emitted < limit;
  };

  let inputError: TapwireError | null = null;
  try {
    for await (const batch of reader.batches()) {
      if (!(await onBatch(batch))) break;
    }
  } catch (e) {
    if (!(e instanceof TapwireError) || e.exitCode !== ExitCode.badInput) throw e;
    inputError = e; // packets before the damage were handled above; finish outputs first
  } finally {
    progress.done();
  }
  if (writer !== null) {
    await writer.close(reader.interfaces[0]?.linktype ?? 1);
    if (writer.skippedLinktype > 0) {
      process.stderr.write(`tapwire: ${writer.skippedLinktype} packets not written: their link type differs from the pcap file's (write pcapng with --pcapng to keep them)\n`);
    }
  }
  if (stats !== null) process.stdout.write(stats.format());
  if (lines !== null) await lines.flush();
  if (inputError !== null) {
    process.stderr.write(`tapwire: ${inputError.message} (${reader.packetsRead} packets read before it)\n`);
    return inputError.exitCode;
  }
  return ExitCode.ok;
}
