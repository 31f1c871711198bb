/** LINKTYPE_* values from the tcpdump.org link-layer header types registry. */
export const LinkType = {
  NULL: 0,
  ETHERNET: 1,
  PPP: 9,
  RAW: 101,
  LOOP: 108,
  LINUX_SLL: 113,
  PPP_ETHER: 51,
  IPV4: 228,
  IPV6: 229,
  LINUX_SLL2: 276,
  PPP_HDLC: 50,
  C_HDLC: 104,
  IEEE802_11: 105,
  IEEE802_11_RADIOTAP: 127,
} as const;
