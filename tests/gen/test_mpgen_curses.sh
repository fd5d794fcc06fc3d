#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# mpgen's curses screen driven in tmux: keys are sent, the screen is read.
# The counters move; Tab + Enter edit the rate (a good value is applied, a bad
# one is refused with its reason); 's' stops the selected port; 'z' clears;
# 'q' quits.
# Usage: test_mpgen_curses.sh BUILD_DIR
set -euo pipefail
build=$1
command -v tmux >/dev/null || { echo "SKIP: tmux missing"; exit 77; }
sess=mpgen-curses-$$
d=$(mktemp -d /tmp/mpgen-curses.XXXXXX)
cleanup() { tmux kill-session -t "$sess" 2>/dev/null || true; rm -rf "$d"; }
trap cleanup EXIT INT TERM
fails=0
passes=0
check() {
  local name=$1; shift
  if "$@"; then passes=$((passes + 1)); else echo "FAIL: $name"; fails=$((fails + 1)); screen | sed 's/^/  | /'; fi
}
screen() { tmux capture-pane -p -t "$sess"; }
# The first number after a row label (port 0's column).
value() { screen | grep -m1 "^ $1 " | sed "s/^ $1 *//" | awk '{print $1}'; }
value1() { screen | grep -m1 "^ $1 " | sed "s/^ $1 *//" | awk '{print $2}'; }  # port 1's column (one-word cells)
wait_for() {  # wait_for PATTERN: up to 10 s
  for _ in $(seq 100); do screen | grep -- "$1" >/dev/null && return 0; sleep 0.1; done
  return 1
}

tmux new-session -d -s "$sess" -x 130 -y 45 \
  "$build/tools/mpgen --ring-link -r 10kpps --ui curses --json-log $d/log.json 2>$d/err.txt; echo exited \$? > $d/rc"
check "screen comes up" wait_for "mpgen - mpnet packet generator"
check "both ports shown" wait_for "1 net_ring_mpgen_link"
sleep 1
a=$(value "TX frames")
sleep 1.2
b=$(value "TX frames")
check "TX counter moves ($a -> $b)" test "$b" -gt "$a"
check "port 1 receives" test "$(value1 "RX frames")" -gt 0

# Select port 0's rate (Tab from its size) and set 2000 frames/s.
tmux send-keys -t "$sess" Tab Enter
sleep 0.3
tmux send-keys -t "$sess" -l "2000"
tmux send-keys -t "$sess" Enter
check "rate applied" wait_for "\[2000pps\]"
check "message says so" wait_for "rate 2000pps"
check "configured rate shown" wait_for "2.000k / 14.881M fps"
sleep 1.5
tx_rate=$(screen | grep -m1 '^ TX fps' | sed 's/^ TX fps \/ Mbit\/s *//' | awk '{print $1}')
check "TX rate follows (~2k: $tx_rate)" grep -Eq '^(1\.9[0-9]*k|2\.0[0-9]*k)$' <<<"$tx_rate"

# A bad value is refused with its reason and nothing changes.
tmux send-keys -t "$sess" Enter
sleep 0.2
tmux send-keys -t "$sess" -l "fast"
tmux send-keys -t "$sess" Enter
check "bad rate refused" wait_for "error: rate 'fast': expected pps"
check "rate unchanged" wait_for "\[2000pps\]"

# Stop port 0: the counter stands still.
tmux send-keys -t "$sess" s
check "port stopped" wait_for "stopped"
sleep 0.6
a=$(value "TX frames")
sleep 1
b=$(value "TX frames")
check "TX counter stands ($a = $b)" test "$a" = "$b"

# Clear.
tmux send-keys -t "$sess" z
check "cleared message" wait_for "counters cleared"
sleep 0.5
check "TX frames zero" test "$(value "TX frames")" = 0

# Quit.
tmux send-keys -t "$sess" q
for _ in $(seq 100); do [[ -f $d/rc ]] && break; sleep 0.1; done
check "mpgen exited 0" grep -q "exited 0" "$d/rc"
check "json log written while in curses" test -s "$d/log.json"

echo "mpgen curses: $passes passed, $fails failed"
test "$fails" = 0
