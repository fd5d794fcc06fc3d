#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# vxlan(4) with Linux's vxlan as the peer: mpnetd on one af_packet port (wa0)
# and a Linux namespace (lx) on the other end of the veth, each a VTEP.
#   VNI 42 over IPv4: an L3 segment, 198.18.7.0/24 and 2001:db8:7::/64
#   VNI 44 over IPv6: an L3 segment, 198.18.17.0/24
#   VNI 43 over IPv4: bridged on both sides: h1 behind mpnetd's bridge0
#     (port la0) reaches h2 behind Linux's br0, one subnet 198.18.8.0/24
# Linux's ping and ping -6 check what crosses; tcpdump on the underlay that
# the packets are VXLAN to port 4789. Only namespaces this test creates, only
# 198.18.0.0/15 and 2001:db8::/32; everything is removed afterwards, also on
# failure. Exit 77 (skipped) where namespaces cannot be made.
# Usage: test_vxlan_interop.sh BUILD_DIR
set -uo pipefail
build=$1
here=$(cd "$(dirname "$0")" && pwd)
for t in ping tcpdump ethtool; do
  command -v $t >/dev/null || { echo "SKIP: $t not installed (tools/scripts/setup-deps.sh installs it)"; exit 77; }
done
source "$here/../support/checks.sh"
source "$here/../support/netns.sh"
netns_begin mvx rt lx h1 h2
if ! ns lx ip link add vxprobe type vxlan id 1 dstport 4789 local 198.18.255.1 2>/dev/null; then
  echo "SKIP: this kernel has no vxlan"
  exit 77
fi
ns lx ip link del vxprobe

# rt: wa0 <-> lx: eth0 (the underlay); rt: la0 <-> h1: eth0; lx: lan0 <-> h2: eth0.
ip link add "$p-1" type veth peer name "$p-a"
ip link add "$p-2" type veth peer name "$p-b"
ip link add "$p-3" type veth peer name "$p-c"
ip link set "$p-1" netns "$p-lx" name eth0
ip link set "$p-a" netns "$p-rt" name wa0
ip link set "$p-2" netns "$p-h1" name eth0
ip link set "$p-b" netns "$p-rt" name la0
ip link set "$p-3" netns "$p-h2" name eth0
ip link set "$p-c" netns "$p-lx" name lan0
mpnetd_port rt wa0
mpnetd_port rt la0
ns rt ip link set lo up
ns lx ip link set lo up
ns lx ethtool -K eth0 tx off rx off >/dev/null 2>&1 || true
ns lx ip addr add 198.18.6.2/24 dev eth0
ns lx ip -6 addr add 2001:db8:6::2/64 dev eth0 nodad
ns lx ip link set eth0 up
ns lx ip link add vx42 type vxlan id 42 local 198.18.6.2 remote 198.18.6.1 dstport 4789 dev eth0
ns lx ip addr add 198.18.7.2/24 dev vx42
ns lx ip -6 addr add 2001:db8:7::2/64 dev vx42 nodad
ns lx ip link set vx42 up
ns lx ip link add vx44 type vxlan id 44 local 2001:db8:6::2 remote 2001:db8:6::1 dstport 4789 dev eth0
ns lx ip addr add 198.18.17.2/24 dev vx44
ns lx ip link set vx44 up
ns lx ip link add vx43 type vxlan id 43 local 198.18.6.2 remote 198.18.6.1 dstport 4789 dev eth0
ns lx ip link add br0 type bridge
ns lx ip link set vx43 master br0
ns lx ip link set lan0 master br0
for i in vx43 lan0 br0; do ns lx ip link set $i up; done
n=0
for h in h1 h2; do
  n=$((n + 1))
  ns $h ip link set lo up
  ns $h ethtool -K eth0 tx off rx off >/dev/null 2>&1 || true
  ns $h sysctl -qw net.ipv6.conf.eth0.accept_ra=0
  ns $h ip link set eth0 mtu 1400
  ns $h ip addr add "198.18.8.$n/24" dev eth0
  ns $h ip -6 addr add "2001:db8:8::$n/64" dev eth0 nodad
  ns $h ip link set eth0 up
done

