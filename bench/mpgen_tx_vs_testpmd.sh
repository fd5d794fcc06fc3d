#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# mpgen's transmit rate on one core against dpdk-testpmd --forward-mode=txonly
# on the same PMD (net_null with no-rx: frames are freed by the driver, so
# both measure the generator alone), interleaved, several rounds, 64-byte
# frames. mpgen builds every frame (headers, payload, trailer, checksums) and
# paces it; testpmd txonly sends one prebuilt template with a changing IP id.
# Usage: bench/mpgen_tx_vs_testpmd.sh [BUILD_DIR] [ROUNDS] [SECONDS]
set -euo pipefail
build=${1:-build}
rounds=${2:-3}
secs=${3:-5}
mpgen=$build/tools/mpgen
eal=(--lcores=0@0,1@0 --no-huge -m 1024 --no-pci --log-level=lib.eal:error --vdev=net_null0,no-rx=1,size=64)
t=$(mktemp -d /tmp/mpgen-txbench.XXXXXX)
trap 'rm -rf "$t" /var/run/dpdk/txb-*' EXIT INT TERM
printf '%-8s %-14s %12s\n' round generator "Mpps"
for r in $(seq "$rounds"); do
  timeout $((secs + 20)) dpdk-testpmd "${eal[@]}" --file-prefix txb-tp -- --forward-mode=txonly --txpkts=64 \
    --nb-cores=1 --stats-period 1 --tx-ip=198.18.0.2,198.19.0.2 < /dev/null > "$t/tp.log" 2>&1 &
  tp=$!
  sleep $((secs + 2))
  kill -INT $tp 2>/dev/null || true
  wait $tp 2>/dev/null || true
  # Median of testpmd's per-second Tx-pps (its first, partial second is 0).
  tp_mpps=$(grep -o 'Tx-pps: *[0-9]*' "$t/tp.log" | awk '$2 > 0 {print $2}' |
    /usr/bin/python3 -c 'import sys,statistics; v=[float(x) for x in sys.stdin]; print(statistics.median(v)/1e6 if v else 0)')
  printf '%-8s %-14s %12.2f\n' "$r" testpmd-txonly "$tp_mpps"
  # mpgen at 100 % of a 100 Gb/s line: more than one core can send, so it
  # sends as fast as it can; the median of its per-second log records.
  rm -f "$t/log.json"
  timeout $((secs + 20)) "$mpgen" "${eal[@]}" --file-prefix txb-gen -- -T net_null0,02:00:00:00:00:01 \
    --link-speed 100G -r 100% -t "$secs" --drain 0 --json-log "$t/log.json" > /dev/null 2>&1
  gen_mpps=$(/usr/bin/python3 -c 'import json,sys,statistics
v=[json.loads(l)["ports"][0]["tx_pps"] for l in open(sys.argv[1])]
v=[x for x in v if x > 0]
print(statistics.median(v)/1e6 if v else 0)' "$t/log.json")
  printf '%-8s %-14s %12.2f\n' "$r" mpgen "$gen_mpps"
done
