#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# The NAPI-like polling modes of a real mpnetd: it runs inside a network
# namespace this test creates, on a DPDK tap port (which has RX interrupts)
# whose kernel side carries 198.18.60.2. For each mode (interrupt, adaptive,
# poll) the daemon idles for a few seconds: its CPU time is read from
# /proc/PID/stat and reported, and the test asserts only that it slept (its
# sleep counters moved, or in poll mode did not) and that traffic then wakes
# it (ping answered, interrupt wake-ups counted: adaptive naps arm the RX
# interrupt too, where the port has one). The ping round-trip times
# of an idle daemon are printed per mode: the wake-up latency.
# Usage: test_idle.sh BUILD_DIR. Exit 77 (skipped) where namespaces or tap
# devices cannot be made.
set -uo pipefail
build=$1
ns=mpidle$$
tapif=mpt$$
d=$(mktemp -d /tmp/mpnetd-idle.XXXXXX)
sock=$d/ctl.sock
pid=""
cleanup() {
  if [[ -n $pid ]] && kill -0 "$pid" 2>/dev/null; then kill -TERM "$pid"; wait "$pid" 2>/dev/null || true; fi
  ip netns del "$ns" 2>/dev/null || true
  rm -rf "$d"
}
trap cleanup EXIT INT TERM
ip netns add "$ns" 2>/dev/null || { echo "SKIP: cannot create network namespaces"; exit 77; }
[[ -c /dev/net/tun ]] || { echo "SKIP: no /dev/net/tun"; exit 77; }
fails=0
passes=0
check() {
  local name=$1; shift
  if "$@"; then passes=$((passes + 1)); echo "ok: $name"; else echo "FAIL: $name"; fails=$((fails + 1)); fi
}
inns() { ip netns exec "$ns" "$@"; }
ctl() { "$build/tools/mpnetctl" -s "$sock" "$@"; }
lcore0() {  # lcore0 FIELD: worker 0's counter from show lcores --json
  ctl show lcores --json | python3 -c "import json,sys; print(json.load(sys.stdin)[0]['$1'])"
}
cputicks() { awk '{print $14 + $15}' "/proc/$pid/stat"; }

inns ip link set lo up
cat > "$d/idle.conf" <<CONF
workers 1
ifconfig tap0 create net_tap_mpidle0,iface=$tapif
ifconfig tap0 inet 198.18.60.1/24 up
intrctl mode -c 0 interrupt
CONF
inns "$build/tools/mpnetd" -c "$d/idle.conf" -s "$sock" -p "$d/pid" 2>"$d/log" &
pid=$!
for _ in $(seq 1 100); do [[ -S $sock ]] && inns ip link show "$tapif" >/dev/null 2>&1 && break; sleep 0.1; done
check "mpnetd is up on a tap port" test -S "$sock"
pid=$(cat "$d/pid")  # the daemon itself (not the backgrounded shell)
# The kernel side of a DPDK tap starts with the port's own MAC: give it its own.
inns ip link set "$tapif" address 02:00:c6:12:3c:02
inns ip addr add 198.18.60.2/24 dev "$tapif"
inns ip link set "$tapif" up
check "tap queue has an RX interrupt" bash -c "'$build/tools/mpnetctl' -s '$sock' intrctl list | grep -q 'tap0:0' && ! '$build/tools/mpnetctl' -s '$sock' intrctl list | grep 'tap0:0' | grep -q 'no interrupt'"
check "ping wakes it (ARP, echo)" inns ping -c 3 -i 0.2 -W 2 198.18.60.1
hz=$(getconf CLK_TCK)
idle_s=3
for mode in interrupt adaptive poll; do
  check "mode $mode" ctl intrctl mode -c 0 "$mode"
  sleep 1  # settle: the idle spell before the first sleep
  s0=$(lcore0 sleeps); i0=$(lcore0 intr_sleeps); t0=$(cputicks)
  sleep $idle_s
  s1=$(lcore0 sleeps); i1=$(lcore0 intr_sleeps); t1=$(cputicks)
  ticks=$((t1 - t0))
  pct=$(awk -v t=$ticks -v hz=$hz -v s=$idle_s 'BEGIN { printf "%.1f", 100 * t / (hz * s) }')
  echo "idle $mode: ${idle_s}s, mpnetd CPU $ticks ticks ($pct % of one CPU), sleeps +$((s1 - s0)), interrupt waits +$((i1 - i0))"
  case $mode in
    interrupt)
      check "interrupt: slept with interrupts armed" test $((i1 - i0)) -gt 0
      check "interrupt: no busy polling" test "$ticks" -lt $((hz * idle_s / 2))
      w0=$(lcore0 intr_wakeups) ;;
    adaptive)
      check "adaptive: napped" test $((s1 - s0)) -gt 0
      check "adaptive: naps with the tap's RX interrupt armed" test $((i1 - i0)) -gt 0
      check "adaptive: no busy polling" test "$ticks" -lt $((hz * idle_s / 2))
      w0=$(lcore0 intr_wakeups) ;;
    poll)
      check "poll: never sleeps" test $((s1 - s0)) -eq 0 ;;
  esac
  rtt=$(inns ping -c 10 -i 0.3 -W 2 198.18.60.1 | tail -1)
  check "$mode: an idle daemon answers" grep -q "min/avg/max" <<<"$rtt"
  echo "idle $mode ping rtt: $rtt"
  if [[ $mode != poll ]]; then
    check "$mode: traffic woke it by interrupt" test "$(lcore0 intr_wakeups)" -gt "$w0"
  fi
done
ctl intrctl mode -c 0 adaptive >/dev/null
echo "passed $passes, failed $fails"
[[ $fails -eq 0 ]]
