// SPDX-License-Identifier: BSD-2-Clause
// BSD-style text for the stack's tables: arp -an, netstat -rn -f inet,
// ifconfig, and the drop counters. The CLI and the demo print these.
//
// Locking notes: pure formatting of snapshots returned by the stack API.
#pragma once

#include <string>
#include <vector>

#include "mpnet/stack/stack.hpp"

namespace mpnet {

/// One `arp -n` line: "? (198.18.0.2) at 02:6d:70:00:00:02 on ring0 29s R"
/// ("permanent", "published (proxy only)" and "(incomplete)" as NetBSD prints).
std::string format_arp(const neigh_info& n);
/// netstat's Gateway column: the gateway, or link#N of an on-link route.
std::string route_gateway(const rtentry& r);
/// `netstat -rn -f inet`: header and one line per route.
std::string format_routes(const std::vector<route_info>& routes);
/// `route -n get`: NetBSD's layout (route to, destination, mask, gateway,
/// local addr, interface, flags, metrics).
std::string format_route_get(const route_get_info& g);
/// `ifconfig IF`: flags, MTU, address, inet lines with tentative/duplicated.
std::string format_ifconfig(const if_info& i);
/// Non-zero drop counters, one "  name: count" line each.
std::string format_drops(const stack& s);

}  // namespace mpnet
