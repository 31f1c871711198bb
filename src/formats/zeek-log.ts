/**
 * Zeek log codecs for conn.log: TSV (Zeek's ASCII writer: #separator / #fields / #types
 * header, '-' for unset, '(empty)' for an empty set) and JSON (one object per line, unset
 * fields left out). Pure functions: they return strings, the caller writes them.
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

/** Zeek's ASCII escaping of a string value: separators and non-printables as \xHH. */
function escapeTsv(s: string): string {
  let plain = s !== '-';
  for (let i = 0; plain && i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 9 || c === 10 || c === 92 || c < 32 || c > 126) plain = false;
  }
  if (plain) return s === '' ? '(empty)' : s;
  let out = '';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 9 || c === 10 || c === 92 || c < 32 || c > 126) out += '\\x' + c.toString(16).padStart(2, '0');
    else out += s[i];
  }
  return out === '-' ? '\\x2d' : out === '' ? '(empty)' : out;
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

/** One conn.log TSV line (with trailing newline). */
export function connLogLine(r: FlowRecord, opts: ConnLogOptions = {}): string {
  const hasBytes = r.duration > 0 && r.origBytes !== null;
  let s =
    fixed6(r.ts) + '\t' + r.uid + '\t' + r.origH + '\t' + r.origP + '\t' + r.respH + '\t' + r.respP + '\t' + r.proto + '\t-\t' +
    (r.duration > 0 ? fixed6(r.duration) : '-') + '\t' +
    (hasBytes ? r.origBytes + '\t' + r.respBytes : '-\t-') + '\t' +
    r.connState + '\t-\t-\t' + r.missedBytes + '\t' +
    (r.history === '' ? '-' : escapeTsv(r.history)) + '\t' +
    r.origPkts + '\t' + r.origIpBytes + '\t' + r.respPkts + '\t' + r.respIpBytes + '\t' +
    (r.tunnelParents.length ? r.tunnelParents.join(',') : '-') + '\t' + r.ipProto;
  if (opts.vlan) s += '\t' + (r.vlan ? r.vlan : '-') + '\t' + (r.innerVlan ? r.innerVlan : '-');
  if (opts.communityId) s += '\t' + (r.communityId || '-');
  return s + '\n';
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
