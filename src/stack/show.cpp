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
        if (a.plen < 31) s += fmt::format(" broadcast {}", a.bcast.str());
        if (a.flags & in_iff::tentative) s += " tentative";
        if (a.flags & in_iff::duplicated) s += " duplicated";
        if (a.flags & in_iff::detached) s += " detached";
        s += "\n";
    }
    s += fmt::format("\tinput: {} packets, {} bytes, {} queue drops\n", i.ipackets, i.ibytes, i.iqdrops);
    s += fmt::format("\toutput: {} packets, {} bytes, {} queue drops\n", i.opackets, i.obytes, i.oqdrops);
    if (!i.port.empty()) s += fmt::format("\tport: {}\n", i.port);
    return s;
}

std::string format_drops(const stack& st) {
    std::string s;
    for (size_t k = 0; k < drop_reason_count; ++k) {
        const auto r = static_cast<drop_reason>(k);
        if (uint64_t n = st.drops(r)) s += fmt::format("  {}: {}\n", drop_reason_name(r), n);
    }
    return s.empty() ? "  (none)\n" : s;
}

}  // namespace mpnet
