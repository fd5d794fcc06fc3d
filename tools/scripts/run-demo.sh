#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# The README's first command: installs what is missing, builds, and runs the
# main job on its embedded default (no NIC needed).
set -euo pipefail
cd "$(dirname "$0")/../.."
tools/scripts/setup-deps.sh
tools/scripts/build.sh build -DCMAKE_BUILD_TYPE=RelWithDebInfo
exec ./build/tools/mpnet-demo
