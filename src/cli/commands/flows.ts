/**
 * `tapwire flows`: meters a capture into flows with Zeek's connection semantics and writes
 * conn.log (Zeek TSV or JSON) and/or exports IPFIX / NetFlow v9 to a collector.
 *
 *   tapwire flows -r FILE [--logs DIR] [--format zeek|json] [--ipfix HOST:PORT[/tcp]]
 *                 [--netflow9 HOST:PORT] [-C|--ignore-checksums] [EXPRESSION]
 */
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { ExitCode, TapwireError, UsageError } from '../../core/errors.js';
import type { PacketBatch } from '../../core/batch.js';
import { decodePacket } from '../../decode/decode.js';
import { openCapture } from '../../formats/index.js';
import { FlowAnalyzer } from '../../flow/analyzer.js';
import { FlowExporter, parseTarget } from '../../flow/exporter.js';
import type { FlowRecord } from '../../flow/record.js';
import { ConnLogWriter, connLogFooter, connLogHeader, connLogJson, type ConnLogOptions } from '../../formats/zeek-log.js';

export const FLOWS_HELP = `Usage: tapwire flows -r FILE [options] [EXPRESSION]

Meters bidirectional flows with Zeek's connection semantics (conn_state, history, bytes
from sequence numbers, tunnel parents) and writes them as conn.log and/or IPFIX / NetFlow v9.

  -r, --read FILE          capture to read (pcap or pcapng, may be gzip'd; - = stdin)
  --logs DIR               write DIR/conn.log (default: conn.log to standard output,
                           unless an exporter is given)
  --format zeek|json       conn.log as Zeek TSV (default) or Zeek JSON lines
  --ipfix HOST:PORT[/tcp]  export IPFIX (RFC 7011, biflow RFC 5103) over UDP or TCP
  --netflow9 HOST:PORT     export NetFlow v9 over UDP
  -C, --ignore-checksums   do not drop packets with bad checksums (Zeek's -C)
  --community-id           add the community_id column
  --vlan-column            add the vlan / inner_vlan columns
  --no-vlan-key            do not tell flows apart by VLAN (Zeek's default five-tuple key)
  --max-flows N            table size, the memory bound (default 262144); when full the
                           oldest idle flow is expired early (counted in --stats)
  --active-timeout SEC     report long flows every SEC seconds (default: never, like Zeek)
  --uniflow                IPFIX: one record per direction instead of biflows
  --stats                  print counters to standard error at the end
  EXPRESSION               pcap-filter expression: only matching packets are metered
`;

type Matcher = (d: Uint8Array, v: DataView, o: number, c: number, w: number) => boolean;
type CompileFilter = (expr: string, linktype: number) => { match: Matcher };

/** Loaded lazily: the filter compiler is only needed with an expression. */
async function filterCompiler(): Promise<CompileFilter> {
  const spec = '../../filter/index.js';
  try {
    return ((await import(spec)) as { compileFilter: CompileFilter }).compileFilter;
  } catch (e) {
    throw new TapwireError('E_FILTER', `filter expressions are not available in this build: ${(e as Error).message}`, ExitCode.usage);
  }
}

function positiveNumber(v: string | undefined, flag: string): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0) throw new UsageError(`${flag} needs a positive number, got '${v}'`);
  return n;
}

/** Buffered writes to a file descriptor: many records per system call. */
class LineSink {
  /** conn.log TSV lines are written straight into this buffer. */
  readonly out = new ConnLogWriter(1 << 18);
  private readonly utf8 = new TextEncoder();
  constructor(private readonly fd: number) {}
  /** Makes room for `bytes` more, writing out what is buffered first when needed. */
  room(bytes: number): void {
    if (this.out.pos + bytes > this.out.buf.length) {
      this.flush();
      this.out.ensure(bytes);
    }
  }
  write(s: string): void {
    // A UTF-16 code unit takes at most 3 bytes of UTF-8.
    this.room(s.length * 3);
    const o = this.out;
    o.pos += this.utf8.encodeInto(s, o.buf.subarray(o.pos)).written;
  }
  flush(): void {
    const o = this.out;
    let off = 0;
    while (off < o.pos) off += fs.writeSync(this.fd, o.buf, off, o.pos - off);
    o.pos = 0;
  }
}

