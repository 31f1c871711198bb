/**
 * File names from strftime patterns (`/var/tap/web-%Y%m%d-%H%M%S.pcap`), as tcpdump -G does,
 * but in UTC unless asked otherwise, so names sort by time and do not jump at DST changes.
 * Only the directives that make sense in file names are supported; validate() rejects the
 * others instead of writing a literal `%q` into a path.
 */
const DIRECTIVES = 'YmdHMSyjsFT%';

/** Directive letters in `pattern` that we do not support (for config validation). */
export function unsupportedDirectives(pattern: string): string[] {
  const bad: string[] = [];
  for (let k = 0; k < pattern.length - 1; k++) {
    if (pattern[k] !== '%') continue;
    const c = pattern[k + 1];
    if (!DIRECTIVES.includes(c)) bad.push(`%${c}`);
    k++;
  }
  if (pattern.endsWith('%') && !pattern.endsWith('%%')) bad.push('%');
  return bad;
}

export function hasDirectives(pattern: string): boolean {
  return /%[^%]/.test(pattern.replace(/%%/g, ''));
}

const pad = (n: number, w = 2): string => String(n).padStart(w, '0');

/** Expands `pattern` for the time `ms` (milliseconds since the epoch). */
export function strftime(pattern: string, ms: number, utc = true): string {
  const d = new Date(ms);
  const Y = utc ? d.getUTCFullYear() : d.getFullYear();
  const m = (utc ? d.getUTCMonth() : d.getMonth()) + 1;
  const day = utc ? d.getUTCDate() : d.getDate();
  const H = utc ? d.getUTCHours() : d.getHours();
  const M = utc ? d.getUTCMinutes() : d.getMinutes();
  const S = utc ? d.getUTCSeconds() : d.getSeconds();
  const start = utc ? Date.UTC(Y, 0, 1) : new Date(Y, 0, 1).getTime();
  const dayStart = utc ? Date.UTC(Y, m - 1, day) : new Date(Y, m - 1, day).getTime();
  const j = Math.round((dayStart - start) / 86400000) + 1;
  return pattern.replace(/%(.)/g, (_all, c: string) => {
    switch (c) {
      case 'Y': return String(Y);
      case 'm': return pad(m);
      case 'd': return pad(day);
      case 'H': return pad(H);
      case 'M': return pad(M);
      case 'S': return pad(S);
      case 'y': return pad(Y % 100);
      case 'j': return pad(j, 3);
      case 's': return String(Math.floor(ms / 1000));
      case 'F': return `${Y}-${pad(m)}-${pad(day)}`;
      case 'T': return `${pad(H)}:${pad(M)}:${pad(S)}`;
      case '%': return '%';
      default: return `%${c}`;
    }
  });
}

/**
 * A regular expression matching every name the pattern can produce (file name part only),
 * so a restarted target finds the files of earlier runs and applies retention to them too.
 * `suffix` matches what we add to avoid collisions (e.g. `-1` before the extension).
 */
export function patternRegex(pattern: string, suffix = '(?:-\\d+)?'): RegExp {
  const { stem, ext } = splitExtension(pattern);
  const conv = (s: string): string =>
    s.replace(/%(.)|([.*+?^${}()|[\]\\])/g, (_a, c: string | undefined, lit: string | undefined) => {
      if (lit) return `\\${lit}`;
      switch (c) {
        case 'Y': return '\\d{4}';
        case 'm': case 'd': case 'H': case 'M': case 'S': case 'y': return '\\d{2}';
        case 'j': return '\\d{3}';
        case 's': return '\\d+';
        case 'F': return '\\d{4}-\\d{2}-\\d{2}';
        case 'T': return '\\d{2}:\\d{2}:\\d{2}';
        case '%': return '%';
        default: return '';
      }
    });
  return new RegExp(`^${conv(stem)}${suffix}${conv(ext)}$`);
}

/** `web.pcap` -> { stem: 'web', ext: '.pcap' }; `x.pcapng.gz` keeps '.pcapng.gz'. */
export function splitExtension(name: string): { stem: string; ext: string } {
  const m = /(\.pcapng|\.pcap|\.cap|\.erf)?(\.gz)?$/i.exec(name);
  let ext = m && m[0] ? m[0] : '';
  if (!ext) {
    const dot = name.lastIndexOf('.');
    ext = dot > 0 && !name.slice(dot).includes('/') && !name.slice(dot).includes('%') ? name.slice(dot) : '';
  }
  return { stem: name.slice(0, name.length - ext.length), ext };
}
