/**
 * FlowAnalyzer: meters bidirectional flows with Zeek's connection semantics from packet
 * batches and emits one FlowRecord per connection (when it ends, is evicted, or on flush).
 *
 * Hot path: per packet, the analyzer reads headers from the batch bytes at the layer offsets
 * the decoder found, builds the canonical key into a reused scratch buffer, finds the slot
 * and updates typed-array columns. Objects are made only when a record is emitted.
 * Plain packets (Ethernet, optional 802.1Q, IP, a transport the decoder does not tunnel
 * through) and chains of GRE carriers around them skip the decoder altogether (addPlain,
 * with the shapes in plain-shape.ts): ~96 % of the benchmark capture. The result is the
 * same, checked on every corpus trace by test/unit/flow-fastpath.test.ts and on damaged GRE
 * packets by test/unit/flow-gre-chain.test.ts.
 *
 * Tunnels are handled like Zeek: a packet inside VXLAN / GENEVE (UDP) first counts for the
 * outer UDP connection, then for the inner one, whose tunnel_parents name the outer uid.
 * GRE / IP-in-IP / ERSPAN carriers get an unlogged pseudo-connection whose uid serves as
 * the parent.
 */
import type { PacketBatch } from '../core/batch.js';
import { Layer, DecodeRecord } from '../decode/record.js';
import { DEFAULT_TIMEOUTS, EndReason, LIKELY_SERVER_TCP, LIKELY_SERVER_UDP, TcpState, Hist, type EndReasonCode, type FlowTimeouts } from './constants.js';
import { KeyScratch, KEY_WORDS } from './key.js';
import { FlowStore, MAX_PARENTS } from './store.js';
import { RecentFlows } from './recent.js';
import { TcpMachine, TH } from './tcp.js';
import { IpInfo, IpReject, parseIp, icmpPort, pseudoSum } from './ip.js';
import { PayloadSums } from './checksum.js';
import { addHistory, C, checkHistory, historyString, scaledHistory } from './history.js';
import { addrString, makeUid, transportName, type FlowRecord } from './record.js';
import { communityId } from './community-id.js';
import { FragmentTracker } from './fragments.js';
import { greCarriers, greMayCarryIp, isTunnelPort, MAX_CARRIERS, mayNestIp } from './plain-shape.js';

export interface FlowAnalyzerOptions {
  /** Maximum concurrent flows (the memory bound). Default 262144. */
  capacity?: number;
  timeouts?: Partial<FlowTimeouts>;
  /** Zeek's -C: do not drop packets with bad IP / TCP / UDP / ICMP checksums. */
  ignoreChecksums?: boolean;
  /** Key flows on their VLAN ids too (default true; Zeek's default key does not). */
  keyVlan?: boolean;
  /** Key flows on the tunnel identity (VNI, mirror session). Default true. */
  keyTunnel?: boolean;
  likelyServerTcp?: Iterable<number>;
  likelyServerUdp?: Iterable<number>;
  /** Seed of uid generation (deterministic output for tests). */
  uidSeed?: number;
  /** Compute community_id for each record (default true). */
  communityId?: boolean;
  /** Decoder used by addBatch (usually decodePacket from src/decode/decode.ts). */
  decode?: (batch: PacketBatch, i: number, rec: DecodeRecord) => void;
  /**
   * addBatch / addPacketDecoding meter plain Ethernet / IPv4 / TCP or UDP packets without
   * calling `decode` (see addPlain). Default true; turn it off when `decode` enters tunnels
   * on UDP ports other than the decoder's defaults.
   */
  plainFastPath?: boolean;
  /** Sum payload checksums in WebAssembly where available (default true; tests compare). */
  wasmChecksums?: boolean;
}

/** Counters, bumped as plain numbers (per packet increments of a number field are cheap). */
export class FlowCounters {
  packets = 0;
  /** Packets that created or updated a flow. */
  metered = 0;
  noIp = 0;
  badIpHeader = 0;
  badIpChecksum = 0;
  badTransportChecksum = 0;
  truncatedTransport = 0;
  fragments = 0;
  flowsCreated = 0;
  flowsEmitted = 0;
  /** Flows expired early because the table was full. */
  evicted = 0;
  expiredIdle = 0;
  expiredClosed = 0;
  activeReports = 0;
  reused = 0;
}

const KIND_VXLAN = 1;
const KIND_GENEVE = 2;
const KIND_ERSPAN = 3;

