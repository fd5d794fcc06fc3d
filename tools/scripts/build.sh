#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# Configures and builds one build tree. Usage: build.sh DIR [cmake args...]
set -euo pipefail
cd "$(dirname "$0")/../.."
dir=$1
shift
gen=()
command -v ninja >/dev/null && gen=(-G Ninja)
if [[ ! -f "$dir/CMakeCache.txt" ]]; then
  cmake -S . -B "$dir" "${gen[@]}" "$@"
else
  cmake -S . -B "$dir" "$@" >/dev/null
fi
cmake --build "$dir" -j "$(nproc)"
