/**
 * The flow store: struct-of-arrays slots plus an open-addressing hash index.
 *
 * Why columns: a million concurrent flows as JavaScript objects would cost ~1 KB each and
 * keep the GC busy; as typed-array columns a flow costs a few hundred bytes, allocated once
 * when the table is built (`capacity` is the memory bound).
 *
 * Two intrusive lists run through the slots:
 *  - LRU order (least recently active first), to expire the oldest idle flow early when the
 *    table is full;
 *  - a timer wheel (1/16 s ticks), holding each flow under its next deadline. Deadlines are
 *    lazy: a flow sits under a deadline that may be too early; when the tick comes, its real
 *    deadline is recomputed and it is moved on if not yet due. Only changes that make a
 *    deadline *earlier* (close, RST) relink it at once.
 *
 * Columns indexed by `s * 2 + side` hold per-endpoint state, where side 0 is side A of the
 * canonical key and side 1 side B (not originator/responder: flipping roles then only
 * toggles `origSide`).
 */
import { KEY_WORDS, type KeyScratch } from './key.js';

export const HIST_MAX = 40;
const WHEEL_BITS = 13;
const WHEEL_SIZE = 1 << WHEEL_BITS;
const WHEEL_MASK = WHEEL_SIZE - 1;
/** Ticks per second of the timer wheel. */
export const TICKS = 16;
export const MAX_PARENTS = 4;

export class FlowStore {
  readonly capacity: number;
  count = 0;

  // hash index: slot + 1, 0 = empty
  private readonly index: Int32Array;
  private readonly indexMask: number;
  private readonly freeList: Int32Array;
  private freeTop: number;

  readonly keys: Uint32Array;
  readonly keyBytes: Uint8Array;
  readonly hash: Uint32Array;
  readonly inUse: Uint8Array;
  readonly serial: Float64Array;
  readonly origSide: Uint8Array;
  readonly proto: Uint8Array;
  readonly version: Uint8Array;
  readonly noLog: Uint8Array;
  readonly start: Float64Array;
  readonly last: Float64Array;
  /** Time of the first packet counted in the current report (active timeout). */
  readonly reportStart: Float64Array;
  readonly vlan: Uint32Array;

  // per side (s * 2 + side)
  readonly pkts: Float64Array;
  readonly ipBytes: Float64Array;
  /** UDP / ICMP payload bytes; -1 while the side has sent nothing valid. */
  readonly size: Float64Array;
  readonly tcpFlags: Uint8Array;
  /** First / last packet of the side (IPFIX flowStart/End per direction). */
  readonly sideFirst: Float64Array;
  readonly sideLast: Float64Array;

  // history
  readonly hist: Uint8Array;
  readonly histLen: Uint8Array;
  readonly histSeen: Uint32Array;

  // TCP endpoint state (per side)
  readonly state: Uint8Array;
  readonly prevState: Uint8Array;
  readonly startSeq: Uint32Array;
  readonly lastSeq: Uint32Array;
  readonly ackSeq: Uint32Array;
  readonly seqWraps: Uint32Array;
  readonly ackWraps: Uint32Array;
  readonly finCnt: Uint32Array;
  readonly rstCnt: Uint32Array;
  readonly didClose: Uint8Array;
  readonly histLastSyn: Float64Array;
  readonly histLastFin: Float64Array;
  readonly histLastRst: Float64Array;
  readonly windowScale: Int8Array;
  /** Scaled history counters: checksum, retransmission, zero window, gap (count, threshold). */
  readonly chkCnt: Uint32Array;
  readonly chkThresh: Uint32Array;
  readonly rxmtCnt: Uint32Array;
  readonly rxmtThresh: Uint32Array;
  readonly win0Cnt: Uint32Array;
  readonly win0Thresh: Uint32Array;
  readonly gapCnt: Uint32Array;
  readonly gapThresh: Uint32Array;
  /**
   * Reassembly, enough of it to find content gaps as Zeek's TCP_Reassembler does: the
   * contiguous frontier (last_reassem_seq), the trimmed/acked frontier (trim_seq), one
   * out-of-order range above a hole, and the FIN's relative sequence (per side).
   */
  readonly reas: Float64Array;
  readonly trim: Float64Array;
  readonly oooLo: Float64Array;
  readonly oooHi: Float64Array;
  readonly finSeq: Float64Array;
  /** TCPSessionAdapter's is_partial and first_packet_seen (bit 1 orig, bit 2 resp). */
  readonly partial: Uint8Array;
  readonly firstSeen: Uint8Array;

