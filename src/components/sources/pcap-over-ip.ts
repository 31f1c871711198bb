/**
 * `pcap_over_ip` source: a client of a PCAP-over-IP sender (a TCP server that streams a
 * pcap file: `tcpdump -w - | nc -l`, Arkime, NetworkMiner, another tapwire's target).
 * When the connection fails or ends it reconnects with exponential back-off (0.5 s doubling
 * to `max_backoff`), each time expecting a fresh pcap header. Batches are parsed straight
 * from the receive buffer by the same parser as pcap files.
 *
 *   upstream:
 *     type: pcap_over_ip
 *     connect: sensor1.example:57012
 *     max_backoff: 30s
 */
import net from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { PacketBatch } from '../../core/batch.js';
import { WakeSignal } from '../../core/signal.js';
import { PcapParser } from '../../formats/pcap.js';
import type { InterfaceInfo } from '../../formats/types.js';
import { checkKeys, duration, Problems, type Obj } from '../../pipeline/problems.js';
import { endpoint, type Endpoint } from '../targets/config.js';
import { ComponentCounters } from '../counters.js';
import type { Source } from './types.js';

const KEYS = ['type', 'connect', 'max_backoff'] as const;
const FIRST_BACKOFF_MS = 500;

export class PcapOverIpSource implements Source {
  readonly type = 'pcap_over_ip';
  readonly counters: ComponentCounters;
  interfaces: InterfaceInfo[] = [];
  bytesRead = 0;
  readonly totalBytes = 0;
  connections = 0;
  private stopped = false;
  private socket: net.Socket | null = null;
  private readonly signal = new WakeSignal();

  constructor(readonly name: string, readonly remote: Endpoint, readonly maxBackoffMs = 30000) {
    this.counters = new ComponentCounters('source', name, this.type);
  }

  async *batches(): AsyncGenerator<PacketBatch> {
    let backoff = FIRST_BACKOFF_MS;
    const batch = new PacketBatch(4096);
    let buf = Buffer.allocUnsafe(4 << 20);
    while (!this.stopped) {
      const sock = net.connect(this.remote.port, this.remote.host);
      this.socket = sock;
      let ended = false;
      let failure = '';
      let start = 0;
      let end = 0;
      /** While the consumer holds a batch its bytes must stay put: grow, never compact. */
      let holding = false;
      sock.on('data', (chunk: Buffer) => {
        // Compact, grow if one record needs it, then append; pause while the consumer works.
        if (end + chunk.length > buf.length) {
          if (start > 0 && !holding) {
            buf.copy(buf, 0, start, end);
            end -= start;
            start = 0;
          }
          if (end + chunk.length > buf.length) {
            const bigger = Buffer.allocUnsafe(Math.max(buf.length * 2, end + chunk.length));
            buf.copy(bigger, 0, 0, end);
            buf = bigger;
          }
        }
        chunk.copy(buf, end);
        end += chunk.length;
        this.bytesRead += chunk.length;
        if (end - start > 1 << 20) sock.pause();
        this.signal.notify();
      });
      sock.on('connect', () => {
        this.connections++;
        backoff = FIRST_BACKOFF_MS;
      });
      sock.on('error', (e: NodeJS.ErrnoException) => {
        failure = e.code ?? e.message;
      });
      sock.on('close', () => {
        ended = true;
        this.signal.notify();
      });
      const parser = new PcapParser(`${this.remote.host}:${this.remote.port}`);
      let view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
      while (!this.stopped) {
        if (view.buffer !== buf.buffer) view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
        batch.reset(buf);
        const r = parser.parse(buf, view, start, end, false, batch, 0);
        if (parser.interfaces.length && this.interfaces !== parser.interfaces) this.interfaces = parser.interfaces;
        if (r.error) {
          this.counters.error('stream');
          sock.destroy();
          break;
        }
        start = r.pos;
        if (batch.count > 0) {
          let bytes = 0;
          for (let i = 0; i < batch.count; i++) bytes += batch.caplen[i];
          this.counters.in(batch.count, bytes);
          this.counters.out(batch.count, bytes);
          holding = true;
          yield batch;
          holding = false;
          continue;
        }
        if (start === end) start = end = 0;
        if (sock.isPaused()) sock.resume();
        if (ended) break;
        await this.signal.wait();
      }
      sock.destroy();
      this.socket = null;
      if (this.stopped) break;
      if (failure) this.counters.error(`connect:${failure}`);
      this.counters.error('reconnect');
      await Promise.race([sleep(backoff), this.signal.wait()]);
      backoff = Math.min(backoff * 2, this.maxBackoffMs);
    }
  }

  stop(): void {
    this.stopped = true;
    this.socket?.destroy();
    this.signal.notify();
  }
}

export const pcapOverIp = {
  validate(o: Obj, path: string, p: Problems): void {
    checkKeys(o, path, KEYS, p);
    endpoint(o, 'connect', path, p, { required: true, defaultPort: 57012 });
    duration(o, 'max_backoff', path, p);
  },
  create(name: string, o: Obj): Source {
    const remote = endpoint(o, 'connect', '', new Problems(), { defaultPort: 57012 }) as Endpoint;
    return new PcapOverIpSource(name, remote, duration(o, 'max_backoff', '', new Problems()) ?? 30000);
  },
};
