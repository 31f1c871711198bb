/**
 * Zeek's TCP connection semantics (packet_analysis/protocol/tcp/TCPSessionAdapter.cc and
 * analyzer/protocol/tcp/TCP_Endpoint.cc), ported to struct-of-arrays slots.
 *
 * `e` and `p` are endpoint indices (slot * 2 + canonical side) of the sender and its peer.
 * Whether an endpoint is the originator is read from `origSide` at the moment it matters,
 * exactly like Zeek's endpoint->IsOrig() after a role flip.
 */
import { Hist, TcpState as S, TOO_LARGE_SEQ_DELTA, type FlowTimeouts } from './constants.js';
import { addHistoryDir, C, checkHistory, scaledHistory } from './history.js';
import type { FlowStore } from './store.js';

export const TH = { FIN: 0x01, SYN: 0x02, RST: 0x04, PSH: 0x08, ACK: 0x10, URG: 0x20 } as const;

const TWO32 = 4294967296;

function seqDelta(a: number, b: number): number {
  return (a - b) | 0;
}

function isHandshake(state: number): boolean {
  return state === S.INACTIVE || state === S.SYN_SENT || state === S.SYN_ACK_SENT;
}

function isClean(st: FlowStore, e: number): boolean {
  return st.state[e] === S.ESTABLISHED || (st.state[e] === S.CLOSED && st.prevState[e] === S.ESTABLISHED);
}

/**
 * The segment being metered, filled by the caller before isReuse() and packet(). Fields, not
 * arguments: a double (the time, a sequence number beyond the small-integer range) passed to
 * a function V8 does not inline is boxed in a new heap number on every call, while a number
 * field is updated in place.
 */
export class TcpSegment {
  flags = 0;
  seq = 0;
  ack = 0;
  win = 0;
  /** Payload length from the IP header. */
  len = 0;
  /** Whether the whole payload was captured. */
  full = false;
  /** Packet time, seconds. */
  t = 0;
}

export class TcpMachine {
  readonly seg = new TcpSegment();
  private underflow = false;

  constructor(
    private readonly st: FlowStore,
    private readonly timeouts: FlowTimeouts,
    /** Swaps originator and responder of slot s and records '^' (Connection::FlipRoles). */
    private readonly flipRoles: (s: number) => void,
  ) {}

  private isOrigEp(e: number): boolean {
    return (e & 1) === this.st.origSide[e >> 1];
  }

  private setState(e: number, p: number, next: number): void {
    const st = this.st;
    const cur = st.state[e];
    if (next === cur) return;
    // The handshake finished: Zeek switches to the long TCP inactivity timeout.
    if (!isHandshake(next) && isHandshake(cur) && isHandshake(st.state[p])) {
      st.inactivity[e >> 1] = this.timeouts.tcpEstablished;
    }
    st.prevState[e] = cur;
    st.state[e] = next;
  }

  /** Bytes of payload the endpoint sent, from sequence numbers (TCP_Endpoint::Size). */
  size(e: number, p: number): number {
    const st = this.st;
    if (st.prevState[e] === S.SYN_SENT && st.state[e] === S.RESET && st.state[p] === S.INACTIVE && !this.noDataAcked(e)) return 0;
    const last64 = st.seqWraps[e] * TWO32 + st.lastSeq[e];
    const ack64 = st.ackWraps[e] * TWO32 + st.ackSeq[e];
    let size = (last64 > ack64 ? last64 : ack64) - st.startSeq[e];
    if (size < 0) size += 2 ** 64; // Zeek's uint64 arithmetic
    if (size !== 0) size--;
    if (st.finCnt[e] > 0 && size !== 0) size--;
    return size;
  }

  private noDataAcked(e: number): boolean {
    const st = this.st;
    const ack = st.ackWraps[e] * TWO32 + st.ackSeq[e];
    const start = st.startSeq[e];
    return ack === start || ack === start + 1;
  }

  private relativeSeq(e: number, cur: number, last: number, wraps: number): number {
    const delta = seqDelta(cur, last);
    if (delta < 0) {
      if (wraps && cur > last) wraps--;
    } else if (delta > 0) {
      if (cur < last) wraps++;
    }
    if (wraps === 0) {
      const d = seqDelta(cur, this.st.startSeq[e]);
      if (d < 0) this.underflow = true;
      return d;
    }
    return wraps * TWO32 + cur - this.st.startSeq[e];
  }

