#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# The README's second command: installs what is missing, builds the suite
# twice (release, and ASan+UBSan), runs both, and checks that an installed
# mpnet is usable through find_package() and pkg-config.
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$PWD
tools/scripts/setup-deps.sh

echo "== build: release"
tools/scripts/build.sh build -DCMAKE_BUILD_TYPE=RelWithDebInfo -DMPNET_BUILD_TESTS=ON
echo "== test: release"
(cd build && ctest -j "$(nproc)" --output-on-failure --timeout 600)

echo "== build: ASan+UBSan"
tools/scripts/build.sh build-asan -DCMAKE_BUILD_TYPE=Debug -DMPNET_SANITIZE=ON -DMPNET_BUILD_TESTS=ON \
  -DMPNET_BUILD_BENCH=OFF -DMPNET_BUILD_TOOLS=OFF -DMPNET_BUILD_DAEMON=ON
echo "== test: ASan+UBSan"
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
# The flood test times mpnetd's answers with the release client (an
# ASan-built mpnetctl spends ~200 ms of its own starting up).
export MPNET_FLOOD_CLIENT=$root/build/tools/mpnetctl
(cd build-asan && ctest -j "$(nproc)" --output-on-failure --timeout 900)
unset ASAN_OPTIONS UBSAN_OPTIONS

echo "== fuzz: libFuzzer on the stack's frame input, the command language and mpgen's parsers (bounded)"
CC=clang CXX=clang++ tools/scripts/build.sh build-fuzz -DCMAKE_BUILD_TYPE=RelWithDebInfo -DMPNET_FUZZ=ON \
  -DMPNET_BUILD_TOOLS=OFF -DMPNET_BUILD_BENCH=OFF
corpus=$(mktemp -d /tmp/mpnet-corpus.XXXXXX)
cp tests/fuzz/corpus/* "$corpus/"
./build-fuzz/tests/fuzz/fuzz_stack_input "$corpus" -max_total_time="${MPNET_FUZZ_SECONDS:-30}" -print_final_stats=1 \
  2>&1 | tail -6
rm -rf "$corpus"
corpus=$(mktemp -d /tmp/mpnet-corpus.XXXXXX)
cp tests/fuzz/corpus-commands/* "$corpus/"
./build-fuzz/tests/fuzz/fuzz_command "$corpus" -max_total_time="${MPNET_FUZZ_SECONDS:-30}" -print_final_stats=1 \
  2>&1 | tail -6
rm -rf "$corpus"

corpus=$(mktemp -d /tmp/mpnet-corpus.XXXXXX)
cp tests/fuzz/corpus-gen/* "$corpus/"
./build-fuzz/tests/fuzz/fuzz_gen_parsers "$corpus" -max_total_time="${MPNET_FUZZ_SECONDS:-30}" -print_final_stats=1 \
  2>&1 | tail -6
rm -rf "$corpus"

echo "== install and consume"
prefix=$(mktemp -d /tmp/mpnet-install.XXXXXX)
consumer=$(mktemp -d /tmp/mpnet-consumer.XXXXXX)
trap 'rm -rf "$prefix" "$consumer"' EXIT
cmake --install build --prefix "$prefix" >/dev/null
cp -r tests/install/. "$consumer/"
cmake -S "$consumer" -B "$consumer/build" -DCMAKE_PREFIX_PATH="$prefix" >/dev/null
cmake --build "$consumer/build" >/dev/null
"$consumer/build/consumer"
export PKG_CONFIG_PATH="$prefix/lib/pkgconfig"
# DPDK's headers warn under C++20 (-Wvolatile); keep the log for failures only.
if ! c++ -o "$consumer/consumer_pc" "$consumer/consumer.cpp" $(pkg-config --cflags --libs mpnet) 2>"$consumer/cc.log"; then
  cat "$consumer/cc.log"
  exit 1
fi
"$consumer/consumer_pc"
echo "== all suites passed"
