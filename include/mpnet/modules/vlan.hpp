// SPDX-License-Identifier: BSD-2-Clause
// vlan(4): IEEE 802.1Q sub-interfaces of an Ethernet interface, written
// against the module seams alone (mpnet/stack/module.hpp).
//
// `ifconfig vlan0 create`, `ifconfig vlan0 vlan 10 vlanif mp0`, `ifconfig
// vlan0 -vlanif`. A vlan interface has its parent's link address, the
// parent's MTU when the parent's device carries 4 bytes more (else 4 less),
// its own addresses, neighbors and counters, and runs while its parent runs.
// Tagged frames on the parent go to the vlan interface of their VLAN ID;
// untagged ones stay on the parent; on a parent with vlans a priority-tagged
// frame (VID 0) is the parent's. Bad tags are named drops: vlan_too_short (no
// room for the tag), vlan_bad_vid (VID 4095, or a priority tag around another
// tag), vlan_unknown_vid (no vlan interface for it), and the stack's own
// ether_vlan_unsupported (any tag on a parent with no vlans, as NetBSD).
//
// Locking notes:
// - Per parent, a table VID -> vlan ifindex (4096 entries), published with
//   rcu_ptr and replaced whole by the control plane (copy, publish, retire);
//   workers read it in their read section. A vlan's (VID, parent) is one
//   atomic word its transmit reads.
// - Configuration goes through stack::ctl_call (the control lock); the
//   module's lifecycle hook follows its parents (link up/down, destroy takes
//   the vlans with it).
// Lock order: stack control lock -> nothing.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "mpnet/stack/module.hpp"

namespace mpnet {

extern const module vlan_module;

namespace vlan {

inline constexpr uint16_t vid_max = 4094;

/// ifconfig IF vlan VID vlanif PARENT. errc::noent (no such interface),
/// errc::inval (IF not a vlan interface, VID outside 1..4094, PARENT not an
/// Ethernet port), errc::exist (PARENT already has a vlan with VID),
/// errc::busy (IF is configured already: -vlanif first).
status set(stack& s, std::string_view ifname, uint16_t vid, std::string_view parent);
/// ifconfig IF -vlanif: detaches IF from its parent (addresses stay).
/// errc::noent, errc::inval (not a vlan interface).
status unset(stack& s, std::string_view ifname);

struct config {
    uint16_t vid = 0;    // 0: not configured
    std::string parent;  // empty: not configured
};
/// errc::noent, errc::inval (not a vlan interface).
result<config> get(stack& s, std::string_view ifname);

}  // namespace vlan
}  // namespace mpnet
