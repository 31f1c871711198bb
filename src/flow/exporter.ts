/**
 * Sends flow records to a collector as IPFIX (UDP or TCP) or NetFlow v9 (UDP).
 *
 * Records are queued synchronously (the analyzer's emit callback runs in the packet loop);
 * the caller awaits `drain()` once per batch, which encodes and sends what is queued with
 * bounded in-flight datagrams, so a fast reader does not overrun the collector's socket
 * buffer. Over UDP, templates are resent every `templateEvery` messages (RFC 7011 10.3.6);
 * over TCP they are sent once at the start of the session.
 */
import dgram from 'node:dgram';
import net from 'node:net';
import { TapwireError, ExitCode } from '../core/errors.js';
import { IpfixEncoder } from '../formats/ipfix.js';
import { Netflow9Encoder } from '../formats/netflow9.js';
import type { FlowRecord } from './record.js';

export interface ExportTarget {
  host: string;
  port: number;
  transport: 'udp' | 'tcp';
}

/** Parses HOST:PORT[/tcp|/udp] ([v6]:port accepted). */
export function parseTarget(spec: string): ExportTarget {
  const m = /^(?:\[([^\]]+)\]|([^:/]+)):(\d+)(?:\/(tcp|udp))?$/.exec(spec);
  if (!m) throw new TapwireError('E_USAGE', `bad collector address '${spec}': expected HOST:PORT or HOST:PORT/tcp`, ExitCode.usage);
  const port = Number(m[3]);
  if (port < 1 || port > 65535) throw new TapwireError('E_USAGE', `bad collector port in '${spec}'`, ExitCode.usage);
  return { host: m[1] ?? m[2], port, transport: (m[4] as 'tcp' | 'udp' | undefined) ?? 'udp' };
}

export interface FlowExporterOptions {
  protocol: 'ipfix' | 'netflow9';
  target: ExportTarget;
  /** Resend templates every this many UDP messages. Default 20. */
  templateEvery?: number;
  /** Records per encode call. Default 256. */
  chunk?: number;
  /** Datagrams in flight before waiting. Default 32. */
  window?: number;
  biflow?: boolean;
}

export class FlowExporter {
  readonly protocol: 'ipfix' | 'netflow9';
  readonly target: ExportTarget;
  messages = 0;
  records = 0;
  bytes = 0;
  sendErrors = 0;
  private readonly queue: FlowRecord[] = [];
  private readonly ipfix: IpfixEncoder;
  private readonly nf9: Netflow9Encoder;
  private readonly templateEvery: number;
  private readonly chunk: number;
  private readonly window: number;
  private udp: dgram.Socket | null = null;
  private tcp: net.Socket | null = null;
  private sinceTemplates = Infinity;
  private bootTime = -1;
  private lastTime = 0;
  private failure: Error | null = null;

  private constructor(opts: FlowExporterOptions) {
    this.protocol = opts.protocol;
    this.target = opts.target;
    this.templateEvery = opts.templateEvery ?? 20;
    this.chunk = opts.chunk ?? 256;
    this.window = opts.window ?? 32;
    this.ipfix = new IpfixEncoder({ biflow: opts.biflow ?? true });
    this.nf9 = new Netflow9Encoder();
  }

  static async open(opts: FlowExporterOptions): Promise<FlowExporter> {
    const x = new FlowExporter(opts);
    if (opts.protocol === 'netflow9' && opts.target.transport === 'tcp') throw new TapwireError('E_USAGE', 'NetFlow v9 is exported over UDP only', ExitCode.usage);
    if (opts.target.transport === 'udp') {
      const sock = dgram.createSocket(opts.target.host.includes(':') ? 'udp6' : 'udp4');
      sock.on('error', (e) => {
        x.failure = e;
      });
      await new Promise<void>((resolve, reject) => {
        sock.connect(opts.target.port, opts.target.host, () => resolve());
        sock.once('error', reject);
      }).catch((e: Error) => {
        throw new TapwireError('E_OUTPUT', `cannot reach collector ${opts.target.host}:${opts.target.port}: ${e.message}`, ExitCode.output);
      });
      x.udp = sock;
    } else {
      const sock = net.connect(opts.target.port, opts.target.host);
      await new Promise<void>((resolve, reject) => {
        sock.once('connect', () => resolve());
        sock.once('error', reject);
      }).catch((e: Error) => {
        throw new TapwireError('E_OUTPUT', `cannot connect to collector ${opts.target.host}:${opts.target.port}/tcp: ${e.message}. Is it listening?`, ExitCode.output);
      });
      sock.on('error', (e) => {
        x.failure = e;
      });
      x.tcp = sock;
    }
    return x;
  }

  /** Queues a record (synchronous, from the analyzer's emit callback). */
  add(r: FlowRecord): void {
    if (this.bootTime < 0) this.bootTime = r.ts;
    const end = r.ts + r.duration;
    if (end > this.lastTime) this.lastTime = end;
    this.queue.push(r);
  }

  get pending(): number {
    return this.queue.length;
  }

  /** Encodes and sends everything queued. */
  async drain(): Promise<void> {
    while (this.queue.length > 0) {
      const part = this.queue.splice(0, this.chunk);
      const withTemplates = this.tcp ? this.messages === 0 : this.sinceTemplates >= this.templateEvery;
      const msgs =
        this.protocol === 'ipfix' ? this.ipfix.encode(part, this.lastTime, withTemplates) : this.nf9.encode(part, this.lastTime, this.bootTime, withTemplates);
      if (withTemplates) this.sinceTemplates = 0;
      for (const m of msgs) {
        await this.send(m);
        this.sinceTemplates++;
      }
      this.records += part.length;
    }
    await this.settle();
  }

  private inFlight = 0;
  private waiters: (() => void)[] = [];

  private async send(m: Uint8Array): Promise<void> {
    if (this.failure) throw new TapwireError('E_OUTPUT', `flow export failed: ${this.failure.message}`, ExitCode.output);
    this.messages++;
    this.bytes += m.length;
    if (this.tcp) {
      if (!this.tcp.write(m)) await new Promise<void>((r) => this.tcp!.once('drain', () => r()));
      return;
    }
    while (this.inFlight >= this.window) await new Promise<void>((r) => this.waiters.push(r));
    this.inFlight++;
    this.udp!.send(m, (err) => {
      if (err) this.sendErrors++;
      this.inFlight--;
      const w = this.waiters.shift();
      if (w) w();
    });
  }

  private async settle(): Promise<void> {
    while (this.inFlight > 0) await new Promise<void>((r) => this.waiters.push(r));
  }

  async close(): Promise<void> {
    await this.drain();
    if (this.udp) {
      const s = this.udp;
      await new Promise<void>((r) => s.close(() => r()));
      this.udp = null;
    }
    if (this.tcp) {
      const s = this.tcp;
      await new Promise<void>((r) => s.end(() => r()));
      this.tcp = null;
    }
  }
}
