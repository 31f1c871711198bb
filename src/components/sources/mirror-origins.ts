/**
 * Origin identity of mirrored packets: every distinct (tunnel id, outer source, options)
 * becomes one entry of the source's interface table, and each packet carries that entry's
 * index in `batch.iface`. The pipeline turns entries into pcapng Interface Description
 * Blocks (name + description), so a packet keeps which mirror session it came from after
 * its tunnel headers are gone. Lookups are numeric and allocation-free; the name and
 * description strings are built once, when an origin is first seen.
 */
import type { InterfaceInfo } from '../../formats/types.js';

export interface OriginDescription {
  /** Label for the id: `vni` (VXLAN, GENEVE), `session` (ERSPAN), `key` (GRE). */
  idLabel: string;
  /** The tunnel, as in the description: `vxlan`, `geneve`, `erspan2`, `gretap`, `tzsp`. */
  tunnel: string;
  /** Outer source address as text. */
  src: string;
  /** More identity (GENEVE options), appended to the description. */
  extra?: string;
}

export class MirrorOrigins {
  readonly interfaces: InterfaceInfo[] = [];
  private readonly byId = new Map<number, Map<number, Map<number, number>>>();
  private lastId = NaN;
  private lastSrc = NaN;
  private lastExtra = NaN;
  private lastIface = -1;

  /**
   * @param names config map from tunnel id (VNI / session id / key) to a session name
   * @param only when true, ids missing from `names` are not accepted (lookup gives -2)
   */
  constructor(private readonly names: Map<number, string>, private readonly only = false, private readonly snaplen = 262144) {}

  /** Index of the origin, -1 when new (call add), -2 when its id is not wanted. */
  lookup(id: number, src: number, extra: number): number {
    if (id === this.lastId && src === this.lastSrc && extra === this.lastExtra) return this.lastIface;
    if (this.only && !this.names.has(id)) return -2;
    const k = this.byId.get(id)?.get(src)?.get(extra);
    if (k === undefined) return -1;
    this.lastId = id;
    this.lastSrc = src;
    this.lastExtra = extra;
    this.lastIface = k;
    return k;
  }

  add(id: number, src: number, extra: number, linktype: number, d: OriginDescription): number {
    let bySrc = this.byId.get(id);
    if (!bySrc) this.byId.set(id, (bySrc = new Map()));
    let byExtra = bySrc.get(src);
    if (!byExtra) bySrc.set(src, (byExtra = new Map()));
    const k = this.interfaces.length;
    const named = this.names.get(id);
    const name = named ?? (id < 0 ? d.tunnel : `${d.idLabel}-${id}`);
    const idText = id < 0 ? '' : ` ${d.idLabel}=${id}`;
    const description = `${d.tunnel}${idText} src=${d.src}${d.extra ? ` ${d.extra}` : ''}${named ? ` session=${named}` : ''}`;
    this.interfaces.push({ linktype, snaplen: this.snaplen, name, description, tsResolution: 9 });
    byExtra.set(extra, k);
    return k;
  }
}

/** Parses the config's id-to-name map (`sessions: {100: web, 200: db}`). */
export function namesMap(v: unknown): Map<number, string> {
  const m = new Map<number, string>();
  if (v && typeof v === 'object') for (const [k, name] of Object.entries(v as Record<string, unknown>)) m.set(Number(k), String(name));
  return m;
}
