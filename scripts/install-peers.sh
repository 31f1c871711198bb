#!/usr/bin/env bash
# Installs the real peer tools the tests compare tapwire with (Debian packages):
# tcpdump/libpcap and tshark as oracles, tcpreplay for live tests, nfdump (nfcapd) as a real
# IPFIX/NetFlow collector, softflowd as a second flow exporter, libpcap-dev for the addon.
set -euo pipefail
tools=(tcpdump tshark tcpreplay nfcapd nfdump softflowd)
missing=0
for t in "${tools[@]}"; do command -v "$t" >/dev/null 2>&1 || missing=1; done
[ -f /usr/include/pcap/pcap.h ] || missing=1
if [ "$missing" = 0 ]; then echo "peer tools present"; exit 0; fi
SUDO=""
[ "$(id -u)" = 0 ] || SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends tcpdump tshark tcpreplay nfdump softflowd libpcap-dev >/dev/null
echo "peer tools installed"
