/**
 * `gre` source: GRE-carried mirrors — ERSPAN type I, II and III (Cisco, Arista, OpenStack
 * Tap-as-a-Service, Linux `erspan` devices) and transparent Ethernet bridging (`gretap`).
 * The ERSPAN session id (or GRE key) and the type III direction go with every packet.
 *
 * Node has no raw sockets, so GRE is received through the libpcap addon (kernel filter
 * `ip proto 47 or ip6 proto 47`), with a raw GRE socket that reads nothing so the kernel
 * does not answer with ICMP protocol unreachable. Needs the addon and root (CAP_NET_RAW).
 */
import type { Obj, Problems } from '../../pipeline/problems.js';
import { mirrorOptions, validateMirror, type MirrorKind } from './mirror-config.js';
import { decapGre } from './mirror-decap.js';
import { MirrorSource } from './mirror-source.js';
import type { Source } from './types.js';

const KIND: MirrorKind = { tunnel: 'gre', idLabel: 'session', defaultPort: 0, decap: decapGre, udp: false };

export const gre = {
  validate(o: Obj, path: string, p: Problems): void {
    validateMirror(KIND, o, path, p);
  },
  create(name: string, o: Obj): Source {
    return new MirrorSource(name, 'gre', mirrorOptions(KIND, o));
  },
};
