#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# Hostile floods from a Linux namespace: mpnetd routes between two Linux
# hosts (h1, h2) on af_packet ports while an attacker on a third port (atk)
# sends scapy-built floods (tests/interop/flood.py): fuzzed ARP, ARP from
# 50,000 senders, neighbor solicitations for many targets, a scan of the
# connected subnets (every packet needs resolving), router advertisements
# with many prefixes, fuzzed IPv6/ICMPv6. During each flood:
#   - `show errors`, `arp -an` and `ndp -an` (--json) are answered within
#     one second, every time, and parse;
#   - h1's pings to h2 through mpnetd keep being answered;
#   - every named limit in `show limits` holds (used <= max);
#   - the flood reached mpnetd (the port's input counter moved) and did
#     what it was meant to (a counter or table named per flood moved);
#   - mpnetd's resident memory stays within the bound stated below.
# Then mpnetd stops cleanly (under ASan: no leak, no error).
#
# The memory bound: what mpnetd is allowed to grow by after start-up is its
# packet-buffer pool (mbufs x 2,304 bytes, whose pages are touched only as
# buffers are first used), the per-interface neighbor tables at their limit
# (4,096 entries of under 512 bytes), the hand-over ring and the rest of the
# named tables (a few MB), plus malloc's arenas: 64 MB in all past the
# resident size measured after start-up (ASan's quarantine and shadow add
# their own: 384 MB there).
# mpnetd runs with transparent huge pages off for its process
# (PR_SET_THP_DISABLE), one variable less: where the kernel's THP mode is
# `always`, a 4 KiB first touched in an untouched 2 MiB range can make 2 MiB
# resident. A CI run (of an earlier commit) measured 227 MB after start-up
# and +176 MB during the floods, where the same test here measures 142 MB and
# +16 MB; THP `always` (also for shmem) did not reproduce that here (the
# resident size stayed the same, 70 MB of it in huge pages), so the cause is
# not known: past the bound the test prints the mappings that grew most.
#
# Only namespaces and veth pairs this test creates, only 198.18.0.0/15 and
# 2001:db8::/32; everything is removed afterwards, also on failure. Exit 77
# (skipped) where namespaces or scapy are missing.
# Usage: test_floods.sh BUILD_DIR [KIND...]
set -uo pipefail
build=$1
shift
here=$(cd "$(dirname "$0")" && pwd)
py=/usr/bin/python3
p=mpf$$
d=$(mktemp -d /tmp/mpnet-floods.XXXXXX)
sock=$d/ctl.sock
pid=""
cleanup() {
  [[ -n ${fpid:-} ]] && kill "$fpid" 2>/dev/null
  if [[ -n $pid ]] && kill -0 "$pid" 2>/dev/null; then kill -KILL "$pid"; wait "$pid" 2>/dev/null; fi
  for n in rt h1 h2 atk; do ip netns del "$p-$n" 2>/dev/null; done
  rm -rf "$d"
}
trap cleanup EXIT
if [[ $(id -u) -ne 0 ]] || ! ip netns add "$p-rt" 2>/dev/null; then
  echo "SKIP: cannot create network namespaces here (needs root)"; exit 77
fi
"$py" -c 'import scapy.all' 2>/dev/null || { echo "SKIP: python3-scapy not installed (setup-deps.sh installs it)"; exit 77; }
# Not `ldd | grep -q`: under pipefail, grep -q leaving at the first match
# kills ldd with SIGPIPE, and the pipeline fails on an ASan build (a CI run
# took it for a release build and held it to the release bound).
asan=0
[[ $(ldd "$build/tools/mpnetd" 2>/dev/null) == *libasan* ]] && asan=1

