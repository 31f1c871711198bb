/**
 * One line per packet in the spirit of `tcpdump -n` (not byte-exact): UTC time with
 * microseconds, then each network segment `IP src.port > dst.port: details`; tunnels print
 * their header briefly and continue with the inner packet after `: `, as tcpdump does.
 * A decode anomaly ends the line with ` [|reason]`, like tcpdump's truncation marker.
 * Output boundary: builds strings.
 */
import type { PacketBatch } from '../core/batch.js';
import { ANOMALY_NAMES } from './anomalies.js';
import { DecodeRecord, Layer, LayerFlag } from './record.js';
import { formatIpv4, formatIpv6, formatMac, hex } from './format-util.js';
import { ieee80211Protected, ieee80211Subtype, ieee80211Type } from '../protocols/ieee80211.js';
import { erspanDirectionAt, erspanSessionIdAt, greKeyAt, greSequenceAt, vniAt } from './tunnels.js';

const TCP_FLAG_CHARS: Array<[number, string]> = [
  [0x01, 'F'],
  [0x02, 'S'],
  [0x04, 'R'],
  [0x08, 'P'],
  [0x10, '.'],
  [0x20, 'U'],
  [0x40, 'E'],
  [0x80, 'W'],
];

const ICMP_NAMES: Record<number, string> = {
  0: 'echo reply',
  3: 'unreachable',
  4: 'source quench',
  5: 'redirect',
  8: 'echo request',
  11: 'time exceeded',
  12: 'parameter problem',
  13: 'time stamp request',
  14: 'time stamp reply',
};
const ICMPV6_NAMES: Record<number, string> = {
  1: 'destination unreachable',
  2: 'packet too big',
  3: 'time exceeded',
  4: 'parameter problem',
  128: 'echo request',
  129: 'echo reply',
  133: 'router solicitation',
  134: 'router advertisement',
  135: 'neighbor solicitation',
  136: 'neighbor advertisement',
};

/** 802.11 frame names as tcpdump prints them, by type (0 management, 1 control) and subtype. */
const IEEE80211_NAMES: ReadonlyArray<Record<number, string>> = [
  { 0: 'Assoc Request', 1: 'Assoc Response', 2: 'ReAssoc Request', 3: 'ReAssoc Response', 4: 'Probe Request', 5: 'Probe Response', 8: 'Beacon', 9: 'ATIM', 10: 'Disassociation', 11: 'Authentication', 12: 'DeAuthentication', 13: 'Action' },
  { 8: 'BAR', 9: 'BA', 10: 'Power Save-Poll', 11: 'Request-To-Send', 12: 'Clear-To-Send', 13: 'Acknowledgment', 14: 'CF-End' },
];

/** The name of the 802.11 frame whose header starts at `off`. */
function ieee80211Name(d: Uint8Array, off: number): string {
  const type = ieee80211Type(d, off);
  const subtype = ieee80211Subtype(d, off);
  if (type === 2) return `${subtype & 8 ? 'QoS ' : ''}${subtype & 4 ? 'Null' : 'Data'}${ieee80211Protected(d, off) ? ' (protected)' : ''}`;
  return IEEE80211_NAMES[type]?.[subtype] ?? `type ${type} subtype ${subtype}`;
}

/** Nothing is decoded after layer k: it is the last, or only undecoded data follows. */
function lastDecoded(rec: DecodeRecord, k: number): boolean {
  return k === rec.layerCount - 1 || rec.layerType[k + 1] === Layer.DATA;
}

/** Layers that only tag an Ethernet frame and end with the next EtherType. */
function isTag(type: number): boolean {
  return type === Layer.VLAN || type === Layer.VNTAG || type === Layer.PBB;
}

function timeOfDay(batch: PacketBatch, i: number): string {
  const sec = batch.tsSec[i];
  if (sec < 0) return '--:--:--.------';
  const d = sec % 86400;
  const hh = String(Math.floor(d / 3600)).padStart(2, '0');
  const mm = String(Math.floor((d % 3600) / 60)).padStart(2, '0');
  const ss = String(d % 60).padStart(2, '0');
  return `${hh}:${mm}:${ss}.${String(Math.floor(batch.tsNsec[i] / 1000)).padStart(6, '0')}`;
}

/** End of the datagram carrying layer k according to its IP header. */
function ipPayloadEnd(batch: PacketBatch, rec: DecodeRecord, k: number): number {
  for (let j = k - 1; j >= 0; j--) {
    const s = rec.layerStart[j];
    if (rec.layerType[j] === Layer.IPV4) {
      const t = batch.view.getUint16(s + 2);
      return t === 0 ? rec.end : s + t;
    }
    if (rec.layerType[j] === Layer.IPV6) {
      const p = batch.view.getUint16(s + 4);
      return p === 0 ? rec.end : s + 40 + p;
    }
  }
  return rec.end;
}