export class FlowAnalyzer {
  readonly store: FlowStore;
  readonly counters = new FlowCounters();
  readonly timeouts: FlowTimeouts;
  private readonly tcp: TcpMachine;
  private readonly key = new KeyScratch();
  private readonly recent = new RecentFlows();
  /** Set by connOf: the packet's source is side A of the key. */
  private srcIsA = true;
  private readonly ip = new IpInfo();
  private readonly rec = new DecodeRecord();
  private readonly frags = new FragmentTracker();
  /** IP header offsets of a GRE carrier chain (addGreChain). */
  private readonly chain = new Int32Array(MAX_CARRIERS + 1);
  private readonly sums: PayloadSums;
  private readonly icmpHolder = { oneWay: false };
  private readonly serverTcp = new Uint8Array(65536);
  private readonly serverUdp = new Uint8Array(65536);
  /** Checksums are not verified (-C, or a reassembled datagram). */
  private skipChecksums: boolean;
  private readonly keyVlan: boolean;
  private readonly keyTunnel: boolean;
  private readonly uidSeed: number;
  private readonly withCommunityId: boolean;
  private readonly decode?: (batch: PacketBatch, i: number, rec: DecodeRecord) => void;
  private readonly plainFastPath: boolean;
  private serial = 0;
  /**
   * Time of the current packet (seconds). A field, not an argument: a double passed to a
   * function V8 does not inline is boxed in a new heap number, one or two per packet.
   */
  private t = 0;
  private now = 0;
  private nextTick = 0;
  private readonly visit: (s: number) => number;

  // per-packet context (reset for each packet)
  private parentSerial = -1;
  private vlanOuter = 0;
  private vlanInner = 0;
  private tunnelCtx = 0;

  constructor(private readonly emit: (r: FlowRecord) => void, opts: FlowAnalyzerOptions = {}) {
    this.store = new FlowStore(opts.capacity ?? 262144);
    this.timeouts = { ...DEFAULT_TIMEOUTS, ...(opts.timeouts ?? {}) };
    this.tcp = new TcpMachine(this.store, this.timeouts, (s) => this.flipRoles(s));
    this.skipChecksums = opts.ignoreChecksums ?? false;
    this.keyVlan = opts.keyVlan ?? true;
    this.keyTunnel = opts.keyTunnel ?? true;
    this.uidSeed = opts.uidSeed ?? 0x5eed;
    this.withCommunityId = opts.communityId ?? true;
    this.decode = opts.decode;
    this.plainFastPath = opts.plainFastPath ?? true;
    for (const p of opts.likelyServerTcp ?? LIKELY_SERVER_TCP) this.serverTcp[p] = 1;
    for (const p of opts.likelyServerUdp ?? LIKELY_SERVER_UDP) this.serverUdp[p] = 1;
    this.visit = (s: number) => this.onTimer(s);
    this.sums = new PayloadSums(opts.wasmChecksums ?? true);
  }

  /**
   * Decodes and meters every packet of the batch (needs the `decode` option), or only those
   * `select` admits. The batch's bytes are copied once into the checksum module's memory
   * (unless they were read there: readBuffers), so each packet's checksum needs no copy.
   */
  addBatch(batch: PacketBatch, select?: (batch: PacketBatch, i: number) => boolean): void {
    const decode = this.decode;
    if (!decode) throw new Error('FlowAnalyzer.addBatch needs the decode option; or call addPacket with a decoded record');
    const rec = this.rec;
    const fast = this.plainFastPath;
    const n = batch.count;
    if (!this.skipChecksums && n > 0) {
      let lo = Infinity;
      let hi = 0;
      for (let i = 0; i < n; i++) {
        const o = batch.offset[i];
        if (o < lo) lo = o;
        if (o + batch.caplen[i] > hi) hi = o + batch.caplen[i];
      }
      this.sums.load(batch.data, lo, hi);
    }
    try {
      for (let i = 0; i < n; i++) {
        if (select !== undefined && !select(batch, i)) continue;
        if (fast && this.addPlain(batch, i)) continue;
        decode(batch, i, rec);
        this.addPacket(batch, i, rec);
      }
    } finally {
      this.sums.unload();
    }
  }

  /**
   * Two read buffers of `bytes` for a capture reader (CaptureReaderOptions.readBuffers), in
   * the checksum module's memory: addBatch then sums payloads in place instead of copying
   * each batch there. Null when there is nothing to gain (no WebAssembly, -C) or on a second
   * call.
   */
  readBuffers(bytes: number): [Uint8Array, Uint8Array] | null {
    return this.skipChecksums ? null : this.sums.readBuffers(bytes);
  }

  /** Times packet bytes were copied into the checksum module (none when read in place). */
  get checksumCopies(): number {
    return this.sums.copies;
  }

  /** Decodes packet i with the `decode` option and meters it. */
  addPacketDecoding(batch: PacketBatch, i: number): void {
    if (!this.decode) throw new Error('FlowAnalyzer.addPacketDecoding needs the decode option');
    if (this.plainFastPath && this.addPlain(batch, i)) return;
    this.decode(batch, i, this.rec);
    this.addPacket(batch, i, this.rec);
  }

