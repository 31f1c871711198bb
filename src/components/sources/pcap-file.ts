/**
 * `pcap_file` source: replays a capture (pcap or pcapng, gzip or not) as fast as possible
 * (`pace: fast`, the default) or at its recorded pace (`pace: recorded`, optionally sped up
 * with `speed`), `loop` times. The same session config runs unchanged when this source is
 * later replaced by a live interface or a mirror receiver.
 */
import fs from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { PacketBatch } from '../../core/batch.js';
import { openCapture } from '../../formats/index.js';
import type { SharedBufferPool } from '../../formats/capture-reader.js';
import type { InterfaceInfo } from '../../formats/types.js';
import { checkKeys, num, str, type Obj, type Problems } from '../../pipeline/problems.js';
import { ComponentCounters } from '../counters.js';
import type { Source } from './types.js';

export class PcapFileSource implements Source {
  readonly type = 'pcap_file';
  readonly counters: ComponentCounters;
  interfaces: InterfaceInfo[] = [];
  /** Bytes read so far over all loops, and the total expected (0 = unknown). */
  bytesRead = 0;
  totalBytes = 0;
  private bytesBefore = 0;
  /** Set by a sharded pipeline: batches in its pool of shared buffers, which its workers read. */
  sharedBuffers: SharedBufferPool | null = null;
  private stopped = false;

  constructor(readonly name: string, private readonly file: string, private readonly pace: 'fast' | 'recorded', private readonly speed: number, private readonly loops: number) {
    this.counters = new ComponentCounters('source', name, this.type);
    // For progress bars: the work ahead, when it is a file.
    if (file !== '-' && fs.existsSync(file)) this.totalBytes = fs.statSync(file).size * loops;
  }

  async *batches(): AsyncGenerator<PacketBatch> {
    for (let loop = 0; loop < this.loops && !this.stopped; loop++) {
      // Recorded pace needs fine-grained batches, or a whole batch would arrive at once.
      const reader = await openCapture(this.file, { batchSize: this.pace === 'recorded' ? 64 : undefined, sharedBuffers: this.sharedBuffers ?? undefined });
      let wallStart = -1;
      let packetStart = 0;
      for await (const batch of reader.batches()) {
        this.interfaces = reader.interfaces;
        if (this.pace === 'recorded' && batch.count > 0 && batch.tsSec[0] >= 0) {
          const t = batch.tsSec[0] + batch.tsNsec[0] / 1e9;
          if (wallStart < 0) {
            wallStart = performance.now();
            packetStart = t;
          }
          const due = wallStart + ((t - packetStart) * 1000) / this.speed;
          const wait = due - performance.now();
          if (wait > 1) await sleep(wait);
        }
        let bytes = 0;
        for (let i = 0; i < batch.count; i++) bytes += batch.caplen[i];
        this.counters.in(batch.count, bytes);
        this.counters.out(batch.count, bytes);
        this.bytesRead = this.bytesBefore + reader.bytesRead;
        yield batch;
        if (this.stopped) return;
      }
      this.bytesBefore += reader.bytesRead;
    }
  }

  stop(): void {
    this.stopped = true;
  }
}

export const pcapFile = {
  validate(o: Obj, path: string, p: Problems): void {
    checkKeys(o, path, ['type', 'path', 'pace', 'speed', 'loop'], p);
    str(o, 'path', path, p, { required: true });
    str(o, 'pace', path, p, { choices: ['fast', 'recorded'] });
    num(o, 'speed', path, p, { min: 0.001 });
    num(o, 'loop', path, p, { integer: true, min: 1 });
  },
  create(name: string, o: Obj, baseDir: string): Source {
    const file = o.path === '-' ? '-' : path.resolve(baseDir, o.path as string);
    return new PcapFileSource(name, file, (o.pace as 'fast' | 'recorded' | undefined) ?? 'fast', (o.speed as number | undefined) ?? 1, (o.loop as number | undefined) ?? 1);
  },
};