source "$here/../support/checks.sh"
ns() { ip netns exec "$p-$1" "${@:2}"; }
# The client: mpnetctl of this build, or MPNET_FLOOD_CLIENT (the sanitizer
# run passes the release build's: what is measured is mpnetd's answer, and an
# ASan-built client alone spends ~200 ms mapping its shadow memory at start).
client=${MPNET_FLOOD_CLIENT:-$build/tools/mpnetctl}
[[ -x $client ]] || client=$build/tools/mpnetctl
echo "client: $client"
ctl() { "$client" -s "$sock" "$@"; }
rss_kb() { awk '/^VmRSS/ {print $2}' "/proc/$pid/status"; }
# rss_by_mapping FILE: one line per mapping, "START NAME RSS_KB START-END",
# for the report of what grew when the bound fails. A mapping is known by
# its start and name: the heap and arenas grow at their end.
rss_by_mapping() {
  awk '/^[0-9a-f]+-[0-9a-f]+ / {split($1, r, "-"); m = r[1] " " ($6 == "" ? "[anon]" : $6); range = $1}
       /^Rss:/ {print m, $2, range}' "/proc/$pid/smaps" > "$1"
}
grown() {  # the eight mappings that grew most since start-up ($d/smaps0)
  rss_by_mapping "$d/smaps1"
  awk 'NR == FNR {a[$1 " " $2] = $3; next} {g = $3 - a[$1 " " $2]; if (g > 0) print g " kB " $4 " " $2}' \
    "$d/smaps0" "$d/smaps1" | sort -rn | head -8 | sed 's/^/    grew /'
}

# The lab: three veth pairs into mpnetd's namespace.
for n in h1 h2 atk; do ip netns add "$p-$n"; done
i=0
for n in h1 h2 atk; do
  port=p$i
  ip link add "$p-$n" type veth peer name "$p-r$i"
  ip link set "$p-$n" netns "$p-$n" name eth0
  ip link set "$p-r$i" netns "$p-rt" name $port
  ns rt sysctl -qw "net.ipv6.conf.$port.disable_ipv6=1"
  ns rt ip link set $port up promisc on
  ns rt ethtool -K $port tx off rx off >/dev/null 2>&1 || true
  ns $n ip link set lo up
  ns $n ethtool -K eth0 tx off rx off >/dev/null 2>&1 || true
  i=$((i + 1))
done
ns rt ip link set lo up
ns h1 sysctl -qw net.ipv6.conf.eth0.accept_ra=0
ns h2 sysctl -qw net.ipv6.conf.eth0.accept_ra=0
ns atk sysctl -qw net.ipv6.conf.eth0.disable_ipv6=1  # scapy speaks for the attacker
ns h1 ip addr add 198.18.1.2/24 dev eth0
ns h2 ip addr add 198.18.2.2/24 dev eth0
ns atk ip addr add 198.19.0.2/16 dev eth0
for n in h1 h2 atk; do ns $n ip link set eth0 up; done
ns h1 ip -6 addr add 2001:db8:1::2/64 dev eth0 nodad
ns h2 ip -6 addr add 2001:db8:2::2/64 dev eth0 nodad
ns h1 ip route add default via 198.18.1.1
ns h2 ip route add default via 198.18.2.1
ns h1 ip -6 route add default via 2001:db8:1::1 dev eth0
ns h2 ip -6 route add default via 2001:db8:2::1 dev eth0