  // TCP connection timers (0 = not armed)
  readonly closeAt: Float64Array;
  readonly attemptAt: Float64Array;
  readonly partialAt: Float64Array;
  /** Zeek's periodic ExpireTimer (tcp_session_timer) next firing time. */
  readonly sessionAt: Float64Array;
  /** Inactivity timeout in seconds currently armed for the flow. */
  readonly inactivity: Float64Array;
  readonly missed: Float64Array;

  readonly parents: Float64Array;
  readonly parentCount: Uint8Array;

  // lists
  private readonly lruPrev: Int32Array;
  private readonly lruNext: Int32Array;
  private lruHead = -1;
  private lruTail = -1;
  private readonly wheelHead: Int32Array;
  /**
   * One bit per bucket, set when a flow is filed there and cleared when a visit finds the
   * bucket empty: advance() skips empty buckets a word at a time (with a few flows spread
   * thin in time, most of the buckets it passes are empty).
   */
  private readonly filed: Uint32Array;
  private readonly wNext: Int32Array;
  private readonly wPrev: Int32Array;
  /** Tick the flow is filed under, or -1 when not on the wheel. */
  readonly wTick: Float64Array;
  /** Next tick of the wheel not yet processed. */
  cursor = -1;

  constructor(capacity: number) {
    this.capacity = capacity;
    let size = 1024;
    while (size < capacity * 2) size <<= 1;
    this.index = new Int32Array(size);
    this.indexMask = size - 1;
    this.freeList = new Int32Array(capacity);
    for (let i = 0; i < capacity; i++) this.freeList[i] = capacity - 1 - i;
    this.freeTop = capacity;
    const c = capacity;
    const c2 = capacity * 2;
    this.keys = new Uint32Array(c * KEY_WORDS);
    this.keyBytes = new Uint8Array(this.keys.buffer);
    this.hash = new Uint32Array(c);
    this.inUse = new Uint8Array(c);
    this.serial = new Float64Array(c);
    this.origSide = new Uint8Array(c);
    this.proto = new Uint8Array(c);
    this.version = new Uint8Array(c);
    this.noLog = new Uint8Array(c);
    this.start = new Float64Array(c);
    this.last = new Float64Array(c);
    this.reportStart = new Float64Array(c);
    this.vlan = new Uint32Array(c);
    this.pkts = new Float64Array(c2);
    this.ipBytes = new Float64Array(c2);
    this.size = new Float64Array(c2);
    this.tcpFlags = new Uint8Array(c2);
    this.sideFirst = new Float64Array(c2);
    this.sideLast = new Float64Array(c2);
    this.hist = new Uint8Array(c * HIST_MAX);
    this.histLen = new Uint8Array(c);
    this.histSeen = new Uint32Array(c);
    this.state = new Uint8Array(c2);
    this.prevState = new Uint8Array(c2);
    this.startSeq = new Uint32Array(c2);
    this.lastSeq = new Uint32Array(c2);
    this.ackSeq = new Uint32Array(c2);
    this.seqWraps = new Uint32Array(c2);
    this.ackWraps = new Uint32Array(c2);
    this.finCnt = new Uint32Array(c2);
    this.rstCnt = new Uint32Array(c2);
    this.didClose = new Uint8Array(c2);
    this.histLastSyn = new Float64Array(c2);
    this.histLastFin = new Float64Array(c2);
    this.histLastRst = new Float64Array(c2);
    this.windowScale = new Int8Array(c2);
    this.chkCnt = new Uint32Array(c2);
    this.chkThresh = new Uint32Array(c2);
    this.rxmtCnt = new Uint32Array(c2);
    this.rxmtThresh = new Uint32Array(c2);
    this.win0Cnt = new Uint32Array(c2);
    this.win0Thresh = new Uint32Array(c2);
    this.gapCnt = new Uint32Array(c2);
    this.gapThresh = new Uint32Array(c2);
    this.reas = new Float64Array(c2);
    this.trim = new Float64Array(c2);
    this.oooLo = new Float64Array(c2);
    this.oooHi = new Float64Array(c2);
    this.finSeq = new Float64Array(c2);
    this.partial = new Uint8Array(c);
    this.firstSeen = new Uint8Array(c);
    this.closeAt = new Float64Array(c);
    this.attemptAt = new Float64Array(c);
    this.partialAt = new Float64Array(c);
    this.sessionAt = new Float64Array(c);
    this.inactivity = new Float64Array(c);
    this.missed = new Float64Array(c);
    this.parents = new Float64Array(c * MAX_PARENTS);
    this.parentCount = new Uint8Array(c);
    this.lruPrev = new Int32Array(c);
    this.lruNext = new Int32Array(c);
    this.wheelHead = new Int32Array(WHEEL_SIZE).fill(-1);
    this.filed = new Uint32Array(WHEEL_SIZE >>> 5);
    this.wNext = new Int32Array(c);
    this.wPrev = new Int32Array(c);
    this.wTick = new Float64Array(c).fill(-1);
  }

