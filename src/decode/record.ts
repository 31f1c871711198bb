/**
 * The per-packet decode record: caller-owned, reused for every packet (gopacket's
 * DecodingLayerParser idea). `decodePacket(batch, i, rec)` fills it; nothing is allocated.
 *
 * A packet is described as a stack of layers, outermost first. Each layer has a type
 * (a `Layer` code), the absolute offset of its header in `batch.data`, and the offset where
 * its payload starts (= header end). Tunnels simply continue the stack: the inner Ethernet
 * of a VXLAN packet is a later layer of the same record, and `tunnelCount` says how many
 * tunnel layers were crossed. Field access reads the bytes at those offsets.
 */
export const Layer = {
  NONE: 0,
  // link layers
  ETHERNET: 1,
  LINUX_SLL: 2,
  LINUX_SLL2: 3,
  NULL: 4, // BSD loopback (DLT_NULL / DLT_LOOP)
  PPP: 5,
  VLAN: 6, // 802.1Q or 802.1ad tag (4 bytes)
  MPLS: 7, // one label stack entry (4 bytes)
  PPPOE: 8, // PPPoE session header + PPP protocol field
  LLC: 9,
  // network
  ARP: 10,
  IPV4: 11,
  IPV6: 12,
  IPV6_EXT: 13, // one IPv6 extension header (hop-by-hop, routing, fragment, dest opts, AH; AH also after IPv4)
  CISCO_METADATA: 14, // Cisco MetaData (SGT) shim, ethertype 0x8909 (seen inside GRE)
  MPLS_PW_CW: 15, // MPLS pseudowire control word (4 bytes of zero-nibble header before Ethernet)
  CHDLC: 16, // Cisco HDLC header (LINKTYPE_C_HDLC): address, control, EtherType
  FABRICPATH: 17, // Cisco FabricPath outer header (16 bytes, outer addresses included); an Ethernet frame follows
  VNTAG: 18, // Cisco VN-Tag (4 bytes) and the next EtherType
  PBB: 19, // IEEE 802.1ah I-tag, customer addresses and EtherType (18 bytes)
  // transport
  TCP: 20,
  UDP: 21,
  ICMP: 22,
  ICMPV6: 23,
  SCTP: 24,
  // tunnels
  GRE: 30,
  ERSPAN: 31,
  VXLAN: 32,
  GENEVE: 33,
  TZSP: 34,
  // wireless link layers
  RADIOTAP: 35, // radiotap header (monitor mode metadata)
  IEEE80211: 36, // 802.11 MAC header; management and control frames: the whole frame
  // anything after the last decoded layer
  DATA: 40,
} as const;
export type LayerCode = (typeof Layer)[keyof typeof Layer];

export const MAX_LAYERS = 64;

/** Bits of DecodeRecord.layerFlags. */
export const LayerFlag = {
  /** The layer is part of the datagram quoted inside an ICMP/ICMPv6 error message. */
  QUOTED: 1,
  /** VLAN tag with TPID 0x88a8 (802.1ad service tag); tshark names it ieee8021ad. */
  SERVICE_TAG: 2,
  /** VLAN tag with TPID 0x9100 (old QinQ). */
  QINQ_9100: 4,
  /** IPv4/IPv6 fragment that is not the first one: the payload is not decoded. */
  FRAGMENT: 8,
  /** First fragment of a fragmented IPv4/IPv6 datagram (more fragments follow). */
  FIRST_FRAGMENT: 16,
} as const;


export class DecodeRecord {
  layerCount = 0;
  readonly layerType = new Uint8Array(MAX_LAYERS);
  /** Absolute offset (in batch.data) where the layer's header starts. */
  readonly layerStart = new Uint32Array(MAX_LAYERS);
  /** Absolute offset where the layer's payload starts (its header end). */
  readonly layerEnd = new Uint32Array(MAX_LAYERS);
  /**
   * One number of layer-specific detail, so that accessors need not re-derive it:
   * ETHERNET/VLAN/SLL/SLL2/LLC(SNAP)/CISCO_METADATA/PPPOE: the next ethertype (or the 802.3
   * length for ETHERNET when < 0x600); VLAN additionally keeps its TPID in `layerFlags` bits
   * (see LayerFlag); IPV4/IPV6: absolute end of the datagram (total length clipped to the
   * captured bytes); IPV6_EXT: the extension's own header type (0, 43, 44, 60, 51);
   * UDP: absolute end of the datagram; GRE/GENEVE: protocol type; ERSPAN: version (1, 2, 3);
   * TZSP: encapsulation; NULL: address family; PPP: PPP protocol; DATA: absolute end.
   */
  readonly layerInfo = new Uint32Array(MAX_LAYERS);
  /** Bit set of LayerFlag values per layer. */
  readonly layerFlags = new Uint8Array(MAX_LAYERS);

  /** Absolute end of the captured bytes of the packet (offset + caplen). */
  end = 0;
  /** Index (into the layer arrays) of the innermost IPv4/IPv6 layer, or -1. */
  l3 = -1;
  /** Index of the innermost transport layer (TCP/UDP/ICMP/ICMPv6/SCTP), or -1. */
  l4 = -1;
  /** Tunnel layers crossed (GRE, ERSPAN, VXLAN, GENEVE, TZSP). */
  tunnelCount = 0;
  /** First anomaly met (an `Anomaly` code, 0 = none); decoding stopped there. */
  anomaly = 0;
  /** Layer 4 payload: absolute offset and captured length (0 if none). */
  payloadStart = 0;
  payloadLength = 0;

  reset(end: number): void {
    this.layerCount = 0;
    this.end = end;
    this.l3 = -1;
    this.l4 = -1;
    this.tunnelCount = 0;
    this.anomaly = 0;
    this.payloadStart = end;
    this.payloadLength = 0;
  }
}
