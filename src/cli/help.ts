/** Help texts: they teach by example, since that is how people learn a tool like this. */
export const MAIN_HELP = `tapwire: a software network TAP, packet broker and capture sensor

Usage: tapwire COMMAND [OPTIONS]

Commands:
  read      read a capture, decode every packet, print, filter or re-write it
  filter    explain a tcpdump filter expression or a cloud-style rule set
  flows     meter flows: Zeek conn.log, IPFIX, NetFlow v9
  run       run a broker config: sources -> sessions (filter, actions) -> targets
  validate  check a broker config and list every problem with its path

Examples:
  tapwire read -r trace.pcap                      one line per packet, like tcpdump -n
  tapwire read -r trace.pcap --stats              protocol hierarchy and anomaly counts
  tapwire read -r trace.pcapng -T fields -e frame.number -e ip.src -e vxlan.vni
  tapwire read -r trace.pcap -w web.pcap 'tcp port 80'
  gunzip -c big.pcap.gz | tapwire read -r - -c 10
  tapwire filter --explain 'vlan 100 and host 10.0.0.1'
  tapwire flows -r trace.pcap --logs out/
  tapwire run examples/span-three-tools.yaml

Run 'tapwire COMMAND --help' for the options of a command.

Exit status: 0 ok, 1 bad usage or configuration, 2 damaged or unreadable input
(every packet before the damage was still processed), 3 output failure, 70 internal error.
`;

export const READ_HELP = `Usage: tapwire read -r FILE [OPTIONS] [EXPRESSION]

Reads a pcap or pcapng capture (either byte order, micro- or nanosecond, gzip-compressed
or not; '-' reads standard input), decodes every packet through VLAN/MPLS/PPPoE and
tunnels (GRE, ERSPAN I/II/III, VXLAN, GENEVE, TZSP) and prints or writes it.

Options (tcpdump's letters where tcpdump has the same option):
  -r FILE            capture to read ('-' = standard input)
  -i IF[,IF...]      capture live on interfaces instead (needs root and the libpcap addon);
                     the statistics (received, dropped by kernel/interface) print at the end
  -D                 list the interfaces live capture can use
  -w FILE            write the packets (after the filter) to FILE instead of printing;
                     '.pcapng' names write pcapng, others pcap ('-' = standard output)
  -c N               stop after N packets (counted after the filter)
  -s SNAPLEN         with -w: keep at most SNAPLEN bytes of each packet
  -T text|json|fields  output format (default text: one line per packet, like tcpdump -n)
  -e FIELD           with -T fields: a Wireshark field name; repeat for more columns
  --stats            decode everything; print the protocol hierarchy and anomaly counts
  --pcapng           with -w: write pcapng whatever the file name
  --vxlan-port PORT  also decode VXLAN on this UDP port (repeatable; 4789 always)
  -n                 accepted for tcpdump compatibility (tapwire never resolves names)
  Live only: -p (no promiscuous mode), -B KiB (kernel buffer), -Q in|out|inout,
             -Z USER (drop privileges once open), --immediate-mode, --nano
  -q, --quiet        no progress bar on a terminal
  EXPRESSION         a tcpdump (pcap-filter) expression: only matching packets count

Examples:
  tapwire read -r trace.pcap -c 20
  tapwire read -r mirror.pcap -T fields -e frame.number -e ip.src -e ip.dst -e vxlan.vni
  tapwire read -r trace.pcap --stats
  tapwire read -r trace.pcap -w dns.pcap 'udp port 53'
  tapwire read -r trace.pcap -w - 'tcp' | tcpdump -nr -
  tapwire read -r trace.pcap -T json -c 1
  tapwire read -i eth1 -w span.pcap -c 10000 'not port 22'

Fields for -T fields: run 'tapwire read --list-fields'.
`;

export const RUN_HELP = `Usage: tapwire run CONFIG [--metrics HOST:PORT] [-q]

Runs a broker: sources (capture files now; interfaces and mirror receivers later) feed
sessions; each session filters (a tcpdump expression), applies its actions in order
(dedupe, slice, mask, strip, sample, rate_limit, balance) and delivers to its targets
(pcap_file rings, stdout, pcap_over_ip, vxlan/geneve/gre re-encapsulation, udp).
A file source ends the run when the capture ends; a summary of every component's
counters (in, out, dropped by reason) is printed on stderr.

  --metrics HOST:PORT   serve Prometheus metrics at http://HOST:PORT/metrics
  -q, --quiet           no progress bar, no summary

Signals: SIGHUP reloads CONFIG (validated first; on failure the old one keeps running),
SIGINT/SIGTERM stop the sources, flush and close every output.

A config (YAML; paths are relative to the config file):

  sources:
    span: { type: pcap_file, path: ../test/fixtures/captures/vxlan.pcap }
  filters:
    web: "tcp port 80 or tcp port 443"
  sessions:
    - number: 10
      sources: [span]
      filter: web                     # a filter's name or an inline tcpdump expression
      actions:
        - { type: strip }             # terminate tunnels, drop VLAN/MPLS tags
        - { type: slice, payload_bytes: 64 }
      targets: [ring]
  targets:
    ring: { type: pcap_file, path: out/web-%Y%m%d-%H%M%S.pcap, rotate_size: 100M, max_files: 10 }
  match: all                          # or first: only the lowest-numbered matching session
  metrics: { listen: 127.0.0.1:9100 }  # Prometheus /metrics
  user: nobody                        # drop root once capture handles are open
  workers: 2                          # shard sessions over threads by flow (files per worker;
                                      # pays off with more cores than workers)

Source types: pcap_file, interface, vxlan, geneve, gre, tzsp, pcap_over_ip.
A receiver's mirror sessions can be sources of their own: with
  mirror: { type: vxlan, listen: 0.0.0.0:4789, sessions: { 100: web, 200: db } }
a session may list  sources: [mirror:web]  (or mirror:vni-300 for an unnamed VNI).
Target types: pcap_file, stdout, pcap_over_ip, vxlan, geneve, gre, udp, interface.
gre sends ERSPAN II with  transport: ip  (IPv4 protocol 47 to remote; root or CAP_NET_RAW),
udp (GRE-in-UDP, RFC 8086) or file (the default: frames for tcpreplay).

Examples:
  tapwire validate examples/span-three-tools.yaml
  tapwire run examples/aws-mirror-to-zeek.yaml
  tapwire run examples/share-masked.yaml --metrics 127.0.0.1:9100
`;

export const VALIDATE_HELP = `Usage: tapwire validate CONFIG

Checks a broker config completely and reports every problem at once, each with its path
in the file (e.g. sessions[1].actions[0].bytes), without starting anything.
Exit status 0 when the config is valid, 1 otherwise.
`;
