/**
 * `geneve`: re-encapsulates each packet in GENEVE (RFC 8926) with the configured VNI and
 * optional TLV options (`options: [{class, type, data: hex}]`, e.g. to mimic what an AWS
 * Gateway Load Balancer appliance expects), over UDP to `remote` (default port 6081).
 * The protocol type is 0x6558 (transparent Ethernet bridging): the inner packet is always an
 * Ethernet frame, as for VXLAN, so a tool configured for one works with the other.
 */
import { Problems, type Obj } from '../../pipeline/problems.js';
import { EtherType } from '../../protocols/ethernet.js';
import { encodeGeneve } from '../../protocols/geneve.js';
import type { Target } from '../types.js';
import { geneveOptions, type GeneveOptionConfig } from './config.js';
import { FixedHeader, udpTunnelOptions, UdpTunnelTarget, validateUdpTunnel } from './udp-tunnel.js';

export const GENEVE_PORT = 6081;

export function geneveHeader(vni: number, options: GeneveOptionConfig[]): Uint8Array {
  let len = 8;
  for (const o of options) len += 4 + ((o.data.length + 3) & ~3);
  const h = new Uint8Array(len);
  encodeGeneve(h, 0, vni, EtherType.TEB, options);
  return h;
}

export const geneve = {
  validate(o: Obj, path: string, p: Problems): void {
    validateUdpTunnel(o, path, p, ['options']);
    geneveOptions(o, path, p);
  },
  create(name: string, o: Obj): Target {
    const options = geneveOptions(o, '', new Problems()) ?? [];
    return new UdpTunnelTarget(name, 'geneve', udpTunnelOptions(o, GENEVE_PORT), new FixedHeader(geneveHeader(o.vni as number, options)));
  },
};
