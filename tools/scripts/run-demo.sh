#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# The README's first command: installs what is missing, builds, and runs the
# main job on its embedded default (no NIC needed): mpnetd routing between
# Linux network namespaces it creates, with ping, traceroute and a TCP
# transfer through it; the software-port demo where namespaces are refused.
set -euo pipefail
cd "$(dirname "$0")/../.."
tools/scripts/setup-deps.sh
tools/scripts/build.sh build -DCMAKE_BUILD_TYPE=RelWithDebInfo
# The real thing: Linux hosts in namespaces routed by mpnetd. Where
# namespaces cannot be made, the in-process software-port demo instead.
rc=0
tools/scripts/demo-netns.sh build || rc=$?
if [[ $rc -eq 77 ]]; then
  echo "network namespaces are not available here: running the software-port demo instead"
  exec ./build/tools/mpnet-demo
fi
exit $rc
