# SPDX-License-Identifier: BSD-2-Clause
# Sourced by the interop tests that make namespaces of their own (BUILD_DIR
# in $build). Only namespaces named after this test's prefix are made, and
# everything is removed on exit, also on failure.
#   netns_begin TAG NAME...  sets p (prefix TAG+pid), d (scratch dir) and
#                            sock; makes namespaces $p-NAME; exits 77 where
#                            namespaces cannot be made
#   ns NAME CMD...           runs CMD in namespace $p-NAME
#   ctl ARGS...              mpnetctl on this test's mpnetd
#   mpnetd_port NAME IF      the kernel side of an af_packet port of mpnetd
#                            in $p-NAME: no IPv6 chatter, checksum offloads
#                            off, up (promiscuity is mpnetd's to set)
#   mpnetd_conf_ports IF...  the start of an mpnetd configuration: one
#                            worker, and each IF an af_packet port, up
#   mpnetd_start NAME CONF   mpnetd in $p-NAME on CONF (sets pid); false if
#                            its socket does not appear within 10 s
# netns_extra_cleanup, if set, is run first on exit.

netns_end() {
  [[ -n ${netns_extra_cleanup:-} ]] && eval "$netns_extra_cleanup"
  if [[ -n ${pid:-} ]] && kill -0 "$pid" 2>/dev/null; then kill -TERM "$pid"; wait "$pid" 2>/dev/null; fi
  local n
  for n in "${netns_names[@]}"; do ip netns del "$p-$n" 2>/dev/null; done
  rm -rf "$d"
}

netns_begin() {
  local tag=$1
  shift
  p="$tag$$"
  d=$(mktemp -d "/tmp/mpnet-$tag.XXXXXX")
  sock=$d/ctl.sock
  pid=""
  netns_names=("$@")
  trap netns_end EXIT
  if [[ $(id -u) -ne 0 ]] || ! ip netns add "$p-$1" 2>/dev/null; then
    echo "SKIP: cannot create network namespaces here (needs root and netns support)"
    exit 77
  fi
  local n
  for n in "${@:2}"; do ip netns add "$p-$n"; done
}

ns() { ip netns exec "$p-$1" "${@:2}"; }
ctl() { "$build/tools/mpnetctl" -s "$sock" "$@"; }

mpnetd_port() {
  ns "$1" sysctl -qw "net.ipv6.conf.$2.disable_ipv6=1"
  ns "$1" ethtool -K "$2" tx off rx off >/dev/null 2>&1 || true
  ns "$1" ip link set "$2" up
}

mpnetd_conf_ports() {
  printf 'workers 1\nmbufs 8191\n'
  local i=0 f
  for f in "$@"; do
    printf 'ifconfig %s create net_af_packet%d,iface=%s,qdisc_bypass=1\nifconfig %s up\n' "$f" "$i" "$f" "$f"
    i=$((i + 1))
  done
}

mpnetd_start() {
  ip netns exec "$p-$1" "$build/tools/mpnetd" -c "$2" -s "$sock" -p "$d/pid" > "$d/log" 2>&1 &
  pid=$!
  local _
  for _ in $(seq 1 100); do [[ -S $sock ]] && return 0; sleep 0.1; done
  cat "$d/log"
  return 1
}
