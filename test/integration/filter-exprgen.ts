/**
 * Generates filter expressions for the differential test: combinations of primitives,
 * qualifiers, byte arithmetic and vlan/mpls/pppoes/geneve shifts, using addresses, ports and
 * MACs that occur in the captures (so that filters also keep packets, not only drop them).
 * Deterministic: the same seed gives the same list.
 */
import type { PacketBatch } from '../../src/core/batch.js';
import { seededRandom } from '../helpers.js';

/** The deterministic random source of the generated expressions. */
export const rng = seededRandom;

export interface Vocabulary { v4: string[]; v6: string[]; macs: string[]; ports: number[] }

const hex2 = (b: number) => b.toString(16).padStart(2, '0');

/** Addresses and ports seen in Ethernet packets (through up to two VLAN tags). */
export function vocabulary(batches: PacketBatch[], ipOnly = false): Vocabulary {
  const v4 = new Set<string>(), v6 = new Set<string>(), macs = new Set<string>(), ports = new Set<number>();
  for (const b of batches) {
    for (let i = 0; i < b.count; i++) {
      const d = b.data.subarray(b.offset[i]!, b.offset[i]! + b.caplen[i]!);
      let nl = 0, type = -1;
      if (ipOnly) { type = d[0]! >> 4 === 4 ? 0x800 : d[0]! >> 4 === 6 ? 0x86dd : -1; }
      else {
        if (d.length < 14) continue;
        macs.add(Array.from(d.subarray(0, 6), hex2).join(':'));
        macs.add(Array.from(d.subarray(6, 12), hex2).join(':'));
        let o = 12;
        type = (d[o]! << 8) | d[o + 1]!;
        while ((type === 0x8100 || type === 0x88a8) && o + 6 <= d.length) { o += 4; type = (d[o]! << 8) | d[o + 1]!; }
        nl = o + 2;
      }
      if (type === 0x800 && nl + 20 <= d.length) {
        v4.add(Array.from(d.subarray(nl + 12, nl + 16)).join('.'));
        v4.add(Array.from(d.subarray(nl + 16, nl + 20)).join('.'));
        const hl = (d[nl]! & 0xf) * 4;
        if ((d[nl + 9] === 6 || d[nl + 9] === 17) && nl + hl + 4 <= d.length) {
          ports.add((d[nl + hl]! << 8) | d[nl + hl + 1]!);
          ports.add((d[nl + hl + 2]! << 8) | d[nl + hl + 3]!);
        }
      } else if (type === 0x86dd && nl + 40 <= d.length) {
        for (const at of [nl + 8, nl + 24]) {
          const w: string[] = [];
          for (let k = 0; k < 16; k += 2) w.push(((d[at + k]! << 8) | d[at + k + 1]!).toString(16));
          v6.add(w.join(':'));
        }
        if ((d[nl + 6] === 6 || d[nl + 6] === 17) && nl + 44 <= d.length) {
          ports.add((d[nl + 40]! << 8) | d[nl + 41]!);
          ports.add((d[nl + 42]! << 8) | d[nl + 43]!);
        }
      }
    }
  }
  return { v4: [...v4], v6: [...v6], macs: [...macs], ports: [...ports] };
}

