#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# Side-by-side forwarding benchmark: the same mpgen RFC 2544 throughput and
# latency trials, in one run, against several devices under test on this
# machine, then a table with ratios written (with this command) into
# docs/benchmarks/forwarding.md and a plot beside it.
#
#   mpnetd  two memif ports (mpnetd is the memif server), worker on CPU 1
#           in poll mode; mpnetd_adaptive: the same in adaptive mode
#   l3fwd   DPDK's l3fwd (LPM), built from Debian's dpdk-doc example sources
#           with its RX offload requests (port and queue) masked to what memif
#           offers (none; stock l3fwd refuses to start without them),
#           --parse-ptype, one lcore on CPU 1
#   linux   Linux IPv4 forwarding between two veth pairs in network
#           namespaces, mpgen on af_packet ports; RPS puts the router's
#           receive work on CPU 1
#
# --mode bridge: the same trials through a learning bridge instead of a
# router (docs/benchmarks/bridge.md). mpgen's two ports are hosts of one
# subnet, 198.18.0.2 and 198.18.0.3, each the other's "gateway": their ARP
# crosses the bridge, so it learns both MACs before the first test frame.
#   mpnetd  bridge0 over the two memif ports (learning on, one worker)
#   testpmd DPDK's testpmd in macswap mode on the two memif ports, one
#           forwarding lcore on CPU 1: the ceiling (it reads and writes the
#           Ethernet header and nothing else)
#   linux   Linux's bridge over two veth pairs in a namespace, mpgen on
#           af_packet ports (bounded by af_packet, as in routing)
#   mpnetd_route  mpnetd routing IPv4 on the same memif links (the aim:
#           bridging at least as fast per core as routing)
#
# --mode tunnel: mpnetd routes mpgen's frames into a tunnel whose far end is
# mpgen's receiving port (docs/benchmarks/tunnels-memif.md). One flow,
# 198.18.0.2 -> 198.18.2.2; mpnetd routes 198.18.2.0/24 into the tunnel, and
# the outer packets go from 198.18.1.1 to mpgen's 198.18.1.2 (resolved by
# ARP), whose receiver finds its frames inside them (gen/packet.hpp).
#   mpnetd        the same flow routed plainly out of mp1 (the baseline)
#   mpnetd_gif    gif0, IPv4 in IPv4 (protocol 4)
#   mpnetd_l2tp   l2tp0 as an addressed Ethernet interface, L2TPv3 over IP
#                 (protocol 115), a static ARP entry for the far side
#   mpnetd_vxlan  vxlan0, VNI 42, UDP 4789, the same static ARP entry
#
# --mode tunnel-decap: the other direction (docs/benchmarks/tunnels-decap-memif.md).
# mpgen's transmitting port sends its frames inside the tunnel (mpgen
# --encap) from its address 198.18.0.2 to mpnetd's 198.18.0.1 on mp0; mpnetd
# decapsulates and routes the inner flow 198.18.2.2 -> 198.18.1.2 out of mp1
# to mpgen's receiving port. l2tp0 and vxlan0 get a fixed link address
# (02:00:00:00:03:01), the inner frames' destination. Sizes are the outer
# frames' (114 B at least: VXLAN's 50 bytes in front of a 64-byte frame).
#   mpnetd        the same inner flow sent plainly and routed (the baseline)
#   mpnetd_gif, mpnetd_l2tp, mpnetd_vxlan   as above, decapsulating
#
# mpgen runs on CPU 0 (its datapath lcore and its sleeping main lcore).
# Addresses: 198.18.0.0/24 on the input side, 198.18.1.0/24 on the output
# side (l3fwd's built-in table routes 198.18.N.0/24 to port N). With
# --family 6: 2001:db8::/64 and 2001:db8:0:1::/64 (l3fwd's IPv6 table,
# 2001:200:0:N::/64 to port N, is patched to 2001:db8:0:N::/64, the
# documentation range), IPv6/UDP frames from 84 B (mpgen's smallest IPv6
# frame), and the report goes to docs/benchmarks/forwarding6.md.
#
# --fib full: mpnetd and l3fwd both hold the shared full BGP table
# (../shared/data/fulltable-prefixes.txt.gz: every prefix of the family
# under test through the output side's gateway, besides the two subnets),
# l3fwd through --rule_ipv4/--rule_ipv6 files with its LPM limits raised to
# hold them, and mpgen sends 4096 flows to one host in each of 4096
# prefixes drawn from the table (seeded: the same flows every run) instead
# of one flow to the output subnet. The report gets a -full suffix.
#
# The devices run interleaved, round after round (--rounds). Each run is
# labelled with the host's placement of the two vCPUs, probed just before
# and just after it (tools/placement/placement_probe.c: near, far, or mixed
# when the two probes differ), and the report compares medians within one
# placement. Besides the RFC 2544 zero-loss rate, each run measures the
# drain rate: mpgen offers line rate in full bursts of 32 for --drain-time
# seconds per size and counts what comes back; it is marked
# generator-limited when all but 0.5 % came back and the input ring refused
# under 0.5 % (mpgen's tx_full): the device kept up with what mpgen made.
#
# Usage: tools/scripts/bench-forwarding.sh [--mode route|bridge|tunnel|tunnel-decap] [--duts mpnetd,mpnetd_adaptive,l3fwd,testpmd,linux]
#          [--sizes 64,512,1518] [--trial SECONDS] [--rounds N]
#          [--drain-time SECONDS] [--memif-rsize LOG2] [--max-lag-us US] [--family 4|6] [--fib small|full] [--no-doc]
#
# --memif-rsize: every memif ring (both sides, every device) holds 2^LOG2
# slots (DPDK's default, 10: 1024). On these VMs the host takes a busy
# vCPU away for 1-6 ms at times when the other vCPU is busy too (a plain
# spin loop on CPU 1 saw 8 such gaps in 10 s with CPU 0 busy, 1 with it
# idle): a zero-loss trial passes only if the ring outlasts the longest
# one. Each mpnetd run also records its worker's poll gaps (show lcores).
# --max-lag-us: how far mpgen's sender may fall behind its schedule (its own
# vCPU taken away) and still send the late frames, in a burst, rather than
# count them as underrun (default 1000); a trial with more than 1 %
# underrun fails as generator-limited.
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$PWD
build=$root/build
duts=
bench_mode=route
sizes=
family=4
fib=small
trial=2
rounds=3
drain_time=2
rsize=10
max_lag_us=1000
write_doc=1
cmdline="tools/scripts/bench-forwarding.sh $*"
while (($#)); do
  case $1 in
    --duts) duts=$2; shift 2 ;;
    --mode) bench_mode=$2; shift 2 ;;
    --sizes) sizes=$2; shift 2 ;;
    --trial) trial=$2; shift 2 ;;
    --rounds) rounds=$2; shift 2 ;;
    --drain-time) drain_time=$2; shift 2 ;;
    --memif-rsize) rsize=$2; shift 2 ;;
    --max-lag-us) max_lag_us=$2; shift 2 ;;
    --family) family=$2; shift 2 ;;
    --fib) fib=$2; shift 2 ;;
    --no-doc) write_doc=0; shift ;;
    *) echo "bench-forwarding: unknown argument '$1'" >&2; exit 2 ;;
  esac
