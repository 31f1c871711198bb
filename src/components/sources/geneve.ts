/**
 * `geneve` source: GENEVE (RFC 8926) mirror receiver, UDP 6081: AWS Gateway Load Balancer (option class 0x0108: endpoint id, attachment id; the per-flow cookie is not part of the origin), GCP Packet Mirroring.
 * Origin identity (outer source, vni) goes with every packet; see mirror-source.ts
 * for the receive paths and mirror-config.ts for the options.
 */
import type { Obj, Problems } from '../../pipeline/problems.js';
import { mirrorOptions, validateMirror, type MirrorKind } from './mirror-config.js';
import { decapGeneve } from './mirror-decap.js';
import { MirrorSource } from './mirror-source.js';
import type { Source } from './types.js';

const KIND: MirrorKind = { tunnel: 'geneve', idLabel: 'vni', defaultPort: 6081, decap: decapGeneve, udp: true };

export const geneve = {
  validate(o: Obj, path: string, p: Problems): void {
    validateMirror(KIND, o, path, p);
  },
  create(name: string, o: Obj): Source {
    return new MirrorSource(name, 'geneve', mirrorOptions(KIND, o));
  },
};
