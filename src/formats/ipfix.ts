/**
 * IPFIX (RFC 7011) message encoding for flow records, with RFC 5103 biflow reverse elements
 * (enterprise number 29305) so one record carries both directions.
 *
 *   Message header (16 bytes)
 *    0                   1                   2                   3
 *   |       Version = 10            |             Length            |
 *   |                           Export Time                         |
 *   |                       Sequence Number                         |
 *   |                    Observation Domain ID                      |
 *   Set header: | Set ID (2 = template, >= 256 = data) | Length |
 *
 * Pure codec: returns message buffers; sockets live in flow/exporter.ts.
 */
import type { FlowRecord } from '../flow/record.js';

/** IANA IPFIX information elements used here. */
export const IE = {
  octetDeltaCount: 1,
  packetDeltaCount: 2,
  protocolIdentifier: 4,
  tcpControlBits: 6,
  sourceTransportPort: 7,
  sourceIPv4Address: 8,
  destinationTransportPort: 11,
  destinationIPv4Address: 12,
  sourceIPv6Address: 27,
  destinationIPv6Address: 28,
  icmpTypeCodeIPv4: 32,
  vlanId: 58,
  postVlanId: 59,
  icmpTypeCodeIPv6: 139,
  flowEndReason: 136,
  flowStartMilliseconds: 152,
  flowEndMilliseconds: 153,
} as const;

/** RFC 5103: reverse information elements are the forward ones under this PEN. */
export const REVERSE_PEN = 29305;

export const IPFIX_VERSION = 10;
export const TEMPLATE_V4 = 256;
export const TEMPLATE_V6 = 257;

interface FieldSpec {
  id: number;
  len: number;
  pen?: number;
}

function fieldsFor(v6: boolean, biflow: boolean): FieldSpec[] {
  const f: FieldSpec[] = [
    { id: v6 ? IE.sourceIPv6Address : IE.sourceIPv4Address, len: v6 ? 16 : 4 },
    { id: v6 ? IE.destinationIPv6Address : IE.destinationIPv4Address, len: v6 ? 16 : 4 },
    { id: IE.sourceTransportPort, len: 2 },
    { id: IE.destinationTransportPort, len: 2 },
    { id: IE.protocolIdentifier, len: 1 },
    { id: IE.octetDeltaCount, len: 8 },
    { id: IE.packetDeltaCount, len: 8 },
    { id: IE.flowStartMilliseconds, len: 8 },
    { id: IE.flowEndMilliseconds, len: 8 },
    { id: IE.tcpControlBits, len: 2 },
    { id: v6 ? IE.icmpTypeCodeIPv6 : IE.icmpTypeCodeIPv4, len: 2 },
    { id: IE.vlanId, len: 2 },
    { id: IE.postVlanId, len: 2 },
    { id: IE.flowEndReason, len: 1 },
  ];
  if (biflow) {
    f.push(
      { id: IE.octetDeltaCount, len: 8, pen: REVERSE_PEN },
      { id: IE.packetDeltaCount, len: 8, pen: REVERSE_PEN },
      { id: IE.tcpControlBits, len: 2, pen: REVERSE_PEN },
    );
  }
  return f;
}

function recordLength(fields: FieldSpec[]): number {
  let n = 0;
  for (const f of fields) n += f.len;
  return n;
}

export interface IpfixEncoderOptions {
  observationDomainId?: number;
  /** Largest message (UDP: keep under the path MTU). Default 1400. */
  maxMessageSize?: number;
  /** Biflow records (RFC 5103). When false, one record per direction. Default true. */
  biflow?: boolean;
}

/** A direction-resolved view of a record, for uniflow export. */
interface Dir {
  src: Uint8Array;
  dst: Uint8Array;
  sport: number;
  dport: number;
  octets: number;
  packets: number;
  first: number;
  last: number;
  flags: number;
  rOctets: number;
  rPackets: number;
  rFlags: number;
}

