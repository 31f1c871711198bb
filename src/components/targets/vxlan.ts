/**
 * `vxlan`: re-encapsulates each packet in VXLAN (RFC 7348) with the configured VNI and sends
 * it over UDP to `remote` (default port 4789): the way to feed a cloud mirror target, a
 * kernel vxlan device or any tool that decapsulates VXLAN. See udp-tunnel.ts for MTU,
 * source ports and non-Ethernet packets.
 */
import type { Obj, Problems } from '../../pipeline/problems.js';
import { encodeVxlan, VXLAN_HEADER_LENGTH } from '../../protocols/vxlan.js';
import type { Target } from '../types.js';
import { FixedHeader, udpTunnelOptions, UdpTunnelTarget, validateUdpTunnel } from './udp-tunnel.js';

export const VXLAN_PORT = 4789;

export function vxlanHeader(vni: number): Uint8Array {
  const h = new Uint8Array(VXLAN_HEADER_LENGTH);
  encodeVxlan(h, 0, vni);
  return h;
}

export const vxlan = {
  validate(o: Obj, path: string, p: Problems): void {
    validateUdpTunnel(o, path, p);
  },
  create(name: string, o: Obj): Target {
    return new UdpTunnelTarget(name, 'vxlan', udpTunnelOptions(o, VXLAN_PORT), new FixedHeader(vxlanHeader(o.vni as number)));
  },
};
