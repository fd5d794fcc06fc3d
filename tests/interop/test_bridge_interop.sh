#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# bridge(4) with real Linux hosts: mpnetd bridges three af_packet ports on
# veth pairs into three namespaces of one subnet; Linux's ping,
# ping -6, arping, tcpdump and iperf3 check what crosses it, and mpnetctl's
# brconfig what it learned. Only namespaces this test creates, only
# 198.18.0.0/15 and 2001:db8::/32; everything is removed afterwards, also on
# failure. Exit 77 (skipped) where namespaces cannot be made.
# Usage: test_bridge_interop.sh BUILD_DIR
set -uo pipefail
build=$1
here=$(cd "$(dirname "$0")" && pwd)
for t in ping arping tcpdump iperf3 ethtool; do
  command -v $t >/dev/null || { echo "SKIP: $t not installed (tools/scripts/setup-deps.sh installs it)"; exit 77; }
done
source "$here/../support/checks.sh"

source "$here/../support/netns.sh"
netns_extra_cleanup='pkill -f "iperf3 -s -1 -B 198.18.5.3" 2>/dev/null || true'
netns_begin mbr rt h1 h2 h3

# h1 (eth0) <-> ba0 [mpnetd bridge0] bb0 <-> h2 (eth0), and bc0 <-> h3
# (eth0); one subnet.
ip link add "$p-1" type veth peer name "$p-a"
ip link add "$p-2" type veth peer name "$p-b"
ip link add "$p-3" type veth peer name "$p-c"
ip link set "$p-1" netns "$p-h1" name eth0
ip link set "$p-2" netns "$p-h2" name eth0
ip link set "$p-3" netns "$p-h3" name eth0
ip link set "$p-a" netns "$p-rt" name ba0
ip link set "$p-b" netns "$p-rt" name bb0
ip link set "$p-c" netns "$p-rt" name bc0
# Promiscuity is the bridge's to set (DPDK's af_packet PMD sets the kernel's flag).
for i in ba0 bb0 bc0; do mpnetd_port rt "$i"; done
ns rt ip link set lo up
n=1
for h in h1 h2 h3; do
  n=$((n + 1))
  ns $h ip link set lo up
  ns $h ethtool -K eth0 tx off rx off >/dev/null 2>&1 || true
  ns $h sysctl -qw net.ipv6.conf.eth0.accept_ra=0
  ns $h ip addr add "198.18.5.$n/24" dev eth0
  ns $h ip -6 addr add "2001:db8:5::$n/64" dev eth0 nodad
  ns $h ip link set eth0 up
done
mac1=$(ns h1 cat /sys/class/net/eth0/address)
mac2=$(ns h2 cat /sys/class/net/eth0/address)

mpnetd_conf_ports ba0 bb0 bc0 > "$d/mpnetd.conf"
cat >> "$d/mpnetd.conf" <<CONF
ifconfig bridge0 create
brconfig bridge0 add ba0
brconfig bridge0 add bb0
brconfig bridge0 add bc0
ifconfig bridge0 inet 198.18.5.1/24 up
ifconfig bridge0 inet6 2001:db8:5::1/64
sysctl -w net.inet.ip.dad_count=0
sysctl -w net.inet6.ip6.dad_count=0
CONF
mpnetd_start rt "$d/mpnetd.conf"
check "mpnetd is up" test -S "$sock"
[[ -S $sock ]] || exit 1
check "the bridge put its members' NICs in promiscuous mode" \
  bash -c "ip netns exec $p-rt ip -d link show ba0 | grep -q 'promiscuity [1-9]'"

check "h1 pings h2 across the bridge" ns h1 ping -c 3 -i 0.2 -W 2 198.18.5.3
check "h2 pings h1 across the bridge" ns h2 ping -c 3 -i 0.2 -W 2 198.18.5.2
check "h1 pings h2 over IPv6 across the bridge" ns h1 ping -6 -c 3 -i 0.2 -W 2 2001:db8:5::3
check "h3 pings h1 and h2 across the bridge" bash -c "ip netns exec $p-h3 ping -c 2 -i 0.2 -W 2 198.18.5.2 &&
  ip netns exec $p-h3 ping -c 2 -i 0.2 -W 2 198.18.5.3"
