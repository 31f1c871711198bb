/**
 * The broker configuration: one YAML file of sources, filters, sessions and targets.
 * `loadConfig` parses and validates it completely, reporting every problem with its path
 * in the file (ConfigError lists them all), so a user fixes a config in one pass.
 */
import fs from 'node:fs';
import path from 'node:path';
import { parseDocument } from 'yaml';
import { ExitCode, TapwireError } from '../core/errors.js';
import { LinkType } from '../core/linktypes.js';
import { ACTION_NAMES, ACTION_TYPES } from '../components/actions/index.js';
import { SOURCE_TYPES } from '../components/sources/index.js';
import { TARGET_TYPES } from '../components/targets/index.js';
import { compileFilter, SUPPORTED_LINKTYPES } from '../filter/index.js';
import { checkKeys, isObj, num, Problems, str, type Obj } from './problems.js';

export class ConfigError extends TapwireError {
  constructor(readonly file: string, readonly problems: string[]) {
    super('E_USAGE', `${file}: ${problems.length} problem${problems.length === 1 ? '' : 's'}:\n${problems.map((p) => `  - ${p}`).join('\n')}`, ExitCode.usage);
    this.name = 'ConfigError';
  }
}

export type FilterSpec = { kind: 'expression'; expression: string };

export interface SessionSpec {
  number: number;
  name: string;
  sources: string[];
  filter: FilterSpec | null;
  actions: Obj[];
  targets: string[];
}

export interface BrokerConfig {
  file: string;
  baseDir: string;
  /** all: every matching session gets a copy; first: the lowest-numbered match only (AWS). */
  match: 'all' | 'first';
  sources: Record<string, Obj>;
  targets: Record<string, Obj>;
  sessions: SessionSpec[];
  metrics: { host: string; port: number } | null;
  /** Unprivileged user to switch to once capture handles are open. */
  user: string | null;
  /** Worker threads; more than one shards sessions by symmetric flow hash (sharded.ts). */
  workers: number;
  /** The parsed document, for comparing configs on reload. */
  raw: Obj;
}

const TOP_KEYS = ['sources', 'filters', 'sessions', 'targets', 'match', 'metrics', 'user', 'workers'] as const;
const SESSION_KEYS = ['number', 'name', 'sources', 'filter', 'actions', 'targets'] as const;

/**
 * An expression must compile for at least one link type a source may deliver (`type data` is
 * 802.11 only, `ether host` is not for 802.11); each source's link type is checked when its
 * packets arrive. The Ethernet error is the one reported.
 */
function checkExpression(expr: string, at: string, p: Problems): void {
  let ethernetError: Error | null = null;
  for (const linktype of [LinkType.ETHERNET, ...SUPPORTED_LINKTYPES.filter((l) => l !== LinkType.ETHERNET)]) {
    try {
      compileFilter(expr, linktype);
      return;
    } catch (e) {
      ethernetError ??= e as Error;
    }
  }
  p.add(at, `bad tcpdump expression '${expr}': ${ethernetError!.message}`);
}

function parseListen(v: unknown, at: string, p: Problems): { host: string; port: number } | null {
  const m = typeof v === 'string' ? /^(.*):(\d+)$/.exec(v) : null;
  const port = m ? Number(m[2]) : NaN;
  if (!m || port > 65535) {
    p.add(at, `must be HOST:PORT, e.g. 127.0.0.1:9100, got ${JSON.stringify(v)}`);
    return null;
  }
  return { host: m[1] || '0.0.0.0', port };
}

function namedMap(doc: Obj, key: string, p: Problems, types: Record<string, { validate(o: Obj, path: string, p: Problems): void }>): Record<string, Obj> {
  const out: Record<string, Obj> = {};
  const v = doc[key];
  if (v === undefined) return out;
  if (!isObj(v)) {
    p.add(key, 'must be a map of name: {type: ...}');
    return out;
  }
  for (const [name, o] of Object.entries(v)) {
    const at = `${key}.${name}`;
    if (!isObj(o)) {
      p.add(at, 'must be a map with a type');
      continue;
    }
    const type = str(o, 'type', at, p, { required: true });
    if (type === undefined) continue;
    const t = types[type];
    if (!t) {
      p.add(`${at}.type`, `unknown type '${type}' (expected one of: ${Object.keys(types).join(', ')})`);
      continue;
    }
    t.validate(o, at, p);
    out[name] = o;
  }
  return out;
}

/** Two targets writing one file would interleave their records into garbage. */
function sameFiles(targets: Record<string, Obj>, file: string, p: Problems): void {
  const baseDir = path.dirname(path.resolve(file));
  const byPath = new Map<string, string>();
  for (const [name, o] of Object.entries(targets)) {
    if (typeof o.path !== 'string' || o.path === '' || o.path === '-') continue;
    const full = path.resolve(baseDir, o.path);
    const first = byPath.get(full);
    if (first !== undefined) p.add(`targets.${name}.path`, `the same file as targets.${first}: two targets cannot write one file`);
    else byPath.set(full, name);
  }
}

