/**
 * ICMPv6 (RFC 4443). Types 1-4 are errors that quote the offending IPv6 packet after the
 * 8-byte header; 128/129 are echo request/reply.
 *
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |     Type      |     Code      |          Checksum             |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |                         Message body                          |
 */
export const ICMPV6_MIN_LENGTH = 4;
export const ICMPV6_ERROR_HEADER_LENGTH = 8;

export const Icmpv6Type = { DEST_UNREACHABLE: 1, PACKET_TOO_BIG: 2, TIME_EXCEEDED: 3, PARAMETER_PROBLEM: 4, ECHO_REQUEST: 128, ECHO_REPLY: 129 } as const;

export function icmpv6IsError(type: number): boolean {
  return type >= 1 && type <= 4;
}
export function icmpv6IsEcho(type: number): boolean {
  return type === 128 || type === 129;
}
