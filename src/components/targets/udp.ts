/**
 * `udp`: raw forwarding for tools that take bare datagrams (syslog, NetFlow / IPFIX or
 * StatsD collectors fed from a SPAN port, or a custom analyser): each kept packet becomes one
 * UDP datagram to `remote`, holding either
 * - `payload: l4` (default): the payload of the packet's outermost TCP / UDP / SCTP layer,
 *   i.e. what the original sender put in its datagram or segment. Packets with no layer-4
 *   payload (pure ACKs, ARP, ICMP, fragments after the first) are dropped with reason
 *   no_payload; or
 * - `payload: frame`: the whole captured frame, link header included.
 * A payload longer than one datagram can hold (65507 bytes over IPv4) is cut, and counted
 * in `counters.errors` under `truncated`.
 * With `source_ports` > 1, packets are spread over that many sockets by flow hash, so one
 * flow's datagrams leave from one port (see udp-sender.ts).
 */
import type { PacketBatch } from '../../core/batch.js';
import { decodePacket } from '../../decode/decode.js';
import { DecodeRecord } from '../../decode/record.js';
import { checkKeys, num, Problems, size, str, type Obj } from '../../pipeline/problems.js';
import { ComponentCounters, DropReason } from '../counters.js';
import type { BatchContext, Target } from '../types.js';
import { endpoint, sizeValue, type Endpoint } from './config.js';
import { UdpSender } from './udp-sender.js';
import { dropAll } from './drop-all.js';

export interface UdpOptions {
  remote: Endpoint;
  payload: 'l4' | 'frame';
  sourcePorts: number;
  queueBytes: number;
}

/** Largest UDP payload: 65535 - IP header - UDP header. */
const maxDatagram = (family: 4 | 6): number => (family === 6 ? 65535 - 8 : 65535 - 20 - 8);
const NO_TUNNELS = { maxTunnelDepth: 0 };

export class UdpTarget implements Target {
  readonly type = 'udp';
  readonly counters: ComponentCounters;
  readonly sender: UdpSender;
  private readonly rec = new DecodeRecord();
  private started = false;

  constructor(readonly name: string, private readonly o: UdpOptions) {
    this.counters = new ComponentCounters('target', name, this.type);
    this.sender = new UdpSender(o.remote, o.sourcePorts, o.queueBytes, this.counters, false);
  }

  get up(): boolean {
    return this.started;
  }

  async start(): Promise<void> {
    await this.sender.start();
    this.started = true;
  }

  async write(batch: PacketBatch, keep: Uint8Array | null, ctx: BatchContext): Promise<void> {
    const c = this.counters;
    if (!this.started) return dropAll(c, batch, keep, DropReason.target_down);
    const frame = this.o.payload === 'frame';
    const max = maxDatagram(this.sender.family);
    const hash = ctx.flowHash;
    const pool = this.sender.size;
    // Payloads are copied into one buffer per batch: sends complete after write() returns,
    // when the batch's bytes may already be reused.
    let bound = 0;
    for (let i = 0; i < batch.count; i++) if (keep === null || keep[i] !== 0) bound += batch.caplen[i];
    if (bound === 0) return;
    const out = Buffer.allocUnsafe(bound);
    let pos = 0;
    let n = 0, bytes = 0, empty = 0, emptyBytes = 0, full = 0, fullBytes = 0, cut = 0;
    for (let i = 0; i < batch.count; i++) {
      if (keep !== null && keep[i] === 0) continue;
      const caplen = batch.caplen[i];
      n++;
      bytes += caplen;
      let start = batch.offset[i];
      let len = caplen;
      if (!frame) {
        decodePacket(batch, i, this.rec, NO_TUNNELS);
        start = this.rec.payloadStart;
        len = this.rec.l4 >= 0 ? this.rec.payloadLength : 0;
      }
      if (len === 0) {
        empty++;
        emptyBytes += caplen;
        continue;
      }
      if (len > max) {
        len = max;
        cut++;
      }
      out.set(batch.data.subarray(start, start + len), pos);
      const k = hash === null ? 0 : hash[i] % pool;
      if (!this.sender.send(k, out, pos, len, caplen)) {
        full++;
        fullBytes += caplen;
        continue;
      }
      pos += len;
    }
    c.in(n, bytes);
    c.drop('no_payload', empty, emptyBytes);
    c.drop(DropReason.queue_full, full, fullBytes);
    if (cut) c.errors.set('truncated', (c.errors.get('truncated') ?? 0) + cut);
  }

  async close(): Promise<void> {
    this.started = false;
    await this.sender.close();
  }
}

export const udp = {
  validate(o: Obj, path: string, p: Problems): void {
    checkKeys(o, path, ['type', 'name', 'remote', 'payload', 'source_ports', 'queue_bytes'], p);
    endpoint(o, 'remote', path, p, { required: true });
    str(o, 'payload', path, p, { choices: ['l4', 'frame'] });
    num(o, 'source_ports', path, p, { integer: true, min: 1, max: 1024 });
    size(o, 'queue_bytes', path, p);
  },
  create(name: string, o: Obj): Target {
    return new UdpTarget(name, {
      remote: endpoint(o, 'remote', '', new Problems()) as Endpoint,
      payload: (o.payload as 'l4' | 'frame' | undefined) ?? 'l4',
      sourcePorts: (o.source_ports as number | undefined) ?? 1,
      queueBytes: sizeValue(o.queue_bytes) ?? 16 * 1024 * 1024,
    });
  },
};