export function generate(count: number, seed: number, voc: Vocabulary, ethernet: boolean, linktype = ethernet ? 1 : 0): string[] {
  const r = rng(seed);
  const pick = <T>(a: readonly T[]): T => a[Math.floor(r() * a.length)]!;
  const chance = (p: number) => r() < p;
  const v4 = voc.v4.length ? voc.v4 : ['10.0.0.1'];
  const v6 = voc.v6.length ? voc.v6 : ['2001:db8::1'];
  const ports = [...(voc.ports.length ? voc.ports : [80]), 22, 53, 80, 443, 4789, 6081, 123];
  const dir = () => pick(['', '', 'src ', 'dst ', 'src or dst ', 'src and dst ']);
  const num = () => pick([0, 1, 2, 4, 5, 6, 8, 17, 0x10, 0x12, 0x40, 0x45, 0x60, 0xff, 1024, 0x1fff]);
  const net4 = (): string => {
    const a = pick(v4).split('.').map(Number);
    const len = pick([8, 12, 16, 20, 24, 28, 32]);
    const v = ((a[0]! << 24) | (a[1]! << 16) | (a[2]! << 8) | a[3]!) & (len === 0 ? 0 : (0xffffffff << (32 - len)));
    const s = [v >>> 24, (v >>> 16) & 255, (v >>> 8) & 255, v & 255].join('.');
    return chance(0.2) && len % 8 === 0 ? `${s} mask ${[24, 16, 8, 0].map((sh) => ((0xffffffff << (32 - len)) >>> sh) & 255).join('.')}` : `${s}/${len}`;
  };
  const load = (): string => {
    const protos = ethernet ? ['ether', 'ip', 'ip6', 'tcp', 'udp', 'icmp', 'icmp6', 'arp'] : ['ip', 'ip6', 'tcp', 'udp', 'icmp', 'icmp6', 'link'];
    const p = pick(protos);
    const size = pick([1, 1, 2, 4]);
    const o = pick([0, 1, 2, 6, 8, 9, 12, 13, 14, 16, 20, 24, 40]);
    return size === 1 && chance(0.5) ? `${p}[${o}]` : `${p}[${o}:${size}]`;
  };
  const arith = (): string => {
    const forms = [
      () => `${load()} & ${pick(['0x01', '0x02', '0x10', '0x12', '0xf0', '0x1fff', '0xff'])} ${pick(['!=', '=', '>'])} ${pick(['0', '2', '0x10'])}`,
      () => `${load()} ${pick(['=', '!=', '<', '<=', '>', '>='])} ${num()}`,
      () => `tcp[tcpflags] & (${pick(['tcp-syn', 'tcp-ack', 'tcp-fin', 'tcp-rst', 'tcp-push', 'tcp-syn|tcp-ack'])}) ${pick(['!= 0', '= 0', '== tcp-syn'])}`,
      () => `ip[6:2] & 0x1fff ${pick(['= 0', '!= 0'])}`,
      () => `tcp[((tcp[12:1] & 0xf0) >> 2):4] = 0x47455420`,
      () => `icmp[icmptype] ${pick(['=', '!='])} ${pick(['icmp-echo', 'icmp-echoreply', 'icmp-unreach', 'icmp-timxceed'])}`,
      () => `icmp6[icmp6type] = ${pick(['icmp6-echo', 'icmp6-echoreply', 'icmp6-neighborsolicit', 'icmp6-routeradvert'])}`,
      () => `(${load()} ${pick(['+', '-', '*', '/', '%', '&', '|', '^', '<<', '>>'])} ${pick([1, 2, 3, 4, 8])}) ${pick(['=', '>', '<', '!='])} ${num()}`,
      () => `len ${pick(['>', '<', '>=', '<=', '='])} ${pick([60, 64, 100, 128, 200, 576, 1000, 1500])}`,
      () => `${load()} - ${load()} > ${num()}`,
      () => `udp[${pick([0, 2])}:2] ${pick(['>', '<', '='])} ${pick(ports)}`,
    ];
    return pick(forms)();
  };
  const prim = (): string => {
    const forms: (() => string)[] = [
      () => pick(['ip', 'ip6', 'tcp', 'udp', 'icmp', 'icmp6', 'sctp', 'igmp', 'pim', 'vrrp', 'ah', 'esp', 'carp', 'igrp']),
      () => `${pick(['', 'ip ', ...(ethernet ? ['arp ', 'rarp '] : [])])}${dir()}host ${pick(v4)}`,
      () => `${dir()}host ${pick(v4)} or ${pick(v4)}`,
      () => `${pick(['', 'ip6 '])}${dir()}host ${pick(v6)}`,
      () => `${dir()}net ${net4()}`,
      () => `${pick(['', 'ip6 '])}${dir()}net ${pick(v6).split(':').slice(0, 4).join(':')}::/${pick([32, 48, 64])}`,
      () => `${pick(['', 'tcp ', 'udp ', 'sctp '])}${dir()}port ${pick(ports)}`,
      () => `${pick(['', 'tcp ', 'udp '])}${dir()}port ${pick(ports)} or ${pick(ports)}`,
      () => `${pick(['', 'tcp ', 'udp '])}${dir()}port ${pick(['http', 'domain', 'https', 'ssh', 'ntp', 'bootps'])}`,
      () => { const a = pick(ports), b = pick(ports); return `${pick(['', 'tcp ', 'udp '])}${dir()}portrange ${Math.min(a, b)}-${Math.max(a, b)}`; },
      () => `${pick(['ip proto', 'ip6 proto', 'proto'])} ${pick(['1', '6', '17', '41', '47', '50', '58', '\\tcp', '\\udp', '\\icmp'])}`,
      () => `${pick(['ip', 'ip6', ''])} protochain ${pick([6, 17, 58, 44, 51])}`.trim(),
      () => `${pick(['less', 'greater'])} ${pick([60, 64, 100, 200, 1000, 1400])}`,
      () => `${pick(['ip', 'ip6'])} multicast`,
      arith, arith, arith,
    ];
    if (ethernet) {
      forms.push(
        () => `ether ${dir()}host ${pick(voc.macs.length ? voc.macs : ['00:11:22:33:44:55'])}`,
        () => pick(['ether broadcast', 'ether multicast', 'broadcast', 'multicast', 'ip broadcast', 'arp', 'rarp', 'stp', 'iso', 'ipx', 'atalk', 'decnet', 'llc', 'pppoed', 'isis', 'clnp']),
        () => `ether proto ${pick(['0x0800', '0x86dd', '0x0806', '0x8100', '0x88a8', '0x8847', '0x88be', '0x8864', '\\ip', '\\arp', '\\ip6'])}`,
        () => `vlan${chance(0.5) ? ` ${pick([1, 2, 5, 10, 100, 200, 300, 1000])}` : ''}`,
        () => `mpls${chance(0.5) ? ` ${pick([0, 16, 17, 18, 100, 1000])}` : ''}`,
        () => `pppoes${chance(0.5) ? ` ${pick([1, 0x3b, 0x1234])}` : ''}`,
        () => `geneve${chance(0.5) ? ` ${pick([0, 1, 10, 11])}` : ''}`,
      );
    } else forms.push(() => `link proto ${pick(['0x0800', '0x86dd', '\\ip', '\\ip6'])}`);
    if (linktype === 113 || linktype === 276) forms.push(() => pick(['inbound', 'outbound']));
    if (linktype === 276) forms.push(() => `ifindex ${pick([1, 2, 3, 4])}`);
    return pick(forms)();
  };
  const shift = () => (ethernet ? pick(['vlan', 'vlan and vlan', `vlan ${pick([1, 5, 10, 100, 1000])}`, 'mpls', `mpls ${pick([16, 17, 100])}`, 'mpls and mpls', 'pppoes', 'geneve', 'geneve 10']) : '');
  const expr = (depth: number): string => {
    const k = r();
    if (depth <= 0 || k < 0.35) return prim();
    if (k < 0.45) return `not ${depth > 1 && chance(0.5) ? `(${expr(depth - 1)})` : prim()}`;
    if (k < 0.55 && ethernet) return `${shift()} and ${expr(depth - 1)}`;
    const op = pick(['and', 'or', '&&', '||']);
    const left = expr(depth - 1), right = expr(depth - 1);
    return chance(0.4) ? `(${left}) ${op} (${right})` : `${left} ${op} ${right}`;
  };
  const out = new Set<string>();
  let guard = 0;
  while (out.size < count && guard++ < count * 20) out.add(expr(chance(0.3) ? 1 : chance(0.5) ? 2 : 3));
  return [...out];
}

