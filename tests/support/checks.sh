# SPDX-License-Identifier: BSD-2-Clause
# Sourced by the shell tests. check NAME COMMAND...: the command must
# succeed; passes and failures are counted, each check printed.
fails=0
passes=0
check() {
  local name=$1; shift
  if "$@"; then passes=$((passes + 1)); echo "ok: $name"; else echo "FAIL: $name"; fails=$((fails + 1)); fi
}