cat > "$d/mpnetd.conf" <<CONF
# mpnetd between h1 and h2, with an attacker on p2
workers 1
mbufs 8191
ifconfig p0 create net_af_packet0,iface=p0,qdisc_bypass=1
ifconfig p1 create net_af_packet1,iface=p1,qdisc_bypass=1
ifconfig p2 create net_af_packet2,iface=p2,qdisc_bypass=1
ifconfig p0 inet 198.18.1.1/24 up
ifconfig p1 inet 198.18.2.1/24 up
ifconfig p2 inet 198.19.0.1/16 up
ifconfig p0 inet6 2001:db8:1::1/64
ifconfig p1 inet6 2001:db8:2::1/64
ifconfig p2 inet6 2001:db8:4::1/64
sysctl -w net.inet.ip.forwarding=1
sysctl -w net.inet6.ip6.forwarding=1
CONF
# PR_SET_THP_DISABLE (41) holds across exec; the pid stays mpnetd's.
thp_off=("$py" -c 'import ctypes,os,sys
if ctypes.CDLL(None, use_errno=True).prctl(41, 1, 0, 0, 0) != 0: sys.exit("prctl(PR_SET_THP_DISABLE) failed")
os.execv(sys.argv[1], sys.argv[1:])')
# ASan: a bounded quarantine, so that resident memory measures mpnetd.
ASAN_OPTIONS="${ASAN_OPTIONS:-}${ASAN_OPTIONS:+:}quarantine_size_mb=64" \
  ip netns exec "$p-rt" "${thp_off[@]}" "$build/tools/mpnetd" -c "$d/mpnetd.conf" -s "$sock" -p "$d/pid" >"$d/log" 2>&1 &
pid=$!
for _ in $(seq 1 300); do [[ -S $sock ]] && break; kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
check "mpnetd is up" test -S "$sock"
[[ -S $sock ]] || { cat "$d/log"; exit 1; }
# The hosts reach each other through mpnetd before anything else happens.
for _ in 1 2 3; do ns h1 ping -c 1 -W 2 198.18.2.2 >/dev/null && break; done
check "h1 pings h2 through mpnetd" ns h1 ping -c 3 -i 0.2 -W 2 198.18.2.2
check "h1 pings h2 over IPv6 through mpnetd" ns h1 ping -6 -c 3 -i 0.2 -W 2 2001:db8:2::2
check "mpnetd runs with transparent huge pages off" grep -Eq '^THP_enabled:[[:space:]]+0' "/proc/$pid/status"
router_mac=$(ctl ifconfig p2 --json | "$py" -c 'import json,sys; print(json.load(sys.stdin)["address"])')
rss0=$(rss_kb)
rss_by_mapping "$d/smaps0"
if ((asan)); then bound_kb=$((rss0 + 384 * 1024)); else bound_kb=$((rss0 + 64 * 1024)); fi
echo "resident after start-up: $((rss0 / 1024)) MB; bound: $((bound_kb / 1024)) MB" \
  "($( ((asan)) && echo "ASan build" || echo "release build"));" \
  "the kernel's THP mode: $(cat /sys/kernel/mm/transparent_hugepage/enabled 2>/dev/null || echo unknown)"
rss_max=$rss0

ipackets() { ctl ifconfig p2 --json | "$py" -c 'import json,sys; print(json.load(sys.stdin)["ipackets"])'; }
errors_json() { ctl show errors --json > "$1"; }
# moved REGEX: how much the drop counters whose names match REGEX moved
# during the flood, together.
moved() {
  "$py" -c "import json,re; a=json.load(open('$d/e0')); b=json.load(open('$d/e1'))
print(sum(v - a.get(k, 0) for k, v in b.items() if re.search('$1', k)))"
}
limits_hold() {
  ctl show limits --json | "$py" -c '
import json,sys
bad=[l for l in json.load(sys.stdin) if l["used"] > l["max"]]
for l in bad: print("over its limit:", l)
sys.exit(1 if bad else 0)'
}
neighbors() {  # neighbors arp|ndp: entries on p2
  ctl "$1" -an --json | "$py" -c 'import json,sys; print(sum(1 for e in json.load(sys.stdin) if e.get("interface")=="p2"))'
}

# flood KIND CHECK...: runs one flood with the checks above; CHECK is a shell
# expression evaluated afterwards (drop-counter deltas through `moved`).
flood() {
  local kind=$1 expect=$2
  echo "== flood: $kind"
  errors_json "$d/e0"
  local in0
  in0=$(ipackets)
  rm -f "$d/ready"
  ns atk "$py" "$here/flood.py" eth0 "$kind" --router-mac "$router_mac" --rate "${MPNET_FLOOD_RATE:-20000}" \
    --seconds "${MPNET_FLOOD_SECONDS:-5}" --ready "$d/ready" > "$d/flood.out" 2>&1 &
  fpid=$!
  for _ in $(seq 1 300); do [[ -e $d/ready ]] && break; kill -0 "$fpid" 2>/dev/null || break; sleep 0.1; done
  check "$kind: the flood started" test -e "$d/ready"
  ns h1 ping -q -c 16 -i 0.25 -W 1 198.18.2.2 > "$d/ping.out" 2>&1 &
  local ppid=$!
  sleep 0.5
  local worst=0 bad=0 cmd t0 ms
  for _ in 1 2 3; do
    for cmd in "show errors" "arp -an" "ndp -an"; do
      t0=$(date +%s%N)
      # shellcheck disable=SC2086
      if ! timeout 10 "$client" -s "$sock" $cmd --json > "$d/reply.json" 2>&1 ||
         ! "$py" -c "import json; json.load(open('$d/reply.json'))" 2>/dev/null; then
        echo "  $cmd: no valid answer: $(head -c 200 "$d/reply.json")"
        bad=$((bad + 1))
      fi
      ms=$(( ($(date +%s%N) - t0) / 1000000 ))
      ((ms > worst)) && worst=$ms
      ((ms > 1000)) && { echo "  $cmd: answered after $ms ms"; bad=$((bad + 1)); }
    done
    sleep 0.3
  done
  local r
  r=$(rss_kb)
  ((r > rss_max)) && rss_max=$r
  wait "$fpid"
  fpid=""
  wait "$ppid"
  local in1 received
  in1=$(ipackets)
  received=$(grep -Eo '[0-9]+ received' "$d/ping.out" | grep -Eo '^[0-9]+' || echo 0)
  errors_json "$d/e1"
  r=$(rss_kb)
  ((r > rss_max)) && rss_max=$r
  echo "  $(cat "$d/flood.out"); p2 took in $((in1 - in0)); slowest answer $worst ms; h1->h2 pings $received/16;" \
    "arp on p2: $(neighbors arp), ndp on p2: $(neighbors ndp); resident $((r / 1024)) MB"
  check "$kind: every command answered within 1 s" test "$bad" = 0
  check "$kind: forwarding between h1 and h2 continued" test "$received" -ge 12
  check "$kind: the flood reached mpnetd" test $((in1 - in0)) -ge 5000
  check "$kind: it did what it was meant to ($expect)" bash -c "$expect"
  check "$kind: every named limit holds" limits_hold
  check "$kind: resident memory within the bound" test "$r" -le "$bound_kb"
  ((r > bound_kb)) && grown
  check "$kind: mpnetd still running" kill -0 "$pid"
}
export -f moved
export d py

kinds=("$@")
[[ ${#kinds[@]} -eq 0 ]] && kinds=(arp-fuzz arp-senders ns-targets scan ra-prefixes ip6-fuzz)
for k in "${kinds[@]}"; do
  case $k in
    arp-fuzz) flood arp-fuzz '(( $(moved "^arp_") > 1000 ))' ;;
    arp-senders)
      flood arp-senders '(( $(moved "^arp_off_subnet$") > 1000 ))'
      n=$(neighbors arp)
      check "arp-senders: the neighbor table filled to its limit and no further" test "$n" -ge 2048 -a "$n" -le 4096
      ;;
    ns-targets) flood ns-targets '(( $(moved "^nd_not_for_us$") > 1000 ))' ;;
    scan) flood scan '(( $(moved "^neigh_") > 1000 ))' ;;
    ra-prefixes)
      # Only a host takes advertisements: mpnetd becomes one for this flood.
      ctl sysctl -w net.inet6.ip6.forwarding=0 >/dev/null
      ctl sysctl -w net.inet6.ip6.accept_rtadv=1 >/dev/null
      flood ra-prefixes '(( $(moved "^nd_(prefix|router)_limit$") > 100 ))'
      check "ra-prefixes: default routers at their limit" bash -c "(( \$('$client' -s '$sock' ndp -r --json | '$py' -c 'import json,sys; print(len(json.load(sys.stdin)))') <= 16 ))"
      ctl sysctl -w net.inet6.ip6.accept_rtadv=0 >/dev/null
      ctl sysctl -w net.inet6.ip6.forwarding=1 >/dev/null
      ;;
    ip6-fuzz) flood ip6-fuzz '(( $(moved "^(ip6_|icmp6_|nd_)") > 1000 ))' ;;
    *) echo "unknown flood $k"; exit 2 ;;
  esac
done
ctl show errors
check "h1 still pings h2 over IPv6" ns h1 ping -6 -c 3 -i 0.2 -W 2 2001:db8:2::2
echo "resident: $((rss0 / 1024)) MB after start-up, at most $((rss_max / 1024)) MB during the floods (bound $((bound_kb / 1024)) MB)"
ctl show limits
kill -TERM "$pid"
rc=0
wait "$pid" || rc=$?
pid=""
check "mpnetd stops cleanly (exit 0; under ASan: no leak, no error)" test "$rc" = 0
[[ $rc != 0 ]] && tail -40 "$d/log"
echo "floods: $passes passed, $fails failed"
test "$fails" = 0