done
# The two subnets: the router's address and the generator's on each side.
case $family in
  4) in_r=198.18.0.1 in_g=198.18.0.2 out_r=198.18.1.1 out_g=198.18.1.2 plen=24 min_size=64
     fam_name=IPv4 doc_name=forwarding ;;
  6) in_r=2001:db8::1 in_g=2001:db8::2 out_r=2001:db8:0:1::1 out_g=2001:db8:0:1::2 plen=64 min_size=84
     fam_name=IPv6 doc_name=forwarding6 ;;
  *) echo "bench-forwarding: --family is 4 or 6, not '$family'" >&2; exit 2 ;;
esac
# The gateway each mpgen port resolves: the router's address on its side,
# or (bridge) the other port's own address.
t_gw=$in_r r_gw=$out_r
case $bench_mode in
  route) [[ -n $duts ]] || duts=mpnetd,mpnetd_adaptive,l3fwd,linux ;;
  bridge)
    [[ $family == 4 && $fib == small ]] ||
      { echo "bench-forwarding: --mode bridge is IPv4 with --fib small" >&2; exit 2; }
    [[ -n $duts ]] || duts=mpnetd,mpnetd_route,testpmd,linux
    out_g=198.18.0.3 t_gw=198.18.0.3 r_gw=198.18.0.2 doc_name=bridge ;;
  tunnel)
    [[ $family == 4 && $fib == small ]] ||
      { echo "bench-forwarding: --mode tunnel is IPv4 with --fib small" >&2; exit 2; }
    [[ -n $duts ]] || duts=mpnetd,mpnetd_gif,mpnetd_l2tp,mpnetd_vxlan
    [[ -n $sizes ]] || sizes=64,512,1024  # 1024 + VXLAN's 50 bytes still fit mp1's MTU
    doc_name=tunnels-memif ;;
  tunnel-decap)
    [[ $family == 4 && $fib == small ]] ||
      { echo "bench-forwarding: --mode tunnel-decap is IPv4 with --fib small" >&2; exit 2; }
    [[ -n $duts ]] || duts=mpnetd,mpnetd_gif,mpnetd_l2tp,mpnetd_vxlan
    [[ -n $sizes ]] || sizes=128,512,1024
    min_size=114 doc_name=tunnels-decap-memif ;;
  *) echo "bench-forwarding: --mode is route, bridge, tunnel or tunnel-decap, not '$bench_mode'" >&2; exit 2 ;;
esac
[[ -n $sizes ]] || sizes=$min_size,128,256,512,1024,1280,1518
table=$root/../shared/data/fulltable-prefixes.txt.gz
case $fib in
  small) ;;
  full) [[ -r $table ]] || { echo "bench-forwarding: --fib full needs $table" >&2; exit 2; }
        doc_name=$doc_name-full ;;
  *) echo "bench-forwarding: --fib is small or full, not '$fib'" >&2; exit 2 ;;
esac
[[ $fib == full && $duts == *linux* ]] &&
  { echo "bench-forwarding: --fib full is for mpnetd and l3fwd (Linux gets no table here)" >&2; exit 2; }
for z in ${sizes//,/ }; do
  [[ $z =~ ^[0-9]+$ && $z -ge $min_size && $z -le 1518 ]] ||
    { echo "bench-forwarding: size '$z': $fam_name/UDP frames are $min_size to 1518 bytes here" >&2; exit 2; }
done
[[ $(id -u) -eq 0 ]] || { echo "bench-forwarding: needs root (namespaces, veth)" >&2; exit 1; }
tools/scripts/setup-deps.sh
[[ -x $build/tools/mpgen && -x $build/tools/mpnetd ]] || tools/scripts/build.sh build -DCMAKE_BUILD_TYPE=RelWithDebInfo

run=$(mktemp -d /tmp/mpnet-sbs.XXXXXX)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  sleep 0.5
  for p in "${pids[@]}"; do kill -KILL "$p" 2>/dev/null || true; done
  ip netns del sbs-gen 2>/dev/null || true
  ip netns del sbs-rtr 2>/dev/null || true
  [[ -n ${KEEP:-} ]] || rm -rf "$run"
  rm -rf /var/run/dpdk/sbs-gen /var/run/dpdk/sbs-l3 /var/run/dpdk/sbs-tp
}
trap cleanup EXIT INT TERM