  /**
   * Fast path without the decoder: meters packet i when it is plain Ethernet (with at most
   * one 802.1Q tag) / IPv4 or IPv6 (no extension headers) carrying a protocol the decoder
   * does not tunnel through (TCP, UDP off the tunnel ports, ICMP, ESP, SCTP, GRE of a type
   * it does not follow, ...), for which the decoder's layer stack would be Ethernet, [VLAN,]
   * IP, transport and data with no inner IP layer, so the analyzer would see exactly one IP
   * layer with nothing to continue into. Returns false, having changed nothing, for any
   * other packet (the caller then decodes it and calls addPacket).
   *
   * The checks mirror the decoder's acceptance of the Ethernet, 802.1Q and IP headers
   * (src/decode/decode.ts): where the decoder would stop early or see a tunnel, we decline.
   */
  addPlain(batch: PacketBatch, i: number): boolean {
    if (batch.linktype[i] !== LINKTYPE_ETHERNET) return false;
    const data = batch.data;
    const pktStart = batch.offset[i];
    const caplen = batch.caplen[i];
    // Ethernet (14), at most one 802.1Q tag (4), IPv4 minimum header (20).
    if (caplen < 34) return false;
    let off = pktStart + 14;
    let etype = (data[pktStart + 12] << 8) | data[pktStart + 13];
    let vlan = 0;
    if (etype === ETHERTYPE_VLAN) {
      if (caplen < 38) return false;
      vlan = ((data[off] << 8) | data[off + 1]) & 0x0fff;
      etype = (data[off + 2] << 8) | data[off + 3];
      off += 4;
    }
    const l2 = off - pktStart;
    let proto: number;
    let l4: number;
    if (etype === ETHERTYPE_IPV4) {
      const b0 = data[off];
      if (b0 >>> 4 !== 4) return false;
      const hl = (b0 & 0x0f) << 2;
      if (hl < 20 || hl > caplen - l2) return false;
      const total = (data[off + 2] << 8) | data[off + 3];
      if (total !== 0 && total < hl) return false;
      proto = data[off + 9];
      l4 = off + hl;
    } else if (etype === ETHERTYPE_IPV6) {
      // Only a transport header straight after the fixed header (no extension headers).
      if (caplen - l2 < 40 || data[off] >>> 4 !== 6) return false;
      proto = data[off + 6];
      l4 = off + 40;
    } else return false;
    if (proto !== 6) {
      // GRE whose protocol type the decoder does not follow (keepalives, vendor types):
      // the decoder's stack ends in data, so the packet is as plain as any other. Only the
      // type word is read; for a later fragment or a damaged header, the decoder finds no
      // inner IP either way.
      if (proto === 47) {
        if (l4 + 4 <= pktStart + caplen && greMayCarryIp((data[l4 + 2] << 8) | data[l4 + 3])) {
          return etype === ETHERTYPE_IPV4 && this.addGreChain(batch, i, off, vlan);
        }
      } else if (mayNestIp(proto)) {
        // Other protocols the decoder may continue from into another IP header (tunnels,
        // IPv6 extension headers, AH): leave them to the decoder.
        return false;
      }
      // A UDP port the decoder follows into a tunnel (VXLAN, GENEVE, TZSP, MPLS-in-UDP).
      if (proto === 17 && l4 + 4 <= pktStart + caplen) {
        const sp = (data[l4] << 8) | data[l4 + 1];
        const dp = (data[l4 + 2] << 8) | data[l4 + 3];
        if (isTunnelPort(sp) || isTunnelPort(dp)) return false;
      }
    }
    this.begin(batch, i);
    this.vlanOuter = vlan;
    const r = this.ipLayer(data, batch.view, off, pktStart + caplen, batch.wirelen[i] - l2, false);
    if (r === METERED) this.counters.metered++;
    return true;
  }

  /**
   * addPlain for a packet whose IPv4 header at `ip` carries GRE: meters a chain of GRE
   * carriers (see greCarriers) as addPacket would from the decoder's stack (each carrier's
   * unlogged pseudo-connection becomes the parent of what it carries), or returns false.
   */
  private addGreChain(batch: PacketBatch, i: number, ip: number, vlan: number): boolean {
    const pktStart = batch.offset[i];
    const capEnd = pktStart + batch.caplen[i];
    const ips = this.chain;
    const carriers = greCarriers(batch.data, ip, capEnd, ips);
    if (carriers < 0) return false;
    this.begin(batch, i);
    this.vlanOuter = vlan;
    const wire = batch.wirelen[i];
    for (let k = 0; k <= carriers; k++) {
      const off = ips[k];
      const r = this.ipLayer(batch.data, batch.view, off, capEnd, wire - (off - pktStart), k < carriers);
      if (r !== CONTINUE) {
        if (r === METERED) this.counters.metered++;
        break;
      }
    }
    return true;
  }

  /** Per-packet prologue: clock, timers, context (the packet time goes to `t`). */
  private begin(batch: PacketBatch, i: number): void {
    // Microseconds, truncated, as libpcap hands them to Zeek.
    const t = batch.tsSec[i] + Math.floor(batch.tsNsec[i] / 1000) / 1e6;
    this.t = t;
    this.counters.packets++;
    if (t > this.now) this.now = t;
    if (this.now >= this.nextTick) {
      this.store.advance(this.now, this.visit);
      this.nextTick = (Math.floor(this.now * 16) + 1) / 16;
    }
    this.parentSerial = -1;
    this.vlanOuter = 0;
    this.vlanInner = 0;
    this.tunnelCtx = 0;
  }

