/** Source types by config name. Live interfaces and mirror receivers join here. */
import { pcapFile } from './pcap-file.js';
import { interfaceSource } from './interface.js';
import { vxlan } from './vxlan.js';
import { geneve } from './geneve.js';
import { gre } from './gre.js';
import { tzsp } from './tzsp.js';
import { pcapOverIp } from './pcap-over-ip.js';
import type { SourceType } from './types.js';

export const SOURCE_TYPES: Record<string, SourceType> = {
  pcap_file: pcapFile,
  interface: interfaceSource,
  vxlan,
  geneve,
  gre,
  tzsp,
  pcap_over_ip: pcapOverIp,
};
