// SPDX-License-Identifier: BSD-2-Clause
// The JSON forms commands share, and scoped IPv6 address words.
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
                     {"detached", bool(x.flags & in_iff::detached)}});
    json a6 = json::array();
    for (const auto& x : i.addrs6) {
        json e = {{"address", x.addr.str()}, {"prefixlen", x.plen}, {"flags", in6_flag_words(x.flags)}};
        if (x.addr.is_link_local()) e["scope"] = i.name;
        if (x.lifetimes_set) {
            e["pltime"] = x.pltime_s;
            e["vltime"] = x.vltime_s;
        }
        a6.push_back(e);
    }
    return {{"index", i.index},
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
}

json route_json(const route_info& r) {
    json j = {
        {"destination", r.r.dst.str()}, {"flags", rtf_letters(r.r.flags)}, {"interface", r.ifname}, {"mtu", r.r.mtu}};
    j["gateway"] = route_gateway(r.r);
    if (!r.r.ifa.is_any()) j["ifa"] = r.r.ifa.str();
    return j;
}

json neigh_json(const neigh_info& n) {
    return {{"address", n.addr.str()},
            {"mac", n.has_mac ? n.mac.str() : ""},
            {"interface", n.ifname},
            {"state", std::string(1, ll_state_letter(n.state))},
            {"permanent", bool(n.flags & llflag::static_)},
            {"published", bool(n.flags & llflag::pub)},
            {"expire", n.expire_s}};
}

std::optional<std::pair<ip6_addr, std::string>> parse_scoped(std::string_view w) {
    const auto pct = w.find('%');
    auto a = ip6_addr::parse(w.substr(0, pct));
    if (!a) return std::nullopt;
    std::string zone = pct == std::string_view::npos ? std::string() : std::string(w.substr(pct + 1));
    if (pct != std::string_view::npos && zone.empty()) return std::nullopt;
    return std::make_pair(*a, zone);
}

}  // namespace mpnet::ctl
