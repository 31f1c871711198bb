/**
 * Sends datagrams to one remote over a small pool of UDP sockets, for the re-encapsulating
 * targets (vxlan, geneve) and raw `udp` forwarding.
 *
 * Outer source port per flow: RFC 7348 asks for a source port derived from a hash of the
 * inner packet, in 49152-65535, so the receiver's ECMP / RSS spreads flows while one flow
 * stays on one path. node:dgram binds one source port per socket and cannot set it per
 * datagram, so the target keeps a pool of `size` sockets bound to ports in that range and
 * sends packet i on socket `flowHash[i] % size`: both directions of a flow (same symmetric
 * hash) leave from the same port, and distinct flows spread over `size` ports. Socket k binds
 * to the first free port of 49152 + k, 49152 + k + size, ... (then any port).
 *
 * Node has no sendmmsg: each datagram is one send call, but a whole batch is issued in one
 * go from one buffer without awaiting, and libuv sends each at once when the socket is
 * writable. Bytes waiting in the sockets' send queues are bounded (`queueBytes`); what does not fit is refused and the
 * caller drops it with reason queue_full (the bound is split evenly over the sockets). A packet counts as out when its send completes,
 * as dropped (reason error) when it fails (e.g. no route, message too long).
 */
import dgram from 'node:dgram';
import dns from 'node:dns';
import net from 'node:net';
import { ExitCode, TapwireError } from '../../core/errors.js';
import { DropReason, type ComponentCounters } from '../counters.js';
import type { Endpoint } from './config.js';

export const FLOW_PORT_BASE = 49152;
const FLOW_PORT_COUNT = 16384;

/** Pending sends of one socket, in send order (libuv completes a socket's sends in order). */
class SendFifo {
  private lens = new Float64Array(256);
  private inner = new Float64Array(256);
  private head = 0;
  private n = 0;

  push(len: number, innerBytes: number): void {
    if (this.n === this.lens.length) this.grow();
    const at = (this.head + this.n) % this.lens.length;
    this.lens[at] = len;
    this.inner[at] = innerBytes;
    this.n++;
  }

  /** Removes the oldest; `out[0]` = datagram length, `out[1]` = inner bytes. */
  shift(out: Float64Array): void {
    out[0] = this.lens[this.head];
    out[1] = this.inner[this.head];
    this.head = (this.head + 1) % this.lens.length;
    this.n--;
  }

  private grow(): void {
    const cap = this.lens.length;
    const lens = new Float64Array(cap * 2);
    const inner = new Float64Array(cap * 2);
    for (let k = 0; k < this.n; k++) {
      lens[k] = this.lens[(this.head + k) % cap];
      inner[k] = this.inner[(this.head + k) % cap];
    }
    this.lens = lens;
    this.inner = inner;
    this.head = 0;
  }
}

export class UdpSender {
  /** The remote's resolved address and family (set by start()). */
  address = '';
  family: 4 | 6 = 4;
  readonly sockets: dgram.Socket[] = [];
  private readonly fifos: SendFifo[] = [];
  private readonly done: ((err: Error | null) => void)[] = [];
  /** Bytes handed to sockets whose send has not completed. */
  inflight = 0;
  private readonly popped = new Float64Array(2);
  private idle: (() => void)[] = [];
  private readonly perSocketQueue: number;

  constructor(
    readonly remote: Endpoint,
    readonly size: number,
    readonly queueBytes: number,
    private readonly counters: ComponentCounters,
    private readonly flowPorts: boolean,
  ) {
    this.perSocketQueue = Math.max(65536, Math.floor(queueBytes / size));
  }

  async start(): Promise<void> {
    const r = this.remote;
    try {
      const found = net.isIP(r.host) ? { address: r.host, family: net.isIP(r.host) } : await dns.promises.lookup(r.host);
      this.address = found.address;
      this.family = found.family === 6 ? 6 : 4;
    } catch (e) {
      throw new TapwireError('E_OUTPUT', `cannot resolve ${r.host} (${(e as NodeJS.ErrnoException).code}); check the target's remote`, ExitCode.output);
    }
    for (let k = 0; k < this.size; k++) {
      this.sockets.push(await this.bindSocket(k));
      this.fifos.push(new SendFifo());
      this.done.push((err) => this.completed(k, err));
    }
  }

  private async bindSocket(k: number): Promise<dgram.Socket> {
    const type = this.family === 6 ? 'udp6' : 'udp4';
    const any = this.family === 6 ? '::' : '0.0.0.0';
    const tries = this.flowPorts ? 64 : 0;
    for (let j = 0; j <= tries; j++) {
      const port = j === tries ? 0 : FLOW_PORT_BASE + ((k + j * this.size) % FLOW_PORT_COUNT);
      const s = dgram.createSocket({ type, sendBufferSize: 4 * 1024 * 1024 });
      const ok = await new Promise<boolean>((resolve) => {
        s.once('error', () => resolve(false));
        s.bind(port, any, () => resolve(true));
      });
      if (ok) {
        // Connected: sends skip the per-datagram address lookup that unconnected dgram sends
        // do (several times faster), and an ICMP port unreachable from the tool shows up
        // as a failed send (counted) instead of silence.
        await new Promise<void>((resolve) => s.connect(this.remote.port, this.address, () => resolve()));
        s.removeAllListeners('error');
        s.on('error', () => this.counters.error('socket'));
        s.unref(); // an idle target must not keep the process alive
        return s;
      }
      s.close();
    }
    throw new TapwireError('E_OUTPUT', `cannot bind a UDP socket for ${this.remote.host}:${this.remote.port}`, ExitCode.output);
  }

  /** Local source ports of the pool (socket k's port is localPorts()[k]). */
  localPorts(): number[] {
    return this.sockets.map((s) => s.address().port);
  }

  /**
   * Sends buf[off, off+len) on socket k, accounting `innerBytes` of captured data when it
   * completes. Returns false (nothing sent) when the in-flight bound is reached.
   */
  send(k: number, buf: Buffer, off: number, len: number, innerBytes: number): boolean {
    // The bound is on what libuv holds because the kernel would not take it yet (per socket),
    // not on sends whose completion callback simply has not run.
    if (this.sockets[k].getSendQueueSize() + len > this.perSocketQueue && this.inflight > 0) return false;
    this.inflight += len;
    this.fifos[k].push(len, innerBytes);
    this.sockets[k].send(buf, off, len, this.done[k]);
    return true;
  }

  private completed(k: number, err: Error | null): void {
    this.fifos[k].shift(this.popped);
    this.inflight -= this.popped[0];
    if (err) {
      this.counters.error('send');
      this.counters.drop(DropReason.error, 1, this.popped[1]);
    } else {
      this.counters.out(1, this.popped[1]);
    }
    if (this.inflight === 0 && this.idle.length) {
      const w = this.idle;
      this.idle = [];
      for (const f of w) f();
    }
  }

  /** Resolves when every send so far has completed. */
  drain(): Promise<void> {
    if (this.inflight === 0) return Promise.resolve();
    return new Promise((resolve) => this.idle.push(resolve));
  }

  async close(): Promise<void> {
    await this.drain();
    await Promise.all(this.sockets.map((s) => new Promise<void>((r) => s.close(() => r()))));
    this.sockets.length = 0;
  }
}
