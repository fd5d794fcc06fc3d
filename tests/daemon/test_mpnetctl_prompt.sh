#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# mpnetctl as people use it: help with no daemon running (from the same
# command table mpnetd executes), and the interactive prompt driven in tmux
# (commands answered, line editing, history recalled with the up arrow,
# help answered locally, quit), and lines from a pipe.
# Usage: test_mpnetctl_prompt.sh BUILD_DIR
set -euo pipefail
build=$1
command -v tmux >/dev/null || { echo "SKIP: tmux missing"; exit 77; }
d=$(mktemp -d /tmp/mpnetctl-prompt.XXXXXX)
sock=$d/ctl.sock
sess=mpnetctl-prompt-$$
pid=""
cleanup() {
  tmux kill-session -t "$sess" 2>/dev/null || true
  if [[ -n $pid ]] && kill -0 "$pid" 2>/dev/null; then kill -TERM "$pid"; wait "$pid" || true; fi
  rm -rf "$d"
}
trap cleanup EXIT INT TERM
fails=0
passes=0
check() {
  local name=$1; shift
  if "$@"; then passes=$((passes + 1)); else echo "FAIL: $name"; fails=$((fails + 1)); screen 2>/dev/null | sed 's/^/  | /' || true; fi
}
ctl() { "$build/tools/mpnetctl" "$@"; }
screen() { tmux capture-pane -p -t "$sess"; }
wait_for() {  # wait_for PATTERN [COUNT]: up to 10 s for COUNT lines matching
  local n=${2:-1}
  for _ in $(seq 100); do (( $(screen | grep -c -- "$1") >= n )) && return 0; sleep 0.1; done
  return 1
}

# 1. No daemon: help, --help, help CMD, --json, an unknown command.
check "help without a daemon" bash -c "'$build/tools/mpnetctl' -s '$d/none.sock' help | grep -q '^ifconfig  configure interfaces'"
check "--help lists the commands" bash -c "'$build/tools/mpnetctl' --help | grep -q '^route     manipulate the routing table'"
check "help CMD" bash -c "'$build/tools/mpnetctl' help arp | grep -q 'arp -s ADDR MAC \[temp\] \[pub\]'"
check "help CMD --json" bash -c "'$build/tools/mpnetctl' help sysctl --json | /usr/bin/python3 -c 'import json,sys; d=json.load(sys.stdin); assert d[\"command\"]==\"sysctl\", d'"
out=$(ctl help nosuch 2>&1) && rc=0 || rc=$?
check "help of an unknown command fails" test "$rc" = 1
check "and says so" grep -q "help: nosuch: unknown command" <<<"$out"
out=$(ctl -s "$d/none.sock" ifconfig 2>&1) && rc=0 || rc=$?
check "a command without a daemon fails" test "$rc" = 1
check "and says so" grep -q "cannot reach mpnetd" <<<"$out"

# 2. A daemon to talk to.
cat > "$d/ok.conf" <<CONF
workers 1
mbufs 2047
ifconfig nul0 create net_null_mpp0,no-rx=1
ifconfig nul0 inet 198.18.0.1/24 up
CONF
"$build/tools/mpnetd" -c "$d/ok.conf" -s "$sock" -p "$d/pid" 2>"$d/log" &
pid=$!
for _ in $(seq 1 100); do [[ -S $sock ]] && break; sleep 0.1; done
check "daemon up" test -S "$sock"

# 3. The prompt in tmux.
tmux new-session -d -s "$sess" -x 160 -y 50 "HOME=$d '$build/tools/mpnetctl' -s '$sock'; echo exited \$? > '$d/rc'; sleep 30"
check "prompt comes up" wait_for "mpnetctl>"
tmux send-keys -t "$sess" "ifconfig nul0" Enter
check "a command is answered" wait_for "nul0: flags="
check "with its address" wait_for "inet 198.18.0.1/24"
# Line editing: a typo rubbed out with backspace.
tmux send-keys -t "$sess" "sysctl net.inet.ip.ttX" BSpace "l" Enter
check "edited line sent" wait_for "net.inet.ip.ttl = 64"
# help is answered from the command table.
tmux send-keys -t "$sess" "help arp" Enter
check "help at the prompt" wait_for "address resolution display and control"
# History: the up arrow brings the last line back.
tmux send-keys -t "$sess" Up Enter
check "history recalls help arp" wait_for "address resolution display and control" 2
tmux send-keys -t "$sess" "route nonsense" Enter
check "errors are shown" wait_for "route: "
tmux send-keys -t "$sess" "quit" Enter
for _ in $(seq 100); do [[ -f $d/rc ]] && break; sleep 0.1; done
check "quit leaves the prompt" test -f "$d/rc"
# libedit writes its history file with spaces as \040
check "history saved" grep -q "help.040arp" "$d/.mpnetctl_history"

# 4. Lines from a pipe: no prompt, each answered.
out=$(printf 'ifconfig nul0\nsysctl net.inet.ip.ttl\n' | HOME=$d ctl -s "$sock")
check "piped lines answered" grep -q "nul0: flags=" <<<"$out"
check "piped lines answered in order" grep -q "net.inet.ip.ttl = 64" <<<"$out"

echo "$passes passed, $fails failed"
test "$fails" = 0
