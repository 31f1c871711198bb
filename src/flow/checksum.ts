/**
 * Internet checksums over packet payloads (RFC 1071) in WebAssembly with 128-bit SIMD: the
 * payload sum is the flow analyzer's largest per-byte cost (Zeek verifies every IP, TCP, UDP
 * and ICMP checksum by default), and the SIMD loop sums 64 bytes per step, several times
 * faster than the best JavaScript loop (src/flow/ip.ts onesSumWide, kept as the fallback where
 * WebAssembly or SIMD is missing, and as the reference test/unit/flow-checksum.test.ts holds
 * this one to).
 *
 * The module cannot read the packet buffer, so bytes are copied into its memory first: a
 * whole batch at once (load, from the analyzer's batch loop) or else one range per call.
 * The module sums little-endian 16-bit words; by RFC 1071's byte-order independence the
 * network-order sum is that sum with its two bytes swapped.
 *
 * The module, from this text (wat2wasm --enable-simd, wabt 1.0.36):
 *
 * (module
 *   (memory (export "memory") 2)
 *   ;; Ones'-complement sum of the bytes [off, off + len) as little-endian 16-bit words,
 *   ;; folded to 16 bits (callers swap the two bytes for the network-order sum).
 *   (func (export "sum") (param $off i32) (param $len i32) (result i32)
 *     (local $end i32) (local $end16 i32) (local $end64 i32) (local $acc v128) (local $s i64)
 *     (local.set $end (i32.add (local.get $off) (local.get $len)))
 *     (local.set $end16 (i32.sub (local.get $end) (i32.const 15)))
 *     (local.set $end64 (i32.sub (local.get $end) (i32.const 63)))
 *     (block $done64
 *       (loop $l64
 *         (br_if $done64 (i32.ge_s (local.get $off) (local.get $end64)))
 *         (local.set $acc (i32x4.add (local.get $acc)
 *           (i32x4.add
 *             (i32x4.add (i32x4.extadd_pairwise_i16x8_u (v128.load (local.get $off)))
 *                        (i32x4.extadd_pairwise_i16x8_u (v128.load offset=16 (local.get $off))))
 *             (i32x4.add (i32x4.extadd_pairwise_i16x8_u (v128.load offset=32 (local.get $off)))
 *                        (i32x4.extadd_pairwise_i16x8_u (v128.load offset=48 (local.get $off)))))))
 *         (local.set $off (i32.add (local.get $off) (i32.const 64)))
 *         (br $l64)))
 *     (block $done16
 *       (loop $l16
 *         (br_if $done16 (i32.ge_s (local.get $off) (local.get $end16)))
 *         (local.set $acc (i32x4.add (local.get $acc)
 *           (i32x4.extadd_pairwise_i16x8_u (v128.load (local.get $off)))))
 *         (local.set $off (i32.add (local.get $off) (i32.const 16)))
 *         (br $l16)))
 *     (local.set $s (i64.add
 *       (i64.add (i64.extend_i32_u (i32x4.extract_lane 0 (local.get $acc))) (i64.extend_i32_u (i32x4.extract_lane 1 (local.get $acc))))
 *       (i64.add (i64.extend_i32_u (i32x4.extract_lane 2 (local.get $acc))) (i64.extend_i32_u (i32x4.extract_lane 3 (local.get $acc))))))
 *     (block $done2
 *       (loop $l2
 *         (br_if $done2 (i32.gt_s (i32.add (local.get $off) (i32.const 2)) (local.get $end)))
 *         (local.set $s (i64.add (local.get $s) (i64.load16_u (local.get $off))))
 *         (local.set $off (i32.add (local.get $off) (i32.const 2)))
 *         (br $l2)))
 *     (if (i32.lt_s (local.get $off) (local.get $end))
 *       (then (local.set $s (i64.add (local.get $s) (i64.load8_u (local.get $off))))))
 *     (block $folded
 *       (loop $fold
 *         (br_if $folded (i64.le_u (local.get $s) (i64.const 0xffff)))
 *         (local.set $s (i64.add (i64.and (local.get $s) (i64.const 0xffff)) (i64.shr_u (local.get $s) (i64.const 16))))
 *         (br $fold)))
 *     (i32.wrap_i64 (local.get $s))))
 */
import { onesSumWide } from './ip.js';

