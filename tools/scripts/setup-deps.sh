#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# Installs every Debian package mpnet needs to build, test and benchmark.
# Idempotent: packages already present are left alone; apt-get update runs once
# and only when something is missing.
set -euo pipefail

PKGS=(
  # build
  build-essential cmake ninja-build pkg-config git clang libclang-rt-14-dev zlib1g-dev
  # libraries
  dpdk dpdk-dev libdpdk-dev liburcu-dev libfmt-dev
  googletest libgtest-dev libgmock-dev libbenchmark-dev
  # libpcap/numa headers pulled by DPDK's pkg-config
  libpcap-dev libnuma-dev libelf-dev libbsd-dev libjansson-dev libssl-dev nlohmann-json3-dev
  # mpgen: curses and web UIs; their tests drive tmux and headless Chromium
  libncurses-dev libcpp-httplib-dev tmux chromium python3-websocket
  # mpnetctl's interactive prompt (BSD editline); mpgen's and mpnetd's argv parsing
  libedit-dev libcli11-dev
  # the side-by-side benchmark builds DPDK's l3fwd from these example sources
  dpdk-doc
  # test peers
  iproute2 iputils-ping arping ndisc6 tcpdump tshark procps python3 traceroute iperf3 ethtool
  # the hostile floods (tests/interop/flood.py) are built with scapy; its ESP
  # (the IPsec interop tests) registers AES only with python3-cryptography
  python3-scapy python3-cryptography
)

missing=()
for p in "${PKGS[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if ((${#missing[@]} == 0)); then
  echo "setup-deps: all ${#PKGS[@]} packages present"
  exit 0
fi

if [[ $(id -u) -ne 0 ]]; then
  echo "setup-deps: missing packages (${missing[*]}) and not root; install them as root" >&2
  exit 1
fi

export DEBIAN_FRONTEND=noninteractive
echo "wireshark-common wireshark-common/install-setuid boolean false" | debconf-set-selections
echo "setup-deps: installing ${missing[*]}"
apt-get update -q
apt-get install -y -q --no-install-recommends "${missing[@]}"
