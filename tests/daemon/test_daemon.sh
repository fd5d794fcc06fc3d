#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# mpnetd and mpnetctl as processes: start-up with good and broken config
# files, commands and their --json forms over the socket, double start,
# control-socket abuse with the daemon still working afterwards, SIGTERM.
# Usage: test_daemon.sh BUILD_DIR
set -euo pipefail
build=$1
d=$(mktemp -d /tmp/mpnetd-test.XXXXXX)
sock=$d/ctl.sock
pid=""
cleanup() {
  if [[ -n $pid ]] && kill -0 "$pid" 2>/dev/null; then kill -TERM "$pid"; wait "$pid" || true; fi
  rm -rf "$d"
}
trap cleanup EXIT
fails=0
passes=0
check() {  # check NAME COMMAND...: the command must succeed
  local name=$1; shift
  if "$@"; then passes=$((passes + 1)); else echo "FAIL: $name"; fails=$((fails + 1)); fi
}
ctl() { "$build/tools/mpnetctl" -s "$sock" "$@"; }

# 0. The command line (CLI11): --help, an unknown option, a missing value.
out=$("$build/tools/mpnetd" --help 2>&1) && rc=0 || rc=$?
check "--help exits 0" test "$rc" = 0
check "--help documents the directives" grep -q "fib inet|inet6 poptrie|dpdk \[routes N\]" <<<"$out"
out=$("$build/tools/mpnetd" -c "$d/x.conf" --bogus 2>&1) && rc=0 || rc=$?
check "unknown option exits 1" test "$rc" = 1
check "unknown option named" grep -q "mpnetd: The following argument was not expected: --bogus" <<<"$out"
out=$("$build/tools/mpnetd" -s "$sock" 2>&1) && rc=0 || rc=$?
check "no -c exits 1" test "$rc" = 1
check "no -c named" grep -q "mpnetd: --config is required" <<<"$out"

# 1. Broken configuration files stop start-up with FILE:LINE: reason.
printf 'workers 1\nifconfig lo0 up\nfrobnicate now\n' > "$d/bad1.conf"
out=$("$build/tools/mpnetd" -c "$d/bad1.conf" -s "$sock" -p "$d/pid" 2>&1) && rc=0 || rc=$?
check "bad command line exits 1" test "$rc" = 1
check "bad command names file and line" grep -q "bad1.conf:3: frobnicate: unknown command" <<<"$out"
printf 'ifconfig lo0 up\nworkers 2\n' > "$d/bad2.conf"
out=$("$build/tools/mpnetd" -c "$d/bad2.conf" -s "$sock" -p "$d/pid" 2>&1) && rc=0 || rc=$?
check "late directive refused" grep -q "bad2.conf:2: workers: start-up directives come before the first command" <<<"$out"
printf 'workers many\n' > "$d/bad3.conf"
out=$("$build/tools/mpnetd" -c "$d/bad3.conf" -s "$sock" -p "$d/pid" 2>&1) && rc=0 || rc=$?
check "bad directive value" grep -q "bad3.conf:1: workers: expects one number" <<<"$out"
printf 'fib inet radix\n' > "$d/bad4.conf"
out=$("$build/tools/mpnetd" -c "$d/bad4.conf" -s "$sock" -p "$d/pid" 2>&1) && rc=0 || rc=$?
check "bad fib backend" grep -q "bad4.conf:1: fib: expects 'fib inet|inet6 poptrie|dpdk \[routes N\]'" <<<"$out"
out=$("$build/tools/mpnetd" -c "$d/missing.conf" 2>&1) && rc=0 || rc=$?
check "missing file" grep -q "missing.conf: cannot open" <<<"$out"
check "no socket left behind" test ! -e "$sock"