const MODULE_BYTES = new Uint8Array([
  0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x07, 0x01, 0x60, 0x02, 0x7f, 0x7f, 0x01,
  0x7f, 0x03, 0x02, 0x01, 0x00, 0x05, 0x03, 0x01, 0x00, 0x02, 0x07, 0x10, 0x02, 0x06, 0x6d, 0x65,
  0x6d, 0x6f, 0x72, 0x79, 0x02, 0x00, 0x03, 0x73, 0x75, 0x6d, 0x00, 0x00, 0x0a, 0x81, 0x02, 0x01,
  0xfe, 0x01, 0x03, 0x03, 0x7f, 0x01, 0x7b, 0x01, 0x7e, 0x20, 0x00, 0x20, 0x01, 0x6a, 0x21, 0x02,
  0x20, 0x02, 0x41, 0x0f, 0x6b, 0x21, 0x03, 0x20, 0x02, 0x41, 0x3f, 0x6b, 0x21, 0x04, 0x02, 0x40,
  0x03, 0x40, 0x20, 0x00, 0x20, 0x04, 0x4e, 0x0d, 0x01, 0x20, 0x05, 0x20, 0x00, 0xfd, 0x00, 0x04,
  0x00, 0xfd, 0x7f, 0x20, 0x00, 0xfd, 0x00, 0x04, 0x10, 0xfd, 0x7f, 0xfd, 0xae, 0x01, 0x20, 0x00,
  0xfd, 0x00, 0x04, 0x20, 0xfd, 0x7f, 0x20, 0x00, 0xfd, 0x00, 0x04, 0x30, 0xfd, 0x7f, 0xfd, 0xae,
  0x01, 0xfd, 0xae, 0x01, 0xfd, 0xae, 0x01, 0x21, 0x05, 0x20, 0x00, 0x41, 0xc0, 0x00, 0x6a, 0x21,
  0x00, 0x0c, 0x00, 0x0b, 0x0b, 0x02, 0x40, 0x03, 0x40, 0x20, 0x00, 0x20, 0x03, 0x4e, 0x0d, 0x01,
  0x20, 0x05, 0x20, 0x00, 0xfd, 0x00, 0x04, 0x00, 0xfd, 0x7f, 0xfd, 0xae, 0x01, 0x21, 0x05, 0x20,
  0x00, 0x41, 0x10, 0x6a, 0x21, 0x00, 0x0c, 0x00, 0x0b, 0x0b, 0x20, 0x05, 0xfd, 0x1b, 0x00, 0xad,
  0x20, 0x05, 0xfd, 0x1b, 0x01, 0xad, 0x7c, 0x20, 0x05, 0xfd, 0x1b, 0x02, 0xad, 0x20, 0x05, 0xfd,
  0x1b, 0x03, 0xad, 0x7c, 0x7c, 0x21, 0x06, 0x02, 0x40, 0x03, 0x40, 0x20, 0x00, 0x41, 0x02, 0x6a,
  0x20, 0x02, 0x4a, 0x0d, 0x01, 0x20, 0x06, 0x20, 0x00, 0x33, 0x01, 0x00, 0x7c, 0x21, 0x06, 0x20,
  0x00, 0x41, 0x02, 0x6a, 0x21, 0x00, 0x0c, 0x00, 0x0b, 0x0b, 0x20, 0x00, 0x20, 0x02, 0x48, 0x04,
  0x40, 0x20, 0x06, 0x20, 0x00, 0x31, 0x00, 0x00, 0x7c, 0x21, 0x06, 0x0b, 0x02, 0x40, 0x03, 0x40,
  0x20, 0x06, 0x42, 0xff, 0xff, 0x03, 0x58, 0x0d, 0x01, 0x20, 0x06, 0x42, 0xff, 0xff, 0x03, 0x83,
  0x20, 0x06, 0x42, 0x10, 0x88, 0x7c, 0x21, 0x06, 0x0c, 0x00, 0x0b, 0x0b, 0x20, 0x06, 0xa7, 0x0b,
]);

interface SumExports {
  memory: WebAssembly.Memory;
  sum(off: number, len: number): number;
}

/** The compiled module, or null where WebAssembly or its SIMD instructions are missing. */
function compile(): WebAssembly.Module | null {
  try {
    return new WebAssembly.Module(MODULE_BYTES);
  } catch {
    return null;
  }
}
const MODULE = typeof WebAssembly === 'object' ? compile() : null;

const PAGE = 65536;
/**
 * The i32x4 lanes take at most 2 * 0xffff per 16 bytes, so a range up to 512 KiB cannot
 * overflow them; IP datagrams are at most 64 KiB (jumbograms: what was captured).
 */
