/**
 * What a re-encapsulating target puts inside its tunnel: an Ethernet frame. VXLAN, ERSPAN II
 * and GENEVE-as-used-by-tools (protocol 0x6558) all carry Ethernet, so packets of other link
 * types are given a synthetic Ethernet header instead of being lost:
 *
 *   RAW / IPV4 / IPV6       the IP packet, EtherType from its version nibble
 *   NULL / LOOP             the 4-byte address family removed, EtherType from the version nibble
 *   LINUX_SLL / LINUX_SLL2  the cooked header removed, its protocol field is the EtherType
 *
 * The synthetic addresses are locally administered (02:00:00:00:00:01 -> :02) so a tool can
 * tell them from real ones. Any other link type (802.11, PPP...) is dropped with reason
 * linktype: there is no faithful Ethernet form for it.
 */
import type { PacketBatch } from '../../core/batch.js';
import { LinkType } from '../../core/linktypes.js';
import { ETHERNET_HEADER_LENGTH, ETHERTYPE_MIN, EtherType } from '../../protocols/ethernet.js';
import { SLL2_HEADER_LENGTH, SLL_HEADER_LENGTH } from '../../protocols/sll.js';

export class FrameShape {
  /** Bytes removed from the front of the captured packet. */
  strip = 0;
  /** EtherType of the synthetic header to add, or -1 when the packet already is Ethernet. */
  etherType = -1;
  /** Bytes the inner frame takes before any truncation. */
  length = 0;
}

function byVersion(data: Uint8Array, at: number, end: number): number {
  if (at >= end) return 0;
  const v = data[at] >>> 4;
  return v === 4 ? EtherType.IPV4 : v === 6 ? EtherType.IPV6 : 0;
}

/** Fills `shape` for packet i; false when the packet cannot be carried as Ethernet. */
export function ethernetShape(batch: PacketBatch, i: number, shape: FrameShape): boolean {
  const data = batch.data;
  const off = batch.offset[i];
  const caplen = batch.caplen[i];
  const end = off + caplen;
  let strip = 0;
  let type = -1;
  switch (batch.linktype[i]) {
    case LinkType.ETHERNET:
      break;
    case LinkType.RAW:
    case LinkType.IPV4:
    case LinkType.IPV6:
      type = byVersion(data, off, end);
      break;
    case LinkType.NULL:
    case LinkType.LOOP:
      strip = 4;
      type = byVersion(data, off + 4, end);
      break;
    case LinkType.LINUX_SLL:
      strip = SLL_HEADER_LENGTH;
      type = caplen >= strip ? batch.view.getUint16(off + 14) : 0;
      break;
    case LinkType.LINUX_SLL2:
      strip = SLL2_HEADER_LENGTH;
      type = caplen >= strip ? batch.view.getUint16(off) : 0;
      break;
    default:
      return false;
  }
  if (type !== -1 && type < ETHERTYPE_MIN) return false;
  shape.strip = strip;
  shape.etherType = type;
  shape.length = caplen - strip + (type === -1 ? 0 : ETHERNET_HEADER_LENGTH);
  return true;
}

/**
 * Writes the inner frame of packet i at out[pos], cut to `max` bytes; returns the bytes
 * written. `shape` must come from ethernetShape() for the same packet.
 */
export function writeInnerFrame(out: Uint8Array, pos: number, batch: PacketBatch, i: number, shape: FrameShape, max: number): number {
  let p = pos;
  let room = max;
  if (shape.etherType !== -1) {
    // dst 02:00:00:00:00:02, src 02:00:00:00:00:01
    out.fill(0, p, p + 12);
    out[p] = 0x02;
    out[p + 5] = 0x02;
    out[p + 6] = 0x02;
    out[p + 11] = 0x01;
    out[p + 12] = shape.etherType >>> 8;
    out[p + 13] = shape.etherType & 0xff;
    p += ETHERNET_HEADER_LENGTH;
    room -= ETHERNET_HEADER_LENGTH;
  }
  const start = batch.offset[i] + shape.strip;
  const n = Math.min(batch.caplen[i] - shape.strip, room);
  out.set(batch.data.subarray(start, start + n), p);
  return p + n - pos;
}