# 2. A good configuration: the daemon runs and answers.
cat > "$d/ok.conf" <<CONF
# mpnetd test configuration
workers 1
mbufs 4095
fib inet dpdk routes 65536
fib inet6 poptrie
ifconfig nul0 create net_null_mpd0,no-rx=1
ifconfig nul0 inet 198.18.0.1/24 up
route add -net 198.18.9.0/24 198.18.0.2
sysctl -w net.inet.ip.forwarding=1
CONF
check "--check accepts it" "$build/tools/mpnetd" -c "$d/ok.conf" --check -s "$sock" -p "$d/pid"
"$build/tools/mpnetd" -c "$d/ok.conf" -s "$sock" -p "$d/pid" 2>"$d/log" &
pid=$!
for _ in $(seq 1 100); do [[ -S $sock ]] && break; sleep 0.1; done
check "socket is root-only" test "$(stat -c %a "$sock")" = 600
check "pid file" test "$(cat "$d/pid")" = "$pid"
check "netstat shows the static route" bash -c "'$build/tools/mpnetctl' -s '$sock' netstat -rn | grep -q '198.18.9/24 .*UGS'"
check "ifconfig --json parses" bash -c "'$build/tools/mpnetctl' -s '$sock' ifconfig nul0 --json | python3 -c 'import json,sys; assert json.load(sys.stdin)[\"name\"]==\"nul0\"'"
check "ping through lo0" ctl ping -c 2 -i 0 127.0.0.1
out=$(ctl route add -net 198.18.9.0/24 198.18.0.2 2>&1) && rc=0 || rc=$?
check "failed command exits non-zero" test "$rc" = 1
check "failed command says why, in one line" test "$out" = "route: writing to routing socket: File exists"
check "show fib names the configured backends" bash -c "'$build/tools/mpnetctl' -s '$sock' show fib --json | python3 -c 'import json,sys; j=json.load(sys.stdin); assert j[\"inet\"][\"backend\"]==\"dpdk\" and j[\"inet6\"][\"backend\"]==\"poptrie\" and j[\"inet\"][\"routes\"]>=1'"
check "show config reproduces the file" bash -c "'$build/tools/mpnetctl' -s '$sock' show config | grep -q 'route add -net 198.18.9.0/24 198.18.0.2'"

# 3. A second daemon on the same socket is refused.
out=$("$build/tools/mpnetd" -c "$d/ok.conf" -s "$sock" -p "$d/pid2" 2>&1) && rc=0 || rc=$?
check "second daemon refused" grep -q "another mpnetd is running on this socket" <<<"$out"

# 4. Control-socket abuse; the daemon keeps working.
abuse_rc=0
python3 - "$sock" <<'PY' || abuse_rc=$?
import socket, struct, sys, time
path = sys.argv[1]
def conn():
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM); s.connect(path); s.settimeout(10); return s
def reply(s):
    hdr = b""
    while len(hdr) < 4:
        c = s.recv(4 - len(hdr))
        if not c: return None
        hdr += c
    n = struct.unpack("!I", hdr)[0]; body = b""
    while len(body) < n: body += s.recv(n - len(body))
    return body.decode()
# garbage without framing: read as an absurd length, refused
s = conn(); s.sendall(b"hello, daemon\n"); r = reply(s); assert r and "bad request frame" in r, r
# oversize frame
s = conn(); s.sendall(struct.pack("!I", 1 << 20) + b"x" * 100); r = reply(s); assert r and "bad request frame" in r, r
# zero-length frame
s = conn(); s.sendall(struct.pack("!I", 0)); r = reply(s); assert r and "bad request frame" in r, r
# embedded newline / NUL
s = conn(); s.sendall(struct.pack("!I", 5) + b"a\nb\x00c"); r = reply(s); assert r and "one line" in r, r
# invalid UTF-8 echoed back in an error: the reply is still well-formed JSON
s = conn(); m = b"route change default -\xf2eject --json"; s.sendall(struct.pack("!I", len(m)) + m); r = reply(s)
assert r and '"status":1' in r, r
# disconnect mid-request
s = conn(); s.sendall(struct.pack("!I", 50) + b"ifcon"); s.close()
# many clients at once: the ones past the limit are told so, the others work
many = [conn() for _ in range(24)]
refused = 0
for s in many:
    s.setblocking(False)
time.sleep(0.5)
for s in many:
    try:
        d = s.recv(4096)
        if b"too many clients" in d: refused += 1
    except BlockingIOError:
        pass
assert refused >= 1, refused
for s in many: s.close()
time.sleep(0.5)  # the daemon notices the closed ones on its next poll
# half-sent request: dropped after the timeout with an answer
s = conn(); s.sendall(struct.pack("!I", 10) + b"help"); r = reply(s); assert r and "timed out" in r, r
# a good request still works
s = conn(); m = b"sysctl net.inet.ip.forwarding"; s.sendall(struct.pack("!I", len(m)) + m); r = reply(s)
assert '"status":0' in r and "= 1" in r, r
print("abuse: ok")
PY
check "abuse script" test "$abuse_rc" = 0
check "still forwarding-capable after abuse" ctl ping -c 1 127.0.0.1
check "still answering --json" bash -c "'$build/tools/mpnetctl' -s '$sock' show errors --json | python3 -c 'import json,sys; json.load(sys.stdin)'"

# 5. SIGTERM: clean stop, socket and pid file removed.
kill -TERM "$pid"
wait "$pid" && rc=0 || rc=$?
pid=""
check "SIGTERM exits 0" test "$rc" = 0
check "socket removed" test ! -e "$sock"
check "pid file removed" test ! -e "$d/pid"
check "logged the stop" grep -q "stopping:" "$d/log"

echo "$passes passed, $fails failed"
test "$fails" = 0