const MAX_RANGE = 1 << 19;
/** Batches larger than this are not copied whole (each range is copied instead). */
const MAX_LOAD = 64 << 20;

/** Swaps the two bytes of a 16-bit value. */
function swap16(s: number): number {
  return ((s & 0xff) << 8) | (s >>> 8);
}

export class PayloadSums {
  private readonly wasm: SumExports | null;
  private mem: Uint8Array;
  /** The loaded bytes: `loaded[base ..]` sit at 0 in the module memory. */
  private loaded: Uint8Array | null = null;
  private base = 0;
  private end = 0;
  /** The loaded bytes are a read buffer in the memory, not a copy in the scratch area. */
  private inPlace = false;
  /** Read buffers live in the memory: it must not grow (see readBuffers). */
  private pinned = false;
  /** Times bytes were copied into the module: a batch by load(), or a range by sum(). */
  copies = 0;

  /** `useWasm: false` forces the JavaScript loop (tests compare the two). */
  constructor(useWasm = true) {
    this.wasm = useWasm && MODULE ? (new WebAssembly.Instance(MODULE).exports as unknown as SumExports) : null;
    this.mem = this.wasm ? new Uint8Array(this.wasm.memory.buffer) : new Uint8Array(0);
  }

  get usesWasm(): boolean {
    return this.wasm !== null;
  }

  /**
   * Two buffers of `bytes` each inside the module's memory, after a scratch area for the
   * ranges sums copy (a capture reader reads into them: see load()). The memory never grows
   * afterwards, since growing would detach them. Null without WebAssembly.
   */
  readBuffers(bytes: number): [Uint8Array, Uint8Array] | null {
    if (this.wasm === null || this.pinned) return null;
    this.room(MAX_RANGE + 2 * bytes);
    this.pinned = true;
    const buf = this.wasm.memory.buffer;
    return [new Uint8Array(buf, MAX_RANGE, bytes), new Uint8Array(buf, MAX_RANGE + bytes, bytes)];
  }

  /**
   * Makes the bytes data[start, end) available to sums until unload(): in place when `data`
   * lies in the module's memory (a read buffer), else by copying them in once, so that sums
   * inside that range need no copy of their own. The caller must unload before `data` changes.
   */
  load(data: Uint8Array, start: number, end: number): void {
    this.loaded = null;
    if (this.wasm === null) return;
    this.inPlace = data.buffer === this.wasm.memory.buffer;
    if (this.inPlace) {
      this.loaded = data;
      this.base = -data.byteOffset;
      this.end = data.length;
      return;
    }
    // Pinned read buffers leave only the scratch area for copies.
    if (end - start > (this.pinned ? MAX_RANGE : MAX_LOAD)) return;
    this.room(end - start);
    this.copies++;
    this.mem.set(data.subarray(start, end));
    this.loaded = data;
    this.base = start;
    this.end = end;
  }

  unload(): void {
    this.loaded = null;
  }

  /** Ones'-complement sum of data[start, end) plus `initial`, folded to 16 bits (onesSumWide). */
  sum(data: Uint8Array, view: DataView, start: number, end: number, initial: number): number {
    const wasm = this.wasm;
    const len = end - start;
    if (wasm === null || len > MAX_RANGE) return onesSumWide(data, view, start, end, initial);
    let s: number;
    if (data === this.loaded && start >= this.base && end <= this.end) s = wasm.sum(start - this.base, len);
    else {
      // The scratch area starts at 0: a copy there overwrites bytes loaded by copying (later
      // sums then copy their own ranges too), never a read buffer, which lies beyond it.
      if (!this.inPlace) this.loaded = null;
      this.copies++;
      this.room(len);
      this.mem.set(data.subarray(start, end));
      s = wasm.sum(0, len);
    }
    s = swap16(s) + initial;
    while (s > 0xffff) s = (s & 0xffff) + (s >>> 16);
    return s;
  }

  /** Grows the module memory to hold `bytes`. */
  private room(bytes: number): void {
    const have = this.wasm!.memory.buffer.byteLength;
    if (bytes <= have) return;
    if (this.pinned) throw new Error('PayloadSums: the memory holds read buffers and cannot grow');
    this.wasm!.memory.grow(Math.ceil((bytes - have) / PAGE));
    this.mem = new Uint8Array(this.wasm!.memory.buffer);
  }
}
