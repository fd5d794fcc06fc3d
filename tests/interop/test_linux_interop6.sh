#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# IPv6 interop with real Linux hosts: mpnetd on af_packet ports between
# Linux namespaces. Linux configures SLAAC and its default route from
# mpnetd's advertisements (rdisc6 shows them), ndisc6 resolves mpnetd, Linux
# hosts ping6 each other through it, tcpdump reads the RA's wire format,
# and mpnetd's DAD finds a Linux host already holding an address.
# Only namespaces this test creates, only 2001:db8::/32 and 198.18.0.0/15.
# Exit 77 (skipped) where namespaces cannot be made.
# Usage: test_linux_interop6.sh BUILD_DIR
set -uo pipefail
build=$1
here=$(cd "$(dirname "$0")" && pwd)
source "$here/../../tools/scripts/netns-lab-common.sh"
lab_init mp6
for t in ping rdisc6 ndisc6 tcpdump; do
  command -v $t >/dev/null || { echo "SKIP: $t not installed (tools/scripts/setup-deps.sh installs it)"; exit 77; }
done

source "$here/../support/checks.sh"
ns() { ip netns exec "$p-$1" "${@:2}"; }
ctl() { "$build/tools/mpnetctl" -s "$sock" "$@"; }
# wait_for SECONDS CMD...: polls (bounded) until CMD succeeds.
wait_for() {
  local n=$(($1 * 5)); shift
  for _ in $(seq 1 "$n"); do "$@" >/dev/null 2>&1 && return 0; sleep 0.2; done
  return 1
}

lab_start "$build" || { echo "FAIL: lab setup"; exit 1; }
check "mpnetd is up" test -S "$sock"
rmac=$(ctl ifconfig ra0 --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["address"])')
rll=$(ctl ifconfig ra0 --json | python3 -c '
import json,sys
print([a["address"] for a in json.load(sys.stdin)["inet6"] if a["address"].startswith("fe80")][0])')
echo "mpnetd ra0: $rmac $rll"

# The RA on the wire, read by tcpdump (waits for the next periodic one).
ip netns exec "$p-h3" timeout 10 tcpdump -n -v -l -i eth0 -c 1 'icmp6 and ip6[40] == 134' > "$d/ra.txt" 2>/dev/null &
tdp=$!
# rdisc6 solicits and prints what mpnetd advertises (once h1's own
# link-local address has passed Linux's DAD: it is the RS's source).
no_tentative() { test -z "$(ip netns exec "$p-$1" ip -6 addr show dev eth0 tentative)"; }
wait_for 10 no_tentative h1
ns h1 rdisc6 -1 -w 3000 eth0 > "$d/rdisc6.txt" 2>&1
check "rdisc6 gets mpnetd's advertisement" grep -q "from $rll" "$d/rdisc6.txt"
check "rdisc6 shows the prefix" grep -Eq "Prefix +: 2001:db8:1::/64" "$d/rdisc6.txt"
check "rdisc6 shows the MTU" grep -Eq "MTU +: +1500" "$d/rdisc6.txt"
check "rdisc6 shows mpnetd's MAC" grep -qi "Source link-layer address: $rmac" "$d/rdisc6.txt"
wait $tdp 2>/dev/null
check "tcpdump decodes the RA (checksum, prefix)" grep -q "icmp6 sum ok" "$d/ra.txt"
check "tcpdump decodes the prefix option" grep -Eq "prefix info option.*2001:db8:1::/64, Flags \[onlink, auto\]" "$d/ra.txt"
# SLAAC on Linux from mpnetd's prefix, and the default route.
check "h1 configured a SLAAC address" wait_for 10 bash -c "ip netns exec $p-h1 ip -6 addr show dev eth0 scope global | grep -q 'inet6 2001:db8:1:0:'"
check "h1's default route is mpnetd's link-local" wait_for 5 bash -c "ip netns exec $p-h1 ip -6 route show default | grep -q 'via $rll'"
check "h1's SLAAC address passed DAD" wait_for 10 no_tentative h1
h1a=$(ip netns exec "$p-h1" ip -6 addr show dev eth0 scope global | awk '/inet6 2001:db8:1:0:/{sub("/.*","",$2); print $2; exit}')
# ndisc6 resolves mpnetd's global and link-local addresses.
check "ndisc6 resolves mpnetd" bash -c "ip netns exec $p-h1 ndisc6 -1 -w 2000 2001:db8:1::1 eth0 | grep -qi '$rmac'"
check "ndisc6 resolves mpnetd's link-local" bash -c "ip netns exec $p-h1 ndisc6 -1 -w 2000 $rll eth0 | grep -qi '$rmac'"
# ping6 through mpnetd, both ways, and to mpnetd itself.
check "h1 pings6 mpnetd" ns h1 ping -6 -c 2 -i 0.2 -W 2 2001:db8:1::1
check "h1 pings6 mpnetd's link-local" ns h1 ping -6 -c 2 -i 0.2 -W 2 "$rll%eth0"
check "h1 pings6 h2 through mpnetd" ns h1 ping -6 -c 3 -i 0.2 -W 2 2001:db8:2::2
check "h2 pings6 h1's SLAAC address through mpnetd" ns h2 ping -6 -c 3 -i 0.2 -W 2 "$h1a"
check "hop limit 1: time exceeded from mpnetd" bash -c "ip netns exec $p-h1 ping -6 -c 1 -t 1 -W 2 2001:db8:2::2 | grep -qi 'time exceeded'"
# mpnetd's neighbor cache shows the Linux hosts.
check "mpnetctl ndp -an shows h1" bash -c "'$build/tools/mpnetctl' -s '$sock' ndp -an | grep -q '$h1a'"
check "mpnetctl ndp -an shows h2" bash -c "'$build/tools/mpnetctl' -s '$sock' ndp -an | grep -q '2001:db8:2::2'"
check "netstat -rn -f inet6 lists the connected prefixes" bash -c "'$build/tools/mpnetctl' -s '$sock' netstat -rn -f inet6 | grep -q '2001:db8:2::/64'"
# mpnetd's DAD finds h3, which already holds 2001:db8:1::3.
ctl ifconfig ra0 inet6 2001:db8:1::3/64 >/dev/null
check "DAD marks h3's address duplicated" wait_for 5 bash -c "'$build/tools/mpnetctl' -s '$sock' ifconfig ra0 | grep -q 'inet6 2001:db8:1::3/64 flags 0x2<DUPLICATED>'"
ctl show errors
echo "$passes passed, $fails failed"
test "$fails" = 0
