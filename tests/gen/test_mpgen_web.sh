#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# mpgen's web UI: mpgen serves on 127.0.0.1 (a port the kernel picks) over
# its software link; web_ui_test.py drives headless Chromium against it.
# The screenshot is kept as BUILD_DIR/mpgen-web.png.
# Usage: test_mpgen_web.sh BUILD_DIR
set -euo pipefail
build=$(cd "$1" && pwd)
here=$(cd "$(dirname "$0")" && pwd)
command -v chromium >/dev/null || { echo "SKIP: chromium missing (tools/scripts/setup-deps.sh installs it)"; exit 77; }
d=$(mktemp -d /tmp/mpgen-web.XXXXXX)
cleanup() {
  if [[ -f $d/pid ]] && kill -0 "$(cat "$d/pid")" 2>/dev/null; then kill -TERM "$(cat "$d/pid")"; sleep 1; fi
  rm -rf "$d"
}
trap cleanup EXIT INT TERM
(timeout 120 "$build/tools/mpgen" --ring-link -r 10kpps --web 127.0.0.1:0 > "$d/out" 2> "$d/err" & echo $! > "$d/pid"; wait) &
url=""
for _ in $(seq 100); do
  url=$(grep -o 'http://127.0.0.1:[0-9]*/' "$d/err" 2>/dev/null || true)
  [[ -n $url ]] && break
  sleep 0.1
done
[[ -n $url ]] || { echo "FAIL: mpgen did not report its web address"; cat "$d/err"; exit 1; }
/usr/bin/python3 "$here/web_ui_test.py" "$url" "$build/mpgen-web.png"
kill -TERM "$(cat "$d/pid")"
for _ in $(seq 50); do kill -0 "$(cat "$d/pid")" 2>/dev/null || break; sleep 0.1; done
! kill -0 "$(cat "$d/pid")" 2>/dev/null || { echo "FAIL: mpgen did not stop on SIGTERM"; exit 1; }
grep -q 'lat p99' "$d/out" || { echo "FAIL: no summary after SIGTERM"; exit 1; }
echo "mpgen web: passed"
