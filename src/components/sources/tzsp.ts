/**
 * `tzsp` source: TZSP mirror receiver, UDP 37008 (MikroTik sniffer / packet sniffer streams).
 * Origin identity (outer source, id) goes with every packet; see mirror-source.ts
 * for the receive paths and mirror-config.ts for the options.
 */
import type { Obj, Problems } from '../../pipeline/problems.js';
import { mirrorOptions, validateMirror, type MirrorKind } from './mirror-config.js';
import { decapTzsp } from './mirror-decap.js';
import { MirrorSource } from './mirror-source.js';
import type { Source } from './types.js';

const KIND: MirrorKind = { tunnel: 'tzsp', idLabel: 'id', defaultPort: 37008, decap: decapTzsp, udp: true };

export const tzsp = {
  validate(o: Obj, path: string, p: Problems): void {
    validateMirror(KIND, o, path, p);
  },
  create(name: string, o: Obj): Source {
    return new MirrorSource(name, 'tzsp', mirrorOptions(KIND, o));
  },
};
