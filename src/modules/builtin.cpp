// SPDX-License-Identifier: BSD-2-Clause
// The one list of the modules every stack attaches, in order. A new module
// adds its line here and touches no other module's files.
#include <span>

#include "mpnet/stack/module.hpp"

namespace mpnet {

extern const module neigh_module;  // src/modules/neigh: the neighbor state machine of ARP and ND
extern const module ping_module;   // src/modules/ping: ping(8)'s echo sessions, both families
extern const module inet4_module;  // src/modules/inet4: IPv4, ICMP, ARP, addresses and DAD, routes
extern const module inet6_module;  // src/modules/inet6: IPv6, ICMPv6, ND, RA, addresses and DAD, routes
extern const module vlan_module;   // src/modules/vlan: 802.1Q sub-interfaces
extern const module bridge_module; // src/modules/bridge: the learning bridge, brconfig
extern const module tap_module;    // src/modules/tap: tap(4) and the exception path to the host kernel
extern const module gif_module;    // src/modules/tunnel: gif(4), IPv4/IPv6 in IPv4/IPv6
extern const module l2tp_module;   // src/modules/tunnel: l2tp(4), L2TPv3 Ethernet pseudowires
extern const module vxlan_module;  // src/modules/tunnel: vxlan(4), VXLAN segments
extern const module ipsec_module;  // src/modules/ipsec: the SAD and SPD, setkey

std::span<const module* const> builtin_modules() noexcept {
    static const module* const list[] = {
        &neigh_module,
        &ping_module,
        &inet4_module,
        &inet6_module,
        &vlan_module,
        &bridge_module,
        &tap_module,
        &gif_module,
        &l2tp_module,
        &vxlan_module,
        &ipsec_module,
    };
    return list;
}

}  // namespace mpnet