  /** Meters packet i of `batch`, already decoded into `rec`. */
  addPacket(batch: PacketBatch, i: number, rec: DecodeRecord): void {
    this.begin(batch, i);
    const data = batch.data;
    const view = batch.view;
    const pktStart = batch.offset[i];
    const capEnd = pktStart + batch.caplen[i];
    const wire = batch.wirelen[i];
    const n = rec.layerCount;
    let sawIp = false;
    for (let li = 0; li < n; li++) {
      const type = rec.layerType[li];
      const start = rec.layerStart[li];
      switch (type) {
        case Layer.VLAN: {
          const id = start + 4 <= capEnd ? view.getUint16(start) & 0x0fff : 0;
          if (this.vlanOuter === 0) this.vlanOuter = id;
          else if (this.vlanInner === 0) this.vlanInner = id;
          break;
        }
        case Layer.VXLAN:
        case Layer.GENEVE:
          if (start + 8 <= capEnd) {
            const vni = (data[start + 4] << 16) | (data[start + 5] << 8) | data[start + 6];
            this.tunnelCtx = ((type === Layer.VXLAN ? KIND_VXLAN : KIND_GENEVE) << 24) | vni;
          }
          this.vlanOuter = this.vlanInner = 0;
          break;
        case Layer.ERSPAN:
          if (start + 4 <= capEnd) this.tunnelCtx = (KIND_ERSPAN << 24) | (view.getUint16(start + 2) & 0x03ff);
          this.vlanOuter = this.vlanInner = 0;
          break;
        case Layer.IPV4:
        case Layer.IPV6: {
          sawIp = true;
          const r = this.ipLayer(data, view, start, capEnd, wire - (start - pktStart), hasInnerIp(rec, li));
          if (r !== CONTINUE) {
            if (r === METERED) this.counters.metered++;
            return;
          }
          break;
        }
        default:
          break;
      }
    }
    if (!sawIp) this.counters.noIp++;
  }

  /** Emits every flow still in the table (end of input) and empties it. */
  flush(): void {
    const st = this.store;
    for (const s of st.lruOrder()) this.finish(s, EndReason.forcedEnd, 'flush');
  }

  /** Current number of flows in the table. */
  get activeFlows(): number {
    return this.store.count;
  }

  // ---------------------------------------------------------------- per layer

  /**
   * One IP header of the packet. Returns CONTINUE when the packet carries a tunnel whose inner
   * packet follows in the layer stack, METERED when a connection took the packet, DROPPED else.
   */
  private ipLayer(data: Uint8Array, view: DataView, off: number, capEnd: number, wireLeft: number, hasInner: boolean): number {
    const ip = this.ip;
    parseIp(data, view, off, capEnd, wireLeft, !this.skipChecksums, ip);
    if (ip.reject !== IpReject.ok) {
      if (ip.reject === IpReject.badChecksum) this.counters.badIpChecksum++;
      else if (ip.reject !== IpReject.opaque) this.counters.badIpHeader++;
      return DROPPED;
    }
    const proto = ip.proto;
    if (ip.isFragment) {
      this.counters.fragments++;
      // Zeek meters an incompletely captured first fragment as it is, and drops the rest.
      if (ip.capLen < ip.totalLen) {
        if (ip.fragOffset !== 0) return DROPPED;
      } else return this.fragment(data, off, capEnd);
    }
    const l4 = off + ip.hdrLen;
    const l4len = ip.totalLen - ip.hdrLen;
    const remaining = capEnd - l4;
    if (hasInner) {
      if (proto === 17) {
        // UDP tunnel (VXLAN, GENEVE, Teredo...): the outer UDP connection sees the packet.
        const s = this.udp(data, view, l4, l4len, remaining, true);
        if (s < 0) return DROPPED;
        this.parentSerial = this.store.serial[s];
        return CONTINUE;
      }
      if (proto === 6 || proto === 1 || proto === 58) return this.transport(data, view, l4, l4len, remaining) >= 0 ? METERED : DROPPED;
      // GRE / IP-in-IP / ERSPAN carrier: an unlogged pseudo-connection names the tunnel.
      const s = this.pseudoTunnel(data);
      this.parentSerial = this.store.serial[s];
      return CONTINUE;
    }
    return this.transport(data, view, l4, l4len, remaining) >= 0 ? METERED : DROPPED;
  }

  /** Dispatch on the transport protocol; returns the slot or -1. */
  private transport(data: Uint8Array, view: DataView, l4: number, l4len: number, remaining: number): number {
    switch (this.ip.proto) {
      case 6:
        return this.tcpPacket(data, view, l4, l4len, remaining);
      case 17:
        return this.udp(data, view, l4, l4len, remaining, false);
      case 1:
      case 58:
        return this.icmp(data, view, l4, l4len, remaining);
      case 4:
      case 41:
      case 47:
      case 59:
        return -1;
      default:
        return this.other(data);
    }
  }

  /** Does the TCP / UDP checksum over [l4, l4 + l4len) with its pseudo header verify? */
  private checksumOk(data: Uint8Array, view: DataView, proto: number, l4: number, l4len: number): boolean {
    return this.sums.sum(data, view, l4, l4 + l4len, pseudoSum(data, this.ip, proto, l4len)) === 0xffff;
  }

  private vlanCtx(): number {
    return this.keyVlan ? ((this.vlanOuter << 12) | this.vlanInner) >>> 0 : 0;
  }

