/**
 * `vxlan` source: VXLAN (RFC 7348) mirror receiver, UDP 4789: AWS VPC Traffic Mirroring (session = VNI), Azure virtual network TAP.
 * Origin identity (outer source, vni) goes with every packet; see mirror-source.ts
 * for the receive paths and mirror-config.ts for the options.
 */
import type { Obj, Problems } from '../../pipeline/problems.js';
import { mirrorOptions, validateMirror, type MirrorKind } from './mirror-config.js';
import { decapVxlan } from './mirror-decap.js';
import { MirrorSource } from './mirror-source.js';
import type { Source } from './types.js';

const KIND: MirrorKind = { tunnel: 'vxlan', idLabel: 'vni', defaultPort: 4789, decap: decapVxlan, udp: true };

export const vxlan = {
  validate(o: Obj, path: string, p: Problems): void {
    validateMirror(KIND, o, path, p);
  },
  create(name: string, o: Obj): Source {
    return new MirrorSource(name, 'vxlan', mirrorOptions(KIND, o));
  },
};