# --fib full: mpnetd's routes, l3fwd's rule files, mpgen's flows.
flow_opts=()
if [[ $fib == full ]]; then
  /usr/bin/python3 - "$table" "$run" "$family" "$out_g" "$in_g" <<'PY' || exit 1
import gzip, ipaddress, random, sys
table, run, family, gw, src = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4], sys.argv[5]
nets = {4: [], 6: []}
for line in gzip.open(table, "rt"):
    line = line.strip()
    if line:
        n = ipaddress.ip_network(line, strict=False)
        nets[n.version].append(n)
test = {4: ["198.18.0.0/24", "198.18.1.0/24"], 6: ["2001:db8::/64", "2001:db8:0:1::/64"]}
for v in (4, 6):  # l3fwd wants both files: each family's full table, to port 1
    with open(f"{run}/l3fwd-rules{v}.cfg", "w") as f:
        for i, t in enumerate(test[v]):
            f.write(f"R{t} {i}\n")
        for n in nets[v]:
            f.write(f"R{n} 1\n")
with open(f"{run}/routes.conf", "w") as f:
    for n in nets[family]:
        # Pinned to mp1 (-ifp): a gateway route goes when its gateway's
        # connected route goes, and mp1's goes each time mpgen disconnects
        # (carrier down detaches the addresses), between search and drain.
        f.write(f"route add -net {n} {gw} -ifp mp1\n" if family == 4 else f"route add -inet6 {n} {gw} -ifp mp1\n")
rng = random.Random(2544)
with open(f"{run}/flows.txt", "w") as f:
    for n in rng.sample(nets[family], 4096):
        host = n.network_address + (1 if n.num_addresses > 1 else 0)
        f.write(f"{src} {host}\n")
PY
  flow_opts=(--flowlist "$run/flows.txt")
fi
if [[ $bench_mode == tunnel ]]; then
  echo "$in_g 198.18.2.2" > "$run/flows.txt"
  flow_opts=(--flowlist "$run/flows.txt")
elif [[ $bench_mode == tunnel-decap ]]; then
  echo "198.18.2.2 $out_g" > "$run/flows.txt"
  flow_opts=(--flowlist "$run/flows.txt")
fi
decap_mac=02:00:00:00:03:01  # --mode tunnel-decap: l2tp0's and vxlan0's link address
# encap_opts NAME: mpgen's --encap for a device (--mode tunnel-decap).
encap_opts() {
  [[ $bench_mode == tunnel-decap ]] || return 0
  case $1 in
    mpnetd_gif) echo "--encap gif" ;;
    mpnetd_l2tp) echo "--encap l2tp:1:$decap_mac" ;;
    mpnetd_vxlan) echo "--encap vxlan:42:$decap_mac" ;;
  esac
}
# tunnel_decap_conf NAME: --mode tunnel-decap's lines of mpnetd's configuration.
tunnel_decap_conf() {
  case $1 in
    mpnetd_gif)
      printf '%s\n' "ifconfig gif0 create" "ifconfig gif0 tunnel $in_r $in_g" "ifconfig gif0 inet 198.18.3.1 198.18.3.2 up" ;;
    mpnetd_l2tp)
      printf '%s\n' "ifconfig l2tp0 create" "ifconfig l2tp0 tunnel $in_r $in_g" "ifconfig l2tp0 session 1 1" \
        "ifconfig l2tp0 link $decap_mac active" "ifconfig l2tp0 inet 198.18.3.1/24 up" ;;
    mpnetd_vxlan)
      printf '%s\n' "ifconfig vxlan0 create" "ifconfig vxlan0 vni 42" "ifconfig vxlan0 tunnel $in_r $in_g" \
        "ifconfig vxlan0 link $decap_mac active" "ifconfig vxlan0 inet 198.18.3.1/24 up" ;;
  esac
}
# tunnel_conf NAME: --mode tunnel's lines of mpnetd's configuration for a device.
tunnel_conf() {
  local far=02:00:00:00:00:0b  # mpgen's receiving port (memif_client below)
  case $1 in
    mpnetd) echo "route add -net 198.18.2.0/24 $out_g -ifp mp1" ;;  # pinned: see --fib full
    mpnetd_gif)
      printf '%s\n' "ifconfig gif0 create" "ifconfig gif0 tunnel $out_r $out_g" \
        "ifconfig gif0 inet 198.18.3.1 198.18.3.2 up" "route add -net 198.18.2.0/24 198.18.3.2" ;;
    mpnetd_l2tp)
      printf '%s\n' "ifconfig l2tp0 create" "ifconfig l2tp0 tunnel $out_r $out_g" "ifconfig l2tp0 session 1 1" \
        "ifconfig l2tp0 inet 198.18.3.1/24 up" "arp -s 198.18.3.2 $far" "route add -net 198.18.2.0/24 198.18.3.2" ;;
    mpnetd_vxlan)
      printf '%s\n' "ifconfig vxlan0 create" "ifconfig vxlan0 vni 42" "ifconfig vxlan0 tunnel $out_r $out_g" \
        "ifconfig vxlan0 inet 198.18.3.1/24 up" "arp -s 198.18.3.2 $far" "route add -net 198.18.2.0/24 198.18.3.2" ;;
  esac
}

