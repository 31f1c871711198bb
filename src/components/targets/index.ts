/**
 * The target types a config's `targets:` may use, by their config name. Each validates its
 * config object completely (every problem with its path) and creates the target from a
 * validated object.
 */
import type { Obj, Problems } from '../../pipeline/problems.js';
import type { Target } from '../types.js';
import { geneve } from './geneve.js';
import { gre } from './gre.js';
import { interfaceTarget } from './interface.js';
import { pcapFile } from './pcap-file.js';
import { pcapOverIp } from './pcap-over-ip.js';
import { stdout } from './stdout.js';
import { udp } from './udp.js';
import { vxlan } from './vxlan.js';

export interface TargetType {
  validate(o: Obj, path: string, p: Problems): void;
  create(name: string, o: Obj): Target;
}

export const TARGET_TYPES: Record<string, TargetType> = {
  pcap_file: pcapFile,
  stdout,
  pcap_over_ip: pcapOverIp,
  vxlan,
  geneve,
  gre,
  udp,
  interface: interfaceTarget,
};

export { PcapFileTarget } from './pcap-file.js';
export { PcapOverIpTarget } from './pcap-over-ip.js';
export { StdoutTarget } from './stdout.js';
export { UdpTunnelTarget } from './udp-tunnel.js';
export { GreTarget } from './gre.js';
export { GreIpTarget } from './gre-ip.js';
export { UdpTarget } from './udp.js';
export { InterfaceTarget } from './interface.js';
