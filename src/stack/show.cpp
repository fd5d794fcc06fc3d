// SPDX-License-Identifier: BSD-2-Clause
// BSD-style formatting of the stack's tables.
#include "mpnet/stack/show.hpp"

#include <fmt/format.h>

namespace mpnet {

std::string format_arp(const neigh_info& n) {
    std::string s = fmt::format("? ({}) at ", n.addr.str());
    s += n.has_mac ? n.mac.str() : "(incomplete)";
    s += " on " + n.ifname;
    if (n.flags & llflag::pub) return s + " published (proxy only)";
    if (n.flags & llflag::static_) return s + " permanent";
    if (n.expire_s >= 0) s += fmt::format(" {}s", n.expire_s);
    return s + " " + ll_state_letter(n.state);
}

std::string route_gateway(const rtentry& r) {
    return (r.flags & rtf::gateway) ? r.gateway.str() : fmt::format("link#{}", r.src_ifindex);
}

std::string format_routes(const std::vector<route_info>& routes) {
    std::string s = "Routing tables\n\nInternet:\n";
    s += fmt::format("{:<18} {:<18} {:<6} {:>4} {:>6} {:>5} {}\n", "Destination", "Gateway", "Flags", "Refs", "Use",
                     "Mtu", "Interface");
    for (const auto& r : routes) {
        // netstat's short network form: 10.0.0/24, 127/8, default.
        std::string dst;
        if (r.r.dst.len == 0) {
            dst = "default";
        } else if (r.r.dst.len == 32) {
            dst = r.r.dst.addr.str();
        } else {
            const uint32_t v = r.r.dst.addr.v;
            const unsigned octets = (r.r.dst.len + 7) / 8;  // the octets the mask covers
            for (unsigned i = 0; i < octets; ++i) dst += (i ? "." : "") + std::to_string((v >> (24 - 8 * i)) & 0xff);
            dst += "/" + std::to_string(r.r.dst.len);
        }
        const std::string gw = route_gateway(r.r);
        std::string mtu = r.r.mtu ? std::to_string(r.r.mtu) : "-";
        s += fmt::format("{:<18} {:<18} {:<6} {:>4} {:>6} {:>5} {}\n", dst, gw, rtf_letters(r.r.flags), "-", "-", mtu,
                         r.ifname);
    }
    return s;
}

std::string format_route_get(const route_get_info& g) {
    // NetBSD route(8)'s print_getmsg layout.
    const rtentry& r = g.r;
    std::string s = fmt::format("   route to: {}\n", g.route_to.str());
    s += fmt::format("destination: {}\n", r.dst.len == 0 ? "default" : r.dst.addr.str());
    if (r.dst.len < 32)
        s += fmt::format("       mask: {}\n", r.dst.len == 0 ? "default" : ip4_addr(ip4_mask(r.dst.len)).str());
    if (r.flags & rtf::gateway) s += fmt::format("    gateway: {}\n", r.gateway.str());
    if (!r.ifa.is_any()) s += fmt::format(" local addr: {}\n", r.ifa.str());
    s += fmt::format("  interface: {}\n", g.ifname);
    s += fmt::format("      flags: {}\n", rtf_words(r.flags));
    s += " recvpipe  sendpipe  ssthresh  rtt,msec    rttvar  hopcount      mtu     expire\n";
    s += fmt::format("{:>9} {:>9} {:>9} {:>9} {:>9} {:>9} {:>9} {:>9}\n", 0, 0, 0, 0, 0, 0, r.mtu,
                     r.expire_ns ? "yes" : "0");
    return s;
}

std::string format_ifconfig(const if_info& i) {
    std::string s = fmt::format("{}: flags={:x}{} mtu {}\n", i.name, i.flags, iff_words(i.flags), i.mtu);
    if (!i.lladdr.is_zero()) s += fmt::format("\taddress: {}\n", i.lladdr.str());
    for (const auto& a : i.addrs) {
        s += fmt::format("\tinet {}/{}", a.addr.str(), a.plen);
        if (!a.dst.is_any()) s += fmt::format(" -> {}", a.dst.str());
        if (a.plen < 31 && a.dst.is_any()) s += fmt::format(" broadcast {}", a.bcast.str());
        if (a.flags & in_iff::tentative) s += " tentative";
        if (a.flags & in_iff::duplicated) s += " duplicated";
        if (a.flags & in_iff::detached) s += " detached";
        s += "\n";
    }
    for (const auto& a : i.addrs6) {
        s += fmt::format("\tinet6 {}{}/{}", a.addr.str(), a.addr.is_link_local() ? "%" + i.name : "", a.plen);
        if (!a.dst.is_any()) s += fmt::format(" -> {}", a.dst.str());
        s += fmt::format(" flags 0x{:x}{}", a.flags, in6_flag_words(a.flags));
        if (a.lifetimes_set)
            s += fmt::format(" pltime {} vltime {}", a.pltime_s < 0 ? "infty" : std::to_string(a.pltime_s),
                             a.vltime_s < 0 ? "infty" : std::to_string(a.vltime_s));
        if (a.addr.is_link_local()) s += fmt::format(" scopeid 0x{:x}", i.index);
        s += "\n";
    }
    s += fmt::format("\tinput: {} packets, {} bytes, {} queue drops\n", i.ipackets, i.ibytes, i.iqdrops);
    s += fmt::format("\toutput: {} packets, {} bytes, {} queue drops\n", i.opackets, i.obytes, i.oqdrops);
    if (!i.port.empty()) s += fmt::format("\tport: {}\n", i.port);
    for (const auto& l : i.kind_lines) s += fmt::format("\t{}\n", l);
    return s;
}

std::string format_drops(const stack& st) {
    std::string s;
    for (const auto& [name, n] : st.drop_list())
        if (n) s += fmt::format("  {}: {}\n", name, n);
    return s.empty() ? "  (none)\n" : s;
}

std::string in6_flag_words(uint8_t f) {
    std::string w;
    auto add = [&](uint8_t bit, const char* name) {
        if (f & bit) w += (w.empty() ? "" : ",") + std::string(name);
    };
    add(in6_iff::tentative, "TENTATIVE");
    add(in6_iff::duplicated, "DUPLICATED");
    add(in6_iff::detached, "DETACHED");
    add(in6_iff::deprecated, "DEPRECATED");
    add(in6_iff::autoconf, "AUTOCONF");
    return w.empty() ? "" : "<" + w + ">";
}

ifnames ifnames_of(const stack& s) {
    ifnames n(limits::ifnet_max);
    for (const auto& i : s.if_list()) n[i.index] = i.name;
    return n;
}

std::string ip6_scoped(const ip6_addr& a, ifindex_t scope, const ifnames& names) {
    const ifindex_t z = a.scope() ? a.scope() : scope;
    const ip6_addr w = a.without_scope();
    if ((w.is_link_local() || w.is_mc_link_scope()) && z < names.size() && !names[z].empty())
        return w.str() + "%" + names[z];
    return w.str();
}

std::string route6_gateway(const rtentry6& r, const ifnames& names) {
    return (r.flags & rtf::gateway) ? ip6_scoped(r.gateway, r.ifindex, names) : fmt::format("link#{}", r.src_ifindex);
}

std::string format_routes6(const std::vector<route6_info>& routes, const ifnames& names) {
    std::string s = "Routing tables\n\nInternet6:\n";
    s += fmt::format("{:<40} {:<32} {:<6} {:>4} {:>6} {:>5} {}\n", "Destination", "Gateway", "Flags", "Refs", "Use",
                     "Mtu", "Interface");
    for (const auto& r : routes) {
        std::string dst;
        if (r.r.dst.len == 0)
            dst = "default";
        else if (r.r.dst.len == 128)
            dst = ip6_scoped(r.r.dst.addr, 0, names);
        else
            dst = ip6_scoped(r.r.dst.addr, 0, names) + "/" + std::to_string(r.r.dst.len);
        const std::string mtu = r.r.mtu ? std::to_string(r.r.mtu) : "-";
        s += fmt::format("{:<40} {:<32} {:<6} {:>4} {:>6} {:>5} {}\n", dst, route6_gateway(r.r, names),
                         rtf_letters(r.r.flags), "-", "-", mtu, r.ifname);
    }
    return s;
}

std::string format_route6_get(const route6_get_info& g, const ifnames& names) {
    const rtentry6& r = g.r;
    std::string s = fmt::format("   route to: {}\n", ip6_scoped(g.route_to, r.src_ifindex, names));
    s += fmt::format("destination: {}\n", r.dst.len == 0 ? "default" : ip6_scoped(r.dst.addr, 0, names));
    if (r.dst.len < 128) s += fmt::format("  prefixlen: {}\n", r.dst.len);
    if (r.flags & rtf::gateway) s += fmt::format("    gateway: {}\n", ip6_scoped(r.gateway, r.ifindex, names));
    if (!r.ifa.is_any()) s += fmt::format(" local addr: {}\n", ip6_scoped(r.ifa, r.src_ifindex, names));
    s += fmt::format("  interface: {}\n", g.ifname);
    s += fmt::format("      flags: {}\n", rtf_words(r.flags));
    return s;
}

std::string format_expire(int64_t v) {
    if (v < 0) return "permanent";
    std::string s;
    if (v >= 86400) s += fmt::format("{}d", v / 86400);
    if (v >= 3600) s += fmt::format("{}h", (v % 86400) / 3600);
    if (v >= 60) s += fmt::format("{}m", (v % 3600) / 60);
    return s + fmt::format("{}s", v % 60);
}

std::string format_ndp(const neigh_info& n, ifindex_t ifindex, const ifnames& names) {
    std::string flags;
    if (n.flags & llflag::router) flags += "R";
    if (n.flags & llflag::pub) flags += "p";
    return fmt::format("{:<40} {:<18} {:<8} {:<12} {} {}", ip6_scoped(n.addr6, ifindex, names),
                       n.has_mac ? n.mac.str() : "(incomplete)", n.ifname,
                       (n.flags & llflag::static_) ? "permanent" : format_expire(n.expire_s), ll_state_letter(n.state),
                       flags);
}

std::string format_ndp_routers(const std::vector<defrouter_info>& v, const stack& st) {
    const ifnames names = ifnames_of(st);
    std::string s;
    for (const auto& r : v) {
        ifindex_t ix = 0;
        for (uint16_t i = 0; i < names.size(); ++i)
            if (names[i] == r.ifname) ix = i;
        s += fmt::format("{} if={}, flags=, pref=medium, expire={}\n", ip6_scoped(r.addr, ix, names), r.ifname,
                         format_expire(r.expire_s));
    }
    return s;
}

std::string format_ndp_prefixes(const std::vector<nd_prefix_info>& v, const stack& st) {
    const ifnames names = ifnames_of(st);
    std::string s;
    for (const auto& p : v) {
        ifindex_t ix = 0;
        for (uint16_t i = 0; i < names.size(); ++i)
            if (names[i] == p.ifname) ix = i;
        std::string fl = std::string(p.onlink ? "L" : "") + (p.autonomous ? "A" : "") + "O";
        s += fmt::format("{} if={}\nflags={} vltime={}, pltime={}, expire={}, ref=1\n", p.prefix.str(), p.ifname, fl,
                         p.vltime_s == 0xffffffffu ? std::string("infinity") : std::to_string(p.vltime_s),
                         p.pltime_s == 0xffffffffu ? std::string("infinity") : std::to_string(p.pltime_s),
                         p.vexpire_s < 0 ? std::string("Never") : format_expire(p.vexpire_s));
        if (p.routers.empty()) {
            s += "  No advertising router\n";
        } else {
            s += "  advertised by\n";
            for (const auto& r : p.routers) s += fmt::format("    {} (reachable)\n", ip6_scoped(r, ix, names));
        }
    }
    return s;
}

}  // namespace mpnet
