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

/// A cursor over a command's words, the BSD way: flags, options that take
/// the next word as their value, and positionals, in any order. The
/// families' parsers share it.
class word_cursor {
public:
    explicit word_cursor(const std::vector<std::string>& w, size_t from = 0) : w_(w), i_(from) {}
    bool done() const noexcept { return i_ >= w_.size(); }
    /// The next word (the caller checked !done()).
    const std::string& next() noexcept { return w_[i_++]; }
    /// An option's value: the next word, or null when there is none.
    const std::string* value() noexcept { return i_ < w_.size() ? &w_[i_++] : nullptr; }
    /// An option's value as a number in [lo, hi]; null when it is missing,
    /// malformed or out of range.
    template <typename T>
    std::optional<T> number(T lo, T hi) noexcept {
        const std::string* v = value();
        std::optional<T> x = v ? num<T>(*v) : std::nullopt;
        return x && *x >= lo && *x <= hi ? x : std::nullopt;
    }
    /// An option's value through `parse` (an address or prefix parser);
    /// null when it is missing or refused.
    template <typename F>
    auto parsed(F&& parse) -> decltype(parse(std::string_view{})) {
        const std::string* v = value();
        if (!v) return std::nullopt;
        return parse(std::string_view(*v));
    }

private:
    const std::vector<std::string>& w_;
    size_t i_;
};

/// route(8)'s modifiers, the same words for both families.
struct route_mods {
    bool host = false, iface = false, connected = false, reject = false, noreject = false;
    bool blackhole = false, noblackhole = false, proxy = false;
    std::string ifp;
    std::optional<std::string> ifa;  // parsed by the family
};
/// Takes `w` if it is one of route(8)'s modifiers (with its value from `c`):
/// true, with `err` set when its value is missing; false when `w` is not one.
bool route_mod_word(const std::string& w, word_cursor& c, route_mods& m, std::string& err);

// commands.cpp: the ifconfig verb a module (built-in, or one of the stack's
// own stack_config::modules) registered for `verb`, or null.
/// The verb for `ifname` (its kind's module first: ifconfig_verb::kind).
const ifconfig_verb* module_verb(const context& c, std::string_view verb, std::string_view ifname);

// cmd_util.cpp
/// A JSON array of flat objects written straight into one string: what the
/// long listings (arp, ndp, routes: up to a full table) use, instead of a
/// tree with a node per field. Strings are escaped as json::dump does
/// (invalid UTF-8 replaced).
class json_rows {
public:
    json_rows() : out_("[") {}
    /// Starts the next object; its fields follow, then end().
    void begin();
    void end() { out_ += '}'; }
    void field(std::string_view k, std::string_view v);
    void field(std::string_view k, const std::string& v) { field(k, std::string_view(v)); }
    void field(std::string_view k, const char* v) { field(k, std::string_view(v)); }
    void field(std::string_view k, bool v);
    void field(std::string_view k, int64_t v);
    void field(std::string_view k, uint64_t v);
    void field(std::string_view k, uint32_t v) { field(k, uint64_t(v)); }
    void field(std::string_view k, int v) { field(k, int64_t(v)); }
    /// The array, closed; the writer is empty afterwards.
    std::string take();

private:
    void key(std::string_view k);
    std::string out_;
    bool first_row_ = true, first_field_ = true;
};

/// A listing's rows through `fields(row, put)`, which calls put(key, value)
/// for each field of one row.
template <typename Rows, typename Fields>
std::string json_listing(const Rows& rows, Fields&& fields) {
    json_rows w;
    for (const auto& r : rows) {
        w.begin();
        fields(r, [&](std::string_view k, const auto& v) { w.field(k, v); });
        w.end();
    }
    return w.take();
}

/// One row as a json object (the single-item answers: route get).
template <typename Row, typename Fields>
json json_object(const Row& r, Fields&& fields) {
    json j = json::object();
    fields(r, [&](std::string_view k, const auto& v) { j[std::string(k)] = v; });
    return j;
}

json if_json(const if_info& i);
/// An IPv4 route as an object (route get), and a whole table as an array.
json route_json(const route_info& r);
std::string routes_json(const std::vector<route_info>& v);
/// ARP entries as an array.
std::string neigh_json(const std::vector<neigh_info>& v);
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
