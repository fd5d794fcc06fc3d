#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# bridge(4)'s spanning tree against Linux's: mpnetd's bridge0 and a Linux
# bridge (stp_state 1) in another namespace are joined by two veth links, a
# loop. Both must agree on the root and block exactly one port on the
# non-root side, traffic must cross without a storm, and a priority change
# must move the root to mpnetd and the blocked port to Linux's side.
# Only namespaces this test creates, only 198.18.0.0/15; everything is
# removed afterwards. Exit 77 (skipped) where namespaces cannot be made.
# Usage: test_bridge_stp_interop.sh BUILD_DIR
set -uo pipefail
build=$1
here=$(cd "$(dirname "$0")" && pwd)
command -v ping >/dev/null || { echo "SKIP: ping not installed"; exit 77; }
source "$here/../support/checks.sh"

source "$here/../support/netns.sh"
netns_begin mst rt sw h1

# Linux: br0 with s1, s2 (to mpnetd's ba0, bb0) and s3 (to h1). STP on,
# priority 4096 (the root at first), hello 1 s, forward delay 4 s, max age 6 s
# (iproute2 takes them in hundredths of a second).
ns sw ip link add br0 type bridge stp_state 1 priority 4096 hello_time 100 forward_delay 400 max_age 600
ip link add "$p-s1" type veth peer name "$p-a"
ip link add "$p-s2" type veth peer name "$p-b"
ip link add "$p-s3" type veth peer name "$p-h"
for i in 1 2 3; do
  ip link set "$p-s$i" netns "$p-sw" name "s$i"
  ns sw ip link set "s$i" master br0 up
done
ip link set "$p-a" netns "$p-rt" name ba0
ip link set "$p-b" netns "$p-rt" name bb0
ip link set "$p-h" netns "$p-h1" name eth0
ns sw ip link set br0 up
for i in ba0 bb0; do mpnetd_port rt "$i"; done
ns rt ip link set lo up
ns h1 ip addr add 198.18.6.2/24 dev eth0
ns h1 ip link set eth0 up

mpnetd_conf_ports ba0 bb0 > "$d/mpnetd.conf"
cat >> "$d/mpnetd.conf" <<CONF
ifconfig bridge0 create
brconfig bridge0 hellotime 1 fwddelay 4 maxage 6
brconfig bridge0 add ba0
brconfig bridge0 add bb0
brconfig bridge0 stp ba0
brconfig bridge0 stp bb0
ifconfig bridge0 inet 198.18.6.1/24 up
sysctl -w net.inet.ip.dad_count=0
CONF
mpnetd_start rt "$d/mpnetd.conf"
check "mpnetd is up" test -S "$sock"
[[ -S $sock ]] || exit 1

# mpnetd's STP view as "ROOT_ID BRIDGE_ID STATE_ba0 STATE_bb0".
mview() {
  ctl brconfig bridge0 --json | /usr/bin/python3 -c '
import json,sys; j=json.load(sys.stdin); s={i["name"]:i["state"] for i in j["interfaces"]}
print(j["stp"]["root_id"], j["stp"]["bridge_id"], s.get("ba0"), s.get("bb0"))'
}
# Linux's: "ROOT_ID BRIDGE_ID STATE_s1 STATE_s2" (sysfs states: 0 disabled,
# 1 listening, 2 learning, 3 forwarding, 4 blocking).
lview() {
  local st=(disabled listening learning forwarding blocking)
  echo "$(ns sw cat /sys/class/net/br0/bridge/root_id) $(ns sw cat /sys/class/net/br0/bridge/bridge_id)" \
    "${st[$(ns sw cat /sys/class/net/s1/brport/state)]} ${st[$(ns sw cat /sys/class/net/s2/brport/state)]}"
}
# wait_for SECONDS COMMAND...: until the command succeeds (bounded).
wait_for() {
  local n=$(($1 * 5)); shift
  for _ in $(seq "$n"); do "$@" && return 0; sleep 0.2; done
  return 1
}
one_blocked() { local v; v=$(mview); [[ $v == *" forwarding blocking" || $v == *" blocking forwarding" ]]; }
linux_one_blocked() { local v; v=$(lview); [[ $v == *" forwarding blocking" || $v == *" blocking forwarding" ]]; }

# Linux is the root: mpnetd agrees, and blocks one of its two ports.
check "mpnetd blocks one port of the loop" wait_for 30 one_blocked
echo "mpnetd: $(mview)"
echo "linux:  $(lview)"
lbid=$(ns sw cat /sys/class/net/br0/bridge/bridge_id)
check "both agree Linux's bridge ($lbid) is the root" bash -c "[[ '$(mview | cut -d' ' -f1)' == '$lbid' && '$(lview | cut -d' ' -f1)' == '$lbid' ]]"
check "Linux (the root) forwards on both its ports" wait_for 10 bash -c "[[ \"\$(ip netns exec $p-sw cat /sys/class/net/s1/brport/state)\$(ip netns exec $p-sw cat /sys/class/net/s2/brport/state)\" == 33 ]]"
check "h1 pings mpnetd's bridge across the loop" ns h1 ping -c 3 -i 0.2 -W 2 198.18.6.1
tx_before=$(ns sw cat /sys/class/net/s3/statistics/tx_packets)
sleep 2
tx_after=$(ns sw cat /sys/class/net/s3/statistics/tx_packets)
check "no storm: h1's port carried $((tx_after - tx_before)) frames in 2 s" test $((tx_after - tx_before)) -lt 100

# mpnetd takes the root (priority 0): Linux follows and blocks one of its ports.
ctl brconfig bridge0 priority 0
mbid=$(mview | cut -d' ' -f2)
check "Linux takes mpnetd ($mbid) as the root" wait_for 30 bash -c "[[ \"\$(ip netns exec $p-sw cat /sys/class/net/br0/bridge/root_id)\" == '$mbid' ]]"
check "Linux blocks one port of the loop" wait_for 30 linux_one_blocked
check "mpnetd (the root) forwards on both its ports" wait_for 20 bash -c "[[ \"\$('$build/tools/mpnetctl' -s '$sock' brconfig bridge0 --json | /usr/bin/python3 -c 'import json,sys; print(sorted(i[\"state\"] for i in json.load(sys.stdin)[\"interfaces\"]))')\" == \"['forwarding', 'forwarding']\" ]]"
echo "mpnetd: $(mview)"
echo "linux:  $(lview)"
ns h1 ip neigh flush dev eth0
check "h1 pings mpnetd's bridge after the change" wait_for 15 ns h1 ping -c 1 -W 1 198.18.6.1
ctl brconfig bridge0
ctl show errors
echo "$passes passed, $fails failed"
test "$fails" = 0
