/**
 * Config of the mirror receivers. UDP tunnels (`vxlan`, `geneve`, `tzsp`):
 *
 *   mirror:
 *     type: vxlan
 *     listen: 0.0.0.0:4789         # default port per type
 *     receive: pcap                # default when root with the addon, else socket (see below)
 *     interface: any               # pcap only
 *     sessions: {100: web, 200: db}  # names by VNI (pcapng interface names)
 *     only_sessions: false         # true: drop VNIs not named above
 *     health_check: 8080           # TCP port for an AWS NLB health check
 *     buffer_size: 32M             # socket receive buffer / kernel capture ring
 *
 * `gre` (GRE / ERSPAN I, II, III / gretap) always receives through libpcap: `interface`,
 * optional `host` (our address, a destination filter), `sessions` by ERSPAN session id or
 * GRE key, `only_sessions`, `health_check`, `buffer_size`, `snaplen`.
 */
import { bool, checkKeys, isObj, num, size, str, type Obj, type Problems } from '../../pipeline/problems.js';
import { parseEndpoint, sizeValue } from '../targets/config.js';
import { healthCheckFrom, validateHealthCheck } from './health-check.js';
import type { DecapFn, MirrorOptions } from './mirror-source.js';
import { namesMap } from './mirror-origins.js';
import { tryLoadAddon } from '../../live/addon.js';

export interface MirrorKind {
  tunnel: string;
  idLabel: string;
  defaultPort: number;
  decap: DecapFn;
  /** False for GRE: no socket path. */
  udp: boolean;
}

const UDP_KEYS = ['type', 'listen', 'receive', 'interface', 'sessions', 'only_sessions', 'health_check', 'buffer_size', 'snaplen'] as const;
const GRE_KEYS = ['type', 'interface', 'host', 'sessions', 'only_sessions', 'health_check', 'buffer_size', 'snaplen'] as const;

export function validateMirror(kind: MirrorKind, o: Obj, path: string, p: Problems): void {
  checkKeys(o, path, kind.udp ? UDP_KEYS : GRE_KEYS, p);
  if (kind.udp) {
    const listen = str(o, 'listen', path, p);
    if (listen !== undefined) {
      const r = parseEndpoint(listen, kind.defaultPort, 0);
      if (typeof r === 'string') p.add(`${path}.listen`, r);
    }
    str(o, 'receive', path, p, { choices: ['socket', 'pcap'] });
  } else {
    str(o, 'host', path, p);
  }
  str(o, 'interface', path, p);
  bool(o, 'only_sessions', path, p);
  size(o, 'buffer_size', path, p);
  num(o, 'snaplen', path, p, { integer: true, min: 64, max: 262144 });
  validateHealthCheck(o, path, p);
  if (o.sessions !== undefined) {
    if (!isObj(o.sessions)) p.add(`${path}.sessions`, `must be a map of ${kind.idLabel} number to a name, e.g. {100: web}`);
    else
      for (const [k, v] of Object.entries(o.sessions)) {
        if (!/^\d+$/.test(k)) p.add(`${path}.sessions.${k}`, `key must be a ${kind.idLabel} number`);
        if (typeof v !== 'string' || v === '') p.add(`${path}.sessions.${k}`, 'must be a name (a string)');
      }
  }
  if (o.only_sessions === true && o.sessions === undefined) p.add(`${path}.only_sessions`, 'needs a sessions map');
}

/**
 * Measured (bench/live.ts): libpcap batches decapsulate VXLAN at ~1.5 µs/packet with no loss
 * at the sender's top rate, where Node's dgram costs 7-11 µs and lost 72 %. So the pcap path
 * is the default whenever it can run (root, the addon, a fixed port); else the socket path.
 */
function defaultReceive(port: number): 'socket' | 'pcap' {
  return port !== 0 && process.getuid?.() === 0 && tryLoadAddon() !== null ? 'pcap' : 'socket';
}

export function mirrorOptions(kind: MirrorKind, o: Obj): MirrorOptions {
  let host = '0.0.0.0';
  let port = kind.defaultPort;
  if (kind.udp && typeof o.listen === 'string') {
    const r = parseEndpoint(o.listen, kind.defaultPort, 0);
    if (typeof r !== 'string') ({ host, port } = r);
  } else if (!kind.udp && typeof o.host === 'string') host = o.host;
  const bufferSize = sizeValue(o.buffer_size) ?? 32 << 20;
  return {
    tunnel: kind.tunnel,
    idLabel: kind.idLabel,
    decap: kind.decap,
    receive: kind.udp ? ((o.receive as 'socket' | 'pcap' | undefined) ?? defaultReceive(port)) : 'pcap',
    host,
    port,
    device: (o.interface as string | undefined) ?? 'any',
    snaplen: (o.snaplen as number | undefined) ?? 262144,
    bufferBytes: bufferSize,
    names: namesMap(o.sessions),
    onlyNamed: o.only_sessions === true,
    healthCheck: healthCheckFrom(o),
  };
}