export class IpfixEncoder {
  /** Count of data records sent so far (the header's sequence number). */
  sequence = 0;
  readonly domain: number;
  readonly maxSize: number;
  readonly biflow: boolean;
  private readonly f4: FieldSpec[];
  private readonly f6: FieldSpec[];

  constructor(opts: IpfixEncoderOptions = {}) {
    this.domain = opts.observationDomainId ?? 1;
    this.maxSize = opts.maxMessageSize ?? 1400;
    this.biflow = opts.biflow ?? true;
    this.f4 = fieldsFor(false, this.biflow);
    this.f6 = fieldsFor(true, this.biflow);
  }

  /** The template set describing both templates. */
  templateSet(): Uint8Array {
    const parts: number[] = [];
    const put16 = (v: number) => parts.push((v >>> 8) & 0xff, v & 0xff);
    const put32 = (v: number) => parts.push((v >>> 24) & 0xff, (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff);
    for (const [id, fields] of [
      [TEMPLATE_V4, this.f4],
      [TEMPLATE_V6, this.f6],
    ] as const) {
      put16(id);
      put16(fields.length);
      for (const f of fields) {
        put16(f.pen ? f.id | 0x8000 : f.id);
        put16(f.len);
        if (f.pen) put32(f.pen);
      }
    }
    const out = new Uint8Array(4 + parts.length);
    out[0] = 0;
    out[1] = 2;
    out[2] = (out.length >>> 8) & 0xff;
    out[3] = out.length & 0xff;
    out.set(parts, 4);
    return out;
  }

  /**
   * Encodes records into messages no larger than maxMessageSize. `exportTime` is in seconds.
   * With `withTemplates` the first message starts with the template set.
   */
  encode(records: readonly FlowRecord[], exportTime: number, withTemplates: boolean): Uint8Array[] {
    const dirs: { v6: boolean; d: Dir; r: FlowRecord }[] = [];
    for (const r of records) {
      const v6 = r.ipVersion === 6;
      const o: Dir = {
        src: r.origAddr,
        dst: r.respAddr,
        sport: r.origP,
        dport: r.respP,
        octets: r.origIpBytes,
        packets: r.origPkts,
        first: r.origFirst || r.ts,
        last: r.origLast || r.ts,
        flags: r.origTcpFlags,
        rOctets: r.respIpBytes,
        rPackets: r.respPkts,
        rFlags: r.respTcpFlags,
      };
      if (this.biflow) {
        o.first = r.ts;
        o.last = Math.max(r.origLast, r.respLast, r.ts);
        dirs.push({ v6, d: o, r });
        continue;
      }
      if (r.origPkts > 0) dirs.push({ v6, d: { ...o, rOctets: 0, rPackets: 0, rFlags: 0 }, r });
      if (r.respPkts > 0) {
        dirs.push({
          v6,
          d: { src: r.respAddr, dst: r.origAddr, sport: r.respP, dport: r.origP, octets: r.respIpBytes, packets: r.respPkts, first: r.respFirst, last: r.respLast, flags: r.respTcpFlags, rOctets: 0, rPackets: 0, rFlags: 0 },
          r,
        });
      }
    }
    const messages: Uint8Array[] = [];
    const buf = new Uint8Array(Math.max(this.maxSize, 512));
    const view = new DataView(buf.buffer);
    let pos = 16;
    let setStart = -1;
    let setTemplate = -1;
    let recordsInMsg = 0;
    let pendingTemplates = withTemplates;
    const closeSet = () => {
      if (setStart >= 0) view.setUint16(setStart + 2, pos - setStart);
      setStart = -1;
      setTemplate = -1;
    };
    const flush = () => {
      closeSet();
      if (pos <= 16) return;
      view.setUint16(0, IPFIX_VERSION);
      view.setUint16(2, pos);
      view.setUint32(4, Math.floor(exportTime) >>> 0);
      view.setUint32(8, this.sequence >>> 0);
      view.setUint32(12, this.domain >>> 0);
      messages.push(buf.slice(0, pos));
      this.sequence = (this.sequence + recordsInMsg) >>> 0;
      recordsInMsg = 0;
      pos = 16;
    };
    const putTemplates = () => {
      const t = this.templateSet();
      buf.set(t, pos);
      pos += t.length;
      pendingTemplates = false;
    };
    if (pendingTemplates) putTemplates();
    for (const { v6, d, r } of dirs) {
      const fields = v6 ? this.f6 : this.f4;
      const len = recordLength(fields);
      const tid = v6 ? TEMPLATE_V6 : TEMPLATE_V4;
      const need = len + (setTemplate === tid ? 0 : 4);
      if (pos + need > this.maxSize) {
        flush();
      }
      if (setTemplate !== tid) {
        closeSet();
        setStart = pos;
        setTemplate = tid;
        view.setUint16(pos, tid);
        pos += 4;
      }
      pos = writeRecord(buf, view, pos, d, r, v6, this.biflow);
      recordsInMsg++;
    }
    flush();
    if (messages.length === 0 && withTemplates) {
      putTemplates();
      flush();
    }
    return messages;
  }
}

function writeU64(view: DataView, pos: number, v: number): void {
  view.setUint32(pos, Math.floor(v / 4294967296) >>> 0);
  view.setUint32(pos + 4, v >>> 0);
}

function writeRecord(buf: Uint8Array, view: DataView, pos: number, d: Dir, r: FlowRecord, v6: boolean, biflow: boolean): number {
  buf.set(d.src, pos);
  pos += d.src.length;
  buf.set(d.dst, pos);
  pos += d.dst.length;
  const icmp = r.ipProto === 1 || r.ipProto === 58;
  view.setUint16(pos, icmp ? 0 : d.sport);
  // ICMP: type and code in the destination port too, as NetFlow collectors expect.
  view.setUint16(pos + 2, icmp ? ((d.sport & 0xff) << 8) | icmpCode(r, d) : d.dport);
  pos += 4;
  buf[pos++] = r.ipProto;
  writeU64(view, pos, d.octets);
  writeU64(view, pos + 8, d.packets);
  writeU64(view, pos + 16, Math.round(d.first * 1000));
  writeU64(view, pos + 24, Math.round(d.last * 1000));
  pos += 32;
  view.setUint16(pos, d.flags);
  view.setUint16(pos + 2, icmp ? ((d.sport & 0xff) << 8) | icmpCode(r, d) : 0);
  view.setUint16(pos + 4, r.vlan);
  view.setUint16(pos + 6, r.innerVlan);
  pos += 8;
  buf[pos++] = r.endReason;
  if (biflow) {
    writeU64(view, pos, d.rOctets);
    writeU64(view, pos + 8, d.rPackets);
    view.setUint16(pos + 16, d.rFlags);
    pos += 18;
  }
  void v6;
  return pos;
}

/** The ICMP code of a direction: Zeek keys one-way messages with the code as resp_p. */
function icmpCode(r: FlowRecord, d: Dir): number {
  // For request/reply pairs the "port" is the counterpart type, not a code: report 0.
  const pairs4 = [0, 8, 13, 14, 15, 16, 9, 10, 17, 18];
  const pairs6 = [128, 129, 133, 134, 135, 136, 130, 131, 139, 140, 144, 145];
  const paired = (r.ipProto === 1 ? pairs4 : pairs6).includes(d.sport);
  return paired ? 0 : d.dport & 0xff;
}

/** Decodes an IPFIX message's header (for tests and collectors). */
export function parseIpfixHeader(b: Uint8Array): { version: number; length: number; exportTime: number; sequence: number; domain: number } {
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  return { version: v.getUint16(0), length: v.getUint16(2), exportTime: v.getUint32(4), sequence: v.getUint32(8), domain: v.getUint32(12) };
}