export function formatTextLine(batch: PacketBatch, i: number, rec: DecodeRecord): string {
  const d = batch.data;
  const v = batch.view;
  let out = timeOfDay(batch, i) + ' ';
  let src = '';
  let dst = '';
  let ipKind = '';
  let pendingIp = false;
  let inQuote = false;
  const flushIp = (detail: string): void => {
    out += `${ipKind} ${src} > ${dst}: ${detail}`;
    pendingIp = false;
  };
  for (let k = 0; k < rec.layerCount; k++) {
    const s = rec.layerStart[k];
    const t = rec.layerType[k];
    const quoted = (rec.layerFlags[k] & LayerFlag.QUOTED) !== 0;
    if (quoted && !inQuote) {
      out += ' [';
      inQuote = true;
    }
    switch (t) {
      case Layer.ETHERNET: {
        // Nothing decoded after the frame's tags: the frame itself is the summary.
        let last = k;
        while (last + 1 < rec.layerCount && isTag(rec.layerType[last + 1])) last++;
        const et = rec.layerInfo[last];
        if (lastDecoded(rec, last)) {
          out += `${formatMac(d, s + 6)} > ${formatMac(d, s)}, ${et >= 0x600 ? `ethertype ${hex(et, 4)}` : '802.3'}, length ${rec.end - s}`;
        }
        break;
      }
      case Layer.IEEE80211:
        if (lastDecoded(rec, k)) out += `802.11 ${ieee80211Name(d, s)}, length ${rec.end - s}`;
        break;
      case Layer.LLC:
        // SNAP carrying a protocol decoded next: that protocol is the summary, as in tcpdump.
        if (lastDecoded(rec, k)) {
          out += `LLC, dsap 0x${d[s].toString(16).padStart(2, '0')}, ssap 0x${d[s + 1].toString(16).padStart(2, '0')}, length ${rec.end - s}`;
        }
        break;
      case Layer.MPLS:
        out += `MPLS (label ${v.getUint32(s) >>> 12}, tc ${(d[s + 2] >>> 1) & 7}${d[s + 2] & 1 ? ', [S]' : ''}, ttl ${d[s + 3]}) `;
        break;
      case Layer.PPPOE:
        out += `PPPoE [ses ${hex(v.getUint16(s + 2), 4)}] `;
        break;
      case Layer.ARP: {
        const op = v.getUint16(s + 6);
        const hl = d[s + 4];
        const pl = d[s + 5];
        if (hl === 6 && pl === 4) {
          const spa = formatIpv4(d, s + 14);
          const tpa = formatIpv4(d, s + 24);
          if (op === 1) out += `ARP, Request who-has ${tpa} tell ${spa}, length ${rec.layerEnd[k] - s}`;
          else if (op === 2) out += `ARP, Reply ${spa} is-at ${formatMac(d, s + 8)}, length ${rec.layerEnd[k] - s}`;
          else out += `ARP, op ${op}, length ${rec.layerEnd[k] - s}`;
        } else out += `ARP, op ${op}, length ${rec.layerEnd[k] - s}`;
        break;
      }
      case Layer.IPV4:
        if (pendingIp) flushIp(`ip-proto-4 `);
        ipKind = 'IP';
        src = formatIpv4(d, s + 12);
        dst = formatIpv4(d, s + 16);
        pendingIp = true;
        if (rec.layerFlags[k] & LayerFlag.FRAGMENT) {
          flushIp(`ip-proto-${d[s + 9]}, frag offset ${(v.getUint16(s + 6) & 0x1fff) * 8}, length ${v.getUint16(s + 2) - ((d[s] & 15) << 2)}`);
        }
        break;
      case Layer.IPV6:
        if (pendingIp) flushIp('');
        ipKind = 'IP6';
        src = formatIpv6(d, s + 8);
        dst = formatIpv6(d, s + 24);
        pendingIp = true;
        break;
      case Layer.IPV6_EXT:
        if (rec.layerFlags[k] & LayerFlag.FRAGMENT) flushIp(`frag (offset ${(v.getUint16(s + 2) >>> 3) * 8}), length ${rec.end - rec.layerEnd[k]}`);
        break;
      case Layer.TCP: {
        const sp = v.getUint16(s);
        const dp = v.getUint16(s + 2);
        src += `.${sp}`;
        dst += `.${dp}`;
        if (rec.layerEnd[k] - s < 20) {
          flushIp('tcp');
          break;
        }
        const fl = d[s + 13];
        let flags = '';
        for (const [m, c] of TCP_FLAG_CHARS) if (fl & m) flags += c;
        const hl = (d[s + 12] >>> 4) << 2;
        const len = Math.max(0, ipPayloadEnd(batch, rec, k) - s - hl);
        let detail = `Flags [${flags || 'none'}], seq ${v.getUint32(s + 4)}`;
        if (fl & 0x10) detail += `, ack ${v.getUint32(s + 8)}`;
        detail += `, win ${v.getUint16(s + 14)}, length ${len}`;
        flushIp(detail);
        break;
      }
      case Layer.UDP: {
        src += `.${v.getUint16(s)}`;
        dst += `.${v.getUint16(s + 2)}`;
        const ulen = v.getUint16(s + 4);
        flushIp(lastDecoded(rec, k) ? `UDP, length ${Math.max(0, ulen - 8)}` : '');
        break;
      }
      case Layer.SCTP:
        src += `.${v.getUint16(s)}`;
        dst += `.${v.getUint16(s + 2)}`;
        flushIp(`sctp, length ${Math.max(0, ipPayloadEnd(batch, rec, k) - s - 12)}`);
        break;
      case Layer.ICMP: {
        const type = d[s];
        const code = d[s + 1];
        const len = Math.max(0, ipPayloadEnd(batch, rec, k) - s);
        let detail = `ICMP ${ICMP_NAMES[type] ?? `type ${type}`}`;
        if (type === 0 || type === 8) detail += `, id ${v.getUint16(s + 4)}, seq ${v.getUint16(s + 6)}`;
        else if (type === 3 || type === 11) detail += `, code ${code}`;
        flushIp(`${detail}, length ${len}`);
        break;
      }
      case Layer.ICMPV6: {
        const type = d[s];
        let detail = `ICMP6, ${ICMPV6_NAMES[type] ?? `type ${type}`}`;
        if ((type === 128 || type === 129) && rec.layerEnd[k] - s >= 8) detail += `, id ${v.getUint16(s + 4)}, seq ${v.getUint16(s + 6)}`;
        flushIp(`${detail}, length ${Math.max(0, ipPayloadEnd(batch, rec, k) - s)}`);
        break;
      }
      case Layer.GRE: {
        const key = greKeyAt(batch, rec, k);
        const seq = greSequenceAt(batch, rec, k);
        let detail = `GREv${v.getUint16(s) & 7}`;
        if (key >= 0) detail += `, key=${hex(key, 1)}`;
        if (seq >= 0) detail += `, seq ${seq}`;
        detail += `, proto ${hex(rec.layerInfo[k], 4)}, length ${Math.max(0, ipPayloadEnd(batch, rec, k) - s)}`;
        flushIp(detail + (k + 1 < rec.layerCount ? ': ' : ''));
        break;
      }
      case Layer.ERSPAN: {
        const type = rec.layerInfo[k];
        out += type === 1 ? 'ERSPAN I: ' : `ERSPAN ${type === 2 ? 'II' : 'III'}, session ${erspanSessionIdAt(batch, rec, k)}`;
        if (type === 3) out += erspanDirectionAt(batch, rec, k) ? ', egress' : ', ingress';
        if (type !== 1) out += ': ';
        break;
      }
      case Layer.VXLAN:
        out += `VXLAN, flags [${d[s] & 0x08 ? 'I' : ''}] (${hex(d[s], 2)}), vni ${vniAt(batch, rec, k)}: `;
        break;
      case Layer.GENEVE:
        out += `Geneve, vni ${hex(vniAt(batch, rec, k), 1)}, proto ${hex(rec.layerInfo[k], 4)}, options ${rec.layerEnd[k] - s - 8} bytes: `;
        break;
      case Layer.TZSP:
        out += `TZSP, encap ${rec.layerInfo[k]}: `;
        break;
      case Layer.DATA:
        if (pendingIp) {
          let proto = -1;
          for (let j = k - 1; j >= 0 && proto < 0; j--) {
            if (rec.layerType[j] === Layer.IPV4) proto = d[rec.layerStart[j] + 9];
            else if (rec.layerType[j] === Layer.IPV6_EXT) proto = d[rec.layerStart[j]];
            else if (rec.layerType[j] === Layer.IPV6) proto = d[rec.layerStart[j] + 6];
          }
          flushIp(`ip-proto-${proto}, length ${rec.layerEnd[k] - s}`);
        }
        break;
    }
  }
  if (pendingIp) flushIp(ipKind === 'IP6' ? 'ip6' : 'ip');
  if (inQuote) out += ']';
  if (rec.anomaly !== 0) out += ` [|${ANOMALY_NAMES[rec.anomaly]}]`;
  if (rec.layerCount === 0) out += `link-type ${batch.linktype[i]}, length ${batch.wirelen[i]}`;
  return out;
}