  private updateLastSeqRaw(e: number, v: number): void {
    if (v < this.st.lastSeq[e]) this.st.seqWraps[e]++;
    this.st.lastSeq[e] = v;
  }

  private initSeqs(e: number, first: number, last: number): void {
    const st = this.st;
    st.startSeq[e] = first;
    st.ackSeq[e] = first;
    st.lastSeq[e] = last;
  }

  /** The segment in `seg`, sent by `side` of slot s: updates the slot. */
  packet(s: number, side: number): void {
    const st = this.st;
    const seg = this.seg;
    const flags = seg.flags;
    const seq = seg.seq;
    const ack = seg.ack;
    const len = seg.len;
    const e = s * 2 + side;
    const p = s * 2 + (side ^ 1);
    const isOrig = side === st.origSide[s];
    const SYN = (flags & TH.SYN) !== 0;
    const FIN = (flags & TH.FIN) !== 0;
    const RST = (flags & TH.RST) !== 0;
    const ACK = (flags & TH.ACK) !== 0;

    // SetPartialStatus
    if (isOrig) {
      if (!(st.firstSeen[s] & 1)) st.partial[s] = !SYN || ACK ? 1 : 0;
    } else if (!(st.firstSeen[s] & 2) && !st.partial[s]) st.partial[s] = !SYN ? 1 : 0;

    let segLen = len;
    if (SYN) segLen++;
    if (FIN) segLen++;
    if (RST) segLen -= len;
    const seqOnePast = (seq + segLen) >>> 0;

    // init_endpoint
    switch (st.state[e]) {
      case S.INACTIVE:
        if (SYN) this.initSeqs(e, seq, seqOnePast);
        else this.initSeqs(e, (seq - 1) >>> 0, seq);
        break;
      case S.SYN_SENT:
      case S.SYN_ACK_SENT:
        if (SYN && seq !== st.startSeq[e]) this.initSeqs(e, seq, seqOnePast);
        break;
      case S.ESTABLISHED:
      case S.PARTIAL:
        if (SYN) this.initSeqs(e, seq, seqOnePast);
        break;
      case S.RESET:
        if (SYN && st.prevState[e] === S.INACTIVE) this.initSeqs(e, seq, seqOnePast);
        break;
    }

    this.underflow = false;
    const relSeq = this.relativeSeq(e, seq, st.lastSeq[e], st.seqWraps[e]);
    const seqUnderflow = this.underflow;

    this.updateHistory(s, e, flags, relSeq, len);

    // update_window: only the zero-window history letter matters for the log.
    if (seg.win === 0 && !RST && st.state[p] !== S.CLOSED && st.state[e] !== S.RESET) {
      scaledHistory(st, s, this.isOrigEp(e), C.W, st.win0Cnt, st.win0Thresh, e);
    }

    if (!st.didClose[e] || !st.didClose[p]) st.last[s] = seg.t;

    if (FIN) {
      st.finCnt[e]++;
      st.finSeq[e] = relSeq + segLen;
    }
    if (RST) st.rstCnt[e]++;

    let relAck = 0;
    if (ACK) {
      if (st.state[p] === S.INACTIVE) {
        relAck = 1;
        const a = (ack - 1) >>> 0;
        this.initSeqs(p, a, a);
      } else {
        this.underflow = false;
        relAck = this.relativeSeq(p, ack, st.ackSeq[p], st.ackWraps[p]);
        if (this.underflow) relAck = 0;
        else if (!RST) {
          const d = seqDelta(ack, st.ackSeq[p]);
          if (ack === 0 && d > TOO_LARGE_SEQ_DELTA) {
            // a broken ack more likely than a wrap onto 0
          } else if (d > 0) {
            if (ack < st.ackSeq[p]) st.ackWraps[p]++;
            st.ackSeq[p] = ack;
          }
        }
      }
    }

    // update_last_seq
    const deltaLast = seqDelta(seqOnePast, st.lastSeq[e]);
    if ((SYN || RST) && (deltaLast > TOO_LARGE_SEQ_DELTA || deltaLast < -TOO_LARGE_SEQ_DELTA)) {
      // untrusted jump
    } else if (FIN && st.lastSeq[e] === ((st.startSeq[e] + 1) >>> 0)) {
      this.updateLastSeqRaw(e, seqOnePast);
    } else if (st.state[e] === S.RESET) {
      // don't trust sequence numbers after a RST
    } else if (deltaLast > 0) {
      this.updateLastSeqRaw(e, seqOnePast);
    } else if (len > 0) {
      scaledHistory(st, s, this.isOrigEp(e), C.T, st.rxmtCnt, st.rxmtThresh, e);
    }

    const close = this.stateMachine(s, e, p, len, isOrig, flags);

    if (ACK) this.ackReceived(s, p, e, relAck);

    if (len > 0 && !RST && !seqUnderflow) {
      const relData = SYN ? relSeq + 1 : relSeq;
      if (seg.full) this.dataSent(p, e, relData, len);
    }

    if (close !== 0) this.connectionClosed(s, e, p);

    st.firstSeen[s] |= isOrig ? 1 : 2;
  }