check "h1 and h2 ping h3 over IPv6" bash -c "ip netns exec $p-h1 ping -6 -c 2 -i 0.2 -W 2 2001:db8:5::4 &&
  ip netns exec $p-h2 ping -6 -c 2 -i 0.2 -W 2 2001:db8:5::4"
check "arping h1 -> h2 gets replies (ARP crosses)" ns h1 arping -c 2 -w 4 -I eth0 198.18.5.3
check "h1 pings the bridge's own address" ns h1 ping -c 2 -i 0.2 -W 2 198.18.5.1
check "h2 pings the bridge's own IPv6 address" ns h2 ping -6 -c 2 -i 0.2 -W 2 2001:db8:5::1
check "brconfig shows h1's MAC on ba0" bash -c "'$build/tools/mpnetctl' -s '$sock' brconfig bridge0 | grep -q '$mac1 ba0 '"
check "brconfig shows h2's MAC on bb0" bash -c "'$build/tools/mpnetctl' -s '$sock' brconfig bridge0 | grep -q '$mac2 bb0 '"
check "brconfig --json lists the three members" python3 -c "
import json,subprocess,sys
j=json.loads(subprocess.run(['$build/tools/mpnetctl','-s','$sock','brconfig','bridge0','--json'],capture_output=True,text=True).stdout)
sys.exit(0 if [i['name'] for i in j['interfaces']]==['ba0','bb0','bc0'] else 1)"

# Known unicast is not flooded: while h1 pings the bridge's address, h2's
# wire carries none of it.
ns h2 timeout 6 tcpdump -n -l -i eth0 'icmp and host 198.18.5.1' > "$d/h2.txt" 2>/dev/null &
tdp=$!
sleep 1
check "h1 pings the bridge (known unicast)" ns h1 ping -q -c 5 -i 0.2 -W 2 198.18.5.1
wait $tdp 2>/dev/null
check "h2's wire saw none of h1's pings to the bridge" bash -c "! grep -q '198.18.5.2 > 198.18.5.1' '$d/h2.txt'"

# TCP across the bridge.
ip netns exec "$p-h2" timeout 40 iperf3 -s -1 -B 198.18.5.3 >/dev/null 2>&1 &
sleep 1
ns h1 timeout 30 iperf3 -c 198.18.5.3 -n 10M -J > "$d/iperf.json" 2>/dev/null
check "iperf3 transfer across the bridge completes" test $? = 0
python3 -c "
import json; e=json.load(open('$d/iperf.json'))['end']
print('iperf3 across the bridge: %.0f Mbit/s, %d retransmits' % (e['sum_received']['bits_per_second']/1e6, e['sum_sent'].get('retransmits',0)))" || true

# A bad command changes nothing; removing a member cuts the path.
check "a bad brconfig command fails" bash -c "! '$build/tools/mpnetctl' -s '$sock' brconfig bridge0 add nosuch0"
check "brconfig bridge0 delete bb0" ctl brconfig bridge0 delete bb0
ns h1 ip neigh flush dev eth0
check "h1 no longer reaches h2" bash -c "! ip netns exec $p-h1 ping -c 2 -i 0.2 -W 1 198.18.5.3"
check "bb0's entries went with it" bash -c "! '$build/tools/mpnetctl' -s '$sock' brconfig bridge0 | grep -q ' bb0 '"
check "brconfig bridge0 add bb0 again" ctl brconfig bridge0 add bb0
check "h1 reaches h2 again" ns h1 ping -c 2 -i 0.2 -W 2 198.18.5.3
ctl show errors
echo "$passes passed, $fails failed"
test "$fails" = 0
