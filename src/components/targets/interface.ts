/**
 * `interface` target: transmits kept packets on a network interface — a software SPAN
 * port, like daemonlogger's tap mode or iptables TEE. Packets go out as they are (the
 * Ethernet frame), one native call per batch (pcap_inject per packet inside it).
 *
 *   span:
 *     type: interface
 *     interface: veth-tool
 *
 * Only Ethernet packets can be sent on an Ethernet interface: others are dropped with
 * reason `linktype` (use a `strip` action first to get the inner frames of tunnels). A send
 * the kernel refuses (frame larger than the MTU, interface down) is dropped with reason
 * `error` and the last message is kept in `lastError`.
 * Do not inject on an interface a source of the same broker captures: that is a loop.
 */
import type { PacketBatch } from '../../core/batch.js';
import { LinkType } from '../../core/linktypes.js';
import { LiveCapture } from '../../live/capture.js';
import { checkKeys, str, type Obj, type Problems } from '../../pipeline/problems.js';
import { ComponentCounters, DropReason } from '../counters.js';
import type { BatchContext, Target } from '../types.js';

export class InterfaceTarget implements Target {
  readonly type = 'interface';
  readonly counters: ComponentCounters;
  private handle: LiveCapture | null = null;
  private offs = new Uint32Array(1024);
  private lens = new Uint32Array(1024);
  lastError = '';

  constructor(readonly name: string, readonly device: string) {
    this.counters = new ComponentCounters('target', name, this.type);
  }

  get up(): boolean {
    return this.handle !== null;
  }

  async start(): Promise<void> {
    // A send-only handle: a filter that matches nothing and a tiny ring, so the kernel
    // copies no received traffic into it.
    this.handle = new LiveCapture(this.device, { snaplen: 64, promisc: false, bufferSize: 65536, filter: 'ether proto 0x0001', immediate: false, timeoutMs: 1000 });
  }

  async write(batch: PacketBatch, keep: Uint8Array | null, _ctx: BatchContext): Promise<void> {
    const h = this.handle;
    const c = this.counters;
    let n = 0, bytes = 0, bad = 0, badBytes = 0, m = 0;
    if (this.offs.length < batch.count) {
      this.offs = new Uint32Array(batch.capacity);
      this.lens = new Uint32Array(batch.capacity);
    }
    const offs = this.offs;
    const lens = this.lens;
    for (let i = 0; i < batch.count; i++) {
      if (keep !== null && keep[i] === 0) continue;
      n++;
      bytes += batch.caplen[i];
      if (batch.linktype[i] !== LinkType.ETHERNET) {
        bad++;
        badBytes += batch.caplen[i];
        continue;
      }
      offs[m] = batch.offset[i];
      lens[m] = batch.caplen[i];
      m++;
    }
    c.in(n, bytes);
    c.drop(DropReason.linktype, bad, badBytes);
    if (m === 0) return;
    if (h === null) {
      c.drop(DropReason.target_down, m, bytes - badBytes);
      return;
    }
    const sent = h.inject(batch.data, offs, lens, 0, m);
    let sentBytes = bytes - badBytes;
    if (sent < m) {
      // Which ones failed is not reported per packet; bytes are attributed approximately.
      this.lastError = h.lastInjectError();
      const failedBytes = Math.round(((bytes - badBytes) * (m - sent)) / m);
      c.drop(DropReason.error, m - sent, failedBytes);
      c.error('send');
      sentBytes -= failedBytes;
    }
    c.out(sent, sentBytes);
  }

  async close(): Promise<void> {
    this.handle?.close();
    this.handle = null;
  }
}

export const interfaceTarget = {
  validate(o: Obj, path: string, p: Problems): void {
    checkKeys(o, path, ['type', 'interface'], p);
    str(o, 'interface', path, p, { required: true });
  },
  create(name: string, o: Obj): Target {
    return new InterfaceTarget(name, o.interface as string);
  },
};