  private updateHistory(s: number, e: number, flags: number, relSeq: number, len: number): void {
    const st = this.st;
    const isOrig = this.isOrigEp(e);
    const SYN = (flags & TH.SYN) !== 0;
    const FIN = (flags & TH.FIN) !== 0;
    const RST = (flags & TH.RST) !== 0;
    const bits = (SYN ? 1 : 0) + (FIN ? 1 : 0) + (RST ? 1 : 0);
    if (bits > 1) {
      if (FIN && RST) checkHistory(st, s, isOrig, Hist.FIN_RST, C.I);
      else checkHistory(st, s, isOrig, Hist.MULTI_FLAG, C.Q);
    } else if (bits === 1) {
      if (SYN) {
        const code = flags & TH.ACK ? C.H : C.S;
        if (checkHistory(st, s, isOrig, Hist.SYN, code) && relSeq !== st.histLastSyn[e]) addHistoryDir(st, s, isOrig, code);
        st.histLastSyn[e] = relSeq;
      }
      if (FIN) {
        if (checkHistory(st, s, isOrig, Hist.FIN, C.F) && relSeq + len !== st.histLastFin[e]) addHistoryDir(st, s, isOrig, C.F);
        st.histLastFin[e] = relSeq + len;
      }
      if (RST) {
        if (checkHistory(st, s, isOrig, Hist.RST, C.R) && relSeq !== st.histLastRst[e]) addHistoryDir(st, s, isOrig, C.R);
        st.histLastRst[e] = relSeq;
      }
    } else if (len) checkHistory(st, s, isOrig, Hist.DATA, C.D);
    else if (flags & TH.ACK) checkHistory(st, s, isOrig, Hist.ACK, C.A);
  }

  /** UpdateStateMachine for the segment in `seg`; returns 1 when the endpoint closed (do_close). */
  private stateMachine(s: number, e: number, p: number, len: number, isOrig: boolean, flags: number): number {
    const st = this.st;
    const SYN = (flags & TH.SYN) !== 0;
    const FIN = (flags & TH.FIN) !== 0;
    const RST = (flags & TH.RST) !== 0;
    const ACK = (flags & TH.ACK) !== 0;
    let doClose = 0;
    switch (st.state[e]) {
      case S.INACTIVE: {
        if (SYN) {
          if (isOrig) {
            this.setState(e, p, ACK ? S.SYN_ACK_SENT : S.SYN_SENT);
            st.attemptAt[s] = this.seg.t + this.timeouts.tcpAttempt;
          } else {
            if (!ACK && st.state[p] === S.SYN_ACK_SENT && this.seg.seq === st.startSeq[e]) {
              // SYN and SYN-ACK seen in reverse order: flip and establish.
              st.partial[s] = 0;
              this.flipRoles(s);
              this.setState(p, e, S.ESTABLISHED);
              st.firstSeen[s] |= 1;
            }
            if (st.state[p] === S.SYN_SENT) this.setState(p, e, S.ESTABLISHED);
            this.setState(e, p, S.ESTABLISHED);
          }
        }
        if (FIN) {
          this.setState(e, p, S.CLOSED);
          doClose = 1;
        }
        if (RST) {
          this.setState(e, p, S.RESET);
          doClose = 1;
        }
        if (st.state[e] === S.INACTIVE) {
          if (!isOrig && len === 0 && st.state[s * 2 + st.origSide[s]] === S.SYN_SENT) {
            // an eccentric TCP acking the SYN before its SYN-ACK
          } else if (ACK && st.state[p] === S.ESTABLISHED) {
            this.setState(e, p, S.ESTABLISHED);
            st.partial[s] = 0;
            st.firstSeen[s] |= isOrig ? 1 : 2;
          } else this.setState(e, p, S.PARTIAL);
        }
        break;
      }
      case S.SYN_SENT:
      case S.SYN_ACK_SENT:
        if (FIN) {
          this.setState(e, p, S.CLOSED);
          doClose = 1;
        }
        if (RST) {
          this.setState(e, p, S.RESET);
          doClose = 1;
        }
        break;
      case S.ESTABLISHED:
      case S.PARTIAL:
        if (SYN && st.state[e] === S.PARTIAL && st.state[p] === S.INACTIVE && !ACK) this.setState(e, p, S.SYN_SENT);
        if (FIN && !RST) {
          this.setState(e, p, S.CLOSED);
          if (st.state[p] === S.RESET && st.prevState[p] === S.CLOSED) this.setState(p, e, S.CLOSED);
          doClose = 1;
        }
        if (RST) {
          this.setState(e, p, S.RESET);
          doClose = 1;
        }
        break;
      case S.CLOSED:
        if (RST && st.state[p] !== S.CLOSED) {
          this.setState(e, p, S.RESET);
          if (!st.didClose[e]) doClose = 1;
        }
        break;
      case S.RESET:
        break;
    }
    return doClose;
  }