# --- l3fwd from the dpdk-doc examples ---
l3=$build/l3fwd-example
if [[ $duts == *l3fwd* ]] && { [[ ! -x $l3/l3fwd/build/l3fwd ]] ||
  ! grep -q '{{32, 1, 13, 184, 0, 0, 0, 1,' "$l3/l3fwd/main.c" ||
  ! grep -q 'IPV4_L3FWD_LPM_MAX_RULES *1048576' "$l3/l3fwd/l3fwd_lpm.c"; }; then
  rm -rf "$l3"
  mkdir -p "$l3"
  cp -r /usr/share/dpdk/examples/l3fwd /usr/share/dpdk/examples/common "$l3/"
  # Mask the requested RX offloads with the device's (memif offers none).
  sed -i 's/^\(\t\tlocal_port_conf\.rx_adv_conf\.rss_conf\.rss_hf &=\)$/\t\tlocal_port_conf.rxmode.offloads \&= dev_info.rx_offload_capa;\n\1/' "$l3/l3fwd/main.c"
  sed -i 's/^\(\t\t\trxq_conf\.offloads = port_conf\.rxmode\.offloads\);$/\1 \& dev_info.rx_offload_capa;/' "$l3/l3fwd/main.c"
  grep -q 'rxmode.offloads &= dev_info.rx_offload_capa' "$l3/l3fwd/main.c" &&
    grep -q 'rxq_conf.offloads = port_conf.rxmode.offloads & dev_info.rx_offload_capa;' "$l3/l3fwd/main.c" ||
    { echo "bench-forwarding: could not patch l3fwd's main.c" >&2; exit 1; }
  # Its IPv6 routes, 2001:200:0:N::/64, into the documentation range.
  sed -i 's/{{32, 1, 2, 0, 0, 0, 0, \([0-9]*\),/{{32, 1, 13, 184, 0, 0, 0, \1,/' "$l3/l3fwd/main.c"
  grep -q '{{32, 1, 13, 184, 0, 0, 0, 1,' "$l3/l3fwd/main.c" ||
    { echo "bench-forwarding: could not patch l3fwd's IPv6 routes" >&2; exit 1; }
  # LPM limits that hold a full table (--fib full; the default table uses few).
  sed -i -e 's/^\(#define IPV4_L3FWD_LPM_MAX_RULES\s*\)1024$/\11048576/' \
    -e 's/^\(#define IPV4_L3FWD_LPM_NUMBER_TBL8S\) (1 << 8)$/\1 (1 << 16)/' \
    -e 's/^\(#define IPV6_L3FWD_LPM_MAX_RULES\s*\)1024$/\1262144/' "$l3/l3fwd/l3fwd_lpm.c"
  grep -q 'IPV4_L3FWD_LPM_MAX_RULES *1048576' "$l3/l3fwd/l3fwd_lpm.c" ||
    { echo "bench-forwarding: could not patch l3fwd's LPM limits" >&2; exit 1; }
  make -C "$l3/l3fwd" -j"$(nproc)" > "$run/l3fwd-build.log" 2>&1 ||
    { cat "$run/l3fwd-build.log"; exit 1; }
fi

gen_opts=(--rfc2544 --tests throughput,latency --sizes "$sizes" --size "$min_size" --trial-time "$trial" --drain 0.5
  --resolution 1 --latency-trials 1 --link-speed 10G --max-lag-us "$max_lag_us")
gen_eal=(--lcores=0@0,1@0 --no-huge -m 1024 --no-pci --file-prefix sbs-gen --log-level=lib.eal:error)
# mpgen starts confined to CPU 0. Its lcores are pinned there by --lcores, but
# DPDK gives its control threads (eal-intr-thread, rte_mp_handle,
# telemetry-v2) the CPUs its lcores leave free: CPU 1, the device's. There
# they preempted the device's worker for up to 4 ms at a time (perf sched on
# CPU 1, 2026-12-01), and mpnetd's poll-gap counters saw gaps of up to 7.6 ms.
gen=(taskset -c 0 "$build/tools/mpgen")
memif_client=(--vdev=net_memif0,role=client,id=0,socket=$run/p0.sock,socket-abstract=no,mac=02:00:00:00:00:0a,rsize=$rsize
  --vdev=net_memif1,role=client,id=0,socket=$run/p1.sock,socket-abstract=no,mac=02:00:00:00:00:0b,rsize=$rsize)
# wait_file PATH [TENTHS]: up to 10 s by default.
wait_file() { for _ in $(seq "${2:-100}"); do [[ -e $1 ]] && return 0; sleep 0.1; done; return 1; }
load_wait=100
[[ $fib == full ]] && load_wait=1800  # a full table takes mpnetd (and l3fwd) seconds to load

