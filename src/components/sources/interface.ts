/**
 * `interface` source: live capture on one or more network interfaces through the libpcap
 * addon (a SPAN port, a TAP's NIC, an iptables TEE target, a veth).
 *
 *   uplink:
 *     type: interface
 *     interface: [eth1, eth2]   # or one name; each packet keeps which one (pcapng IDBs)
 *     filter: "not port 22"     # optional kernel-side BPF (libpcap compiles it)
 *     snaplen: 262144
 *     promiscuous: true
 *     buffer_size: 64M          # kernel ring per interface
 *     immediate: false          # true: wake per packet (latency) instead of per block
 *     timeout: 100ms            # longest a partly filled block waits
 *     direction: inout          # in | out | inout
 *
 * Handles are opened when the source is created, so the process can then drop root
 * (dropPrivileges) before any packet is decoded. Kernel and interface drops are counted as
 * drops with reasons `kernel` and `interface` (and as received), so in = out + dropped.
 */
import type { PacketBatch } from '../../core/batch.js';
import type { InterfaceInfo } from '../../formats/types.js';
import { LiveCapture, type CaptureStats } from '../../live/capture.js';
import { LiveReader } from '../../live/reader.js';
import { tryLoadAddon } from '../../live/addon.js';
import { bool, checkKeys, duration, num, Problems, size, str, type Obj } from '../../pipeline/problems.js';
import { sizeValue } from '../targets/config.js';
import { ComponentCounters } from '../counters.js';
import type { Source } from './types.js';

const KEYS = ['type', 'interface', 'filter', 'snaplen', 'promiscuous', 'buffer_size', 'immediate', 'timeout', 'direction'] as const;
const DIRECTIONS = { inout: 0, in: 1, out: 2 } as const;

export interface InterfaceSourceOptions {
  devices: string[];
  filter?: string;
  snaplen?: number;
  promisc?: boolean;
  bufferSize?: number;
  immediate?: boolean;
  timeoutMs?: number;
  direction?: 0 | 1 | 2;
}

export class InterfaceSource implements Source {
  readonly type = 'interface';
  readonly counters: ComponentCounters;
  readonly interfaces: InterfaceInfo[];
  readonly captures: LiveCapture[];
  readonly bytesRead = 0;
  readonly totalBytes = 0;
  private readonly reader: LiveReader;
  private readonly lost = { kernel: 0, interface: 0 };
  private lastStats = 0;

  constructor(readonly name: string, o: InterfaceSourceOptions) {
    this.counters = new ComponentCounters('source', name, this.type);
    this.captures = [];
    try {
      for (const dev of o.devices) {
        this.captures.push(new LiveCapture(dev, { filter: o.filter, snaplen: o.snaplen, promisc: o.promisc ?? true, bufferSize: o.bufferSize, immediate: o.immediate, timeoutMs: o.timeoutMs, direction: o.direction }));
      }
    } catch (e) {
      for (const c of this.captures) c.close();
      throw e;
    }
    this.interfaces = this.captures.map((c) => ({ linktype: c.linktype, snaplen: c.snaplen, name: c.device, description: o.filter ? `filter: ${o.filter}` : '', tsResolution: c.nano ? 9 : 6 }));
    this.reader = new LiveReader(this.captures);
  }

  async *batches(): AsyncGenerator<PacketBatch> {
    try {
      for await (const b of this.reader.batches()) {
        let bytes = 0;
        for (let i = 0; i < b.count; i++) bytes += b.caplen[i];
        this.counters.in(b.count, bytes);
        this.counters.out(b.count, bytes);
        // pcap_stats costs system calls (and a /proc read): at most once a second.
        const now = Date.now();
        if (now - this.lastStats >= 1000) {
          this.lastStats = now;
          this.updateDrops();
        }
        yield b;
      }
    } finally {
      this.updateDrops();
      this.reader.close();
    }
  }

  /** Kernel statistics summed over the interfaces. */
  stats(): CaptureStats {
    const s = { received: 0, droppedKernel: 0, droppedInterface: 0 };
    for (const c of this.captures) {
      const t = c.stats();
      s.received += t.received;
      s.droppedKernel += t.droppedKernel;
      s.droppedInterface += t.droppedInterface;
    }
    return s;
  }

  private updateDrops(): void {
    const s = this.stats();
    const dk = s.droppedKernel - this.lost.kernel;
    const di = s.droppedInterface - this.lost.interface;
    if (dk > 0) {
      this.counters.in(dk, 0);
      this.counters.drop('kernel', dk, 0);
      this.lost.kernel = s.droppedKernel;
    }
    if (di > 0) {
      this.counters.in(di, 0);
      this.counters.drop('interface', di, 0);
      this.lost.interface = s.droppedInterface;
    }
  }

  stop(): void {
    this.reader.stop();
  }
}

export const interfaceSource = {
  validate(o: Obj, path: string, p: Problems): void {
    checkKeys(o, path, KEYS, p);
    const v = o.interface;
    const list = typeof v === 'string' ? [v] : Array.isArray(v) ? v : null;
    if (list === null || list.length === 0 || list.some((d) => typeof d !== 'string' || d === '')) p.add(`${path}.interface`, 'must name an interface or a list of them (see `tapwire interfaces`)');
    const filter = str(o, 'filter', path, p);
    num(o, 'snaplen', path, p, { integer: true, min: 1, max: 262144 });
    bool(o, 'promiscuous', path, p);
    size(o, 'buffer_size', path, p);
    bool(o, 'immediate', path, p);
    duration(o, 'timeout', path, p);
    str(o, 'direction', path, p, { choices: Object.keys(DIRECTIONS) });
    // libpcap compiles the kernel filter: check it now when the addon is here.
    const addon = tryLoadAddon();
    if (filter !== undefined && addon !== null) {
      const err = addon.checkFilter(1, 262144, filter);
      if (err !== null) p.add(`${path}.filter`, `libpcap rejects '${filter}': ${err}`);
    }
  },
  create(name: string, o: Obj): Source {
    const devices = typeof o.interface === 'string' ? [o.interface] : (o.interface as string[]);
    return new InterfaceSource(name, {
      devices,
      filter: o.filter as string | undefined,
      snaplen: o.snaplen as number | undefined,
      promisc: o.promiscuous as boolean | undefined,
      bufferSize: sizeValue(o.buffer_size),
      immediate: o.immediate as boolean | undefined,
      timeoutMs: duration(o, 'timeout', '', new Problems()),
      direction: o.direction === undefined ? undefined : DIRECTIONS[o.direction as keyof typeof DIRECTIONS],
    });
  },
};