  /** ConnectionClosed: arms Zeek's close timers. */
  private connectionClosed(s: number, e: number, p: number): void {
    const st = this.st;
    if (st.didClose[e]) return;
    st.didClose[e] = 1;
    const complete = st.state[e] === S.RESET || st.didClose[p] === 1 || st.state[p] === S.INACTIVE;
    if (complete) {
      st.closeAt[s] = st.last[s] + this.timeouts.tcpClose;
      st.attemptAt[s] = 0;
      st.partialAt[s] = 0;
      st.sessionAt[s] = 0;
      st.schedule(s, st.closeAt[s]);
    } else if (st.prevState[e] === S.INACTIVE) {
      st.partialAt[s] = st.last[s] + 3; // tcp_partial_close_delay
      st.schedule(s, st.partialAt[s]);
    }
  }

  /** Data of endpoint e at relative sequence `seq` (TCP_Reassembler::DataSent, simplified). */
  private dataSent(_p: number, e: number, seq: number, len: number): void {
    const st = this.st;
    const ackRel = this.relAckOf(e);
    let upper = seq + len;
    if (seq < ackRel) {
      if (upper <= ackRel) return;
      seq = ackRel;
    }
    const reas = st.reas[e];
    if (upper <= reas) return;
    if (seq <= reas) {
      let r = upper;
      if (st.oooHi[e] !== 0 && st.oooLo[e] <= r) {
        if (st.oooHi[e] > r) r = st.oooHi[e];
        st.oooLo[e] = 0;
        st.oooHi[e] = 0;
      }
      st.reas[e] = r;
    } else if (st.oooHi[e] === 0) {
      st.oooLo[e] = seq;
      st.oooHi[e] = upper;
    } else {
      if (seq < st.oooLo[e]) st.oooLo[e] = seq;
      if (upper > st.oooHi[e]) st.oooHi[e] = upper;
    }
    upper = 0;
  }

  private relAckOf(e: number): number {
    const st = this.st;
    return st.ackWraps[e] * TWO32 + st.ackSeq[e] - st.startSeq[e];
  }

  /** The peer acked e's data up to relative `seq` (TCP_Reassembler::AckReceived + TrimToSeq). */
  private ackReceived(s: number, e: number, p: number, seq: number): void {
    const st = this.st;
    if (st.finCnt[e] > 0 && seq >= st.finSeq[e]) seq = st.finSeq[e] - 1;
    if (seq <= st.trim[e]) return;
    if (seq > st.reas[e]) {
      if (!(seq <= 2 && st.partial[s])) {
        if (st.oooHi[e] !== 0 && st.oooLo[e] < seq) {
          if (st.oooLo[e] > st.reas[e]) this.gap(s, e, p, st.oooLo[e] - st.reas[e]);
          if (st.oooHi[e] > st.reas[e]) st.reas[e] = st.oooHi[e];
          st.oooLo[e] = 0;
          st.oooHi[e] = 0;
        }
        if (seq > st.reas[e]) this.gap(s, e, p, seq - st.reas[e]);
      }
      if (seq > st.reas[e]) st.reas[e] = seq;
    }
    st.trim[e] = seq;
  }

