#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# The main job on its embedded default: Linux hosts in network namespaces
# made on the fly, mpnetd routing between them on af_packet ports, ping and a
# TCP transfer through it, its tables and counters shown with mpnetctl, then
# everything removed. Exit 77 where namespaces cannot be made.
# Usage: demo-netns.sh BUILD_DIR
set -uo pipefail
build=$1
source "$(cd "$(dirname "$0")" && pwd)/netns-lab-common.sh"
lab_init mpd >/dev/null
say() { printf '\n\033[1m%s\033[0m\n' "$*"; }
ctl() { echo "mpnetd# mpnetctl $*"; "$build/tools/mpnetctl" -s "$sock" "$@"; }

say "Building a lab: Linux hosts h1 198.18.1.2 and h2 198.18.2.2 (2001:db8:2::2) in their own namespaces, mpnetd between them"
lab_start "$build" || exit 1
cat "$d/mpnetd.conf"
say "h1$ ping -c 3 198.18.2.2   (Linux to Linux, routed by mpnetd)"
ip netns exec "$p-h1" ping -c 3 -i 0.2 198.18.2.2
say "h1$ traceroute -n 198.18.2.2"
ip netns exec "$p-h1" traceroute -n -q 1 -w 2 198.18.2.2
say "h1$ iperf3 -c 198.18.2.2 -n 50M   (a TCP transfer through mpnetd)"
ip netns exec "$p-h2" timeout 40 iperf3 -s -1 -B 198.18.2.2 >/dev/null 2>&1 &
sleep 1
ip netns exec "$p-h1" timeout 30 iperf3 -c 198.18.2.2 -n 50M | tail -4
say "IPv6: h1 takes a SLAAC address and its default route from mpnetd's router advertisements"
for _ in $(seq 1 50); do
  ip netns exec "$p-h1" ip -6 addr show dev eth0 scope global | grep -q 2001:db8:1: &&
    [[ -z $(ip netns exec "$p-h1" ip -6 addr show dev eth0 tentative) ]] && break
  sleep 0.2
done
ip netns exec "$p-h1" ip -6 addr show dev eth0 scope global
ip netns exec "$p-h1" ip -6 route show default
say "h1$ ping -6 -c 3 2001:db8:2::2   (Linux to Linux over IPv6, routed by mpnetd)"
ip netns exec "$p-h1" ping -6 -c 3 -i 0.2 2001:db8:2::2
say "mpnetd's view"
ctl ifconfig -a
ctl arp -an
ctl ndp -an
ctl netstat -rn
ctl netstat -rn -f inet6
ctl show stats
ctl show errors
ctl show lcores
say "Done: everything the demo made is removed now."
