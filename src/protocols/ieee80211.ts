/**
 * IEEE 802.11 MAC header (LINKTYPE_IEEE802_11, 105), and the radiotap header that monitor
 * mode puts in front of it (LINKTYPE_IEEE802_11_RADIOTAP, 127).
 *
 * Frame control, 2 bytes (bits from the least significant of the first byte):
 *   version:2 type:2 subtype:4 | to DS, from DS, more fragments, retry, power management,
 *   more data, protected, +HTC/order
 * then duration (2), addresses 1-3 (18) and sequence control (2): 24 bytes for data and
 * management frames. Data frames add address 4 (6) when both to DS and from DS are set,
 * QoS control (2) in QoS subtypes (subtype bit 3), and HT control (4) when a QoS frame has
 * the order flag. A data frame's body is an LLC/SNAP header and the payload, unless the
 * frame is protected (encrypted), carries no data (subtype bit 2), or is an A-MSDU (QoS
 * control bit 7), whose body is a list of subframes.
 *
 * Radiotap: version (0), pad, length of the whole radiotap header (2, little-endian), then
 * 32-bit present bitmaps (bit 31: another follows) and the fields, each aligned to its size.
 * Field 0 is the TSF timer (8 bytes), field 1 the flags byte, whose bit 0x10 says the frame
 * ends with its 4-byte FCS and bit 0x20 that the 802.11 header is padded to a multiple of 4.
 */
export const IEEE80211_TYPE_MANAGEMENT = 0;
export const IEEE80211_TYPE_CONTROL = 1;
export const IEEE80211_TYPE_DATA = 2;
/** Data and management header, without address 4, QoS and HT control. */
export const IEEE80211_HEADER_LENGTH = 24;
/** The shortest control frame (ACK, CTS): frame control, duration, one address. */
export const IEEE80211_CONTROL_MIN_LENGTH = 10;
export const RADIOTAP_MIN_LENGTH = 8;
export const RADIOTAP_FLAG_FCS = 0x10;
/** The 802.11 header is padded to a multiple of 4 bytes (Atheros). */
export const RADIOTAP_FLAG_DATAPAD = 0x20;
export const IEEE80211_FCS_LENGTH = 4;

export function ieee80211Type(data: Uint8Array, off: number): number {
  return (data[off] >>> 2) & 3;
}
export function ieee80211Version(data: Uint8Array, off: number): number {
  return data[off] & 3;
}
export function ieee80211Subtype(data: Uint8Array, off: number): number {
  return data[off] >>> 4;
}
export function ieee80211Protected(data: Uint8Array, off: number): boolean {
  return (data[off + 1] & 0x40) !== 0;
}
function isQos(data: Uint8Array, off: number): boolean {
  return (data[off] & 0x80) !== 0;
}

/** Header length of a data frame (needs the first 2 bytes; QoS fields follow the addresses). */
export function ieee80211DataHeaderLength(data: Uint8Array, off: number): number {
  let len = IEEE80211_HEADER_LENGTH;
  if ((data[off + 1] & 3) === 3) len += 6;
  if (isQos(data, off)) {
    len += 2;
    if (data[off + 1] & 0x80) len += 4;
  }
  return len;
}

/**
 * Whether a data frame's body is LLC: not encrypted, not a null (no data) subtype, not an
 * A-MSDU. Needs the whole header (ieee80211DataHeaderLength).
 */
export function ieee80211CarriesLlc(data: Uint8Array, off: number): boolean {
  if (ieee80211Protected(data, off) || data[off] & 0x40) return false;
  const qosAt = off + ((data[off + 1] & 3) === 3 ? 30 : 24);
  return !(isQos(data, off) && data[qosAt] & 0x80);
}

export function radiotapLength(data: Uint8Array, off: number): number {
  return data[off + 2] | (data[off + 3] << 8);
}

/** The radiotap flags byte (FCS at the end, DATAPAD...), or 0 when the header has none. */
export function radiotapFlags(data: Uint8Array, view: DataView, off: number, len: number): number {
  const present = view.getUint32(off + 4, true);
  if ((present & 2) === 0) return 0;
  let p = off + 4;
  while (view.getUint32(p, true) & 0x80000000) {
    p += 4;
    if (p + 4 > off + len) return 0;
  }
  p += 4;
  if (present & 1) p = off + ((p - off + 7) & ~7) + 8;
  return p < off + len ? data[p] : 0;
}
