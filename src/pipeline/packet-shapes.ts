/**
 * What the decoder found in each packet of a batch, kept as columns: where the innermost IP
 * and transport headers start, where the payload starts and how long it is, and the
 * symmetric flow hash. A broker decodes each source packet once into these columns, and
 * the flow hash (balance, sample by flow, tunnel source ports), `dedupe` and `slice` all
 * read them, instead of each running the decoder on the same packet again.
 *
 * Offsets are relative to the packet's first byte, so they stay true in a session's copy of
 * the packets (other buffer, same bytes). They stop being true once an action moves or
 * shortens packets (`strip`, `slice`): a session then drops its shapes and later actions
 * decode for themselves (see Session).
 */
import type { PacketBatch } from '../core/batch.js';
import { decodePacket } from '../decode/decode.js';
import { DecodeRecord } from '../decode/record.js';
import { flowHashOf } from './flow-hash.js';

export class PacketShapes {
  count = 0;
  /** Innermost IP header, or -1. */
  l3: Int32Array;
  /** Its Layer code (IPV4, IPV6); 0 without one. */
  l3Type: Uint8Array;
  /** Innermost transport header, or -1. */
  l4: Int32Array;
  /** Its Layer code (TCP, UDP, ICMP, ICMPV6, SCTP); 0 without one. */
  l4Type: Uint8Array;
  /** Transport payload start and captured length (0 without a transport header). */
  payload: Int32Array;
  payloadLength: Int32Array;
  /** End of the headers: the payload start, or the end of the last decoded layer. */
  headersEnd: Int32Array;
  /** Symmetric flow hash (see flow-hash.ts). */
  hash: Uint32Array;

  constructor(readonly capacity: number) {
    this.l3 = new Int32Array(capacity);
    this.l3Type = new Uint8Array(capacity);
    this.l4 = new Int32Array(capacity);
    this.l4Type = new Uint8Array(capacity);
    this.payload = new Int32Array(capacity);
    this.payloadLength = new Int32Array(capacity);
    this.headersEnd = new Int32Array(capacity);
    this.hash = new Uint32Array(capacity);
  }

  /** Decodes every packet of `batch` once and fills the columns. */
  compute(batch: PacketBatch, rec: DecodeRecord): void {
    for (let i = 0; i < batch.count; i++) {
      decodePacket(batch, i, rec);
      const off = batch.offset[i];
      if (rec.l3 >= 0) {
        this.l3[i] = rec.layerStart[rec.l3] - off;
        this.l3Type[i] = rec.layerType[rec.l3];
      } else {
        this.l3[i] = -1;
        this.l3Type[i] = 0;
      }
      if (rec.l4 >= 0) {
        this.l4[i] = rec.layerStart[rec.l4] - off;
        this.l4Type[i] = rec.layerType[rec.l4];
        this.headersEnd[i] = rec.payloadStart - off;
      } else {
        this.l4[i] = -1;
        this.l4Type[i] = 0;
        this.headersEnd[i] = rec.layerCount > 0 ? rec.layerEnd[rec.layerCount - 1] - off : 0;
      }
      this.payload[i] = rec.payloadStart - off;
      this.payloadLength[i] = rec.payloadLength;
      this.hash[i] = flowHashOf(batch, i, rec);
    }
    this.count = batch.count;
  }

  /** Copies packet `i` of `from` to packet `n` of this one (a session selecting packets). */
  copyFrom(from: PacketShapes, i: number, n: number): void {
    this.l3[n] = from.l3[i];
    this.l3Type[n] = from.l3Type[i];
    this.l4[n] = from.l4[i];
    this.l4Type[n] = from.l4Type[i];
    this.payload[n] = from.payload[i];
    this.payloadLength[n] = from.payloadLength[i];
    this.headersEnd[n] = from.headersEnd[i];
    this.hash[n] = from.hash[i];
  }
}

/** An action's own decoding, for a batch that comes without shapes (after strip or slice). */
export class ShapeDecoder {
  private readonly rec = new DecodeRecord();
  private shapes = new PacketShapes(0);

  decode(batch: PacketBatch): PacketShapes {
    if (this.shapes.capacity < batch.count) this.shapes = new PacketShapes(batch.capacity);
    this.shapes.compute(batch, this.rec);
    return this.shapes;
  }
}