  get full(): boolean {
    return this.freeTop === 0;
  }

  /** The slot holding `key`, or -1. */
  find(key: KeyScratch): number {
    const kw = key.words;
    // IPv4 keys (version byte 4 in word 0) are zero in words 5-7 and 9-11, and so is every
    // stored key with the same word 0: comparing the six other words is enough.
    if ((kw[0] & 0xff) === 4) return this.findV4(key);
    const keys = this.keys;
    const mask = this.indexMask;
    let i = key.hash & mask;
    for (;;) {
      const v = this.index[i];
      if (v === 0) return -1;
      const s = v - 1;
      if (this.hash[s] === key.hash) {
        const base = s * KEY_WORDS;
        let same = true;
        for (let w = 0; w < KEY_WORDS; w++) {
          if (keys[base + w] !== kw[w]) {
            same = false;
            break;
          }
        }
        if (same) return s;
      }
      i = (i + 1) & mask;
    }
  }

  private findV4(key: KeyScratch): number {
    const kw = key.words;
    const k0 = kw[0];
    const k1 = kw[1];
    const k2 = kw[2];
    const k3 = kw[3];
    const k4 = kw[4];
    const k8 = kw[8];
    const h = key.hash;
    const keys = this.keys;
    const index = this.index;
    const hashes = this.hash;
    const mask = this.indexMask;
    let i = h & mask;
    for (;;) {
      const v = index[i];
      if (v === 0) return -1;
      const s = v - 1;
      if (hashes[s] === h) {
        const base = s * KEY_WORDS;
        if (keys[base + 4] === k4 && keys[base + 8] === k8 && keys[base + 1] === k1 && keys[base] === k0 && keys[base + 2] === k2 && keys[base + 3] === k3) return s;
      }
      i = (i + 1) & mask;
    }
  }

