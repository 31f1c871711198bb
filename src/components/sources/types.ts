import type { PacketBatch } from '../../core/batch.js';
import type { SharedBufferPool } from '../../formats/capture-reader.js';
import type { InterfaceInfo } from '../../formats/types.js';
import type { Obj, Problems } from '../../pipeline/problems.js';
import type { ComponentCounters } from '../counters.js';

/** A source produces batches; a batch is valid until the source is asked for the next one. */
export interface Source {
  readonly name: string;
  readonly type: string;
  readonly counters: ComponentCounters;
  /** The source's interfaces (a capture file's IDBs, a receiver's sessions), as known so far. */
  readonly interfaces: InterfaceInfo[];
  /** Progress of a finite source (a file): bytes done and expected; 0 expected = endless. */
  readonly bytesRead: number;
  readonly totalBytes: number;
  batches(): AsyncGenerator<PacketBatch>;
  /**
   * Present on sources that can read into a pool of shared buffers (files): a sharded
   * pipeline sets its pool, so its main thread copies no packets for the workers.
   */
  sharedBuffers?: SharedBufferPool | null;
  /** Asks the source to end after the current batch. */
  stop(): void;
}

export interface SourceType {
  validate(o: Obj, path: string, p: Problems): void;
  /** `baseDir` resolves relative paths (the config file's folder). */
  create(name: string, o: Obj, baseDir: string): Source;
}