  /**
   * The slot of the TCP or UDP connection of the current packet, or -1 with the key built in
   * `this.key` (for lookup). Sets `srcIsA`. IPv4 packets try the recent-flows cache first.
   */
  private connOf(data: Uint8Array, proto: number, sport: number, dport: number): number {
    const ip = this.ip;
    const vlanCtx = this.vlanCtx();
    const tunnelCtx = this.keyTunnel ? this.tunnelCtx : 0;
    if (ip.version === 4) {
      const a = ip.src;
      const b = ip.dst;
      const src = (data[a] << 24) | (data[a + 1] << 16) | (data[a + 2] << 8) | data[a + 3];
      const dst = (data[b] << 24) | (data[b + 1] << 16) | (data[b + 2] << 8) | data[b + 3];
      const s = this.recent.find(this.store, src, dst, (sport << 16) | dport, proto, vlanCtx, tunnelCtx);
      if (s >= 0) {
        this.srcIsA = this.recent.srcIsA;
        return s;
      }
    } else this.recent.skip();
    const key = this.key;
    key.build(data, ip.version, ip.src, ip.dst, proto, sport, dport, false, vlanCtx, tunnelCtx);
    this.srcIsA = key.srcIsA;
    const s = this.store.find(key);
    if (s >= 0) this.recent.remember(this.store, s, this.srcIsA);
    return s;
  }

  /** Finds or creates the connection for the key in `this.key`; returns the slot. */
  private lookup(proto: number, srcIsA: boolean, flip: boolean, inactivity: number): number {
    const st = this.store;
    let s = st.find(this.key);
    if (s >= 0) return s;
    if (st.full) {
      const victim = st.oldest();
      this.counters.evicted++;
      this.finish(victim, EndReason.lackOfResources, 'evict');
    }
    s = st.insert(this.key, ++this.serial);
    const t = this.t;
    this.counters.flowsCreated++;
    st.proto[s] = proto;
    st.version[s] = this.ip.version;
    st.start[s] = t;
    st.last[s] = t;
    st.reportStart[s] = t;
    st.inactivity[s] = inactivity;
    st.vlan[s] = ((this.vlanOuter << 12) | this.vlanInner) >>> 0;
    const srcSide = srcIsA ? 0 : 1;
    st.origSide[s] = flip ? srcSide ^ 1 : srcSide;
    if (flip) addHistory(st, s, C.CARET);
    if (proto === 6) st.sessionAt[s] = t + 5; // tcp_SYN_timeout arms Zeek's first ExpireTimer
    st.schedule(s, this.deadline(s));
    return s;
  }

  private addParent(s: number): void {
    if (this.parentSerial < 0) return;
    const st = this.store;
    const n = st.parentCount[s];
    const base = s * MAX_PARENTS;
    for (let k = 0; k < n; k++) if (st.parents[base + k] === this.parentSerial) return;
    if (n < MAX_PARENTS) {
      st.parents[base + n] = this.parentSerial;
      st.parentCount[s] = n + 1;
    }
  }

  private count(s: number, side: number, flags: number): void {
    const st = this.store;
    const t = this.t;
    const e = s * 2 + side;
    if (st.pkts[e] === 0) st.sideFirst[e] = t;
    st.sideLast[e] = t;
    st.pkts[e]++;
    st.ipBytes[e] += this.ip.totalLen;
    st.tcpFlags[e] |= flags;
  }

  private tcpPacket(data: Uint8Array, view: DataView, l4: number, l4len: number, remaining: number): number {
    if (remaining < 20 || (l4len !== 0 && l4len < 20)) {
      this.counters.truncatedTransport++;
      return -1;
    }
    const ip = this.ip;
    const sport = view.getUint16(l4);
    const dport = view.getUint16(l4 + 2);
    const dataOff = (data[l4 + 12] >>> 4) * 4;
    const flags = data[l4 + 13];
    // The segment goes to the TCP machine in fields (see TcpSegment).
    const seg = this.tcp.seg;
    seg.flags = flags;
    seg.seq = view.getUint32(l4 + 4);
    seg.ack = view.getUint32(l4 + 8);
    seg.win = view.getUint16(l4 + 14);
    seg.t = this.t;
    const st = this.store;
    let s = this.connOf(data, 6, sport, dport);
    if (s >= 0 && this.tcp.isReuse(s)) {
      this.counters.reused++;
      // The new connection takes the old one's key: after a cache hit, `this.key` still holds
      // whatever packet last built it.
      this.key.load(st.keys, st.hash[s], s);
      this.finish(s, EndReason.endOfFlow, 'reuse');
      s = -1;
    }
    const srcIsA = this.srcIsA;
    if (s < 0) {
      // WantConnection: a first packet that is not a pure SYN may be the responder's.
      let flip = false;
      if (!(flags & TH.SYN) || flags & TH.ACK) {
        if (this.serverTcp[sport]) flip = this.serverTcp[dport] ? !(flags & TH.SYN) && sport < dport : true;
      }
      s = this.lookup(6, srcIsA, flip, this.timeouts.tcpHandshake);
      this.recent.remember(this.store, s, srcIsA);
    }
    st.touch(s);
    this.addParent(s);
    const side = srcIsA ? 0 : 1;
    if (dataOff < 20 || dataOff > l4len || dataOff > remaining) {
      this.counters.truncatedTransport++;
      return s;
    }
    const full = remaining >= l4len;
    if (!this.skipChecksums && full && !this.checksumOk(data, view, 6, l4, l4len)) {
      this.counters.badTransportChecksum++;
      this.tcp.checksumError(s, side);
      return s;
    }
    const closeBefore = st.closeAt[s];
    seg.len = l4len - dataOff;
    seg.full = full;
    this.tcp.packet(s, side);
    this.count(s, side, flags);
    if (st.closeAt[s] !== closeBefore || st.partialAt[s] !== 0) st.schedule(s, this.deadline(s));
    this.activeCheck(s);
    return s;
  }

