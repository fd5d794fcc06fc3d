// SPDX-License-Identifier: BSD-2-Clause
// arp and ndp: the neighbor tables of both families.
#include <fstream>

#include "cmd.hpp"

namespace mpnet::ctl {

namespace {

// arp -s / ndp -s: the words after ADDR MAC (temp; pub or proxy, both
// spellings for both tools). The first word that is neither, if any.
std::optional<std::string> neigh_opt_words(const std::vector<std::string>& w, size_t from, unsigned& opts) {
    for (word_cursor cur(w, from); !cur.done();) {
        const std::string& x = cur.next();
        if (x == "temp")
            opts |= arp_opt::temp;
        else if (x == "pub" || x == "proxy")
            opts |= arp_opt::pub;
        else
            return x;
    }
    return std::nullopt;
}

}  // namespace

// An IPv6 neighbor's fields, for json_listing; `ix_of` names its interface's index.
template <typename IxOf>
auto ndp_fields(const ifnames& names, IxOf& ix_of) {
    return [&names, &ix_of](const neigh_info& n, auto&& put) {
        put("address", ip6_scoped(n.addr6, ix_of(n.ifname), names));
        put("mac", n.has_mac ? n.mac.str() : std::string());
        put("interface", n.ifname);
        put("state", std::string(1, ll_state_letter(n.state)));
        put("router", bool(n.flags & llflag::router));
        put("permanent", bool(n.flags & llflag::static_));
        put("published", bool(n.flags & llflag::pub));
        put("expire", n.expire_s);
    };
}

reply cmd_ndp(context& c, const std::vector<std::string>& a, bool js) {
    // ndp -a | -n ADDR | -s ADDR MAC [temp] [proxy] | -d ADDR | -c | -p | -P | -r | -R | -i IF
    stack& s = c.s;
    const ifnames names = ifnames_of(s);
    auto ix_of = [&](const std::string& n) -> uint16_t {
        for (uint16_t i = 0; i < names.size(); ++i)
            if (names[i] == n) return i;
        return 0;
    };
    std::vector<std::string> w;
    std::string mode;
    for (const auto& x : a) {
        if (x == "-n") continue;
        if (x.size() == 2 && x[0] == '-' && std::string("asdcpPrRi").find(x[1]) != std::string::npos) {
            if (!mode.empty() && !(mode == "-a" || x == "-a")) return fail("ndp", "one of -a -s -d -c -p -P -r -R -i");
            if (mode.empty() || mode == "-a") mode = x;
        } else if (x == "-an" || x == "-na") {
            mode = "-a";
        } else {
            w.push_back(x);
        }
    }
    auto list = [&](const std::vector<neigh_info>& v) {
        if (js) return ok(json_listing(v, ndp_fields(names, ix_of)));
        std::string t = fmt::format("{:<40} {:<18} {:<8} {:<12} S Flags\n", "Neighbor", "Linklayer Address", "Netif",
                                    "Expire");
        for (const auto& n : v) t += format_ndp(n, ix_of(n.ifname), names) + "\n";
        return ok(t);
    };
    if (mode == "-a" && w.empty()) return list(s.ndp_list());
    if (mode == "-c" && w.empty()) {
        s.ndp_flush();
        return ok();
    }
    if (mode == "-P" && w.empty()) {
        s.ndp_flush_prefixes();
        return ok();
    }
    if (mode == "-R" && w.empty()) {
        s.ndp_flush_routers();
        return ok();
    }
    if (mode == "-r" && w.empty()) {
        auto v = s.ndp_routers();
        if (!js) return ok(format_ndp_routers(v, s));
        json j = json::array();
        for (const auto& r : v)
            j.push_back({{"router", ip6_scoped(r.addr, ix_of(r.ifname), names)},
                         {"interface", r.ifname},
                         {"lifetime", r.lifetime_s},
                         {"expire", r.expire_s}});
        return ok(j.dump(-1, ' ', false, json::error_handler_t::replace));
    }
    if (mode == "-p" && w.empty()) {
        auto v = s.ndp_prefixes();
        if (!js) return ok(format_ndp_prefixes(v, s));
        json j = json::array();
        for (const auto& p : v) {
            json rs = json::array();
            for (const auto& r : p.routers) rs.push_back(ip6_scoped(r, ix_of(p.ifname), names));
            j.push_back({{"prefix", p.prefix.str()},
                         {"interface", p.ifname},
                         {"onlink", p.onlink},
                         {"autonomous", p.autonomous},
                         {"vltime", p.vltime_s},
                         {"pltime", p.pltime_s},
                         {"expire", p.vexpire_s},
                         {"advertised_by", rs}});
        }
        return ok(j.dump(-1, ' ', false, json::error_handler_t::replace));
    }
    if (mode == "-i" && w.size() == 1) {
        auto i = s.ndp_ifinfo(w[0]);
        if (!i) return fail("ndp", fmt::format("{}: no such interface", w[0]));
        if (js)
            return ok(json{{"linkmtu", i->linkmtu},
                           {"maxmtu", i->maxmtu},
                           {"curhlim", i->curhlim},
                           {"basereachable_ms", i->basereachable_ms},
                           {"retrans_ms", i->retrans_ms},
                           {"accept_rtadv", i->accept_rtadv},
                           {"auto_linklocal", i->auto_linklocal}}
                          .dump(-1, ' ', false, json::error_handler_t::replace));
        return ok(fmt::format("linkmtu={}, maxmtu={}, curhlim={}, basereachable={}s{}ms, retrans={}s{}ms\nFlags: nud{}{}\n",
                              i->linkmtu, i->maxmtu, i->curhlim, i->basereachable_ms / 1000,
                              i->basereachable_ms % 1000, i->retrans_ms / 1000, i->retrans_ms % 1000,
                              i->accept_rtadv ? " accept_rtadv" : "", i->auto_linklocal ? " auto_linklocal" : ""));
    }
    if (mode == "-s" && w.size() >= 2) {
        auto ad = parse_scoped(w[0]);
        auto m = ether_addr::parse(w[1]);
        if (!ad || !m) return fail("ndp", fmt::format("{}: bad address", !ad ? w[0] : w[1]));
        unsigned opts = 0;
        if (auto bad = neigh_opt_words(w, 2, opts)) return fail("ndp", fmt::format("{}: unknown word", *bad));
        if (auto st = s.ndp_add(ad->first, *m, opts, ad->second); !st)
            return fail("ndp", fmt::format("{}: {}", w[0], errc_message(st.error())));
        return ok();
    }
    if (mode == "-d" && w.size() == 1) {
        auto ad = parse_scoped(w[0]);
        if (!ad) return fail("ndp", fmt::format("{}: bad address", w[0]));
        if (ad->first.is_link_local() && ad->second.empty()) return fail("ndp", fmt::format("{}: no entry", w[0]));
        if (!s.ndp_del(ad->first, ad->second)) return fail("ndp", fmt::format("{}: no entry", w[0]));
        return ok(js ? "{}" : fmt::format("{} ({}) deleted\n", w[0], w[0]));
    }
    if (mode.empty() && w.size() == 1) {
        auto ad = parse_scoped(w[0]);
        if (!ad) return fail("ndp", fmt::format("{}: bad address", w[0]));
        // A link-local address without its zone matches nothing (NetBSD: no entry).
        auto v = (ad->first.is_link_local() && ad->second.empty()) ? std::vector<neigh_info>{}
                                                                     : s.ndp_get(ad->first, ad->second);
        if (v.empty()) return {1, fmt::format("{} ({}) -- no entry", w[0], w[0])};
        return list(v);
    }
    return fail("ndp", "usage: ndp -a | ndp [-n] ADDR | ndp -s ADDR MAC [temp] [proxy] | ndp -d ADDR | ndp -c | "
                       "ndp -p | ndp -P | ndp -r | ndp -R | ndp -i IF");
}

reply cmd_arp(context& c, const std::vector<std::string>& a, bool js) {
    stack& s = c.s;
    std::vector<std::string> w;
    bool all = false, del = false, set = false, file = false;
    for (const auto& x : a) {
        if (x == "-n") continue;
        if (x == "-a" || x == "-an" || x == "-na")
            all = true;
        else if (x == "-d")
            del = true;
        else if (x == "-s")
            set = true;
        else if (x == "-f")
            file = true;
        else if (x == "-da" || x == "-ad")
            del = all = true;
        else
            w.push_back(x);
    }
    auto list = [&](const std::vector<neigh_info>& v) {
        if (js) return ok(neigh_json(v));
        std::string t;
        for (const auto& n : v) t += format_arp(n) + "\n";
        return ok(t);
    };
    if (del && all && w.empty()) {
        s.arp_flush();
        return ok();
    }
    if (all && !del && !set && w.empty()) return list(s.arp_list());
    if (set) {
        if (w.size() < 2) return fail("arp", "usage: arp -s ADDR MAC [temp] [pub] [proxy]");
        auto ad = ip4_addr::parse(w[0]);
        auto m = ether_addr::parse(w[1]);
        if (!ad || !m) return fail("arp", fmt::format("{}: bad address", !ad ? w[0] : w[1]));
        unsigned opts = 0;
        if (auto bad = neigh_opt_words(w, 2, opts)) return fail("arp", fmt::format("{}: unknown word", *bad));
        if (auto st = s.arp_add(*ad, *m, opts); !st)
            return fail("arp", fmt::format("{}: {}", w[0], errc_message(st.error())));
        return ok();
    }
    if (file) {
        if (w.size() != 1) return fail("arp", "usage: arp -f FILE");
        std::ifstream in(w[0]);
        if (!in) return fail("arp", fmt::format("{}: cannot open", w[0]));
        std::string line;
        int n = 0;
        while (std::getline(in, line)) {
            ++n;
            auto t = tokenize(line);
            if (t.empty()) continue;
            std::vector<std::string> sa{"-s"};
            sa.insert(sa.end(), t.begin(), t.end());
            if (auto r = cmd_arp(c, sa, false); r.status) return {1, fmt::format("arp: {}:{}: {}", w[0], n, r.text)};
        }
        return ok();
    }
    if (del) {
        if (w.size() != 1) return fail("arp", "usage: arp -d ADDR | arp -d -a");
        auto ad = ip4_addr::parse(w[0]);
        if (!ad) return fail("arp", fmt::format("{}: bad address", w[0]));
        if (!s.arp_del(*ad)) return fail("arp", fmt::format("{}: no entry", w[0]));
        return ok();
    }
    if (w.size() == 1) {
        auto ad = ip4_addr::parse(w[0]);
        if (!ad) return fail("arp", fmt::format("{}: bad address", w[0]));
        auto v = s.arp_get(*ad);
        if (v.empty()) return {1, fmt::format("{} ({}) -- no entry", w[0], w[0])};
        return list(v);
    }
    return fail("arp",
                "usage: arp -a | arp [-n] ADDR | arp -s ADDR MAC [temp] [pub] | arp -d ADDR | arp -d -a | arp -f FILE");
}

}  // namespace mpnet::ctl
