/**
 * Config validation collects every problem with its path (e.g. `sessions[2].actions[0].n`)
 * and reports them all at once. These helpers read typed values and record what is wrong.
 */
export class Problems {
  readonly list: string[] = [];

  add(path: string, message: string): void {
    this.list.push(`${path}: ${message}`);
  }

  get ok(): boolean {
    return this.list.length === 0;
  }
}

export type Obj = Record<string, unknown>;

export function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Reports keys that the component does not know (typos are the commonest config bug). */
export function checkKeys(o: Obj, path: string, known: readonly string[], p: Problems): void {
  for (const k of Object.keys(o)) if (!known.includes(k)) p.add(`${path}.${k}`, `unknown key (expected one of: ${known.join(', ')})`);
}

export function str(o: Obj, key: string, path: string, p: Problems, opts: { required?: boolean; choices?: readonly string[] } = {}): string | undefined {
  const v = o[key];
  if (v === undefined || v === null) {
    if (opts.required) p.add(`${path}.${key}`, 'is required');
    return undefined;
  }
  if (typeof v !== 'string') {
    p.add(`${path}.${key}`, `must be a string, got ${JSON.stringify(v)}`);
    return undefined;
  }
  if (opts.choices && !opts.choices.includes(v)) {
    p.add(`${path}.${key}`, `must be one of ${opts.choices.join(', ')}, got '${v}'`);
    return undefined;
  }
  return v;
}

export function num(o: Obj, key: string, path: string, p: Problems, opts: { required?: boolean; min?: number; max?: number; integer?: boolean } = {}): number | undefined {
  const v = o[key];
  if (v === undefined || v === null) {
    if (opts.required) p.add(`${path}.${key}`, 'is required');
    return undefined;
  }
  if (typeof v !== 'number' || !Number.isFinite(v)) {
    p.add(`${path}.${key}`, `must be a number, got ${JSON.stringify(v)}`);
    return undefined;
  }
  if (opts.integer && !Number.isInteger(v)) p.add(`${path}.${key}`, `must be a whole number, got ${v}`);
  if (opts.min !== undefined && v < opts.min) p.add(`${path}.${key}`, `must be at least ${opts.min}, got ${v}`);
  if (opts.max !== undefined && v > opts.max) p.add(`${path}.${key}`, `must be at most ${opts.max}, got ${v}`);
  return v;
}

export function bool(o: Obj, key: string, path: string, p: Problems): boolean | undefined {
  const v = o[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'boolean') {
    p.add(`${path}.${key}`, `must be true or false, got ${JSON.stringify(v)}`);
    return undefined;
  }
  return v;
}

/** Sizes like 100M, 1.5G, 512k or plain bytes. */
export function size(o: Obj, key: string, path: string, p: Problems): number | undefined {
  const v = o[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'number' && v >= 0) return v;
  const m = typeof v === 'string' ? /^(\d+(?:\.\d+)?)\s*([kmgt]i?b?|b)?$/i.exec(v.trim()) : null;
  if (!m) {
    p.add(`${path}.${key}`, `must be a size like 100M or 2G, got ${JSON.stringify(v)}`);
    return undefined;
  }
  const unit = (m[2] ?? 'b')[0].toLowerCase();
  const mult = unit === 'k' ? 1024 : unit === 'm' ? 1024 ** 2 : unit === 'g' ? 1024 ** 3 : unit === 't' ? 1024 ** 4 : 1;
  return Math.round(Number(m[1]) * mult);
}

/** Durations like 30s, 5m, 1h, 7d, 250ms or plain seconds. Returns milliseconds. */
export function duration(o: Obj, key: string, path: string, p: Problems): number | undefined {
  const v = o[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'number' && v >= 0) return v * 1000;
  const m = typeof v === 'string' ? /^(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?$/.exec(v.trim()) : null;
  if (!m) {
    p.add(`${path}.${key}`, `must be a duration like 30s, 5m, 1h or 7d, got ${JSON.stringify(v)}`);
    return undefined;
  }
  const mult = { ms: 1, s: 1000, m: 60000, h: 3600000, d: 86400000 }[m[2] ?? 's'] ?? 1000;
  return Number(m[1]) * mult;
}
