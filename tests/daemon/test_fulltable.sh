#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# A full Internet table through the daemon: the shared BGP table (902k IPv4
# and 160k IPv6 prefixes, ../shared/data) is loaded from mpnetd's
# configuration file, listed with `netstat -rn` and `--json` through
# mpnetctl in both families (every route there, every reply parses), and the
# daemon stops promptly with it loaded.
# Usage: test_fulltable.sh BUILD_DIR TABLE.gz
set -euo pipefail
build=$1
table=$2
py=/usr/bin/python3
d=$(mktemp -d /tmp/mpnetd-full.XXXXXX)
sock=$d/ctl.sock
pid=""
cleanup() {
  if [[ -n $pid ]] && kill -0 "$pid" 2>/dev/null; then kill -KILL "$pid"; wait "$pid" || true; fi
  rm -rf "$d"
}
trap cleanup EXIT
fails=0
passes=0
check() {
  local name=$1; shift
  if "$@"; then passes=$((passes + 1)); else echo "FAIL: $name"; fails=$((fails + 1)); fi
}
ctl() { "$build/tools/mpnetctl" -s "$sock" "$@"; }

# The configuration: one port with a gateway on each family, then a route
# for every prefix of the table.
{
  cat <<CONF
workers 1
mbufs 4095
fib inet poptrie routes 1048576
fib inet6 poptrie routes 262144
ifconfig nul0 create net_null_full0,no-rx=1
ifconfig nul0 inet 198.18.0.1/24 up
ifconfig nul0 inet6 2001:db8::1/64
CONF
  zcat "$table" | awk '/:/ { print "route add -inet6 " $1 " 2001:db8::2"; next } { print "route add -net " $1 " 198.18.0.2" }'
} > "$d/full.conf"
v4=$(zcat "$table" | grep -vc ':')
v6=$(zcat "$table" | grep -c ':')
echo "table: $v4 IPv4 and $v6 IPv6 prefixes"

start=$(date +%s%N)
"$build/tools/mpnetd" -c "$d/full.conf" -s "$sock" -p "$d/pid" 2>"$d/log" &
pid=$!
for _ in $(seq 1 1800); do [[ -S $sock ]] && break; kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
check "daemon up with the full table" test -S "$sock"
echo "loaded in $(( ($(date +%s%N) - start) / 1000000 )) ms"

count_json() {  # count_json FAMILY_ARGS...: routes in the JSON listing
  ctl "$@" --json | "$py" -c 'import json,sys; print(len(json.load(sys.stdin)))'
}
# Each family's listing holds every prefix of the table (plus the port's
# connected and local routes and lo0's).
n4=$(count_json netstat -rn)
check "netstat -rn --json parses and has every IPv4 route" test "$n4" -ge "$v4"
n6=$(count_json netstat -rn -f inet6)
check "netstat -rn -f inet6 --json parses and has every IPv6 route" test "$n6" -ge "$v6"
t4=$(ctl netstat -rn | grep -c ' 198.18.0.2 ' || true)
check "netstat -rn text lists every IPv4 route" test "$t4" = "$v4"
t6=$(ctl netstat -rn -f inet6 | grep -c ' 2001:db8::2 ' || true)
check "netstat -rn -f inet6 text lists every IPv6 route" test "$t6" = "$v6"
check "show fib counts them" bash -c "'$build/tools/mpnetctl' -s '$sock' show fib --json | '$py' -c 'import json,sys; j=json.load(sys.stdin); assert j[\"inet\"][\"routes\"] >= $v4 and j[\"inet6\"][\"routes\"] >= $v6, j'"
echo "listed: $n4 IPv4 and $n6 IPv6 routes (JSON), $t4 and $t6 (text)"

# SIGTERM: the daemon withdraws the table and exits.
start=$(date +%s%N)
kill -TERM "$pid"
rc=0
wait "$pid" || rc=$?
pid=""
check "clean exit with the full table" test "$rc" = 0
echo "stopped in $(( ($(date +%s%N) - start) / 1000000 )) ms"

echo "mpnetd full table: $passes passed, $fails failed"
test "$fails" = 0
