/**
 * Interface table of a pipeline: every (source, interface) pair and every origin that
 * `strip` discovers (a tunnel identity such as a VNI or an ERSPAN session) gets an interface
 * id. pcapng targets write one Interface Description Block per id, with the origin in
 * if_description, so a packet keeps where it came from after its tunnel headers are gone.
 *
 * In a sharded pipeline the main thread numbers the source interfaces and each worker
 * `define`s them with the same ids; origins a worker adds itself start at `firstId`, a range
 * the main thread never uses.
 */
export interface InterfaceMeta {
  name: string;
  description: string;
  linktype: number;
  /** Timestamp resolution of the source (6 = µs, 9 = ns). */
  tsResolution: number;
}

export class OriginTable {
  private readonly byKey = new Map<number, number>();
  private readonly byId = new Map<number, InterfaceMeta>();
  private nextId: number;

  constructor(firstId = 0) {
    this.nextId = firstId;
  }

  /** Id of a previously added key, or -1. Allocation-free, for the per-packet path. */
  lookup(key: number): number {
    return this.byKey.get(key) ?? -1;
  }

  add(key: number, meta: InterfaceMeta): number {
    const id = this.nextId++;
    this.byId.set(id, meta);
    this.byKey.set(key, id);
    return id;
  }

  /** Records an interface numbered elsewhere (the main thread of a sharded pipeline). */
  define(id: number, meta: InterfaceMeta): void {
    this.byId.set(id, meta);
  }

  get(id: number): InterfaceMeta | undefined {
    return this.byId.get(id);
  }
}

/**
 * Numbers the interfaces of every source in one pipeline-wide space: interface j of the
 * k-th source becomes one id, named `source:interface` (or just `source`).
 */
export class SourceInterfaces {
  private readonly ids = new Map<number, number>();
  /** Ids created since the caller last emptied it (a sharded pipeline tells its workers). */
  readonly added: number[] = [];

  constructor(private readonly origins: OriginTable) {}

  renumber(batch: { count: number; iface: Uint32Array; linktype: Uint16Array }, source: { name: string; interfaces: readonly { name: string; description: string; tsResolution: number }[] }, index: number): void {
    for (let i = 0; i < batch.count; i++) {
      const key = index * 65536 + batch.iface[i];
      let id = this.ids.get(key);
      if (id === undefined) {
        const info = source.interfaces[batch.iface[i]];
        const name = info?.name ? `${source.name}:${info.name}` : source.name;
        id = this.origins.add(-1 - key, { name, description: info?.description ?? '', linktype: batch.linktype[i], tsResolution: info?.tsResolution ?? 9 });
        this.ids.set(key, id);
        this.added.push(id);
      }
      batch.iface[i] = id;
    }
  }
}