  /** Allocates a slot for `key` (caller made room first: `full` must be false). */
  insert(key: KeyScratch, serial: number): number {
    const s = this.freeList[--this.freeTop];
    const base = s * KEY_WORDS;
    for (let w = 0; w < KEY_WORDS; w++) this.keys[base + w] = key.words[w];
    this.hash[s] = key.hash;
    const mask = this.indexMask;
    let i = key.hash & mask;
    while (this.index[i] !== 0) i = (i + 1) & mask;
    this.index[i] = s + 1;
    this.inUse[s] = 1;
    this.serial[s] = serial;
    this.count++;
    this.resetSlot(s);
    this.lruAppend(s);
    return s;
  }

  private resetSlot(s: number): void {
    this.origSide[s] = 0;
    this.noLog[s] = 0;
    this.histLen[s] = 0;
    this.histSeen[s] = 0;
    this.closeAt[s] = 0;
    this.attemptAt[s] = 0;
    this.partialAt[s] = 0;
    this.sessionAt[s] = 0;
    this.inactivity[s] = 0;
    this.missed[s] = 0;
    this.parentCount[s] = 0;
    this.vlan[s] = 0;
    this.partial[s] = 0;
    this.firstSeen[s] = 0;
    for (let side = 0; side < 2; side++) {
      const e = s * 2 + side;
      this.pkts[e] = 0;
      this.ipBytes[e] = 0;
      this.size[e] = -1;
      this.tcpFlags[e] = 0;
      this.sideFirst[e] = 0;
      this.sideLast[e] = 0;
      this.state[e] = 0;
      this.prevState[e] = 0;
      this.startSeq[e] = 0;
      this.lastSeq[e] = 0;
      this.ackSeq[e] = 0;
      this.seqWraps[e] = 0;
      this.ackWraps[e] = 0;
      this.finCnt[e] = 0;
      this.rstCnt[e] = 0;
      this.didClose[e] = 0;
      this.histLastSyn[e] = 0;
      this.histLastFin[e] = 0;
      this.histLastRst[e] = 0;
      this.windowScale[e] = 0;
      this.chkCnt[e] = 0;
      this.chkThresh[e] = 1;
      this.rxmtCnt[e] = 0;
      this.rxmtThresh[e] = 1;
      this.win0Cnt[e] = 0;
      this.win0Thresh[e] = 1;
      this.gapCnt[e] = 0;
      this.gapThresh[e] = 1;
      this.reas[e] = 1;
      this.trim[e] = 0;
      this.oooLo[e] = 0;
      this.oooHi[e] = 0;
      this.finSeq[e] = 0;
    }
  }

  /** Frees slot s (backward-shift deletion keeps linear probing chains intact). */
  remove(s: number): void {
    const mask = this.indexMask;
    let i = this.hash[s] & mask;
    while (this.index[i] !== s + 1) i = (i + 1) & mask;
    // Backward shift: move later members of the cluster into the hole when allowed.
    let hole = i;
    let j = (i + 1) & mask;
    for (;;) {
      const v = this.index[j];
      if (v === 0) break;
      const home = this.hash[v - 1] & mask;
      // Can v move to `hole`? Only if its home is not cyclically in (hole, j].
      const inRange = hole <= j ? home > hole && home <= j : home > hole || home <= j;
      if (!inRange) {
        this.index[hole] = v;
        hole = j;
      }
      j = (j + 1) & mask;
    }
    this.index[hole] = 0;
    this.lruUnlink(s);
    this.wheelUnlink(s);
    this.inUse[s] = 0;
    this.freeList[this.freeTop++] = s;
    this.count--;
  }

  // ---- LRU ----
  private lruAppend(s: number): void {
    this.lruPrev[s] = this.lruTail;
    this.lruNext[s] = -1;
    if (this.lruTail >= 0) this.lruNext[this.lruTail] = s;
    else this.lruHead = s;
    this.lruTail = s;
  }

  private lruUnlink(s: number): void {
    const p = this.lruPrev[s];
    const n = this.lruNext[s];
    if (p >= 0) this.lruNext[p] = n;
    else this.lruHead = n;
    if (n >= 0) this.lruPrev[n] = p;
    else this.lruTail = p;
  }