# drain DUT [PREFIX...] -- MPGEN-ARGS: line rate in bursts of 32 for
# $drain_time s at each size; mpgen's counters per size in $run/DUT-drain-SIZE.json.
drain() {
  local dut=$1; shift
  local pre=()
  while [[ $1 != -- ]]; do pre+=("$1"); shift; done
  shift
  local z try
  for z in ${sizes//,/ }; do
    # Three tries: after mpgen reconnects, a device may take longer than
    # mpgen's 3 s to answer ARP/ND again (its carrier went down and up; with
    # DAD on, mpnetd's addresses are tentative again for dad_count seconds,
    # which is why its configuration here turns DAD off).
    for try in 1 2 3; do
      timeout 120 "${pre[@]}" "${gen[@]}" "${gen_eal[@]}" "$@" --size "$z" --link-speed 10G -r 100% \
        --burst 32 -t "$drain_time" "${flow_opts[@]}" --results "$run/$dut-drain-$z.json" \
        > "$run/$dut-drain-$z.txt" 2>&1 && break
      echo "bench-forwarding: $dut drain run at $z B failed (try $try of 3)" >&2
      sleep 2
    done
  done
}

# run_mpnetd [MODE [NAME]]: the worker in poll mode (the default) or adaptive.
run_mpnetd() {
  local mode=${1:-poll} name=${2:-mpnetd}
  cat > "$run/mpnetd.conf" <<CONF
workers 1
mbufs 16383
$([[ $fib == full ]] && printf 'fib inet poptrie routes 1048576\nfib inet6 poptrie routes 262144\n')
ifconfig mp0 create net_memif0,role=server,id=0,socket=$run/p0.sock,socket-abstract=no,mac=02:00:00:00:01:00,rsize=$rsize txqueues 1
ifconfig mp1 create net_memif1,role=server,id=0,socket=$run/p1.sock,socket-abstract=no,mac=02:00:00:00:01:01,rsize=$rsize txqueues 1
$(if [[ $bench_mode == bridge ]]; then
  printf 'ifconfig mp0 up\nifconfig mp1 up\nifconfig bridge0 create\nbrconfig bridge0 add mp0\n'
  printf 'brconfig bridge0 add mp1\nifconfig bridge0 up\n'
elif [[ $family == 4 ]]; then
  echo "ifconfig mp0 inet $in_r/$plen up"; echo "ifconfig mp1 inet $out_r/$plen up"
  echo "sysctl -w net.inet.ip.forwarding=1"
else
  echo "ifconfig mp0 inet6 $in_r/$plen up"; echo "ifconfig mp1 inet6 $out_r/$plen up"
  echo "sysctl -w net.inet6.ip6.forwarding=1"
fi)
$([[ $bench_mode == tunnel ]] && tunnel_conf "$name")
$([[ $bench_mode == tunnel-decap ]] && tunnel_decap_conf "$name")
intrctl mode -c 0 $mode
sysctl -w net.inet.ip.dad_count=0
sysctl -w net.inet6.ip6.dad_count=0
CONF
  [[ $fib == full ]] && cat "$run/routes.conf" >> "$run/mpnetd.conf"
  rm -f "$run/ctl.sock" "$run/p0.sock" "$run/p1.sock"
  "$build/tools/mpnetd" -c "$run/mpnetd.conf" -s "$run/ctl.sock" -p "$run/mpnetd.pid" > "$run/$name.log" 2>&1 &
  pids+=($!)
  local dp=$!
  wait_file "$run/ctl.sock" "$load_wait" && wait_file "$run/p1.sock" || { cat "$run/$name.log"; return 1; }
  local enc
  read -ra enc <<< "$(encap_opts "$name")"
  timeout 1800 "${gen[@]}" "${gen_eal[@]}" "${memif_client[@]}" -- \
    -T "net_memif0,$t_gw,$in_g" -R "net_memif1,$r_gw,$out_g" "${enc[@]}" "${gen_opts[@]}" "${flow_opts[@]}" \
    --label "$name" --rfc2544-json "$run/$name.json" > "$run/$name.txt" 2> "$run/$name.err" || return 1
  # The ports' own counters after the search, before the drain floods them:
  # packets the PMD dropped (ring full, no mbuf) never reach the stack's.
  "$build/tools/mpnetctl" -s "$run/ctl.sock" show stats --json > "$run/$name-stats.json" 2>&1 || true
  drain "$name" -- "${memif_client[@]}" -- -T "net_memif0,$t_gw,$in_g" -R "net_memif1,$r_gw,$out_g" "${enc[@]}"
  "$build/tools/mpnetctl" -s "$run/ctl.sock" show errors > "$run/$name-errors.txt" 2>&1 || true
  # The worker's poll gaps: whether it was kept from its rings (its own work or the VM).
  "$build/tools/mpnetctl" -s "$run/ctl.sock" show lcores --json > "$run/$name-lcores.json" 2>&1 || true
  kill -TERM "$dp"; wait "$dp" 2>/dev/null || true
}
run_mpnetd_adaptive() { run_mpnetd adaptive mpnetd_adaptive; }
run_mpnetd_gif() { run_mpnetd poll mpnetd_gif; }
run_mpnetd_l2tp() { run_mpnetd poll mpnetd_l2tp; }
run_mpnetd_vxlan() { run_mpnetd poll mpnetd_vxlan; }
# --mode bridge: mpnetd routing on the same links, for the per-core comparison
# (mpgen's ports then in two subnets behind the router's addresses).
run_mpnetd_route() {
  local bench_mode=route out_g=198.18.1.2 t_gw=$in_r r_gw=$out_r
  run_mpnetd poll mpnetd_route
}

run_l3fwd() {
  rm -f "$run/p0.sock" "$run/p1.sock"
  local l3_rules=()
  [[ $fib == full ]] && l3_rules=(--rule_ipv4="$run/l3fwd-rules4.cfg" --rule_ipv6="$run/l3fwd-rules6.cfg")
  "$l3/l3fwd/build/l3fwd" -l 1 --no-huge -m 1024 --no-pci --file-prefix sbs-l3 \
    --vdev=net_memif0,role=server,id=0,socket=$run/p0.sock,socket-abstract=no,mac=02:00:00:00:01:00,rsize=$rsize \
    --vdev=net_memif1,role=server,id=0,socket=$run/p1.sock,socket-abstract=no,mac=02:00:00:00:01:01,rsize=$rsize \
    -- -p 0x3 --config="(0,0,1),(1,0,1)" --parse-ptype "${l3_rules[@]}" \
    --eth-dest=0,02:00:00:00:00:0a --eth-dest=1,02:00:00:00:00:0b < /dev/null > "$run/l3fwd.log" 2>&1 &
  pids+=($!)
  local lp=$!
  wait_file "$run/p1.sock" "$load_wait" || { tail -20 "$run/l3fwd.log"; return 1; }
  # Its ports exist before its routes are in (a full table takes a while):
  # ready when its lcore enters the main loop.
  local i
  for ((i = 0; i < load_wait; i++)); do
    tail -c 4096 "$run/l3fwd.log" | grep -q 'entering main loop' && break
    kill -0 "$lp" 2>/dev/null || { tail -20 "$run/l3fwd.log"; return 1; }
    sleep 0.1
  done
  sleep 1
  # l3fwd answers no ARP: its MACs are given.
  timeout 1800 "${gen[@]}" "${gen_eal[@]}" "${memif_client[@]}" -- \
    -T "net_memif0,02:00:00:00:01:00,$in_g" -R "net_memif1,02:00:00:00:01:01,$out_g" "${gen_opts[@]}" "${flow_opts[@]}" \
    --label l3fwd --rfc2544-json "$run/l3fwd.json" > "$run/l3fwd.txt" 2> "$run/l3fwd.err" || return 1
  drain l3fwd -- "${memif_client[@]}" -- -T "net_memif0,02:00:00:00:01:00,$in_g" \
    -R "net_memif1,02:00:00:00:01:01,$out_g"
  kill -TERM "$lp"; wait "$lp" 2>/dev/null || true
}

# testpmd macswap (--mode bridge's ceiling): port 0 <-> port 1, one lcore on CPU 1.
run_testpmd() {
  rm -f "$run/p0.sock" "$run/p1.sock"
  dpdk-testpmd --lcores=0@1,1@1 --no-huge -m 1024 --no-pci --file-prefix sbs-tp \
    --vdev=net_memif0,role=server,id=0,socket=$run/p0.sock,socket-abstract=no,mac=02:00:00:00:01:00,rsize=$rsize \
    --vdev=net_memif1,role=server,id=0,socket=$run/p1.sock,socket-abstract=no,mac=02:00:00:00:01:01,rsize=$rsize \
    -- --forward-mode=macswap --nb-cores=1 --stats-period=1000 < /dev/null > "$run/testpmd.log" 2>&1 &
  pids+=($!)
  local tp=$!
  wait_file "$run/p1.sock" || { tail -20 "$run/testpmd.log"; return 1; }
  sleep 1
  # testpmd answers no ARP: mpgen's frames go straight to the other port's MAC.
  timeout 1800 "${gen[@]}" "${gen_eal[@]}" "${memif_client[@]}" -- \
    -T "net_memif0,02:00:00:00:00:0b,$in_g" -R "net_memif1,02:00:00:00:00:0a,$out_g" "${gen_opts[@]}" \
    --label testpmd --rfc2544-json "$run/testpmd.json" > "$run/testpmd.txt" 2> "$run/testpmd.err" || return 1
  drain testpmd -- "${memif_client[@]}" -- -T "net_memif0,02:00:00:00:00:0b,$in_g" \
    -R "net_memif1,02:00:00:00:00:0a,$out_g"
  kill -TERM "$tp"; wait "$tp" 2>/dev/null || true
}

run_linux() {
  ip netns add sbs-gen
  ip netns add sbs-rtr
  ip link add sbs-a0 netns sbs-gen type veth peer name sbs-a1 netns sbs-rtr
  ip link add sbs-b0 netns sbs-gen type veth peer name sbs-b1 netns sbs-rtr
  local nodad=()
  [[ $family == 6 ]] && nodad=(nodad)
  if [[ $bench_mode == bridge ]]; then
    ip -n sbs-rtr link add br0 type bridge
    ip -n sbs-rtr link set sbs-a1 master br0
    ip -n sbs-rtr link set sbs-b1 master br0
    ip -n sbs-rtr link set br0 up
  else
    ip -n sbs-rtr addr add "$in_r/$plen" dev sbs-a1 "${nodad[@]}"
    ip -n sbs-rtr addr add "$out_r/$plen" dev sbs-b1 "${nodad[@]}"
  fi
  for l in sbs-a0 sbs-b0; do ip -n sbs-gen link set "$l" up; done
  for l in sbs-a1 sbs-b1 lo; do ip -n sbs-rtr link set "$l" up; done
  ip netns exec sbs-rtr sysctl -qw net.ipv4.ip_forward=1 net.ipv4.conf.all.rp_filter=0 \
    net.ipv4.conf.default.rp_filter=0 net.ipv4.conf.all.send_redirects=0 net.ipv6.conf.all.forwarding=1
  # Router receive work on CPU 1, the generator side's on CPU 0.
  ip netns exec sbs-rtr sh -c 'echo 2 > /sys/class/net/sbs-a1/queues/rx-0/rps_cpus' || true
  ip netns exec sbs-gen sh -c 'echo 1 > /sys/class/net/sbs-b0/queues/rx-0/rps_cpus' || true
  timeout 1800 ip netns exec sbs-gen "${gen[@]}" "${gen_eal[@]}" \
    --vdev=net_af_packet0,iface=sbs-a0,qdisc_bypass=1 --vdev=net_af_packet1,iface=sbs-b0,qdisc_bypass=1 -- \
    -T "net_af_packet0,$t_gw,$in_g" -R "net_af_packet1,$r_gw,$out_g" "${gen_opts[@]}" "${flow_opts[@]}" \
    --label linux --rfc2544-json "$run/linux.json" > "$run/linux.txt" 2> "$run/linux.err" || return 1
  drain linux ip netns exec sbs-gen -- --vdev=net_af_packet0,iface=sbs-a0,qdisc_bypass=1 \
    --vdev=net_af_packet1,iface=sbs-b0,qdisc_bypass=1 -- \
    -T "net_af_packet0,$t_gw,$in_g" -R "net_af_packet1,$r_gw,$out_g"
  ip netns exec sbs-rtr cat /proc/net/snmp | grep -A1 '^Ip:' > "$run/linux-snmp.txt" || true
  ip netns del sbs-gen
  ip netns del sbs-rtr
}

IFS=, read -ra list <<<"$duts"
probe=$run/placement_probe
gcc -O2 -pthread -o "$probe" "$root/tools/placement/placement_probe.c"
: > "$run/placement.txt"
for ((r = 1; r <= rounds; r++)); do
  for dut in "${list[@]}"; do
    echo "== round $r: $dut"
    before=$("$probe")
    "run_$dut" || { echo "bench-forwarding: $dut failed"; tail -20 "$run/$dut.err" "$run/$dut.log" 2>/dev/null; exit 1; }
    after=$("$probe")
    echo "placement before: $before, after: $after"
    echo "$r $dut $before $after" >> "$run/placement.txt"
    cat "$run/$dut.txt"
    for f in "$run/$dut".json "$run/$dut".txt "$run/$dut"-drain-*.json "$run/$dut"-lcores.json \
      "$run/$dut"-stats.json; do
      [[ -e $f ]] && mv "$f" "$run/r$r-$(basename "$f")"
    done
  done
done

files=()
for dut in "${list[@]}"; do files+=("$run/r1-$dut.json"); done
plot=$root/docs/benchmarks/$doc_name.svg
[[ $write_doc == 1 ]] || plot=$run/$doc_name.svg
"$build/tools/mpgen" --plot-from "$(IFS=,; echo "${files[*]}")" --plot "$plot"

table=$(/usr/bin/python3 - "$run" "$rounds" "$drain_time" "${list[@]}" <<'PY'
import json, os, statistics, sys
run, rounds, drain_time, duts = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), sys.argv[4:]
place = {}
for line in open(os.path.join(run, "placement.txt")):
    r, dut, b, bns, a, ans = line.split()
    place[(int(r), dut)] = b if b == a else "mixed"
zl, dr = {}, {}   # (dut, size) -> [(round, pps, generator_limited, placement)]
sizes = []
for r in range(1, rounds + 1):
    for d in duts:
        res = json.load(open(os.path.join(run, f"r{r}-{d}.json")))
        for z in res["sizes"]:
            f = z["frame"]
            if f not in sizes:
                sizes.append(f)
            zl.setdefault((d, f), []).append((r, z["throughput_pps"], z["generator_limited"], place[(r, d)]))
            path = os.path.join(run, f"r{r}-{d}-drain-{f}.json")
            if os.path.exists(path):
                ports = json.load(open(path))["ports"]
                tx, rx, full = ports[0]["tx"], ports[1]["rx"], ports[0].get("tx_full", 0)
                # Generator-limited: everything sent came back and the input
                # ring never pushed back (tx_full: frames the port refused).
                g = tx > 0 and rx >= 0.995 * tx and full <= 0.005 * tx
                dr.setdefault((d, f), []).append((r, rx / drain_time, g, place[(r, d)]))
tag = {"near": "n", "far": "f", "mid": "m", "mixed": "x"}
def cell(runs):
    return " ".join(f"{p / 1e6:.2f}{tag[pl]}{'*' if g else ''}" for _, p, g, pl in runs)
def med(runs, pl):
    v = [p for _, p, _, q in runs if q == pl]
    return statistics.median(v) if v else None
def fmt(x):
    return "-" if x is None else f"{x / 1e6:.2f}"
out = []
def section(title, data):
    out.append(title)
    out.append("")
    hdr = "| frame |" + "".join(f" {d} (Mpps per round) | {d} near | {d} far |" for d in duts)
    if len(duts) > 1:
        hdr += "".join(f" {duts[0]} / {d} near | {duts[0]} / {d} far |" for d in duts[1:])
    out.append(hdr)
    out.append("|" + "---|" * (hdr.count("|") - 1))
    for f in sizes:
        row = f"| {f} |"
        for d in duts:
            runs = data.get((d, f), [])
            row += f" {cell(runs)} | {fmt(med(runs, 'near'))} | {fmt(med(runs, 'far'))} |"
        for d in duts[1:]:
            for pl in ("near", "far"):
                a, b = med(data.get((duts[0], f), []), pl), med(data.get((d, f), []), pl)
                row += f" {a / b:.2f}x |" if a and b else " - |"
        out.append(row)
    out.append("")
section("RFC 2544 zero-loss throughput (Mpps), each round with its placement "
        "(n near, f far, m in between, x changed during the run; * generator-limited):", zl)
section(f"Drain rate (Mpps): line rate offered in bursts of 32 for {drain_time:g} s, what came back "
        "(* everything sent came back and the input ring never pushed back: the device kept up, "
        "the generator was the limit):", dr)
gaps = []
for r in range(1, rounds + 1):
    for d in duts:
        path = os.path.join(run, f"r{r}-{d}-lcores.json")
        if os.path.exists(path):
            try:  # mpnetctl's answer; an error text instead is skipped
                w = [l for l in json.load(open(path)) if l["role"] == "worker"][0]
            except (ValueError, KeyError, IndexError, TypeError):
                continue
            g = w["poll_gaps"]
            dev = "-"
            try:  # the ports' own RX losses over the search: ring full, pool dry
                st = json.load(open(os.path.join(run, f"r{r}-{d}-stats.json")))
                dev = " / ".join(f"{i['device']['imissed']}, {i['device']['rx_nombuf']}" for i in st if "device" in i)
            except (OSError, ValueError, KeyError, TypeError):
                pass
            gaps.append(f"| {r} | {d} | {g['over_100us']} | {g['over_1ms']} | {g['over_10ms']} | "
                        f"{w['poll_gap_max_ns'] / 1e3:.0f} | {dev} |")
if gaps:
    out.append("mpnetd's worker, poll gaps over the whole run (busy polls that started that long after the "
               "one before: the worker kept from its rings, by its own work or by the host):")
    out.append("")
    out.append("| round | device | >= 100 us | >= 1 ms | >= 10 ms | longest (us) | "
               "ports' missed, no-mbuf during the search |")
    out.append("|---|---|---:|---:|---:|---:|---|")
    out.extend(gaps)
    out.append("")
lat = "Latency at each device's throughput rate, round 1 (µs; every frame timed by mpgen):"
out.append(lat)
out.append("")
lh = "| frame |" + "".join(f" {d} avg | {d} p99 | {d} max |" for d in duts)
out.append(lh)
out.append("|" + "---|" * (lh.count("|") - 1))
first = {d: {z["frame"]: z for z in json.load(open(os.path.join(run, f"r1-{d}.json")))["sizes"]} for d in duts}
for f in sizes:
    row = f"| {f} |"
    for d in duts:
        l = first[d][f]["latency"]
        row += f" {l['avg_ns']/1e3:.1f} | {l['p99_ns']/1e3:.1f} | {l['max_ns']/1e3:.1f} |"
    out.append(row)
print("\n".join(out))
PY
)
echo
echo "$table"