export async function flowsCommand(argv: string[]): Promise<number> {
  let args;
  try {
    args = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        read: { type: 'string', short: 'r' },
        logs: { type: 'string' },
        format: { type: 'string', default: 'zeek' },
        ipfix: { type: 'string' },
        netflow9: { type: 'string' },
        'ignore-checksums': { type: 'boolean', short: 'C' },
        'community-id': { type: 'boolean' },
        'vlan-column': { type: 'boolean' },
        'no-vlan-key': { type: 'boolean' },
        'max-flows': { type: 'string' },
        'active-timeout': { type: 'string' },
        uniflow: { type: 'boolean' },
        stats: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (e) {
    throw new UsageError(`${(e as Error).message}\nTry 'tapwire flows --help'.`);
  }
  const o = args.values;
  if (o.help) {
    process.stdout.write(FLOWS_HELP);
    return ExitCode.ok;
  }
  if (o.read === undefined) throw new UsageError("tapwire flows needs -r FILE. Try 'tapwire flows --help'.");
  if (o.format !== 'zeek' && o.format !== 'json') throw new UsageError(`--format must be zeek or json, not '${o.format}'`);
  const capacity = positiveNumber(o['max-flows'], '--max-flows');
  const active = positiveNumber(o['active-timeout'], '--active-timeout');
  const ipfixTarget = o.ipfix !== undefined ? parseTarget(o.ipfix) : null;
  const nf9Target = o.netflow9 !== undefined ? parseTarget(o.netflow9) : null;
  const expression = args.positionals.join(' ').trim();
  const compile = expression ? await filterCompiler() : null;
  const filters = new Map<number, Matcher>();
  const matcherFor = (linktype: number): Matcher => {
    let m = filters.get(linktype);
    if (m === undefined) {
      try {
        const c = compile!(expression, linktype);
        m = c.match.bind(c);
      } catch (e) {
        throw new TapwireError('E_FILTER', `bad filter expression: ${(e as Error).message}`, ExitCode.usage);
      }
      filters.set(linktype, m);
    }
    return m;
  };

  // Outputs
  const logOpts: ConnLogOptions = { communityId: o['community-id'], vlan: o['vlan-column'] };
  const json = o.format === 'json';
  const writeLog = o.logs !== undefined || (ipfixTarget === null && nf9Target === null);
  let fd = -1;
  if (writeLog) {
    if (o.logs !== undefined) {
      fs.mkdirSync(o.logs, { recursive: true });
      try {
        fd = fs.openSync(path.join(o.logs, 'conn.log'), 'w');
      } catch (e) {
        throw new TapwireError('E_OUTPUT', `cannot write ${path.join(o.logs, 'conn.log')}: ${(e as Error).message}`, ExitCode.output);
      }
    } else fd = 1;
  }
  const sink = fd >= 0 ? new LineSink(fd) : null;
  const exporters: FlowExporter[] = [];
  if (ipfixTarget) exporters.push(await FlowExporter.open({ protocol: 'ipfix', target: ipfixTarget, biflow: !o.uniflow }));
  if (nf9Target) exporters.push(await FlowExporter.open({ protocol: 'netflow9', target: nf9Target }));

  if (sink && !json) sink.write(connLogHeader(logOpts));
  const emit = (r: FlowRecord) => {
    if (sink) {
      if (json) sink.write(connLogJson(r, logOpts));
      else {
        sink.room(ConnLogWriter.bound(r));
        sink.out.line(r, logOpts);
      }
    }
    for (const x of exporters) x.add(r);
  };
  const analyzer = new FlowAnalyzer(emit, {
    capacity,
    ignoreChecksums: o['ignore-checksums'],
    keyVlan: !o['no-vlan-key'],
    communityId: o['community-id'] ?? false,
    timeouts: active ? { active } : undefined,
    decode: decodePacket,
  });

  // The reader fills buffers in the checksum module's memory: payloads are summed in place.
  const reader = await openCapture(o.read, { readBuffers: analyzer.readBuffers(4 << 20) ?? undefined });
  const select =
    compile === null ? undefined : (batch: PacketBatch, i: number) => matcherFor(batch.linktype[i])(batch.data, batch.view, batch.offset[i], batch.caplen[i], batch.wirelen[i]);
  let status: number = ExitCode.ok;
  try {
    for await (const batch of reader.batches()) {
      // Plain Ethernet / IP packets are metered straight from the bytes; the rest is decoded.
      analyzer.addBatch(batch, select);
      for (const x of exporters) await x.drain();
    }
  } catch (e) {
    // A damaged capture: meter what was read, then report (exit status badInput).
    if (!(e instanceof TapwireError)) throw e;
    process.stderr.write(`tapwire: ${e.message}\n`);
    status = e.exitCode;
  }
  analyzer.flush();
  if (sink) {
    if (!json) sink.write(connLogFooter());
    sink.flush();
    if (fd > 2) fs.closeSync(fd);
  }
  for (const x of exporters) await x.close();
  if (o.stats) {
    const c = analyzer.counters;
    const lines = Object.entries(c).map(([k, v]) => `  ${k}: ${v}`);
    for (const x of exporters) lines.push(`  ${x.protocol} to ${x.target.host}:${x.target.port}/${x.target.transport}: ${x.messages} messages, ${x.records} flows, ${x.bytes} bytes, ${x.sendErrors} send errors`);
    process.stderr.write(`flows:\n${lines.join('\n')}\n`);
  }
  return status;
}