mpnetd_conf_ports wa0 la0 > "$d/mpnetd.conf"
cat >> "$d/mpnetd.conf" <<CONF
sysctl -w net.inet.ip.dad_count=0
sysctl -w net.inet6.ip6.dad_count=0
ifconfig wa0 inet 198.18.6.1/24
ifconfig wa0 inet6 2001:db8:6::1/64
ifconfig vxlan0 create
ifconfig vxlan0 vni 42
ifconfig vxlan0 tunnel 198.18.6.1 198.18.6.2
ifconfig vxlan0 inet 198.18.7.1/24
ifconfig vxlan0 inet6 2001:db8:7::1/64
ifconfig vxlan0 up
ifconfig vxlan2 create
ifconfig vxlan2 vni 44
ifconfig vxlan2 tunnel 2001:db8:6::1 2001:db8:6::2
ifconfig vxlan2 inet 198.18.17.1/24
ifconfig vxlan2 up
ifconfig vxlan1 create
ifconfig vxlan1 vni 43
ifconfig vxlan1 tunnel 198.18.6.1 198.18.6.2
ifconfig vxlan1 up
ifconfig bridge0 create
brconfig bridge0 add la0
brconfig bridge0 add vxlan1
ifconfig bridge0 up
CONF
mpnetd_start rt "$d/mpnetd.conf"
check "mpnetd is up" test -S "$sock"
[[ -S $sock ]] || exit 1

ns lx timeout 8 tcpdump -n -l -i eth0 'udp port 4789' > "$d/underlay.txt" 2>/dev/null &
tdp=$!
sleep 1
check "Linux pings mpnet across VNI 42 (IPv4 inner, IPv4 underlay)" ns lx ping -c 3 -i 0.2 -W 2 198.18.7.1
check "Linux pings mpnet across VNI 42 (IPv6 inner)" ns lx ping -6 -c 3 -i 0.2 -W 2 2001:db8:7::1
check "mpnet pings Linux across VNI 42" ctl ping -c 2 198.18.7.2
check "Linux pings mpnet across VNI 44 (IPv6 underlay, UDP checksums)" ns lx ping -c 3 -i 0.2 -W 2 198.18.17.1
check "h1 behind mpnet's bridge reaches h2 behind Linux's bridge (VNI 43)" ns h1 ping -c 3 -i 0.2 -W 2 198.18.8.2
check "h2 reaches h1 over IPv6 across both bridges" ns h2 ping -6 -c 3 -i 0.2 -W 2 2001:db8:8::1
wait $tdp 2>/dev/null
check "the underlay carried VXLAN to port 4789 both ways" bash -c "grep -q '198.18.6.1.[0-9]* > 198.18.6.2.4789: VXLAN' '$d/underlay.txt' &&
  grep -q '198.18.6.2.[0-9]* > 198.18.6.1.4789: VXLAN' '$d/underlay.txt'"
check "Linux learned h1's MAC behind vx43 from mpnet" bash -c "ip netns exec $p-lx bridge fdb show dev vx43 | grep -q \"\$(ip netns exec $p-h1 cat /sys/class/net/eth0/address)\""
check "mpnet's bridge learned h2's MAC on vxlan1" bash -c "'$build/tools/mpnetctl' -s '$sock' brconfig bridge0 | grep -q \"\$(ip netns exec $p-h2 cat /sys/class/net/eth0/address) vxlan1 \""
check "ifconfig vxlan0 shows its VNI" bash -c "'$build/tools/mpnetctl' -s '$sock' ifconfig vxlan0 | grep -q 'vni 42'"
# Another VNI on Linux's side: nothing crosses, and mpnet names the drops.
ns lx ip link set vx42 down
ns lx ip link del vx42
ns lx ip link add vx42 type vxlan id 4242 local 198.18.6.2 remote 198.18.6.1 dstport 4789 dev eth0
ns lx ip addr add 198.18.7.2/24 dev vx42
ns lx ip link set vx42 up
check "with VNI 4242 on Linux's side the ping fails" bash -c "! ip netns exec $p-lx ping -c 2 -i 0.2 -W 1 198.18.7.1"
check "mpnet counted vxlan_no_tunnel" bash -c "'$build/tools/mpnetctl' -s '$sock' show errors | grep -q 'vxlan_no_tunnel: [1-9]'"
ctl show errors
echo "$passes passed, $fails failed"
test "$fails" = 0