  /** Marks s as the most recently active flow. */
  touch(s: number): void {
    if (this.lruTail === s) return;
    this.lruUnlink(s);
    this.lruAppend(s);
  }

  /** The least recently active flow, or -1. */
  oldest(): number {
    return this.lruHead;
  }

  /** Iterates all slots in LRU order (for flush). */
  lruOrder(): number[] {
    const out: number[] = [];
    for (let s = this.lruHead; s >= 0; s = this.lruNext[s]) out.push(s);
    return out;
  }

  // ---- timer wheel ----
  /** Files s under the tick of time t (moves it only when t is earlier than its current tick). */
  schedule(s: number, t: number, force = false): void {
    let tick = Math.floor(t * TICKS);
    if (this.cursor >= 0 && tick < this.cursor) tick = this.cursor;
    const cur = this.wTick[s];
    if (cur >= 0) {
      if (!force && cur <= tick) return;
      this.wheelUnlink(s);
    }
    const b = tick & WHEEL_MASK;
    const h = this.wheelHead[b];
    this.wNext[s] = h;
    this.wPrev[s] = -1;
    if (h >= 0) this.wPrev[h] = s;
    this.wheelHead[b] = s;
    this.filed[b >>> 5] |= 1 << (b & 31);
    this.wTick[s] = tick;
  }

  private wheelUnlink(s: number): void {
    const tick = this.wTick[s];
    if (tick < 0) return;
    const p = this.wPrev[s];
    const n = this.wNext[s];
    if (p >= 0) this.wNext[p] = n;
    else this.wheelHead[tick & WHEEL_MASK] = n;
    if (n >= 0) this.wPrev[n] = p;
    this.wTick[s] = -1;
  }

  /**
   * Visits every flow filed under a tick before `now` (in seconds); `visit(s)` returns the
   * flow's new deadline in seconds, or -1 after it removed the flow.
   */
  advance(now: number, visit: (s: number) => number): void {
    const target = Math.floor(now * TICKS);
    if (this.cursor < 0) {
      this.cursor = target;
      return;
    }
    // An empty table has nothing filed on the wheel: jump (a gap between traces would
    // otherwise walk up to a whole turn of empty buckets).
    if (this.count === 0) {
      this.cursor = target;
      return;
    }
    // A long silence: jumping more than a turn of the wheel visits each bucket once.
    let from = this.cursor;
    if (target - from > WHEEL_SIZE) from = target - WHEEL_SIZE;
    for (let tick = from; tick < target; tick++) {
      const b = tick & WHEEL_MASK;
      // The bits of this bucket and the rest of its word: jump to the next filed bucket.
      const bits = this.filed[b >>> 5] >>> (b & 31);
      if (bits === 0) {
        tick += 31 - (b & 31);
        continue;
      }
      const skip = 31 - Math.clz32(bits & -bits);
      if (skip > 0) {
        tick += skip - 1;
        continue;
      }
      let s = this.wheelHead[b];
      while (s >= 0) {
        const next = this.wNext[s];
        if (this.wTick[s] <= tick) {
          this.wheelUnlink(s);
          const due = visit(s);
          if (due >= 0 && this.inUse[s]) {
            const dueTick = Math.max(Math.floor(due * TICKS), tick + 1);
            this.fileAt(s, dueTick);
          }
        }
        s = next;
      }
      if (this.wheelHead[b] < 0) this.filed[b >>> 5] &= ~(1 << (b & 31));
    }
    this.cursor = target;
  }

  private fileAt(s: number, tick: number): void {
    const b = tick & WHEEL_MASK;
    const h = this.wheelHead[b];
    this.wNext[s] = h;
    this.wPrev[s] = -1;
    if (h >= 0) this.wPrev[h] = s;
    this.wheelHead[b] = s;
    this.filed[b >>> 5] |= 1 << (b & 31);
    this.wTick[s] = tick;
  }
}
