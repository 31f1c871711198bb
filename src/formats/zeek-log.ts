/**
 * Zeek log codecs for conn.log: TSV (Zeek's ASCII writer: #separator / #fields / #types
 * header, '-' for unset, '(empty)' for an empty set) and JSON (one object per line, unset
 * fields left out). Pure codecs: TSV lines are written as bytes into a ConnLogWriter's
 * buffer (or returned as a string), JSON lines returned as strings; the caller does the I/O.
 */
import type { FlowRecord } from '../flow/record.js';

const BASE_FIELDS = [
  ['ts', 'time'],
  ['uid', 'string'],
  ['id.orig_h', 'addr'],
  ['id.orig_p', 'port'],
  ['id.resp_h', 'addr'],
  ['id.resp_p', 'port'],
  ['proto', 'enum'],
  ['service', 'string'],
  ['duration', 'interval'],
  ['orig_bytes', 'count'],
  ['resp_bytes', 'count'],
  ['conn_state', 'string'],
  ['local_orig', 'bool'],
  ['local_resp', 'bool'],
  ['missed_bytes', 'count'],
  ['history', 'string'],
  ['orig_pkts', 'count'],
  ['orig_ip_bytes', 'count'],
  ['resp_pkts', 'count'],
  ['resp_ip_bytes', 'count'],
  ['tunnel_parents', 'set[string]'],
  ['ip_proto', 'count'],
] as const;

export interface ConnLogOptions {
  /** Add Zeek's policy/protocols/conn/community-id-logging column. */
  communityId?: boolean;
  /** Add the vlan / inner_vlan columns (policy/protocols/conn/vlan-logging). */
  vlan?: boolean;
}

function fields(opts: ConnLogOptions): [string, string][] {
  const f: [string, string][] = BASE_FIELDS.map(([n, t]) => [n, t]);
  if (opts.vlan) f.push(['vlan', 'int'], ['inner_vlan', 'int']);
  if (opts.communityId) f.push(['community_id', 'string']);
  return f;
}

function pad2(n: number): string {
  return n < 10 ? '0' + n : String(n);
}

/** Zeek's #open / #close timestamp: YYYY-MM-DD-HH-MM-SS (UTC). */
export function zeekLogTime(d: Date): string {
  return `${d.getUTCFullYear()}-${pad2(d.getUTCMonth() + 1)}-${pad2(d.getUTCDate())}-${pad2(d.getUTCHours())}-${pad2(d.getUTCMinutes())}-${pad2(d.getUTCSeconds())}`;
}

/** The TSV header of conn.log. */
export function connLogHeader(opts: ConnLogOptions = {}, open = new Date()): string {
  const f = fields(opts);
  return (
    '#separator \\x09\n#set_separator\t,\n#empty_field\t(empty)\n#unset_field\t-\n#path\tconn\n' +
    `#open\t${zeekLogTime(open)}\n` +
    `#fields\t${f.map((x) => x[0]).join('\t')}\n` +
    `#types\t${f.map((x) => x[1]).join('\t')}\n`
  );
}

export function connLogFooter(close = new Date()): string {
  return `#close\t${zeekLogTime(close)}\n`;
}

/** Does Zeek's ASCII writer escape this character (separators and non-printables)? */
function needsEscape(c: number): boolean {
  return c === 9 || c === 10 || c === 92 || c < 32 || c > 126;
}

/**
 * Seconds with six decimals, like %.6f, without Number.prototype.toFixed (which dominated
 * the cost of a line). Values are non-negative.
 */
export function fixed6(v: number): string {
  let sec = Math.floor(v);
  let us = Math.round((v - sec) * 1e6);
  if (us >= 1e6) {
    sec += 1;
    us -= 1e6;
  }
  const frac = String(us);
  return sec + '.' + '000000'.slice(frac.length) + frac;
}

const TAB = 9;
const DASH = 0x2d;
const utf8 = new TextEncoder();

/**
 * Writes conn.log lines as bytes into a caller-owned buffer: no line string is built and
 * nothing is converted to UTF-8 afterwards (the fields are ASCII; anything else is encoded
 * as UTF-8, as writing the string would have done).
 */
