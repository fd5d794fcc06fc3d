// SPDX-License-Identifier: BSD-2-Clause
// What the command families share (src/ctl/cmd_*.cpp): the context every
// handler gets, replies, number parsing, the JSON forms of interfaces, routes
// and neighbors, and every family's handlers, which commands.cpp lists in the
// one command table.
//
// Locking notes: see mpnet/ctl/commands.hpp (one thread at a time; handlers
// call the stack's API, which takes its own lock).
#pragma once

#include <fmt/format.h>

#include <charconv>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "mpnet/ctl/commands.hpp"
#include "mpnet/stack/module.hpp"
#include "mpnet/stack/show.hpp"

namespace mpnet::ctl {

using json = nlohmann::json;

struct context {
    stack& s;
    command_set& cs;
    std::map<std::string, std::string> devargs;  // interface -> devargs it was created with
    std::map<std::string, int64_t> knobs;        // sysctls set by command, for show config
    std::map<std::pair<std::string, uint16_t>, unsigned> affinity;  // intrctl affinity, for show config
};

inline reply ok(std::string text = {}) { return {0, std::move(text)}; }
inline reply fail(std::string_view cmd, std::string_view msg) { return {1, fmt::format("{}: {}", cmd, msg)}; }

template <typename T>
std::optional<T> num(std::string_view s) {
    T v{};
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc() || p != s.data() + s.size()) return std::nullopt;
    return v;
}

// commands.cpp: the ifconfig verb a module (built-in, or one of the stack's
// own stack_config::modules) registered for `verb`, or null.
const ifconfig_verb* module_verb(const context& c, std::string_view verb);

// cmd_util.cpp
json if_json(const if_info& i);
json route_json(const route_info& r);
json neigh_json(const neigh_info& n);
/// "fe80::1%shmif0" -> (fe80::1, "shmif0"); nullopt when malformed.
std::optional<std::pair<ip6_addr, std::string>> parse_scoped(std::string_view w);

using cmd_args = std::vector<std::string>;
// The families' handlers.
reply cmd_ifconfig(context& c, const cmd_args& a, bool js);   // cmd_ifconfig.cpp
reply cmd_route(context& c, const cmd_args& a, bool js);      // cmd_route.cpp
reply cmd_route6(context& c, const cmd_args& a, bool js);
reply cmd_netstat(context& c, const cmd_args& a, bool js);
reply cmd_arp(context& c, const cmd_args& a, bool js);        // cmd_neigh.cpp
reply cmd_ndp(context& c, const cmd_args& a, bool js);
reply cmd_rtadvd(context& c, const cmd_args& a, bool js);     // cmd_rtadvd.cpp
reply cmd_ping(context& c, const cmd_args& a, bool js);       // cmd_ping.cpp
reply cmd_ping6(context& c, const cmd_args& a, bool js);
reply cmd_sysctl(context& c, const cmd_args& a, bool js);     // cmd_system.cpp
reply cmd_intrctl(context& c, const cmd_args& a, bool js);
reply cmd_show(context& c, const cmd_args& a, bool js);

}  // namespace mpnet::ctl
