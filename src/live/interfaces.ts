/** The capture interfaces libpcap sees (pcap_findalldevs), as `tcpdump -D` lists them. */
import { loadAddon, nativeError, type NativeDevice } from './addon.js';

/** pcap_if_t flags (pcap/pcap.h). */
const PCAP_IF_LOOPBACK = 0x1;
const PCAP_IF_UP = 0x2;
const PCAP_IF_RUNNING = 0x4;

export interface LiveInterface extends NativeDevice {
  loopback: boolean;
  up: boolean;
  running: boolean;
}

export function listInterfaces(): LiveInterface[] {
  const addon = loadAddon();
  let devs: NativeDevice[];
  try {
    devs = addon.findAllDevs();
  } catch (e) {
    throw nativeError(e, 'listing interfaces');
  }
  return devs.map((d) => ({ ...d, loopback: (d.flags & PCAP_IF_LOOPBACK) !== 0, up: (d.flags & PCAP_IF_UP) !== 0, running: (d.flags & PCAP_IF_RUNNING) !== 0 }));
}

/** `1.eth0 [Up, Running]` lines, like tcpdump -D. */
export function formatInterfaceList(list: LiveInterface[]): string {
  return list
    .map((d, k) => {
      const tags = [d.up ? 'Up' : '', d.running ? 'Running' : '', d.loopback ? 'Loopback' : ''].filter(Boolean).join(', ');
      const desc = d.description ? ` (${d.description})` : '';
      return `${k + 1}.${d.name}${desc}${tags ? ` [${tags}]` : ''}`;
    })
    .join('\n');
}
