/**
 * BSD loopback encapsulation: LINKTYPE_NULL (0) is a 4-byte address family in the byte
 * order of the capturing host; LINKTYPE_LOOP (108) is the same in network byte order.
 * Files travel between hosts, so both byte orders are accepted for NULL (as libpcap does).
 *
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |                  Address family (AF_*)                        |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 */
export const NULL_HEADER_LENGTH = 4;

/** AF_INET is 2 everywhere; AF_INET6 differs per OS. */
export const BsdAf = {
  INET: 2,
  INET6_NETBSD_OPENBSD: 24,
  INET6_FREEBSD: 28,
  INET6_DARWIN: 30,
  INET6_LINUX: 10,
} as const;

/** Reads the family in either byte order: a value above 0xffff is a byte-swapped one. */
export function nullFamily(view: DataView, off: number, littleEndianFirst: boolean): number {
  const v = view.getUint32(off, littleEndianFirst);
  return v > 0xffff ? view.getUint32(off, !littleEndianFirst) : v;
}

export function isInet6Family(af: number): boolean {
  return af === BsdAf.INET6_NETBSD_OPENBSD || af === BsdAf.INET6_FREEBSD || af === BsdAf.INET6_DARWIN || af === BsdAf.INET6_LINUX;
}