  private gap(s: number, e: number, p: number, len: number): void {
    const st = this.st;
    if (isClean(st, e) && isClean(st, p)) {
      scaledHistory(st, s, this.isOrigEp(e), C.G, st.gapCnt, st.gapThresh, e);
      st.missed[s] += len;
    }
  }

  /** A segment with a bad checksum: history 'C'/'c', nothing else changes. */
  checksumError(s: number, side: number): void {
    const e = s * 2 + side;
    scaledHistory(this.st, s, side === this.st.origSide[s], C.C, this.st.chkCnt, this.st.chkThresh, e);
  }

  /** IsReuse: does the segment in `seg`, a SYN on an existing connection, start a new one? */
  isReuse(s: number): boolean {
    const st = this.st;
    const flags = this.seg.flags;
    const seq = this.seg.seq;
    if (!(flags & TH.SYN)) return false;
    const o = s * 2 + st.origSide[s];
    const r = s * 2 + (st.origSide[s] ^ 1);
    let connOrig = o;
    if (flags & TH.ACK) {
      if (st.state[o] !== S.INACTIVE) return false;
      connOrig = r;
    }
    const closed = st.didClose[o] === 1 || st.didClose[r] === 1;
    if (!closed) {
      if (seq === st.startSeq[connOrig]) return false;
      if (!(flags & TH.ACK) && st.state[connOrig] === S.SYN_ACK_SENT && st.state[r] === S.INACTIVE && seq === st.startSeq[r]) return false;
    }
    return true;
  }

  /**
   * Runs the connection's due timers at `now`. Returns 1 when the connection must be
   * removed, 0 otherwise (timers are advanced).
   */
  timers(s: number, now: number): number {
    const st = this.st;
    const o = s * 2 + st.origSide[s];
    const r = s * 2 + (st.origSide[s] ^ 1);
    if (st.closeAt[s] !== 0 && now >= st.closeAt[s]) return 1;
    if (st.attemptAt[s] !== 0 && now >= st.attemptAt[s]) {
      st.attemptAt[s] = 0;
      if ((st.state[o] === S.SYN_SENT || st.state[o] === S.SYN_ACK_SENT) && st.state[r] === S.INACTIVE) return 1;
    }
    if (st.partialAt[s] !== 0 && now >= st.partialAt[s]) {
      st.partialAt[s] = 0;
      if (st.state[o] !== S.INACTIVE && st.state[r] !== S.INACTIVE && (!st.didClose[o] || !st.didClose[r])) {
        if (st.state[o] !== S.RESET && st.state[r] !== S.RESET) return 1;
      }
    }
    if (st.sessionAt[s] !== 0 && now >= st.sessionAt[s]) {
      st.sessionAt[s] = now + 6; // tcp_session_timer
      if (st.last[s] + this.timeouts.tcpLinger < now) {
        if (st.didClose[o] || st.didClose[r]) {
          if ((st.didClose[o] && st.didClose[r]) || st.state[o] === S.RESET || st.state[r] === S.RESET || st.state[o] === S.INACTIVE || st.state[r] === S.INACTIVE) return 1;
        }
        if (st.state[r] === S.INACTIVE && st.state[o] === S.INACTIVE) return 1;
      }
    }
    if (st.last[s] + st.inactivity[s] <= now) return 1;
    return 0;
  }

  /** The earliest time one of the connection's timers may fire. */
  deadline(s: number): number {
    const st = this.st;
    let d = st.last[s] + st.inactivity[s];
    if (st.closeAt[s] !== 0 && st.closeAt[s] < d) d = st.closeAt[s];
    if (st.attemptAt[s] !== 0 && st.attemptAt[s] < d) d = st.attemptAt[s];
    if (st.partialAt[s] !== 0 && st.partialAt[s] < d) d = st.partialAt[s];
    if (st.sessionAt[s] !== 0 && st.sessionAt[s] < d) d = st.sessionAt[s];
    return d;
  }
}
