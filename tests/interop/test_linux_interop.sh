#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# Interop with real Linux hosts nobody here wrote: mpnetd on af_packet ports
# routes between Linux network namespaces, checked with Linux's own stack and
# tools (ping, ip neigh, arping, traceroute, tcpdump, iperf3).
# Only namespaces this test creates, only 198.18.0.0/15; everything is
# removed afterwards, also on failure. Exit 77 (skipped) where namespaces
# cannot be made.
# Usage: test_linux_interop.sh BUILD_DIR
set -uo pipefail
build=$1
here=$(cd "$(dirname "$0")" && pwd)
source "$here/../../tools/scripts/netns-lab-common.sh"
lab_init mpi  # short: namespace-made interface names must fit IFNAMSIZ
for t in ping arping traceroute tcpdump iperf3 ethtool; do
  command -v $t >/dev/null || { echo "SKIP: $t not installed (tools/scripts/setup-deps.sh installs it)"; exit 77; }
done

source "$here/../support/checks.sh"
ns() { ip netns exec "$p-$1" "${@:2}"; }
ctl() { "$build/tools/mpnetctl" -s "$sock" "$@"; }

lab_start "$build" || { echo "FAIL: lab setup"; exit 1; }
check "mpnetd is up" test -S "$sock"

# Two Linux hosts in different subnets ping each other through mpnetd.
check "h1 pings h2 through mpnetd" ns h1 ping -c 3 -i 0.2 -W 2 198.18.2.2
check "h2 pings h1 through mpnetd" ns h2 ping -c 3 -i 0.2 -W 2 198.18.1.2
# A Linux host pings mpnetd's own address.
check "h1 pings mpnetd" ns h1 ping -c 2 -i 0.2 -W 2 198.18.1.1
# Linux learned mpnetd's MAC; arping gets replies.
rmac=$(ctl ifconfig ra0 --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["address"])')
check "ip neigh on h1 has mpnetd's MAC" bash -c "ip netns exec $p-h1 ip neigh show 198.18.1.1 | grep -qi '$rmac'"
check "arping gets replies" ns h1 arping -c 2 -w 4 -I eth0 198.18.1.1
# mpnetd's arp table shows the Linux hosts.
check "mpnetctl arp -an shows h1" bash -c "'$build/tools/mpnetctl' -s '$sock' arp -an | grep -q '198.18.1.2'"
check "mpnetctl arp -an shows h2" bash -c "'$build/tools/mpnetctl' -s '$sock' arp -an | grep -q '198.18.2.2'"
# TTL-expired hops come back from mpnetd.
check "traceroute's first hop is mpnetd" bash -c "ip netns exec $p-h1 traceroute -n -q 1 -w 2 198.18.2.2 | grep -Eq '^ 1  198.18.1.1 '"
# An ICMP redirect from mpnetd: seen by tcpdump, installed by Linux.
ip netns exec "$p-h1" timeout 8 tcpdump -n -l -i eth0 -c 1 'icmp[0] == 5' > "$d/redirect.txt" 2>/dev/null &
tdp=$!
sleep 1
check "h1 reaches 198.18.3.1 (h3) via mpnetd" ns h1 ping -q -c 2 -i 0.3 -W 2 198.18.3.1
wait $tdp 2>/dev/null
check "tcpdump saw the redirect" grep -q "ICMP redirect 198.18.3.1 to host 198.18.1.3" "$d/redirect.txt"
check "Linux installed the redirect" bash -c "ip netns exec $p-h1 ip route get 198.18.3.1 | grep -q 'via 198.18.1.3'"
# mpnetd's DAD finds a Linux host already holding an address.
ctl ifconfig ra0 inet 198.18.1.3/24 alias >/dev/null
sleep 5
check "DAD marks h3's address duplicated" bash -c "'$build/tools/mpnetctl' -s '$sock' ifconfig ra0 | grep -q 'inet 198.18.1.3/24.*duplicated'"
# A TCP transfer through mpnetd completes.
ip netns exec "$p-h2" timeout 40 iperf3 -s -1 -B 198.18.2.2 >/dev/null 2>&1 &
sleep 1
ns h1 timeout 30 iperf3 -c 198.18.2.2 -n 20M -J > "$d/iperf.json" 2>/dev/null
rc=$?
check "iperf3 transfer completes" test "$rc" = 0
check "all 20 MiB were sent (and acknowledged: TCP completed)" python3 -c "
import json,sys; e=json.load(open('$d/iperf.json'))['end']; sys.exit(0 if e['sum_sent']['bytes']>=20*1024*1024 else 1)"
python3 -c "
import json; e=json.load(open('$d/iperf.json'))['end']
print('iperf3 through mpnetd: %.0f Mbit/s, %d retransmits, %d bytes sent, %d received by the server at its report' % (e['sum_received']['bits_per_second']/1e6, e['sum_sent'].get('retransmits',0), e['sum_sent']['bytes'], e['sum_received']['bytes']))" || true
ctl show errors
echo "$passes passed, $fails failed"
test "$fails" = 0
