/**
 * PPP framing (RFC 1661 / RFC 1662) as captured: LINKTYPE_PPP may start with the HDLC
 * address/control bytes 0xff 0x03; the protocol field is 2 bytes, or 1 byte when
 * protocol-field compression is on (an odd first byte). LINKTYPE_C_HDLC (Cisco HDLC):
 *
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |    Address    |    Control    |    Protocol (an EtherType)    |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 */
export const PppProtocol = {
  IPV4: 0x0021,
  IPV6: 0x0057,
  MPLS_UNICAST: 0x0281,
  MPLS_MULTICAST: 0x0283,
} as const;

export const C_HDLC_HEADER_LENGTH = 4;
