# SPDX-License-Identifier: BSD-2-Clause
# Sourced by the interop test and the namespace demo: makes the lab of
# netns-lab.sh, starts mpnetd in it, and removes everything on exit.
# Sets: lab, p (namespace prefix), d (scratch dir), sock, pid.
# lab_init NAME: NAME is 3 letters (interface names must fit IFNAMSIZ);
# exits 77 where network namespaces cannot be made.
lab="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/netns-lab.sh"

lab_cleanup() {
  if [[ -n ${pid:-} ]] && kill -0 "$pid" 2>/dev/null; then kill -TERM "$pid"; wait "$pid" 2>/dev/null; fi
  pkill -f "iperf3 -s -1 -B 198.18.2.2" 2>/dev/null || true
  bash "$lab" down "$p" 2>/dev/null
  rm -rf "$d"
}

lab_init() {
  p="$1$$"
  d=$(mktemp -d "/tmp/mpnet-$1.XXXXXX")
  sock=$d/ctl.sock
  pid=""
  trap lab_cleanup EXIT
  if [[ $(id -u) -ne 0 ]] || ! ip netns add "$p-probe" 2>/dev/null; then
    echo "SKIP: cannot create network namespaces here (needs root and netns support)"
    exit 77
  fi
  ip netns del "$p-probe"
}

# lab_start BUILD_DIR: builds the namespaces and starts mpnetd in them.
lab_start() {
  bash "$lab" up "$p" || return 1
  bash "$lab" conf "$p" > "$d/mpnetd.conf"
  # Not through a shell function: $! must be mpnetd itself (ip netns exec execs it).
  ip netns exec "$p-rt" "$1/tools/mpnetd" -c "$d/mpnetd.conf" -s "$sock" -p "$d/pid" >"$d/log" 2>&1 &
  pid=$!
  for _ in $(seq 1 100); do [[ -S $sock ]] && return 0; sleep 0.1; done
  cat "$d/log"
  return 1
}
