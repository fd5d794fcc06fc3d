// SPDX-License-Identifier: BSD-2-Clause
// vxlan(4): VXLAN (RFC 7348) with static unicast endpoints, a module over the
// seams alone (src/modules/tunnel/vxlan.cpp). Linux's vxlan is its peer.
//
// `ifconfig vxlan0 create` makes an Ethernet interface (its own random local
// MAC, MTU 1450 as Linux's) whose wire is one VXLAN segment to one peer:
// `vni N` (0..16777215) and `tunnel LOCAL REMOTE` (IPv4 or IPv6 underlay),
// `deletetunnel`. It runs while it is up with both set. It takes addresses
// (an L3 interface: ARP and ND run over the segment) or joins a bridge.
//
// Frames go out in UDP to port 4789 from a source port chosen by the inner
// flow's hash (49152..65535, RFC 7348 5), after an 8-byte header with the I
// flag and the VNI. The UDP checksum is zero over IPv4 and filled in over
// IPv6 (Linux's defaults). Received datagrams on port 4789 are matched by
// one lookup in the module's encapsulation table on (outer family, local,
// remote, VNI) and go to the interface's input (dp_ctx::defer_if_input).
//
// Drops: vxlan_no_tunnel (no vxlan has that VNI from that peer),
// vxlan_bad_flags (the I flag clear), vxlan_too_short, vxlan_nesting
// (net.inet.vxlan.max_nesting, 2), vxlan_not_ready, vxlan_nobufs.
//
// Locking notes: as l2tp(4): one immutable configuration behind an rcu_ptr,
// the new table key added before the old is removed.
#pragma once

#include <cstdint>
#include <string_view>

#include "mpnet/stack/module.hpp"
#include "mpnet/tunnel/encap.hpp"

namespace mpnet {

extern const module vxlan_module;

namespace vxlan {

inline constexpr uint16_t udp_port = 4789;
inline constexpr uint32_t vni_max = 0xffffff;

struct config {
    bool has_tunnel = false;
    tunnel_endpoints tunnel;
    bool has_vni = false;
    uint32_t vni = 0;
};

/// errc::noent, errc::inval (not a vxlan; a bad value), errc::addrnotavail
/// (another vxlan has this tunnel and VNI).
status set_tunnel(stack& s, std::string_view ifname, const tunnel_endpoints& e);
status delete_tunnel(stack& s, std::string_view ifname);
status set_vni(stack& s, std::string_view ifname, uint32_t vni);

result<config> get(stack& s, std::string_view ifname);

}  // namespace vxlan
}  // namespace mpnet
