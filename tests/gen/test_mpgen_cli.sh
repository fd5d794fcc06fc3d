#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# mpgen as a process: bad input gives a clear error and exit status 2; a run
# over the in-process software link counts exactly and writes its JSON log,
# results JSON and CSV; the impairment shim's losses are reported (and
# --fail-if-dropped turns them into exit status 3); an RFC 2544 run writes
# its tables, JSON, CSV and SVG plot.
# Usage: test_mpgen_cli.sh BUILD_DIR
set -euo pipefail
build=$1
mpgen=$build/tools/mpgen
d=$(mktemp -d /tmp/mpgen-cli.XXXXXX)
cleanup() { rm -rf "$d"; }
trap cleanup EXIT INT TERM
fails=0
passes=0
check() {
  local name=$1; shift
  if "$@"; then passes=$((passes + 1)); else echo "FAIL: $name"; fails=$((fails + 1)); fi
}
bad() {  # bad NAME EXPECTED-MESSAGE ARGS...: exit status 2 and the message on stderr
  local name=$1 msg=$2; shift 2
  local out rc
  out=$(timeout 60 "$mpgen" "$@" 2>&1) && rc=0 || rc=$?
  check "$name: exit status 2 (got $rc)" test "$rc" = 2
  if ! grep -qF -- "$msg" <<<"$out"; then echo "  output: $out"; fi
  check "$name: says '$msg'" grep -qF -- "$msg" <<<"$out"
}
json() { /usr/bin/python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$1" "$2"; }

# 1. Bad input.
bad "unknown flag" "mpgen: unknown option '--frobnicate' (see --help)" --ring-link --frobnicate
bad "missing value" "option '--rate' needs a value" --ring-link --rate
bad "rate words" "rate 'fast': expected pps" --ring-link -r fast
bad "zero rate" "rate '0': must be more than zero" --ring-link -r 0
bad "percent over 100" "percent of line rate must be in (0, 100]" --ring-link -r 150%
bad "rate above line rate" "above the line rate of 14880952 fps for 64-byte frames at 10 Gb/s" --ring-link -r 20Mpps
bad "rate above a slow link" "above the line rate of 148810 fps" --ring-link --link-speed 100M -r 200kpps
bad "frame too small" "frame size 63: must be 64..1518 bytes" --ring-link -s 63
bad "frame too small for IPv6" "frame size 64 is below 84" --ring-link --saddr 2001:db8::1 --daddr 2001:db8:1::1
bad "bad count" "--count 'many': expected a number" --ring-link -n many
bad "no port" "no transmit port: give -T PORT" -r 1000
bad "unknown port" "port 'net_nope0': no such DPDK port" -T net_nope0 -r 1000
bad "bad gateway" "gateway 'banana' is not a MAC, IPv4 or IPv6 address" -T 0,banana
bad "bad impairment" "impairment 'smash=1': unknown clause 'smash'" --ring-link --impair smash=1
bad "bad test list" "--tests: unknown test 'speed'" --ring-link --rfc2544 --tests speed
bad "flows over the limit" "more than 1048576 flows" --ring-link --saddr 198.18.0.0-198.19.255.255 --sport 1-11
printf '198.18.0.1:9 198.19.0.1:9\n198.18.0.2 banana\n' > "$d/bad.flows"
bad "malformed flow file" "$d/bad.flows:2: address range 'banana'" --ring-link --flowlist "$d/bad.flows"
printf '198.18.0.1:9\n' > "$d/bad2.flows"
bad "one-endpoint flow line" "$d/bad2.flows:1: expected 'SOURCE DESTINATION'" --ring-link --flowlist "$d/bad2.flows"
bad "missing flow file" "$d/none.flows: cannot open" --ring-link --flowlist "$d/none.flows"
out=$("$mpgen" --help) && rc=0 || rc=$?
check "help exits 0" test "$rc" = 0
check "help lists --rfc2544" grep -q -- "--rfc2544" <<<"$out"

# 2. Exact counts over the software link, with a flow list and a size mix.
printf '# two flow groups\n198.18.0.1-198.18.0.2:1000 198.19.0.1:9\n198.18.0.9:2000-2002 198.19.0.2:9\n' > "$d/ok.flows"
timeout 120 "$mpgen" --ring-link -r 200kpps -n 60000 -s 64:2,1518:1 --flowlist "$d/ok.flows" \
  --results "$d/r.json" --csv "$d/r.csv" --json-log "$d/log.json" > "$d/out.txt" 2>&1
check "tx count exact" test "$(json "$d/r.json" "d['ports'][0]['tx']")" = 60000
check "rx count exact" test "$(json "$d/r.json" "d['ports'][1]['rx']")" = 60000
check "no drops" test "$(json "$d/r.json" "d['ports'][1]['rx_drop']")" = 0
check "five flows, 12000 each" test "$(json "$d/r.json" "[f['rx'] for f in d['ports'][1]['flows']]")" = "[12000, 12000, 12000, 12000, 12000]"
check "bytes follow the mix" test "$(json "$d/r.json" "d['ports'][0]['tx_bytes']")" = $((40000 * 64 + 20000 * 1518))
check "latency percentiles ordered" test "$(json "$d/r.json" "(lambda l: l['min_us'] <= l['p50_us'] <= l['p99_us'] <= l['p999_us'] <= l['max_us'])(d['ports'][1]['latency'])")" = True
check "csv has a header and two ports" test "$(wc -l < "$d/r.csv")" = 3
check "csv header" grep -q '^port,name,tx,tx_bytes' "$d/r.csv"
check "json log has records" test "$(wc -l < "$d/log.json")" -ge 1
check "json log lines parse" /usr/bin/python3 -c "import json,sys; [json.loads(l) for l in open('$d/log.json')]"
check "summary table printed" grep -q 'lat p99' "$d/out.txt"

# 3. The impairment shim: its losses are counted exactly; --fail-if-dropped exits 3.
timeout 120 "$mpgen" --ring-link -r 100kpps -n 20000 --impair drop=10,20,15000:dup=30:reorder=40 \
  --results "$d/i.json" --fail-if-dropped > "$d/i.txt" 2>&1 && rc=0 || rc=$?
check "fail-if-dropped exits 3" test "$rc" = 3
check "shim drops" test "$(json "$d/i.json" "d['ports'][1]['rx_drop']")" = 3
check "shim dup" test "$(json "$d/i.json" "d['ports'][1]['rx_dup']")" = 1
check "shim reorder" test "$(json "$d/i.json" "d['ports'][1]['rx_reorder']")" = 1
check "shim received" test "$(json "$d/i.json" "d['ports'][1]['rx']")" = $((20000 - 3 + 1))

# 4. RFC 2544 with every output, on a 100 Mb/s line the generator can fill.
timeout 300 "$mpgen" --ring-link --rfc2544 --link-speed 100M --sizes 64,1518 --trial-time 0.2 --drain 0.05 \
  --latency-trials 1 --b2b-trials 2 --b2b-time 0.02 --label self --plot "$d/p.svg" \
  --rfc2544-json "$d/rfc.json" --rfc2544-csv "$d/rfc.csv" > "$d/rfc.txt" 2> "$d/rfc.err"
check "throughput table" grep -q '^Throughput' "$d/rfc.txt"
check "latency table" grep -q '^Latency' "$d/rfc.txt"
check "loss table" grep -q '^Frame loss rate' "$d/rfc.txt"
check "b2b table" grep -q '^Back-to-back' "$d/rfc.txt"
# Line rate on the lossless link, unless the generator itself fell behind (a
# busy machine: mpgen marks the size generator-limited rather than blame the link).
check "64-byte line rate reached" test "$(json "$d/rfc.json" "int(d['sizes'][0]['throughput_pps']) == 148809 or d['sizes'][0]['generator_limited']")" = True
check "1518-byte line rate reached" test "$(json "$d/rfc.json" "int(d['sizes'][1]['throughput_pps']) == 8127 or d['sizes'][1]['generator_limited']")" = True
# Every burst is the whole 20 ms at line rate, unless the generator fell behind.
check "b2b bursts" test "$(json "$d/rfc.json" "d['sizes'][0]['back_to_back']['bursts'] == [2976, 2976] or d['sizes'][0]['generator_limited']")" = True
check "svg plot" grep -q '<polyline' "$d/p.svg"
check "svg names the series" grep -q '>self<' "$d/p.svg"
check "rfc csv rows" test "$(wc -l < "$d/rfc.csv")" -gt 5
check "progress lines" grep -q 'throughput    64B' "$d/rfc.err"

echo "mpgen cli: $passes passed, $fails failed"
test "$fails" = 0
