/**
 * Named constants of the filter language. NAMED_NUMBERS are the words scanner.l turns into
 * numbers (`tcp[tcpflags] & tcp-syn`); the other tables are what gencode.c consults for
 * `proto \name`, `ether proto \name` and friends. Built in so no lookup happens at run time.
 */
export const NAMED_NUMBERS: Readonly<Record<string, number>> = {
  icmptype: 0, icmpcode: 1,
  'icmp-echoreply': 0, 'icmp-unreach': 3, 'icmp-sourcequench': 4, 'icmp-redirect': 5, 'icmp-echo': 8,
  'icmp-routeradvert': 9, 'icmp-routersolicit': 10, 'icmp-timxceed': 11, 'icmp-paramprob': 12, 'icmp-tstamp': 13,
  'icmp-tstampreply': 14, 'icmp-ireq': 15, 'icmp-ireqreply': 16, 'icmp-maskreq': 17, 'icmp-maskreply': 18,
  icmp6type: 0, icmp6code: 1,
  'icmp6-destinationunreach': 1, 'icmp6-packettoobig': 2, 'icmp6-timeexceeded': 3, 'icmp6-parameterproblem': 4,
  'icmp6-echo': 128, 'icmp6-echoreply': 129, 'icmp6-multicastlistenerquery': 130,
  'icmp6-multicastlistenerreportv1': 131, 'icmp6-multicastlistenerdone': 132, 'icmp6-routersolicit': 133,
  'icmp6-routeradvert': 134, 'icmp6-neighborsolicit': 135, 'icmp6-neighboradvert': 136, 'icmp6-redirect': 137,
  'icmp6-routerrenum': 138, 'icmp6-nodeinformationquery': 139, 'icmp6-nodeinformationresponse': 140,
  'icmp6-ineighbordiscoverysolicit': 141, 'icmp6-ineighbordiscoveryadvert': 142,
  'icmp6-multicastlistenerreportv2': 143, 'icmp6-homeagentdiscoveryrequest': 144,
  'icmp6-homeagentdiscoveryreply': 145, 'icmp6-mobileprefixsolicit': 146, 'icmp6-mobileprefixadvert': 147,
  'icmp6-certpathsolicit': 148, 'icmp6-certpathadvert': 149, 'icmp6-multicastrouteradvert': 151,
  'icmp6-multicastroutersolicit': 152, 'icmp6-multicastrouterterm': 153,
  tcpflags: 13, 'tcp-fin': 0x01, 'tcp-syn': 0x02, 'tcp-rst': 0x04, 'tcp-push': 0x08, 'tcp-ack': 0x10,
  'tcp-urg': 0x20, 'tcp-ece': 0x40, 'tcp-cwr': 0x80,
};

/** Link-layer protocol names for `ether proto \name` / `link proto \name` (gencode.c's eproto_db + llc). */
export const ETHER_PROTOCOLS: Readonly<Record<string, number>> = {
  // eproto_db in libpcap's nametoaddr.c
  aarp: 0x80f3, arp: 0x0806, atalk: 0x809b, decnet: 0x6003, ip: 0x0800, ip6: 0x86dd, lat: 0x6004,
  loopback: 0x9000, mopdl: 0x6001, moprc: 0x6002, netbeui: 0xf0, rarp: 0x8035, sca: 0x6007,
  // llc_db: values <= 1500 select 802.2 LLC framing in gen_ether_linktype
  iso: 0xfe, stp: 0x42, ipx: 0xe0,
  // Added after libpcap 1.10 (IEEE 802.3 slow protocols: LACP, marker, OAM).
  slow: 0x8809,
};

/** ISO network-layer protocol ids for `iso proto \name`. */
export const ISO_PROTOCOLS: Readonly<Record<string, number>> = { clnp: 0x81, esis: 0x82, isis: 0x83 };

export const EtherType = {
  IP: 0x0800, IPV6: 0x86dd, ARP: 0x0806, REVARP: 0x8035, ATALK: 0x809b, AARP: 0x80f3, IPX: 0x8137,
  DN: 0x6003, LAT: 0x6004, SCA: 0x6007, MOPRC: 0x6002, MOPDL: 0x6001, VLAN_8021Q: 0x8100, QINQ_88A8: 0x88a8,
  QINQ_9100: 0x9100, MPLS: 0x8847, MPLS_MULTI: 0x8848, PPPOED: 0x8863, PPPOES: 0x8864, TEB: 0x6558,
} as const;

export const LlcSap = { IP: 0x06, ISONS: 0xfe, NETBEUI: 0xf0, IPX: 0xe0, STP: 0x42, SNAP: 0xaa, GLOBAL: 0xff } as const;

export const IpProto = {
  ICMP: 1, IGMP: 2, TCP: 6, IGRP: 9, UDP: 17, IPV6: 41, ROUTING: 43, FRAGMENT: 44, ESP: 50, AH: 51, ICMPV6: 58,
  NONE: 59, DSTOPTS: 60, HOPOPTS: 0, PIM: 103, VRRP: 112, CARP: 112, SCTP: 132,
} as const;

/** PPP protocol numbers that gen_linktype maps ethertypes to (PPP, PPPoE payloads). */
export const PppProto = { IP: 0x0021, IPV6: 0x0057, DECNET: 0x0027, APPLETALK: 0x0029, IPX: 0x002b, OSI: 0x0023, VJC: 0x002d, VJNC: 0x002f, MPLS_UNI: 0x0281, MPLS_MULTI: 0x0283, NS: 0x0025, BRPDU: 0x0031, VINES: 0x0035 } as const;
