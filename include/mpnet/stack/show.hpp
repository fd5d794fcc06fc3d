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

/// Interface names by index, for %zone suffixes of link-local addresses.
using ifnames = std::vector<std::string>;
ifnames ifnames_of(const stack& s);
/// fe80::1%shmif0 for a link-local (scope embedded or given), plain otherwise.
std::string ip6_scoped(const ip6_addr& a, ifindex_t scope, const ifnames& names);
/// netstat -rn -f inet6.
std::string format_routes6(const std::vector<route6_info>& routes, const ifnames& names);
std::string route6_gateway(const rtentry6& r, const ifnames& names);
std::string format_route6_get(const route6_get_info& g, const ifnames& names);
/// ndp -a line: Neighbor, Linklayer Address, Netif, Expire, S, Flags.
std::string format_ndp(const neigh_info& n, ifindex_t ifindex, const ifnames& names);
std::string format_ndp_routers(const std::vector<defrouter_info>& v, const stack& s);
std::string format_ndp_prefixes(const std::vector<nd_prefix_info>& v, const stack& s);
/// NetBSD's 23h59m58s.
std::string format_expire(int64_t s);
/// <TENTATIVE,AUTOCONF> words of in6_iff flags.
std::string in6_flag_words(uint8_t f);

}  // namespace mpnet
