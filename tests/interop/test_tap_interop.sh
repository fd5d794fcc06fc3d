#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# tap(4)'s exception path with a real host kernel: mpnetd runs in namespace
# rt with an af_packet port to a Linux client (namespace cl) and `ifconfig
# tap0 create` (DPDK's tap PMD: a kernel tap0 in rt). TCP from the client to
# the router's own address, IPv4 and IPv6, is served by a Python listener in
# rt's kernel through tap0, which sees the client's own address; the answer
# goes back out through mpnet. Only namespaces this test creates, only
# 198.18.0.0/15 and 2001:db8::/32; everything is removed afterwards, also on
# failure. Exit 77 (skipped) where namespaces or /dev/net/tun are missing.
# Usage: test_tap_interop.sh BUILD_DIR
set -uo pipefail
build=$1
here=$(cd "$(dirname "$0")" && pwd)
py=/usr/bin/python3
for t in ping ethtool $py; do
  command -v $t >/dev/null || { echo "SKIP: $t not installed (tools/scripts/setup-deps.sh installs it)"; exit 77; }
done
[[ -c /dev/net/tun ]] || { echo "SKIP: no /dev/net/tun"; exit 77; }
source "$here/../support/checks.sh"
source "$here/../support/netns.sh"
netns_begin mtp rt cl

# cl (eth0) <-> ra0 [mpnetd] tap0 <-> rt's kernel (tap0)
ip link add "$p-1" type veth peer name "$p-a"
ip link set "$p-1" netns "$p-cl" name eth0
ip link set "$p-a" netns "$p-rt" name ra0
mpnetd_port rt ra0
ns rt ip link set lo up
ns cl ip link set lo up
ns cl ethtool -K eth0 tx off rx off >/dev/null 2>&1 || true
ns cl sysctl -qw net.ipv6.conf.eth0.accept_ra=0
ns cl ip addr add 198.18.6.2/24 dev eth0
ns cl ip -6 addr add 2001:db8:6::2/64 dev eth0 nodad
ns cl ip link set eth0 up
ns cl ip route add default via 198.18.6.1
ns cl ip -6 route add default via 2001:db8:6::1

mpnetd_conf_ports ra0 > "$d/mpnetd.conf"
cat >> "$d/mpnetd.conf" <<CONF
sysctl -w net.inet.ip.dad_count=0
sysctl -w net.inet6.ip6.dad_count=0
ifconfig ra0 inet 198.18.6.1/24
ifconfig ra0 inet6 2001:db8:6::1/64
ifconfig tap0 create
ifconfig tap0 inet 198.18.7.1/30 up
ifconfig tap0 inet6 2001:db8:7::1/64
ifconfig tap0 exception
CONF
mpnetd_start rt "$d/mpnetd.conf"
check "mpnetd is up with tap0" test -S "$sock"
[[ -S $sock ]] || exit 1
check "the host kernel has tap0" ns rt ip link show tap0

# The operator's half of the exception path: the host holds the router's
# addresses it serves and routes back through mpnet's tap address.
ns rt sysctl -qw net.ipv6.conf.tap0.accept_ra=0
ns rt ip addr add 198.18.7.2/30 dev tap0
ns rt ip addr add 198.18.6.1/32 dev tap0
ns rt ip -6 addr add 2001:db8:7::2/64 dev tap0 nodad
ns rt ip -6 addr add 2001:db8:6::1/128 dev tap0 nodad
ns rt ip route add default via 198.18.7.1
ns rt ip -6 route add default via 2001:db8:7::1
hostmac=$(ns rt cat /sys/class/net/tap0/address)
check "mpnet knows the host's MAC and shows the exception path" \
  bash -c "'$build/tools/mpnetctl' -s '$sock' ifconfig tap0 | grep -q 'tap: host tap0 $hostmac exception'"
check "the host reaches mpnet's tap address" ns rt ping -c 2 -i 0.2 -W 2 198.18.7.1

# A listener in the host kernel: one connection per family; it writes the
# peer it saw and answers with the SHA-256 of what it read.
cat > "$d/serve.py" <<'PY'
import hashlib, socket, sys
fam = socket.AF_INET6 if ':' in sys.argv[1] else socket.AF_INET
s = socket.socket(fam, socket.SOCK_STREAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((sys.argv[1], 2222))
s.listen(1)
s.settimeout(20)
c, peer = s.accept()
c.settimeout(20)
h = hashlib.sha256()
while True:
    b = c.recv(65536)
    if not b:
        break
    h.update(b)
c.sendall(h.hexdigest().encode())
c.close()
open(sys.argv[2], 'w').write(peer[0])
PY
cat > "$d/client.py" <<'PY'
import hashlib, os, socket, sys
fam = socket.AF_INET6 if ':' in sys.argv[1] else socket.AF_INET
data = os.urandom(1 << 20)
c = socket.create_connection((sys.argv[1], 2222), timeout=20)
c.sendall(data)
c.shutdown(socket.SHUT_WR)
got = b''
while True:
    b = c.recv(4096)
    if not b:
        break
    got += b
sys.exit(0 if got.decode() == hashlib.sha256(data).hexdigest() else 1)
PY
for fam in 4 6; do
  if [[ $fam == 4 ]]; then dst=198.18.6.1 cl=198.18.6.2; else dst=2001:db8:6::1 cl=2001:db8:6::2; fi
  ns rt timeout 30 $py "$d/serve.py" "$dst" "$d/peer$fam" &
  srv=$!
  sleep 0.5
  check "IPv$fam: a TCP connection to the router's address is served by the host (1 MiB, hash checked)" \
    ns cl timeout 25 $py "$d/client.py" "$dst"
  wait $srv 2>/dev/null
  check "IPv$fam: the host saw the client's own address" bash -c "[[ \$(cat '$d/peer$fam' 2>/dev/null) == $cl ]]"
done
check "ICMP to the router is still mpnet's (answered with tap0's kernel side down)" \
  bash -c "ip netns exec $p-rt ip link set tap0 down && ip netns exec $p-cl ping -c 2 -i 0.2 -W 2 198.18.6.1; rc=\$?; ip netns exec $p-rt ip link set tap0 up; exit \$rc"
check "mpnetctl counts both directions of the exception path" bash -c "
  '$build/tools/mpnetctl' -s '$sock' ifconfig tap0 | grep -Eq 'to-host [1-9][0-9]* from-host [1-9]'"
ctl show errors
echo "$passes passed, $fails failed"
test "$fails" = 0
