// SPDX-License-Identifier: BSD-2-Clause
// tap(4): an Ethernet interface whose other end is the host kernel, and the
// exception path through it. A module over the seams alone (src/modules/tap).
//
// `ifconfig tap0 create` opens a port through stack_config::port_open with
// DPDK's tap PMD ("net_tap_mpnetN,iface=tap0"): the host gets a kernel
// interface of the same name. mpnet's tap0 is an ordinary Ethernet interface
// on it: it takes addresses, answers ARP/ND, is routed, and can be a bridge
// member (NetBSD's t_tap stand_alone and bridged cases).
//
// `ifconfig tap0 exception` makes tap0 the stack's exception path (one per
// stack): a unicast packet for one of the stack's own addresses that no
// protocol handler or UDP port of mpnet takes (TCP, UDP to a port with no
// listener in mpnet, an IP protocol with no handler) goes to the host kernel
// through tap0 unchanged, its original addresses kept, in an Ethernet frame
// to the host interface's MAC. What the host sends back through tap0 from
// one of the stack's own addresses is mpnet's locally originated output:
// routed by mpnet's FIB, no TTL decrement, sent whether forwarding is on or
// not. So a TCP listener on the host answers connections to the router's
// addresses (ssh, BGP). Everything else the host sends is ordinary input.
//
// The host side is the operator's: the host interface must hold the router's
// addresses it serves (as /32 and /128) and route back through mpnet's tap
// address (docs/architecture.md, "The exception path"). Packets to group
// addresses and those that arrived on the tap itself are never passed.
//
// Drops: tap_no_host_mac (the host interface's MAC is not known yet: the
// port cannot read it and the host has sent nothing), and the stack's own
// reasons for a bad IP header from the host.
//
// Locking notes: the exception interface is one atomic ifindex, the host's
// MAC one atomic word per tap; workers read both relaxed. Configuration runs
// on the control plane through stack::ctl_call.
#pragma once

#include <string>
#include <string_view>

#include "mpnet/core/addr.hpp"
#include "mpnet/stack/module.hpp"

namespace mpnet {

extern const module tap_module;

namespace tap {

/// ifconfig IF exception / -exception: makes IF the stack's exception path
/// (another tap that was stops being it) or stops it. errc::noent,
/// errc::inval (IF is not a tap interface).
status set_exception(stack& s, std::string_view ifname, bool on);

struct info {
    std::string host_if;  // the host kernel interface's name
    ether_addr host_mac{};  // zero while unknown
    bool exception = false;
    uint64_t to_host = 0, from_host = 0;  // packets passed each way on the exception path
};
/// errc::noent, errc::inval (not a tap interface).
result<info> get(stack& s, std::string_view ifname);

}  // namespace tap
}  // namespace mpnet