  private udp(data: Uint8Array, view: DataView, l4: number, l4len: number, remaining: number, tunnel: boolean): number {
    const t = this.t;
    if (remaining < 8 || (l4len !== 0 && l4len < 8)) {
      this.counters.truncatedTransport++;
      return -1;
    }
    const ip = this.ip;
    const sport = view.getUint16(l4);
    const dport = view.getUint16(l4 + 2);
    const st = this.store;
    // The outer connection of a tunnel is keyed without the tunnel's own identity.
    let s = this.connOf(data, 17, sport, dport);
    const srcIsA = this.srcIsA;
    if (s < 0) {
      // Zeek does not flip a datagram sent to the limited broadcast address.
      const bcast = ip.version === 4 && data[ip.dst] === 255 && data[ip.dst + 1] === 255 && data[ip.dst + 2] === 255 && data[ip.dst + 3] === 255;
      const flip = !bcast && this.serverUdp[sport] === 1 && this.serverUdp[dport] === 0;
      s = this.lookup(17, srcIsA, flip, this.timeouts.udp);
      this.recent.remember(this.store, s, srcIsA);
    }
    st.touch(s);
    this.addParent(s);
    const side = srcIsA ? 0 : 1;
    const isOrig = side === st.origSide[s];
    const full = remaining >= l4len;
    if (!this.skipChecksums && full) {
      const sum = view.getUint16(l4 + 6);
      let validate = ip.version === 6 || sum !== 0;
      // VXLAN on its port with a zero checksum is fine (Zeek: Tunnel::validate_vxlan_checksums).
      if (tunnel && sum === 0) validate = false;
      if (validate && !this.checksumOk(data, view, 17, l4, l4len)) {
        this.counters.badTransportChecksum++;
        scaledHistory(st, s, isOrig, C.C, st.chkCnt, st.chkThresh, s * 2 + side);
        return s;
      }
    }
    st.last[s] = t;
    checkHistory(st, s, isOrig, Hist.DATA, C.D);
    const ulen = view.getUint16(l4 + 4) - 8;
    const e = s * 2 + side;
    st.size[e] = st.size[e] < 0 ? ulen : st.size[e] + ulen;
    if (full) this.count(s, side, 0);
    this.activeCheck(s);
    return s;
  }

  private icmp(data: Uint8Array, view: DataView, l4: number, l4len: number, remaining: number): number {
    const t = this.t;
    if (remaining < 8 || (l4len !== 0 && l4len < 8)) {
      this.counters.truncatedTransport++;
      return -1;
    }
    const ip = this.ip;
    const v6 = ip.proto === 58;
    const type = data[l4];
    const code = data[l4 + 1];
    const holder = this.icmpHolder;
    const dport = icmpPort(v6, type, code, holder);
    const key = this.key;
    key.build(data, ip.version, ip.src, ip.dst, ip.proto, type, dport, holder.oneWay, this.vlanCtx(), this.keyTunnel ? this.tunnelCtx : 0);
    const st = this.store;
    let s = st.find(key);
    if (s < 0) s = this.lookup(ip.proto, key.srcIsA, false, this.timeouts.icmp);
    st.touch(s);
    this.addParent(s);
    const side = key.srcIsA ? 0 : 1;
    const full = remaining >= l4len;
    if (!this.skipChecksums && full) {
      const initial = v6 ? pseudoSum(data, ip, 58, l4len) : 0;
      if (this.sums.sum(data, view, l4, l4 + l4len, initial) !== 0xffff) {
        this.counters.badTransportChecksum++;
        return s;
      }
    }
    st.last[s] = t;
    const e = s * 2 + side;
    const len = l4len - 8;
    st.size[e] = st.size[e] < 0 ? len : st.size[e] + len;
    if (full) this.count(s, side, 0);
    this.activeCheck(s);
    return s;
  }

  /** Any other IP protocol: Zeek's unknown_transport connection (ports 0). */
  private other(data: Uint8Array): number {
    const t = this.t;
    const ip = this.ip;
    const key = this.key;
    key.build(data, ip.version, ip.src, ip.dst, ip.proto, 0, 0, false, this.vlanCtx(), this.keyTunnel ? this.tunnelCtx : 0);
    const st = this.store;
    let s = st.find(key);
    if (s < 0) s = this.lookup(ip.proto, key.srcIsA, false, this.timeouts.other);
    st.touch(s);
    this.addParent(s);
    const side = key.srcIsA ? 0 : 1;
    st.last[s] = t;
    const e = s * 2 + side;
    if (st.size[e] < 0) st.size[e] = 0;
    this.count(s, side, 0);
    this.activeCheck(s);
    return s;
  }

