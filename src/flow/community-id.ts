/**
 * Community ID v1 (https://github.com/corelight/community-id-spec): a hash of the flow
 * tuple that Zeek, Suricata and Arkime compute alike, so records join across tools.
 * Computed once per emitted record (Node's crypto is fine off the hot path).
 */
import { createHash } from 'node:crypto';

const ICMP4_PAIR: Record<number, number> = { 8: 0, 0: 8, 13: 14, 14: 13, 15: 16, 16: 15, 10: 9, 9: 10, 17: 18, 18: 17 };
const ICMP6_PAIR: Record<number, number> = { 128: 129, 129: 128, 133: 134, 134: 133, 135: 136, 136: 135, 130: 131, 131: 130, 139: 140, 140: 139, 144: 145, 145: 144 };

function lessThan(a: Uint8Array, ap: number, b: Uint8Array, bp: number): boolean {
  for (let i = 0; i < a.length; i++) {
    if (a[i] !== b[i]) return a[i] < b[i];
  }
  return ap < bp;
}

/**
 * `sport`/`dport` are the ports, or for ICMP the type and code of the originator's message
 * (as Zeek passes them: orig_p = type, resp_p = code or reply type).
 */
export function communityId(src: Uint8Array, dst: Uint8Array, proto: number, sport: number, dport: number, seed = 0): string {
  let oneWay = false;
  if (proto === 1 || proto === 58) {
    const pair = proto === 1 ? ICMP4_PAIR : ICMP6_PAIR;
    const type = sport;
    const r = pair[type];
    if (r !== undefined) dport = r;
    else oneWay = true;
  }
  let a = src;
  let b = dst;
  let ap = sport;
  let bp = dport;
  if (!oneWay && !lessThan(a, ap, b, bp)) {
    a = dst;
    b = src;
    ap = dport;
    bp = sport;
  }
  const hasPorts = proto === 6 || proto === 17 || proto === 1 || proto === 58 || proto === 132;
  const buf = Buffer.alloc(2 + a.length * 2 + 2 + (hasPorts ? 4 : 0));
  let o = 0;
  buf.writeUInt16BE(seed, o);
  o += 2;
  buf.set(a, o);
  o += a.length;
  buf.set(b, o);
  o += b.length;
  buf[o++] = proto;
  buf[o++] = 0;
  if (hasPorts) {
    buf.writeUInt16BE(ap, o);
    buf.writeUInt16BE(bp, o + 2);
  }
  return '1:' + createHash('sha1').update(buf).digest('base64');
}
