/**
 * Config pieces shared by several targets: `host:port` endpoints, capture format options and
 * GENEVE option lists. Each reader reports problems with their config path and returns
 * undefined, so a target's validate() can collect everything wrong at once.
 */
import net from 'node:net';
import { num, str, isObj, type Obj, type Problems } from '../../pipeline/problems.js';

export interface Endpoint {
  host: string;
  port: number;
}

/** Parses `host:port`, `[v6addr]:port` or (with a default port) a bare host. */
export function parseEndpoint(text: string, defaultPort?: number, minPort = 1): Endpoint | string {
  const t = text.trim();
  let host: string;
  let portText: string | undefined;
  const bracket = /^\[([^\]]+)\](?::(\d+))?$/.exec(t);
  if (bracket) {
    host = bracket[1];
    portText = bracket[2];
  } else if (net.isIPv6(t)) {
    host = t;
  } else {
    const colon = t.lastIndexOf(':');
    host = colon < 0 ? t : t.slice(0, colon);
    portText = colon < 0 ? undefined : t.slice(colon + 1);
  }
  if (!host) return `has no host in '${text}'`;
  if (portText === undefined) {
    if (defaultPort === undefined) return `must be host:port, got '${text}'`;
    return { host, port: defaultPort };
  }
  if (!/^\d+$/.test(portText)) return `has a bad port in '${text}'`;
  const port = Number(portText);
  if (port < minPort || port > 65535) return `port must be ${minPort}-65535, got ${port}`;
  return { host, port };
}

export function endpoint(o: Obj, key: string, path: string, p: Problems, opts: { required?: boolean; defaultPort?: number; allowPortZero?: boolean } = {}): Endpoint | undefined {
  const v = str(o, key, path, p, { required: opts.required });
  if (v === undefined) return undefined;
  // A listener may ask for port 0 (any free port, e.g. in tests); a remote may not.
  const r = parseEndpoint(v, opts.defaultPort, opts.allowPortZero ? 0 : 1);
  if (typeof r === 'string') {
    p.add(`${path}.${key}`, r);
    return undefined;
  }
  return r;
}

export const FORMATS = ['pcap', 'pcapng'] as const;
export type Format = (typeof FORMATS)[number];

/** Keys every capture-writing target accepts (file, stdout, pcap over IP). */
export const CAPTURE_KEYS = ['format', 'snaplen', 'nanoseconds', 'linktype'] as const;

export interface CaptureOptions {
  format: Format;
  snaplen: number;
  /** pcap timestamps in nanoseconds; undefined: as the first packet's source records them. */
  nanos: boolean | undefined;
  /** pcap: link type of the header; default the first packet's. */
  linktype: number | undefined;
}

export function validateCapture(o: Obj, path: string, p: Problems): void {
  str(o, 'format', path, p, { choices: FORMATS });
  num(o, 'snaplen', path, p, { integer: true, min: 1, max: 262144 });
  num(o, 'linktype', path, p, { integer: true, min: 0, max: 65535 });
  const n = o.nanoseconds;
  if (n !== undefined && typeof n !== 'boolean') p.add(`${path}.nanoseconds`, `must be true or false, got ${JSON.stringify(n)}`);
}

/** For create(): the input was validated, so plain reads with defaults. */
export function captureOptions(o: Obj, defaultFormat: Format = 'pcap'): CaptureOptions {
  return {
    format: (o.format as Format | undefined) ?? defaultFormat,
    snaplen: (o.snaplen as number | undefined) ?? 262144,
    nanos: o.nanoseconds as boolean | undefined,
    linktype: o.linktype as number | undefined,
  };
}

/** Reads a value already checked by validate (a size like 10M, or a number). */
export function sizeValue(v: unknown): number | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'number') return v;
  const m = /^(\d+(?:\.\d+)?)\s*([kmgt]i?b?|b)?$/i.exec(String(v).trim());
  if (!m) return undefined;
  const unit = (m[2] ?? 'b')[0].toLowerCase();
  const mult = unit === 'k' ? 1024 : unit === 'm' ? 1024 ** 2 : unit === 'g' ? 1024 ** 3 : unit === 't' ? 1024 ** 4 : 1;
  return Math.round(Number(m[1]) * mult);
}

/** Reads a duration already checked by validate; milliseconds. */
export function durationValue(v: unknown): number | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'number') return v * 1000;
  const m = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?$/.exec(String(v).trim());
  if (!m) return undefined;
  const mult = { ms: 1, s: 1000, m: 60000, h: 3600000, d: 86400000 }[m[2] ?? 's'] ?? 1000;
  return Number(m[1]) * mult;
}

export interface GeneveOptionConfig {
  cls: number;
  type: number;
  data: Uint8Array;
}

/** GENEVE options: `[{class: 0x0108, type: 1, data: "0011aabb"}]`; at most 252 bytes in all. */
export function geneveOptions(o: Obj, path: string, p: Problems): GeneveOptionConfig[] | undefined {
  const v = o.options;
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) {
    p.add(`${path}.options`, 'must be a list of {class, type, data}');
    return undefined;
  }
  const out: GeneveOptionConfig[] = [];
  let total = 0;
  v.forEach((item: unknown, k: number) => {
    const ip = `${path}.options[${k}]`;
    if (!isObj(item)) {
      p.add(ip, 'must be an object with class, type and data');
      return;
    }
    for (const key of Object.keys(item)) if (!['class', 'type', 'data'].includes(key)) p.add(`${ip}.${key}`, 'unknown key (expected one of: class, type, data)');
    const cls = num(item, 'class', ip, p, { required: true, integer: true, min: 0, max: 0xffff });
    const type = num(item, 'type', ip, p, { required: true, integer: true, min: 0, max: 0xff });
    const hex = str(item, 'data', ip, p) ?? '';
    const clean = hex.replace(/[\s:]/g, '');
    if (!/^([0-9a-fA-F]{2})*$/.test(clean)) p.add(`${ip}.data`, 'must be hex bytes like "0011aabb"');
    else if (clean.length / 2 > 124) p.add(`${ip}.data`, `is ${clean.length / 2} bytes; an option holds at most 124`);
    const data = Uint8Array.from(Buffer.from(clean.length % 2 ? '' : clean, 'hex'));
    total += 4 + ((data.length + 3) & ~3);
    if (cls !== undefined && type !== undefined) out.push({ cls, type, data });
  });
  if (total > 252) p.add(`${path}.options`, `take ${total} bytes; GENEVE allows at most 252`);
  return out;
}