export class ConnLogWriter {
  buf: Uint8Array;
  pos = 0;

  constructor(size = 1 << 18) {
    this.buf = new Uint8Array(size);
  }

  /** Room the next line may need at most (the caller flushes first when it lacks it). */
  static bound(r: FlowRecord): number {
    let n = 512 + r.uid.length + r.origH.length + r.respH.length + r.proto.length + r.connState.length + 6 * r.history.length + r.communityId.length;
    for (const p of r.tunnelParents) n += p.length + 1;
    return 3 * n;
  }

  /** Grows the buffer (keeping what was written) so that `room` more bytes fit. */
  ensure(room: number): void {
    if (this.pos + room <= this.buf.length) return;
    const bigger = new Uint8Array(Math.max(this.buf.length * 2, this.pos + room));
    bigger.set(this.buf.subarray(0, this.pos));
    this.buf = bigger;
  }

  private ascii(s: string): void {
    const buf = this.buf;
    let pos = this.pos;
    for (let i = 0; i < s.length; i++) {
      const c = s.charCodeAt(i);
      if (c > 127) {
        this.pos += utf8.encodeInto(s, buf.subarray(this.pos)).written;
        return;
      }
      buf[pos++] = c;
    }
    this.pos = pos;
  }

  private byte(c: number): void {
    this.buf[this.pos++] = c;
  }

  /** A number as JavaScript prints it; integers below 2^32 (times too) without a string. */
  private num(n: number): void {
    if (n >= 0 && n < 4294967296 && n === Math.floor(n)) {
      const buf = this.buf;
      let digits = 1;
      for (let x = n; x >= 10; x = (x / 10) | 0) digits++;
      let pos = this.pos + digits;
      this.pos = pos;
      let x = n;
      do {
        const q = (x / 10) | 0;
        buf[--pos] = 48 + x - q * 10;
        x = q;
      } while (x > 0);
      return;
    }
    this.ascii(String(n));
  }

  /** fixed6 as bytes. */
  private seconds(v: number): void {
    let sec = Math.floor(v);
    let us = Math.round((v - sec) * 1e6);
    if (us >= 1e6) {
      sec += 1;
      us -= 1e6;
    }
    this.num(sec);
    const buf = this.buf;
    let pos = this.pos;
    buf[pos] = 0x2e;
    for (let k = 6; k >= 1; k--) {
      const q = (us / 10) | 0;
      buf[pos + k] = 48 + us - q * 10;
      us = q;
    }
    this.pos = pos + 7;
  }

  /** A string field with Zeek's escaping: '-' for unset, '(empty)' for empty, \xHH. */
  private escaped(s: string): void {
    let plain = s !== '-';
    for (let i = 0; plain && i < s.length; i++) if (needsEscape(s.charCodeAt(i))) plain = false;
    if (plain) {
      this.ascii(s === '' ? '(empty)' : s);
      return;
    }
    let out = '';
    for (let i = 0; i < s.length; i++) {
      const c = s.charCodeAt(i);
      out += needsEscape(c) ? '\\x' + c.toString(16).padStart(2, '0') : s[i];
    }
    this.ascii(out === '-' ? '\\x2d' : out === '' ? '(empty)' : out);
  }

