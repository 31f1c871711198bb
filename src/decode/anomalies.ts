/**
 * Why decoding of a packet stopped early. Malformed packets are data, not errors (Zeek's
 * weird.log, Suricata's decoder events): `decodePacket` stores the first reason met in
 * `DecodeRecord.anomaly` and stops at the damage; the caller counts reasons per packet.
 *
 * Codes are small consecutive integers so that a Float64Array indexed by code counts them.
 * Add new reasons at the end only: the numbers may be persisted in stats output.
 */
export const Anomaly = {
  none: 0,
  unknown_linktype: 1,
  ethernet_truncated: 2,
  sll_truncated: 3,
  null_truncated: 4,
  ppp_truncated: 5,
  vlan_truncated: 6,
  mpls_truncated: 7,
  pppoe_truncated: 8,
  llc_truncated: 9,
  arp_truncated: 10,
  ipv4_truncated_header: 11,
  ipv4_bad_version: 12,
  ipv4_bad_ihl: 13,
  ipv4_bad_total_length: 14,
  ipv6_truncated_header: 15,
  ipv6_bad_version: 16,
  ipv6_ext_truncated: 17,
  tcp_truncated_header: 18,
  tcp_bad_data_offset: 19,
  udp_truncated_header: 20,
  udp_bad_length: 21,
  icmp_truncated: 22,
  icmpv6_truncated: 23,
  sctp_truncated: 24,
  gre_truncated: 25,
  gre_bad_version: 26,
  gre_bad_routing: 27,
  erspan_truncated: 28,
  erspan_bad_version: 29,
  vxlan_truncated: 30,
  geneve_truncated: 31,
  geneve_bad_version: 32,
  geneve_bad_option: 33,
  tzsp_truncated: 34,
  tzsp_bad_version: 35,
  tzsp_bad_tag: 36,
  cisco_metadata_truncated: 37,
  tunnel_depth_exceeded: 38,
  too_many_layers: 39,
  ah_truncated: 40,
  mpls_pw_cw_truncated: 41,
  fabricpath_truncated: 42,
  vntag_truncated: 43,
  pbb_truncated: 44,
  ieee80211_truncated: 45,
  radiotap_truncated: 46,
} as const;
export type AnomalyCode = (typeof Anomaly)[keyof typeof Anomaly];

/** Reason names indexed by code (ANOMALY_NAMES[Anomaly.ipv4_bad_ihl] === 'ipv4_bad_ihl'). */
export const ANOMALY_NAMES: readonly string[] = (() => {
  const names: string[] = [];
  for (const [name, code] of Object.entries(Anomaly)) names[code] = name;
  return names;
})();

export const ANOMALY_COUNT = ANOMALY_NAMES.length;

/** Per-reason packet counters: bump with `counters.add(rec.anomaly)` once per packet. */
export class AnomalyCounters {
  readonly counts = new Float64Array(ANOMALY_COUNT);

  add(code: number): void {
    if (code !== 0) this.counts[code]++;
  }

  total(): number {
    let t = 0;
    for (let c = 1; c < ANOMALY_COUNT; c++) t += this.counts[c];
    return t;
  }

  /** Non-zero reasons, most frequent first (for printing). */
  entries(): Array<{ name: string; count: number }> {
    const out: Array<{ name: string; count: number }> = [];
    for (let c = 1; c < ANOMALY_COUNT; c++) if (this.counts[c] > 0) out.push({ name: ANOMALY_NAMES[c], count: this.counts[c] });
    out.sort((a, b) => b.count - a.count || (a.name < b.name ? -1 : 1));
    return out;
  }

  reset(): void {
    this.counts.fill(0);
  }
}