  /** Unlogged pseudo-connection for a GRE / IP-in-IP carrier (its uid is the parent). */
  private pseudoTunnel(data: Uint8Array): number {
    const t = this.t;
    const ip = this.ip;
    const key = this.key;
    key.build(data, ip.version, ip.src, ip.dst, ip.proto, 0, 0, false, 0, 0);
    const st = this.store;
    let s = st.find(key);
    if (s < 0) {
      s = this.lookup(ip.proto, key.srcIsA, false, this.timeouts.other);
      st.noLog[s] = 1;
    }
    st.touch(s);
    st.last[s] = t;
    return s;
  }

  private fragment(data: Uint8Array, off: number, capEnd: number): number {
    const ip = this.ip;
    const done = this.frags.add(data, ip, off, capEnd, this.t);
    if (done === null) return DROPPED;
    // A whole datagram: meter it from the reassembled header copy.
    const v = new DataView(done.buffer, done.byteOffset, done.byteLength);
    parseIp(done, v, 0, done.length, done.length, false, ip);
    if (ip.reject !== IpReject.ok) return DROPPED;
    const l4 = ip.hdrLen;
    const l4len = ip.totalLen - ip.hdrLen;
    // Checksums over reassembled payload are not verified (the payload is not kept).
    const saved = this.skipChecksums;
    this.skipChecksums = true;
    const r = this.transport(done, v, l4, l4len, l4len);
    this.skipChecksums = saved;
    return r >= 0 ? METERED : DROPPED;
  }

  // ---------------------------------------------------------------- roles, timers

  private flipRoles(s: number): void {
    const st = this.store;
    st.origSide[s] ^= 1;
    addHistory(st, s, C.CARET);
  }

  private deadline(s: number): number {
    const st = this.store;
    let d = st.proto[s] === 6 ? this.tcp.deadline(s) : st.last[s] + st.inactivity[s];
    if (this.timeouts.active > 0) {
      const a = st.reportStart[s] + this.timeouts.active;
      if (a < d) d = a;
    }
    return d;
  }

  private onTimer(s: number): number {
    const st = this.store;
    const now = this.now;
    if (st.proto[s] === 6) {
      if (this.tcp.timers(s, now)) {
        const closed = st.closeAt[s] !== 0;
        this.finish(s, closed ? EndReason.endOfFlow : EndReason.idleTimeout, closed ? 'closed' : 'idle');
        return -1;
      }
    } else if (st.last[s] + st.inactivity[s] <= now) {
      this.finish(s, EndReason.idleTimeout, 'idle');
      return -1;
    }
    // A long flow that went quiet after its active period: report it now.
    this.reportLong(s, now);
    return this.deadline(s);
  }

  /** The active timeout at the current packet's time. */
  private activeCheck(s: number): void {
    if (this.timeouts.active > 0) this.reportLong(s, this.t);
  }

  /** Reports a flow metered for longer than the active timeout at time t (and goes on). */
  private reportLong(s: number, t: number): void {
    const a = this.timeouts.active;
    if (a <= 0) return;
    const st = this.store;
    if (t - st.reportStart[s] < a) return;
    // Long flow: report what was counted so far and keep metering (IPFIX active timeout).
    this.counters.activeReports++;
    if (!st.noLog[s]) this.emit(this.toRecord(s, EndReason.activeTimeout));
    for (let side = 0; side < 2; side++) {
      const e = s * 2 + side;
      st.pkts[e] = 0;
      st.ipBytes[e] = 0;
      st.tcpFlags[e] = 0;
      st.sideFirst[e] = 0;
      st.sideLast[e] = 0;
    }
    st.reportStart[s] = t;
  }

  private finish(s: number, reason: EndReasonCode, why: 'flush' | 'evict' | 'reuse' | 'closed' | 'idle'): void {
    const st = this.store;
    if (why === 'idle') this.counters.expiredIdle++;
    else if (why === 'closed' || why === 'reuse') this.counters.expiredClosed++;
    if (!st.noLog[s]) {
      this.counters.flowsEmitted++;
      this.emit(this.toRecord(s, reason));
    }
    st.remove(s);
  }

  // ---------------------------------------------------------------- records