if [[ $write_doc == 1 ]]; then
  doc=$root/docs/benchmarks/$doc_name.md
  {
    if [[ $bench_mode == bridge ]]; then
      echo "# Bridging side by side: mpnetd's bridge(4), DPDK testpmd (macswap), Linux's bridge"
    elif [[ $bench_mode == tunnel ]]; then
      echo "# Into tunnels through mpnetd: gif, L2TPv3 and VXLAN encapsulation next to plain forwarding"
    elif [[ $bench_mode == tunnel-decap ]]; then
      echo "# Out of tunnels through mpnetd: gif, L2TPv3 and VXLAN decapsulation next to plain forwarding"
    else
      echo "# $fam_name forwarding side by side: mpnetd, DPDK l3fwd, Linux"
    fi
    echo
    echo "Written by \`$cmdline\` on $(date -u +%Y-%m-%d) ($(nproc) vCPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'))."
    echo "mpgen on CPU 0, the device under test on CPU 1; RFC 2544 throughput (binary search,"
    echo "zero loss, resolution 1 % of line rate, ${trial} s trials, 0.5 s drain) and latency at the found rate,"
    if [[ $bench_mode == tunnel ]]; then
      echo "$fam_name/UDP, one flow $in_g → 198.18.2.2. Rates are frames/s against a nominal 10 Gb/s line,"
      echo "of mpgen's (inner) frame size."
    elif [[ $bench_mode == tunnel-decap ]]; then
      echo "$fam_name/UDP, one inner flow 198.18.2.2 → $out_g. Rates are frames/s against a nominal 10 Gb/s"
      echo "line, of the outer frame's size (what mpgen sends)."
    else
      echo "$fam_name/UDP, one flow $in_g → $out_g. Rates are frames/s against a nominal 10 Gb/s line."
    fi
    if [[ $bench_mode == bridge ]]; then
      echo "mpgen's ports are two hosts of one subnet; their ARP crosses the bridge, which learns both"
      echo "MACs before the first test frame (known unicast). mpnetd (bridge0 over mp0 and mp1, one"
      echo "worker, poll mode) and testpmd (macswap, the ceiling) sit behind two memif ports (copy mode);"
      echo "Linux's bridge joins two veth pairs, fed by mpgen on af_packet."
    elif [[ $bench_mode == tunnel ]]; then
      echo "mpnetd (one worker, poll mode) sits behind two memif ports (copy mode) and routes the flow"
      echo "into gif0 (IPv4 in IPv4), l2tp0 (L2TPv3 over IP, an addressed Ethernet interface) or"
      echo "vxlan0 (VNI 42), whose outer packets go from 198.18.1.1 to mpgen's receiving port"
      echo "198.18.1.2, or (mpnetd) plainly out of mp1. mpgen's receiver finds its frames inside"
      echo "the tunnels' packets. Encapsulation only: the decapsulation direction, and 100 000"
      echo "tunnels, are measured in process (tunnels.md); the other direction is"
      echo "tunnels-decap-memif.md."
    elif [[ $bench_mode == tunnel-decap ]]; then
      echo "mpgen's transmitting port sends its frames inside the tunnel (\`mpgen --encap\`: gif, IPv4"
      echo "in IPv4; l2tp, L2TPv3 over IP, session 1, no cookie; vxlan, VNI 42) from 198.18.0.2 to"
      echo "mpnetd's 198.18.0.1 on mp0; mpnetd (one worker, poll mode, behind two memif ports in copy"
      echo "mode) decapsulates and routes the inner flow out of mp1 to mpgen's receiving port. The"
      echo "baseline (mpnetd) gets the same inner frames plainly, at the same frame sizes."
    else
      echo "mpnetd and l3fwd sit behind two memif ports (copy mode); Linux forwards between veth pairs,"
      echo "fed by mpgen on af_packet."
    fi
    echo "* on a zero-loss figure marks a search whose failed trial was the"
    echo "generator's (TX underrun), not the device's: there the figure is mpgen's ceiling on that path."
    echo "${rounds} rounds, the devices interleaved within each; each run's placement was probed before"
    echo "and after it (tools/placement/placement_probe.c). Placement per run:"
    echo
    echo '```'
    cat "$run/placement.txt"
    echo '```'
    echo "(round, device, probe before: class and cache-line round trip in ns, probe after)"
    echo
    echo "$table"
    echo
    echo "![throughput against frame size]($doc_name.svg)"
    echo
    echo "## Reading it"
    echo
    echo "- This VM's two vCPUs move between near and far placement on the host"
    echo "  (../shared/reference/local-anchors.md §0.1), which moves memif rates by 2-3x: compare"
    echo "  the medians of one placement, never a near run with a far one."
    echo "- Zero-loss at a 1 % resolution is decided by rare stalls (of the generator, the device or"
    echo "  the host); the drain rate says what the device forwards when it is busy. Both matter."
    echo "- Linux's figures are bounded by af_packet on the generator side (about 0.7 Mpps for"
    echo "  testpmd on this VM), so they are a floor for the kernel, not its capacity."
    echo "- Latency includes mpgen's own TX and RX path and the memif copies; at the throughput"
    echo "  rate queues are near their limit, so the p99 is a loaded latency."
    echo
    echo "Raw per-trial output of round 1:"
    echo
    for dut in "${list[@]}"; do
      echo "### $dut"
      echo
      echo '```'
      cat "$run/r1-$dut.txt"
      echo '```'
      echo
    done
  } > "$doc"
  echo "bench-forwarding: wrote $doc and $plot"
fi