  /** One conn.log TSV line (with trailing newline); call ensure(ConnLogWriter.bound(r)) first. */
  line(r: FlowRecord, opts: ConnLogOptions = {}): void {
    const hasBytes = r.duration > 0 && r.origBytes !== null;
    this.seconds(r.ts);
    this.byte(TAB);
    this.ascii(r.uid);
    this.byte(TAB);
    this.ascii(r.origH);
    this.byte(TAB);
    this.num(r.origP);
    this.byte(TAB);
    this.ascii(r.respH);
    this.byte(TAB);
    this.num(r.respP);
    this.byte(TAB);
    this.ascii(r.proto);
    this.byte(TAB);
    this.byte(DASH);
    this.byte(TAB);
    if (r.duration > 0) this.seconds(r.duration);
    else this.byte(DASH);
    this.byte(TAB);
    if (hasBytes) {
      this.num(r.origBytes!);
      this.byte(TAB);
      this.num(r.respBytes!);
    } else {
      this.byte(DASH);
      this.byte(TAB);
      this.byte(DASH);
    }
    this.byte(TAB);
    this.ascii(r.connState);
    this.ascii('\t-\t-\t');
    this.num(r.missedBytes);
    this.byte(TAB);
    if (r.history === '') this.byte(DASH);
    else this.escaped(r.history);
    this.byte(TAB);
    this.num(r.origPkts);
    this.byte(TAB);
    this.num(r.origIpBytes);
    this.byte(TAB);
    this.num(r.respPkts);
    this.byte(TAB);
    this.num(r.respIpBytes);
    this.byte(TAB);
    const parents = r.tunnelParents;
    if (parents.length === 0) this.byte(DASH);
    for (let k = 0; k < parents.length; k++) {
      if (k > 0) this.byte(0x2c);
      this.ascii(parents[k]);
    }
    this.byte(TAB);
    this.num(r.ipProto);
    if (opts.vlan) {
      this.byte(TAB);
      if (r.vlan) this.num(r.vlan);
      else this.byte(DASH);
      this.byte(TAB);
      if (r.innerVlan) this.num(r.innerVlan);
      else this.byte(DASH);
    }
    if (opts.communityId) {
      this.byte(TAB);
      if (r.communityId) this.ascii(r.communityId);
      else this.byte(DASH);
    }
    this.byte(10);
  }
}

/** One conn.log TSV line (with trailing newline), as a string. */
export function connLogLine(r: FlowRecord, opts: ConnLogOptions = {}): string {
  const w = new ConnLogWriter(ConnLogWriter.bound(r));
  w.line(r, opts);
  return Buffer.from(w.buf.buffer, w.buf.byteOffset, w.pos).toString('utf8');
}

/** One conn.log JSON line as Zeek's JSON writer prints it (unset fields omitted). */
export function connLogJson(r: FlowRecord, opts: ConnLogOptions = {}): string {
  const hasBytes = r.duration > 0 && r.origBytes !== null;
  let s = `{"ts":${fixed6(r.ts)},"uid":"${r.uid}","id.orig_h":"${r.origH}","id.orig_p":${r.origP},"id.resp_h":"${r.respH}","id.resp_p":${r.respP},"proto":"${r.proto}"`;
  if (r.duration > 0) s += `,"duration":${fixed6(r.duration)}`;
  if (hasBytes) s += `,"orig_bytes":${r.origBytes},"resp_bytes":${r.respBytes}`;
  s += `,"conn_state":"${r.connState}","missed_bytes":${r.missedBytes}`;
  if (r.history !== '') s += `,"history":${JSON.stringify(r.history)}`;
  s += `,"orig_pkts":${r.origPkts},"orig_ip_bytes":${r.origIpBytes},"resp_pkts":${r.respPkts},"resp_ip_bytes":${r.respIpBytes}`;
  if (r.tunnelParents.length) s += `,"tunnel_parents":${JSON.stringify(r.tunnelParents)}`;
  s += `,"ip_proto":${r.ipProto}`;
  if (opts.vlan && r.vlan) s += `,"vlan":${r.vlan}`;
  if (opts.vlan && r.innerVlan) s += `,"inner_vlan":${r.innerVlan}`;
  if (opts.communityId && r.communityId) s += `,"community_id":"${r.communityId}"`;
  return s + '}\n';
}

/** A parsed conn.log row (TSV or JSON): field name -> raw text ('-' = unset). */
export type ZeekRow = Record<string, string>;

/** Parses a Zeek TSV log (any #fields set); returns rows keyed by field name. */
export function parseZeekTsv(text: string): { fields: string[]; rows: ZeekRow[] } {
  let names: string[] = [];
  const rows: ZeekRow[] = [];
  for (const line of text.split('\n')) {
    if (line === '') continue;
    if (line.startsWith('#')) {
      if (line.startsWith('#fields\t')) names = line.slice(8).split('\t');
      continue;
    }
    const cols = line.split('\t');
    const row: ZeekRow = {};
    for (let i = 0; i < names.length; i++) row[names[i]] = cols[i] ?? '-';
    rows.push(row);
  }
  return { fields: names, rows };
}