  /** Builds the record of slot s (strings are made here, once per flow). */
  toRecord(s: number, reason: EndReasonCode): FlowRecord {
    const st = this.store;
    const o = st.origSide[s];
    const eo = s * 2 + o;
    const er = s * 2 + (o ^ 1);
    const base = s * KEY_WORDS * 4;
    const v4 = st.version[s] === 4;
    const alen = v4 ? 4 : 16;
    const kb = st.keyBytes;
    const aOff = base + 16;
    const bOff = base + 32;
    // Copied by hand: cheaper than TypedArray.prototype.slice for 4 or 16 bytes.
    const origAddr = new Uint8Array(alen);
    const respAddr = new Uint8Array(alen);
    const oOff = o === 0 ? aOff : bOff;
    const rOff = o === 0 ? bOff : aOff;
    for (let k = 0; k < alen; k++) {
      origAddr[k] = kb[oOff + k];
      respAddr[k] = kb[rOff + k];
    }
    const portA = (kb[base + 4] << 8) | kb[base + 5];
    const portB = (kb[base + 6] << 8) | kb[base + 7];
    const origP = o === 0 ? portA : portB;
    const respP = o === 0 ? portB : portA;
    const proto = st.proto[s];
    const duration = st.last[s] - st.start[s];
    let origBytes: number | null = null;
    let respBytes: number | null = null;
    if (duration > 0) {
      if (proto === 6) {
        origBytes = this.tcp.size(eo, er);
        respBytes = this.tcp.size(er, eo);
      } else {
        origBytes = Math.max(0, st.size[eo]);
        respBytes = Math.max(0, st.size[er]);
      }
    }
    const parents: string[] = [];
    for (let k = 0; k < st.parentCount[s]; k++) parents.push(makeUid(st.parents[s * MAX_PARENTS + k], this.uidSeed));
    const tunnelWord = (kb[base + 12] | (kb[base + 13] << 8) | (kb[base + 14] << 16) | (kb[base + 15] << 24)) >>> 0;
    return {
      ts: st.start[s],
      uid: makeUid(st.serial[s], this.uidSeed),
      origH: addrString(origAddr),
      origP,
      respH: addrString(respAddr),
      respP,
      proto: transportName(proto),
      ipProto: proto,
      ipVersion: v4 ? 4 : 6,
      duration,
      origBytes,
      respBytes,
      connState: this.connState(s, eo, er),
      missedBytes: st.missed[s],
      history: historyString(st, s),
      origPkts: st.pkts[eo],
      origIpBytes: st.ipBytes[eo],
      respPkts: st.pkts[er],
      respIpBytes: st.ipBytes[er],
      tunnelParents: parents,
      communityId: this.withCommunityId ? communityId(origAddr, respAddr, proto, origP, respP) : '',
      vlan: st.vlan[s] >>> 12,
      innerVlan: st.vlan[s] & 0xfff,
      tunnelId: tunnelWord & 0xffffff,
      origTcpFlags: st.tcpFlags[eo],
      respTcpFlags: st.tcpFlags[er],
      origFirst: st.sideFirst[eo],
      origLast: st.sideLast[eo],
      respFirst: st.sideFirst[er],
      respLast: st.sideLast[er],
      endReason: reason,
      origAddr,
      respAddr,
    };
  }

  /** Zeek's conn_state() (base/protocols/conn/main.zeek). */
  private connState(s: number, eo: number, er: number): string {
    const st = this.store;
    const proto = st.proto[s];
    if (proto === 6) {
      const os = st.state[eo];
      const rs = st.state[er];
      const oInactive = os === TcpState.INACTIVE || os === TcpState.PARTIAL;
      const rInactive = rs === TcpState.INACTIVE || rs === TcpState.PARTIAL;
      if (rs === TcpState.RESET) {
        if (os === TcpState.SYN_SENT || os === TcpState.SYN_ACK_SENT || (os === TcpState.RESET && this.tcp.size(eo, er) === 0 && this.tcp.size(er, eo) === 0)) return 'REJ';
        return oInactive ? 'RSTRH' : 'RSTR';
      }
      if (os === TcpState.RESET) {
        if (rInactive) return /^\^?S[^HAFGIQ]*R.*/.test(historyString(st, s)) ? 'RSTOS0' : 'OTH';
        return 'RSTO';
      }
      if (rs === TcpState.CLOSED && os === TcpState.CLOSED) return 'SF';
      if (os === TcpState.CLOSED) return rInactive ? 'SH' : 'S2';
      if (rs === TcpState.CLOSED) return oInactive ? 'SHR' : 'S3';
      if (os === TcpState.SYN_SENT && rs === TcpState.INACTIVE) return 'S0';
      if (os === TcpState.ESTABLISHED && rs === TcpState.ESTABLISHED) return 'S1';
      return 'OTH';
    }
    if (proto === 17) {
      const oa = st.size[eo] >= 0;
      const ra = st.size[er] >= 0;
      if (oa) return ra ? 'SF' : 'S0';
      return ra ? 'SHR' : 'OTH';
    }
    return 'OTH';
  }
}

/** Is there an inner IP layer after layer li (a tunnel the analyzer continues into)? */
function hasInnerIp(rec: DecodeRecord, li: number): boolean {
  for (let k = li + 1; k < rec.layerCount; k++) {
    const ty = rec.layerType[k];
    if (ty === Layer.IPV4 || ty === Layer.IPV6) return true;
    if (ty === Layer.TCP || ty === Layer.ICMP || ty === Layer.ICMPV6 || ty === Layer.SCTP) return false;
  }
  return false;
}

const LINKTYPE_ETHERNET = 1;
const ETHERTYPE_IPV4 = 0x0800;
const ETHERTYPE_IPV6 = 0x86dd;
const ETHERTYPE_VLAN = 0x8100;

const CONTINUE = 0;
const METERED = 1;
const DROPPED = 2;