/**
 * The 802.11 frames' network layer seen as Ethernet packets (for `vocabulary`): data frames
 * whose LLC/SNAP header carries an Ethertype, with or without a radiotap header in front.
 */
export function wlanAsEthernet(batches: PacketBatch[], radiotap: boolean): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (const b of batches) {
    for (let i = 0; i < b.count; i++) {
      const d = b.data.subarray(b.offset[i]!, b.offset[i]! + b.caplen[i]!);
      const h = radiotap ? (d.length >= 4 ? d[2]! | (d[3]! << 8) : d.length) : 0;
      if (d.length < h + 24 || (d[h]! & 0x0c) !== 0x08) continue;
      const llc = h + 24 + (d[h]! & 0x80 ? 2 : 0);
      if (d.length < llc + 8 || d[llc] !== 0xaa || d[llc + 1] !== 0xaa) continue;
      const e = new Uint8Array(12 + d.length - (llc + 6));
      e.set(d.subarray(llc + 6), 12);
      out.push(e);
    }
  }
  return out;
}

/**
 * Expressions for 802.11 captures: the frame-control tests (`wlan type/subtype/dir`, names and
 * numbers, with and without a protocol qualifier), protocols found through the LLC/SNAP header,
 * hosts, nets, ports and loads through the per-packet payload offset, `llc`, `vlan`, radiotap
 * loads, and combinations of all of these with negations.
 */