/** Validates a parsed document; `file` is only used in messages and for relative paths. */
export function validateConfig(doc: unknown, file: string): BrokerConfig {
  const p = new Problems();
  if (!isObj(doc)) throw new ConfigError(file, ['(top): the file must be a YAML map with sources, sessions and targets']);
  checkKeys(doc, '(top)', TOP_KEYS, p);
  const sources = namedMap(doc, 'sources', p, SOURCE_TYPES);
  const targets = namedMap(doc, 'targets', p, TARGET_TYPES);
  const filters: Record<string, FilterSpec> = {};
  if (doc.filters !== undefined) {
    if (!isObj(doc.filters)) p.add('filters', 'must be a map of name: "tcpdump expression"');
    else
      for (const [name, v] of Object.entries(doc.filters)) {
        if (typeof v !== 'string') p.add(`filters.${name}`, 'must be a tcpdump expression (a string)');
        else {
          checkExpression(v, `filters.${name}`, p);
          filters[name] = { kind: 'expression', expression: v };
        }
      }
  }
  sameFiles(targets, file, p);
  const user = str(doc, 'user', '(top)', p) ?? null;
  const workers = num(doc, 'workers', '(top)', p, { integer: true, min: 1, max: 64 }) ?? 1;
  if (workers > 1) {
    // One stream cannot take packets from several threads in a valid order.
    for (const [name, o] of Object.entries(targets)) {
      if (o.type === 'stdout' || o.type === 'pcap_over_ip') p.add(`targets.${name}.type`, `${o.type} cannot be shared by ${workers} workers; use workers: 1 or a per-worker target (pcap_file, vxlan, geneve, udp)`);
    }
  }
  const match = (str(doc, 'match', '(top)', p, { choices: ['all', 'first'] }) ?? 'all') as 'all' | 'first';
  const metrics = isObj(doc.metrics) ? parseListen(doc.metrics.listen, 'metrics.listen', p) : doc.metrics === undefined ? null : (p.add('metrics', 'must be a map with listen: HOST:PORT'), null);

  const sessions: SessionSpec[] = [];
  const numbers = new Map<number, string>();
  if (!Array.isArray(doc.sessions) || doc.sessions.length === 0) p.add('sessions', 'must be a list with at least one session');
  else
    doc.sessions.forEach((s: unknown, k: number) => {
      const at = `sessions[${k}]`;
      if (!isObj(s)) return p.add(at, 'must be a map');
      checkKeys(s, at, SESSION_KEYS, p);
      const number = num(s, 'number', at, p, { required: true, integer: true, min: 1 });
      const name = str(s, 'name', at, p) ?? `session-${number ?? k}`;
      if (number !== undefined) {
        if (numbers.has(number)) p.add(`${at}.number`, `${number} is already used by ${numbers.get(number)}`);
        numbers.set(number, at);
      }
      const listOf = (key: string, known: Record<string, unknown>, what: string): string[] => {
        const v = s[key];
        const list = typeof v === 'string' ? [v] : Array.isArray(v) ? v : null;
        if (list === null || list.length === 0) {
          p.add(`${at}.${key}`, `must name at least one ${what}`);
          return [];
        }
        list.forEach((n, j) => {
          // Sources may name one origin of a receiver: `mirror:web` (a VNI named in its sessions map).
          const base = typeof n === 'string' && key === 'sources' && n.includes(':') ? n.slice(0, n.indexOf(':')) : n;
          if (typeof base !== 'string' || !(base in known)) p.add(`${at}.${key}[${j}]`, `no ${what} named ${JSON.stringify(n)} (defined: ${Object.keys(known).join(', ') || 'none'})`);
        });
        return list.filter((n): n is string => typeof n === 'string');
      };
      const srcs = listOf('sources', sources, 'source');
      const tgts = listOf('targets', targets, 'target');
      let filter: FilterSpec | null = null;
      if (s.filter !== undefined) {
        if (typeof s.filter !== 'string') p.add(`${at}.filter`, 'must be the name of a filter or a tcpdump expression');
        else if (s.filter in filters) filter = filters[s.filter];
        else {
          checkExpression(s.filter, `${at}.filter`, p);
          filter = { kind: 'expression', expression: s.filter };
        }
      }
      const actions: Obj[] = [];
      if (s.actions !== undefined && !Array.isArray(s.actions)) p.add(`${at}.actions`, 'must be a list');
      else
        (s.actions ?? []).forEach((a: unknown, j: number) => {
          const aat = `${at}.actions[${j}]`;
          if (!isObj(a)) return p.add(aat, 'must be a map with a type');
          const type = str(a, 'type', aat, p, { required: true, choices: ACTION_NAMES });
          if (type === 'balance') {
            if (j !== (s.actions as unknown[]).length - 1) p.add(aat, 'balance must be the last action (it chooses the target)');
          } else if (type !== undefined) ACTION_TYPES[type].validate(a, aat, p);
          actions.push(a);
        });
      sessions.push({ number: number ?? 0, name, sources: srcs, filter, actions, targets: tgts });
    });
  if (!p.ok) throw new ConfigError(file, p.list);
  sessions.sort((a, b) => a.number - b.number);
  return { file, baseDir: path.dirname(path.resolve(file)), match, sources, targets, sessions, metrics, user, workers, raw: doc };
}

export function loadConfig(file: string): BrokerConfig {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    throw new ConfigError(file, [`cannot read: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`]);
  }
  const doc = parseDocument(text, { prettyErrors: true });
  if (doc.errors.length) throw new ConfigError(file, doc.errors.map((e) => `YAML syntax: ${e.message.split('\n')[0]}`));
  return validateConfig(doc.toJS(), file);
}
