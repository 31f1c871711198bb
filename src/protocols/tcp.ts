/**
 * TCP (RFC 9293).
 *
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |          Source Port          |       Destination Port        |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |                        Sequence Number                        |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |                    Acknowledgment Number                      |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |  Data |     |N|C|E|U|A|P|R|S|F|                               |
 *  | Offset| Rsrv|S|W|C|R|C|S|S|Y|I|            Window             |
 *  |       |     | |R|E|G|K|H|T|N|N|                               |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |           Checksum            |         Urgent Pointer        |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |                    Options (data offset > 5)                  |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 */
export const TCP_MIN_HEADER_LENGTH = 20;

export const TcpFlag = { FIN: 0x01, SYN: 0x02, RST: 0x04, PSH: 0x08, ACK: 0x10, URG: 0x20, ECE: 0x40, CWR: 0x80, NS: 0x100 } as const;

export const TcpOption = { EOL: 0, NOP: 1, MSS: 2, WINDOW_SCALE: 3, SACK_PERMITTED: 4, SACK: 5, TIMESTAMP: 8 } as const;

export function tcpSrcPort(view: DataView, off: number): number {
  return view.getUint16(off);
}
export function tcpDstPort(view: DataView, off: number): number {
  return view.getUint16(off + 2);
}
export function tcpSeq(view: DataView, off: number): number {
  return view.getUint32(off + 4);
}
export function tcpAck(view: DataView, off: number): number {
  return view.getUint32(off + 8);
}
export function tcpHeaderLength(data: Uint8Array, off: number): number {
  return (data[off + 12] >>> 4) << 2;
}
/** The 12 flag bits (reserved, NS, CWR ... FIN), as tshark's tcp.flags. */
export function tcpFlags(view: DataView, off: number): number {
  return view.getUint16(off + 12) & 0x0fff;
}
export function tcpWindow(view: DataView, off: number): number {
  return view.getUint16(off + 14);
}

/**
 * Finds option `kind` in the options of the TCP header at [off, hdrEnd); returns the
 * absolute offset of the option's kind byte, or -1 (absent or malformed option list).
 */
export function findTcpOption(data: Uint8Array, off: number, hdrEnd: number, kind: number): number {
  let p = off + TCP_MIN_HEADER_LENGTH;
  while (p < hdrEnd) {
    const k = data[p];
    if (k === TcpOption.EOL) return -1;
    if (k === TcpOption.NOP) {
      p++;
      continue;
    }
    if (p + 1 >= hdrEnd) return -1;
    const len = data[p + 1];
    if (len < 2 || p + len > hdrEnd) return -1;
    if (k === kind) return p;
    p += len;
  }
  return -1;
}