export function generateWlan(count: number, seed: number, voc: Vocabulary, radiotap: boolean): string[] {
  const r = rng(seed);
  const pick = <T>(a: readonly T[]): T => a[Math.floor(r() * a.length)]!;
  const chance = (p: number) => r() < p;
  const v4 = voc.v4.length ? voc.v4 : ['10.0.0.1'];
  const v6 = voc.v6.length ? voc.v6 : ['2001:db8::1'];
  const ports = [...voc.ports, 53, 80, 443, 5353];
  const dir = () => pick(['', '', 'src ', 'dst ', 'src or dst ']);
  const q = () => pick(['wlan ', 'wlan ', '', 'ether ', 'ip ', 'tcp ']);
  const fc = (): string => pick([
    () => `${q()}type ${pick(['mgt', 'management', 'ctl', 'control', 'data', 'DATA', '0', '4', '8', '0xc'])}`,
    () => `${q()}type mgt subtype ${pick(['assoc-req', 'assocresp', 'probe-req', 'probe-resp', 'beacon', 'atim', 'disassoc', 'auth', 'deauth', 'Beacon'])}`,
    () => `${q()}type ctl subtype ${pick(['ps-poll', 'rts', 'cts', 'ack', 'cf-end', 'cf-end-ack', '0xd0', '0xc0'])}`,
    () => `${q()}type data subtype ${pick(['data', 'null', 'qos-data', 'qos', 'cf-ack', 'qos-cf-poll', '0x80', '0x00', '0x40'])}`,
    () => `${q()}type ${pick(['0', '4', '8'])} subtype ${pick(['0', '0x80', '0xd0', '0xc0', '0x40'])}`,
    () => `${q()}subtype ${pick(['beacon', 'probe-req', 'probe-resp', 'auth', 'assoc-req', 'assoc-resp', 'disassoc', 'deauth', 'cts', 'ack', 'rts', 'qos-data', 'data', 'null', 'qos', 'QoS-Data'])}`,
    () => `${q()}dir ${pick(['nods', 'tods', 'fromds', 'dstods', 'FromDS', '0', '1', '2', '3'])}`,
  ])();
  const load = (): string => {
    const p = pick(['ip', 'ip6', 'tcp', 'udp', 'icmp', 'link', 'ether', ...(radiotap ? ['radio', 'radio'] : [])]);
    const size = pick([1, 1, 2, 4]);
    const o = pick([0, 1, 2, 3, 4, 6, 8, 9, 12, 16, 20, 24, 26, 30, 40]);
    return size === 1 && chance(0.5) ? `${p}[${o}]` : `${p}[${o}:${size}]`;
  };
  const prim = (): string => pick<() => string>([
    fc, fc, fc,
    () => pick(['ip', 'ip6', 'arp', 'rarp', 'tcp', 'udp', 'icmp', 'icmp6', 'sctp', 'igmp', 'esp', 'stp', 'ipx', 'iso', 'atalk', 'aarp', 'decnet', 'netbeui', 'pppoed', 'isis', 'clnp', 'lat', 'llc']),
    () => `llc ${pick(['i', 's', 'u', 'rr', 'ui', 'xid', 'test'])}`,
    () => `${pick(['ether proto', 'link proto'])} ${pick(['0x0800', '0x86dd', '0x0806', '0x888e', '0x8100', '\\ip', '\\ip6', '\\arp', '6', '0xaa'])}`,
    () => `${pick(['', 'ip '])}${dir()}host ${pick(v4)}`,
    () => `${pick(['', 'ip6 '])}${dir()}host ${pick(v6)}`,
    () => `${dir()}net ${pick(v4).split('.').slice(0, 2).join('.')}.0.0/16`,
    () => `${pick(['', 'tcp ', 'udp '])}${dir()}port ${pick(ports)}`,
    () => `${pick(['', 'tcp ', 'udp '])}portrange ${pick([1, 53, 1000])}-${pick([5353, 62000, 65535])}`,
    () => `${pick(['ip proto', 'ip6 proto', 'proto'])} ${pick(['6', '17', '58', '\\udp', '\\tcp'])}`,
    () => `${pick(['ip', 'ip6'])} multicast`,
    () => 'ip broadcast',
    () => `${load()} ${pick(['=', '!=', '>', '<'])} ${pick([0, 1, 2, 8, 0x11, 0x45, 0x60, 0x88, 0xaa, 255])}`,
    () => `${load()} & ${pick(['0x0c', '0x80', '0x03', '0xf0', '0x20'])} != 0`,
    () => `${pick(['less', 'greater'])} ${pick([30, 60, 100, 200])}`,
    () => `vlan${chance(0.5) ? ` ${pick([1, 5, 100])}` : ''}${chance(0.5) ? ' and ip' : ''}`,
    () => `udp[${pick([0, 2])}:2] = ${pick(ports)}`,
  ])();
  const expr = (depth: number): string => {
    const k = r();
    if (depth <= 0 || k < 0.35) return prim();
    if (k < 0.5) return `not ${depth > 1 && chance(0.5) ? `(${expr(depth - 1)})` : prim()}`;
    const op = pick(['and', 'or', '&&', '||']);
    const left = expr(depth - 1), right = expr(depth - 1);
    return chance(0.4) ? `(${left}) ${op} (${right})` : `${left} ${op} ${right}`;
  };
  const out = new Set<string>();
  let guard = 0;
  while (out.size < count && guard++ < count * 20) out.add(expr(chance(0.4) ? 0 : chance(0.5) ? 1 : 2));
  return [...out];
}
