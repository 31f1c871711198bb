/**
 * Interface table of a pipeline: every (source, interface) pair and every origin that
 * `strip` discovers (a tunnel identity such as a VNI or an ERSPAN session) gets an interface
 * id. pcapng targets write one Interface Description Block per id, with the origin in
 * if_description, so a packet keeps where it came from after its tunnel headers are gone.
 */
export interface InterfaceMeta {
  name: string;
  description: string;
  linktype: number;
}

export class OriginTable {
  private readonly byKey = new Map<number, number>();
  readonly interfaces: InterfaceMeta[] = [];

  /** Id of a previously added key, or -1. Allocation-free, for the per-packet path. */
  lookup(key: number): number {
    return this.byKey.get(key) ?? -1;
  }

  add(key: number, meta: InterfaceMeta): number {
    const id = this.interfaces.length;
    this.interfaces.push(meta);
    this.byKey.set(key, id);
    return id;
  }

  get(id: number): InterfaceMeta | undefined {
    return this.interfaces[id];
  }
}
