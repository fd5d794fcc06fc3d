#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# A lab of Linux network namespaces around mpnetd, made and removed by the
# tests and the demo. Only 198.18.0.0/15 addresses, only namespaces and veth
# pairs this script creates; nothing touches the machine's own interfaces.
#
#   segment A (Linux bridge in ns mpn-swa): h1 198.18.1.2, h3 198.18.1.3 (+198.18.3.1), mpnetd 198.18.1.1
#   segment B (veth):                        h2 198.18.2.2,                               mpnetd 198.18.2.1
#   mpnetd runs in ns mpn-rt on af_packet ports ra0 and rb0.
# IPv6 (2001:db8::/32 only): mpnetd 2001:db8:1::1 and 2001:db8:2::1 and
# advertises 2001:db8:1::/64 on segment A; h1 takes a SLAAC address and its
# default route from those advertisements; h2 2001:db8:2::2 (default via
# mpnetd), h3 2001:db8:1::3 (static, no advertisements accepted).
#
# Usage: netns-lab.sh up PREFIX | down PREFIX | conf PREFIX (mpnetd config on stdout)
set -euo pipefail
cmd=$1
p=${2:-mpn}
ns() { ip netns exec "$@"; }

down() {
  for n in h1 h2 h3 rt swa; do ip netns del "$p-$n" 2>/dev/null || true; done
}

up() {
  down
  for n in h1 h2 h3 rt swa; do ip netns add "$p-$n"; done
  # Segment A: a bridge with three ports.
  ns "$p-swa" ip link add br0 type bridge
  ns "$p-swa" ip link set br0 up
  for peer in h1 h3 rt; do
    ip link add "$p-a-$peer" type veth peer name "$p-A-$peer"
    ip link set "$p-A-$peer" netns "$p-swa"
    ns "$p-swa" ip link set "$p-A-$peer" master br0 up
  done
  ip link set "$p-a-h1" netns "$p-h1" name eth0
  ip link set "$p-a-h3" netns "$p-h3" name eth0
  ip link set "$p-a-rt" netns "$p-rt" name ra0
  # Segment B: a veth pair.
  ip link add "$p-b-h2" type veth peer name "$p-b-rt"
  ip link set "$p-b-h2" netns "$p-h2" name eth0
  ip link set "$p-b-rt" netns "$p-rt" name rb0
  # mpnetd's ports: no kernel addresses, no IPv6 chatter, promiscuous for af_packet.
  for i in ra0 rb0; do
    ns "$p-rt" sysctl -qw "net.ipv6.conf.$i.disable_ipv6=1"
    ns "$p-rt" ip link set "$i" up promisc on
    ns "$p-rt" ethtool -K "$i" tx off rx off >/dev/null 2>&1 || true
  done
  ns "$p-rt" ip link set lo up
  # Linux hosts. Checksum offload off so that TCP leaves with full checksums.
  for h in h1 h2 h3; do
    ns "$p-$h" ip link set lo up
    ns "$p-$h" sysctl -qw net.ipv6.conf.eth0.disable_ipv6=0 net.ipv6.conf.all.forwarding=0 2>/dev/null || true
    ns "$p-$h" ethtool -K eth0 tx off rx off >/dev/null 2>&1 || true
  done
  ns "$p-h1" sysctl -qw net.ipv6.conf.eth0.accept_ra=1 net.ipv6.conf.eth0.autoconf=1
  ns "$p-h2" sysctl -qw net.ipv6.conf.eth0.accept_ra=0
  ns "$p-h3" sysctl -qw net.ipv6.conf.eth0.accept_ra=0
  ns "$p-h2" ip -6 addr add 2001:db8:2::2/64 dev eth0 nodad
  ns "$p-h3" ip -6 addr add 2001:db8:1::3/64 dev eth0 nodad
  ns "$p-h1" ip addr add 198.18.1.2/24 dev eth0
  ns "$p-h1" ip link set eth0 up
  ns "$p-h1" ip route add default via 198.18.1.1
  ns "$p-h1" sysctl -qw net.ipv4.conf.all.secure_redirects=0 net.ipv4.conf.eth0.secure_redirects=0
  ns "$p-h1" sysctl -qw net.ipv4.conf.all.accept_redirects=1 net.ipv4.conf.eth0.accept_redirects=1
  ns "$p-h3" ip addr add 198.18.1.3/24 dev eth0
  ns "$p-h3" ip addr add 198.18.3.1/24 dev eth0
  ns "$p-h3" ip link set eth0 up
  ns "$p-h3" ip route add default via 198.18.1.1
  ns "$p-h2" ip addr add 198.18.2.2/24 dev eth0
  ns "$p-h2" ip link set eth0 up
  ns "$p-h2" ip route add default via 198.18.2.1
  ns "$p-h2" ip -6 route add default via 2001:db8:2::1 dev eth0
}

conf() {
  cat <<CONF
# mpnetd between two Linux segments (made by netns-lab.sh)
workers 1
mbufs 8191
ifconfig ra0 create net_af_packet0,iface=ra0,qdisc_bypass=1
ifconfig rb0 create net_af_packet1,iface=rb0,qdisc_bypass=1
ifconfig ra0 inet 198.18.1.1/24 up
ifconfig rb0 inet 198.18.2.1/24 up
route add -net 198.18.3.0/24 198.18.1.3
sysctl -w net.inet.ip.forwarding=1
ifconfig ra0 inet6 2001:db8:1::1/64
ifconfig rb0 inet6 2001:db8:2::1/64
sysctl -w net.inet6.ip6.forwarding=1
rtadvd ra0 maxinterval 4 mininterval 3 mtu 1500 prefix 2001:db8:1::/64
CONF
}

case $cmd in
  up) up ;;
  down) down ;;
  conf) conf ;;
  *) echo "usage: $0 up|down|conf [PREFIX]" >&2; exit 1 ;;
esac
