// SPDX-License-Identifier: BSD-2-Clause
// The JSON forms commands share, and scoped IPv6 address words.
#include <algorithm>
#include <iterator>

#include "cmd.hpp"

namespace mpnet::ctl {

json if_json(const if_info& i) {
    json a = json::array();
    for (const auto& x : i.addrs)
        a.push_back({{"address", x.addr.str()},
                     {"prefixlen", x.plen},
                     {"broadcast", x.bcast.str()},
                     {"tentative", bool(x.flags & in_iff::tentative)},
                     {"duplicated", bool(x.flags & in_iff::duplicated)},
                     {"detached", bool(x.flags & in_iff::detached)},
                     {"dst", x.dst.is_any() ? json(nullptr) : json(x.dst.str())}});
    json a6 = json::array();
    for (const auto& x : i.addrs6) {
        json e = {{"address", x.addr.str()}, {"prefixlen", x.plen}, {"flags", in6_flag_words(x.flags)}};
        if (x.addr.is_link_local()) e["scope"] = i.name;
        if (!x.dst.is_any()) e["dst"] = x.dst.str();
        if (x.lifetimes_set) {
            e["pltime"] = x.pltime_s;
            e["vltime"] = x.vltime_s;
        }
        a6.push_back(e);
    }
    json j = {{"index", i.index},
            {"name", i.name},
            {"inet6", a6},
            {"flags", iff_words(i.flags)},
            {"mtu", i.mtu},
            {"address", i.lladdr.str()},
            {"link_up", i.link_up},
            {"inet", a},
            {"ipackets", i.ipackets},
            {"ibytes", i.ibytes},
            {"opackets", i.opackets},
            {"obytes", i.obytes},
            {"iqdrops", i.iqdrops},
            {"oqdrops", i.oqdrops},
            {"port", i.port},
            {"kind", i.kind},
            {"kind_info", i.kind_lines}};
    if (i.has_device_stats)
        j["device"] = {{"ipackets", i.device.ipackets}, {"opackets", i.device.opackets},
                       {"imissed", i.device.imissed},   {"ierrors", i.device.ierrors},
                       {"rx_nombuf", i.device.rx_nombuf}, {"oerrors", i.device.oerrors}};
    return j;
}

void json_rows::begin() {
    if (!first_row_) out_.push_back(',');
    out_.push_back('{');
    first_row_ = false;
    first_field_ = true;
}

void json_rows::key(std::string_view k) {
    if (!first_field_) out_ += ',';
    first_field_ = false;
    out_.push_back('"');
    out_.append(k);  // keys are the listings' own literals
    out_.append("\":", 2);
}

void json_rows::field(std::string_view k, std::string_view v) {
    key(k);
    const bool plain = std::all_of(v.begin(), v.end(), [](char ch) { return ch >= 0x20 && ch < 0x7f && ch != '"' && ch != '\\'; });
    if (plain) {
        out_ += '"';
        out_ += v;
        out_ += '"';
    } else {
        out_ += json(std::string(v)).dump(-1, ' ', false, json::error_handler_t::replace);
    }
}

void json_rows::field(std::string_view k, bool v) {
    key(k);
    out_ += v ? "true" : "false";
}

void json_rows::field(std::string_view k, int64_t v) {
    key(k);
    fmt::format_to(std::back_inserter(out_), "{}", v);
}

void json_rows::field(std::string_view k, uint64_t v) {
    key(k);
    fmt::format_to(std::back_inserter(out_), "{}", v);
}

std::string json_rows::take() {
    std::string r;
    r.swap(out_);
    r.push_back(']');
    out_.push_back('[');
    first_row_ = true;
    return r;
}

namespace {

auto route_fields = [](const route_info& r, auto&& put) {
    put("destination", r.r.dst.str());
    put("flags", rtf_letters(r.r.flags));
    put("interface", r.ifname);
    put("mtu", r.r.mtu);
    put("gateway", route_gateway(r.r));
    if (!r.r.ifa.is_any()) put("ifa", r.r.ifa.str());
};

auto neigh_fields = [](const neigh_info& n, auto&& put) {
    put("address", n.addr.str());
    put("mac", n.has_mac ? n.mac.str() : std::string());
    put("interface", n.ifname);
    put("state", std::string(1, ll_state_letter(n.state)));
    put("permanent", bool(n.flags & llflag::static_));
    put("published", bool(n.flags & llflag::pub));
    put("expire", n.expire_s);
};

}  // namespace

json route_json(const route_info& r) { return json_object(r, route_fields); }

std::string routes_json(const std::vector<route_info>& v) { return json_listing(v, route_fields); }

std::string neigh_json(const std::vector<neigh_info>& v) { return json_listing(v, neigh_fields); }

std::optional<std::pair<ip6_addr, std::string>> parse_scoped(std::string_view w) {
    const auto pct = w.find('%');
    auto a = ip6_addr::parse(w.substr(0, pct));
    if (!a) return std::nullopt;
    std::string zone = pct == std::string_view::npos ? std::string() : std::string(w.substr(pct + 1));
    if (pct != std::string_view::npos && zone.empty()) return std::nullopt;
    return std::make_pair(*a, zone);
}

}  // namespace mpnet::ctl
