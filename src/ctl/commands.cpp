// SPDX-License-Identifier: BSD-2-Clause
// mpnet's command language: NetBSD-style commands over the stack API.
#include "mpnet/ctl/commands.hpp"

#include <fmt/format.h>

#include <charconv>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>
#include <optional>
#include <thread>

#include "mpnet/drivers/ethdev_port.hpp"
#include "mpnet/modules/vlan.hpp"
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

namespace {

reply ok(std::string text = {}) { return {0, std::move(text)}; }
reply fail(std::string_view cmd, std::string_view msg) { return {1, fmt::format("{}: {}", cmd, msg)}; }

template <typename T>
std::optional<T> num(std::string_view s) {
    T v{};
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc() || p != s.data() + s.size()) return std::nullopt;
    return v;
}

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

// ---- IPv6 words ----------------------------------------------------------------------

/// "fe80::1%shmif0" -> (fe80::1, "shmif0"); nullopt when malformed.
std::optional<std::pair<ip6_addr, std::string>> parse_scoped(std::string_view w) {
    const auto pct = w.find('%');
    auto a = ip6_addr::parse(w.substr(0, pct));
    if (!a) return std::nullopt;
    std::string zone = pct == std::string_view::npos ? std::string() : std::string(w.substr(pct + 1));
    if (pct != std::string_view::npos && zone.empty()) return std::nullopt;
    return std::make_pair(*a, zone);
}

reply ifconfig_inet6(context& c, const std::string& ifn, const std::vector<std::string>& a) {
    // ifconfig IF inet6 ADDR[/PLEN] [prefixlen N] [pltime N] [vltime N] [alias] [up] | ADDR delete
    stack& s = c.s;
    const std::string& w = a[0];
    const auto slash = w.find('/');
    auto sa = parse_scoped(std::string_view(w).substr(0, slash));
    if (!sa) return fail("ifconfig", fmt::format("{}: bad address", w));
    if (!sa->second.empty() && sa->second != ifn) return fail("ifconfig", fmt::format("{}: zone is not {}", w, ifn));
    unsigned plen = sa->first.is_link_local() ? 64 : 128;
    if (slash != std::string::npos) {
        auto l = num<unsigned>(std::string_view(w).substr(slash + 1));
        if (!l || *l > 128) return fail("ifconfig", fmt::format("{}: bad prefix length", w));
        plen = *l;
    } else if (!sa->first.is_link_local()) {
        plen = 64;  // NetBSD's default for inet6
    }
    addr6_opts o;
    bool up = false;
    for (size_t i = 1; i < a.size(); ++i) {
        auto val = [&]() -> std::optional<uint32_t> { return i + 1 < a.size() ? num<uint32_t>(a[++i]) : std::nullopt; };
        if (a[i] == "delete" || a[i] == "-alias") {
            if (a.size() != 2) return fail("ifconfig", "usage: ifconfig IF inet6 ADDR delete");
            auto st = s.addr6_del(ifn, sa->first);
            if (!st) return fail("ifconfig", fmt::format("{}: {}", ifn, errc_message(st.error())));
            return ok();
        }
        if (a[i] == "alias") continue;
        if (a[i] == "up") {
            up = true;
        } else if (a[i] == "prefixlen") {
            auto v = val();
            if (!v || *v > 128) return fail("ifconfig", "prefixlen: 0..128");
            plen = *v;
        } else if (a[i] == "pltime" || a[i] == "vltime") {
            const bool pl = a[i] == "pltime";
            auto v = val();
            if (!v) return fail("ifconfig", fmt::format("{}: seconds", pl ? "pltime" : "vltime"));
            (pl ? o.pltime_s : o.vltime_s) = *v;
        } else {
            return fail("ifconfig", fmt::format("{}: unknown word", a[i]));
        }
    }
    if (auto st = s.addr6_add(ifn, sa->first, plen, o); !st)
        return fail("ifconfig", fmt::format("{}: {}", ifn, errc_message(st.error())));
    if (up) {
        if (auto st = s.if_up(ifn); !st) return fail("ifconfig", fmt::format("{}: {}", ifn, errc_message(st.error())));
    }
    return ok();
}

json route6_json(const route6_info& r, const ifnames& names) {
    json j = {{"destination", r.r.dst.len == 0 ? std::string("default")
                                                : ip6_scoped(r.r.dst.addr, 0, names) + "/" + std::to_string(r.r.dst.len)},
              {"flags", rtf_letters(r.r.flags)},
              {"interface", r.ifname},
              {"mtu", r.r.mtu},
              {"gateway", route6_gateway(r.r, names)}};
    if (!r.r.ifa.is_any()) j["ifa"] = ip6_scoped(r.r.ifa, r.r.src_ifindex, names);
    return j;
}

reply cmd_route6(context& c, const std::vector<std::string>& a, bool js) {
    // route [-n] VERB -inet6 ...
    stack& s = c.s;
    std::vector<std::string> w;
    for (const auto& x : a)
        if (x != "-inet6" && x != "-n") w.push_back(x);
    if (w.empty()) return fail("route", "usage: route add|delete|change|get|flush|show -inet6 ...");
    const std::string v = w[0];
    const ifnames names = ifnames_of(s);
    if (v == "show") {
        auto all = s.route6_list();
        if (!js) return ok(format_routes6(all, names));
        json j = json::array();
        for (const auto& r : all) j.push_back(route6_json(r, names));
        return ok(j.dump(-1, ' ', false, json::error_handler_t::replace));
    }
    if (v == "flush") {
        s.route6_flush();
        return ok();
    }
    if (v == "get") {
        if (w.size() != 2) return fail("route", "usage: route get -inet6 ADDR[%IF]");
        auto d = parse_scoped(w[1]);
        if (!d) return fail("route", fmt::format("{}: bad address", w[1]));
        auto g = s.route6_get(d->first, d->second);
        if (!g) return fail("route", "writing to routing socket: not in table");
        if (!js) return ok(format_route6_get(*g, names));
        json j = route6_json({g->r, g->ifname}, names);
        j["route_to"] = w[1];
        j["flags_words"] = rtf_words(g->r.flags);
        return ok(j.dump(-1, ' ', false, json::error_handler_t::replace));
    }
    if (v != "add" && v != "change" && v != "delete") return fail("route", fmt::format("{}: unknown command", v));
    route6_spec sp;
    bool host = false, have_dst = false;
    for (size_t i = 1; i < w.size(); ++i) {
        const std::string& x = w[i];
        auto next = [&]() -> const std::string* { return i + 1 < w.size() ? &w[++i] : nullptr; };
        if (x == "-host") {
            host = true;
        } else if (x == "-net" || x == "-static") {
            continue;
        } else if (x == "-iface" || x == "-interface") {
            sp.iface = true;
        } else if (x == "-connected") {
            sp.connected = true;
        } else if (x == "-reject") {
            sp.reject = true;
        } else if (x == "-noreject") {
            sp.noreject = true;
        } else if (x == "-blackhole") {
            sp.blackhole = true;
        } else if (x == "-noblackhole") {
            sp.noblackhole = true;
        } else if (x == "-proxy") {
            sp.proxy = true;
        } else if (x == "-ifp") {
            auto y = next();
            if (!y) return fail("route", "-ifp: missing interface");
            sp.ifp = *y;
        } else if (x == "-ifa") {
            auto y = next();
            auto z = y ? ip6_addr::parse(*y) : std::nullopt;
            if (!z) return fail("route", "-ifa: bad address");
            sp.ifa = *z;
        } else if (x == "-prefixlen") {
            auto y = next();
            auto l = y ? num<unsigned>(*y) : std::nullopt;
            if (!l || *l > 128 || !have_dst) return fail("route", "-prefixlen: 0..128 after the destination");
            sp.dst = prefix6::of(sp.dst.addr, *l);
        } else if (x[0] == '-') {
            return fail("route", fmt::format("{}: unknown option", x));
        } else if (!have_dst) {
            have_dst = true;
            if (x == "default") continue;
            const auto slash = x.find('/');
            auto d = parse_scoped(std::string_view(x).substr(0, slash));
            if (!d) return fail("route", fmt::format("{}: bad destination", x));
            unsigned len = 128;
            if (slash != std::string::npos) {
                auto l = num<unsigned>(std::string_view(x).substr(slash + 1));
                if (!l || *l > 128) return fail("route", fmt::format("{}: bad prefix length", x));
                len = *l;
            } else if (!host) {
                len = 64;  // route(8): -net without a length is a /64 for inet6
            }
            sp.dst = prefix6::of(d->first, len);
            sp.dst_zone = d->second;
        } else if (!sp.gateway) {
            auto g = parse_scoped(x);
            if (!g) return fail("route", fmt::format("{}: bad gateway", x));
            sp.gateway = g->first;
            sp.gateway_zone = g->second;
        } else {
            return fail("route", fmt::format("{}: unexpected argument", x));
        }
    }
    if (!have_dst) return fail("route", "missing destination");
    status st;
    if (v == "add")
        st = s.route6_add(sp);
    else if (v == "change")
        st = s.route6_change(sp);
    else
        st = s.route6_delete(sp.dst, sp.dst_zone);
    const std::string what = sp.dst.len == 0 ? "net default"
                                             : fmt::format("{} {}", sp.dst.len == 128 ? "host" : "net", sp.dst.str());
    if (!st) {
        if (v == "delete" && st.error() == errc::srch) return fail("route", fmt::format("delete {}: not in table", what));
        return fail("route", fmt::format("writing to routing socket: {}", errc_message(st.error())));
    }
    std::string t = fmt::format("{} {}", v, what);
    if (v != "delete" && sp.gateway) t += fmt::format(": gateway {}", w.size() > 2 ? w[2] : sp.gateway->str());
    return ok(js ? json{{"result", t}}.dump(-1, ' ', false, json::error_handler_t::replace) : t + "\n");
}

json ndp_json(const neigh_info& n, const ifnames& names, uint16_t ix) {
    return {{"address", ip6_scoped(n.addr6, ix, names)},
            {"mac", n.has_mac ? n.mac.str() : ""},
            {"interface", n.ifname},
            {"state", std::string(1, ll_state_letter(n.state))},
            {"router", bool(n.flags & llflag::router)},
            {"permanent", bool(n.flags & llflag::static_)},
            {"published", bool(n.flags & llflag::pub)},
            {"expire", n.expire_s}};
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
        if (js) {
            json j = json::array();
            for (const auto& n : v) j.push_back(ndp_json(n, names, ix_of(n.ifname)));
            return ok(j.dump(-1, ' ', false, json::error_handler_t::replace));
        }
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
        for (size_t i = 2; i < w.size(); ++i) {
            if (w[i] == "temp")
                opts |= arp_opt::temp;
            else if (w[i] == "proxy" || w[i] == "pub")
                opts |= arp_opt::pub;
            else
                return fail("ndp", fmt::format("{}: unknown word", w[i]));
        }
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

reply cmd_rtadvd(context& c, const std::vector<std::string>& a, bool js) {
    // rtadvd IF [mtu N] [maxinterval N] [mininterval N] [rltime N] [hlim N] [managed] [other]
    //        [prefix P/L [vltime N] [pltime N] [noonlink] [noauto]]... | rtadvd IF stop | rtadvd IF show
    if (a.empty()) return fail("rtadvd", "usage: rtadvd IF [options] | rtadvd IF stop | rtadvd IF show");
    const std::string& ifn = a[0];
    if (a.size() == 2 && a[1] == "show") {
        auto r = c.s.rtadv_get(ifn);
        if (!r) return fail("rtadvd", fmt::format("{}: no such interface", ifn));
        json pj = json::array();
        for (const auto& p : r->prefixes)
            pj.push_back({{"prefix", p.prefix.str()}, {"vltime", p.vltime_s}, {"pltime", p.pltime_s}});
        json j = {{"interface", ifn},       {"enabled", r->enabled},
                  {"mtu", r->mtu},          {"maxinterval", r->max_interval_s},
                  {"mininterval", r->min_interval_s}, {"rltime", r->router_lifetime_s},
                  {"prefixes", pj}};
        if (js) return ok(j.dump(-1, ' ', false, json::error_handler_t::replace));
        std::string t = fmt::format("{}: {} mtu={} maxinterval={} mininterval={} rltime={}\n", ifn,
                                    r->enabled ? "advertising" : "off", r->mtu, r->max_interval_s, r->min_interval_s,
                                    r->router_lifetime_s);
        for (const auto& p : r->prefixes)
            t += fmt::format("\tprefix {} vltime={} pltime={}\n", p.prefix.str(), p.vltime_s, p.pltime_s);
        return ok(t);
    }
    rtadv_config rc;
    rc.enabled = !(a.size() == 2 && a[1] == "stop");
    for (size_t i = 1; rc.enabled && i < a.size(); ++i) {
        auto val = [&]() -> std::optional<uint32_t> { return i + 1 < a.size() ? num<uint32_t>(a[++i]) : std::nullopt; };
        const std::string& w = a[i];
        std::optional<uint32_t> v;
        if (w == "managed") {
            rc.managed = true;
        } else if (w == "other") {
            rc.other = true;
        } else if (w == "prefix") {
            auto p = i + 1 < a.size() ? prefix6::parse(a[++i], true) : std::nullopt;
            if (!p) return fail("rtadvd", "prefix: bad prefix");
            rc.prefixes.push_back(rtadv_prefix{*p});
        } else if (w == "noonlink" || w == "noauto") {
            if (rc.prefixes.empty()) return fail("rtadvd", fmt::format("{}: after a prefix", w));
            (w == "noonlink" ? rc.prefixes.back().onlink : rc.prefixes.back().autonomous) = false;
        } else if (!(v = val())) {
            return fail("rtadvd", fmt::format("{}: unknown word or missing number", w));
        } else if (w == "mtu") {
            rc.mtu = *v;
        } else if (w == "maxinterval") {
            rc.max_interval_s = *v;
        } else if (w == "mininterval") {
            rc.min_interval_s = *v;
        } else if (w == "rltime") {
            rc.router_lifetime_s = *v;
        } else if (w == "hlim" && *v <= 255) {
            rc.cur_hlim = static_cast<uint8_t>(*v);
        } else if ((w == "vltime" || w == "pltime") && !rc.prefixes.empty()) {
            (w == "vltime" ? rc.prefixes.back().vltime_s : rc.prefixes.back().pltime_s) = *v;
        } else {
            return fail("rtadvd", fmt::format("{}: unknown word", w));
        }
    }
    // maxinterval given alone: mininterval follows rtadvd's default (0.33 * max).
    if (rc.enabled && rc.min_interval_s == 198 && rc.max_interval_s != 600)
        rc.min_interval_s = std::max<uint32_t>(3, rc.max_interval_s / 3);
    if (rc.enabled && rc.router_lifetime_s == 1800 && rc.max_interval_s * 3 > 1800)
        rc.router_lifetime_s = std::min<uint32_t>(9000, rc.max_interval_s * 3);
    if (auto st = c.s.rtadv_set(ifn, rc); !st)
        return fail("rtadvd", fmt::format("{}: {}", ifn, errc_message(st.error())));
    return ok();
}

// ---- ifconfig ------------------------------------------------------------------------

reply cmd_ifconfig(context& c, const std::vector<std::string>& a, bool js) {
    stack& s = c.s;
    if (a.empty() || (a.size() == 1 && a[0] == "-a")) {
        auto all = s.if_list();
        if (js) {
            json j = json::array();
            for (const auto& i : all) j.push_back(if_json(i));
            return ok(j.dump(-1, ' ', false, json::error_handler_t::replace));
        }
        std::string t;
        for (const auto& i : all) t += format_ifconfig(i);
        return ok(t);
    }
    const std::string& ifn = a[0];
    if (a.size() == 1) {
        auto i = s.if_get(ifn);
        if (!i) return fail("ifconfig", fmt::format("{}: no such interface", ifn));
        return ok(js ? if_json(*i).dump(-1, ' ', false, json::error_handler_t::replace) : format_ifconfig(*i));
    }
    const std::string& verb = a[1];
    auto done = [&](status st) -> reply {
        if (!st) return fail("ifconfig", fmt::format("{}: {}", ifn, errc_message(st.error())));
        return ok();
    };
    if (verb == "create" && a.size() >= 3) {
        drivers::ethdev_config ec;
        // One TX queue per lcore (workers + the control plane) unless asked:
        // every lcore then sends lock-free.
        ec.tx_queues = static_cast<uint16_t>(s.lcore_slots());
        std::string extra;
        for (size_t k = 3; k < a.size(); k += 2) {
            if (k + 1 >= a.size() || (a[k] != "queues" && a[k] != "txqueues"))
                return fail("ifconfig", "usage: ifconfig IF create DEVARGS [queues N] [txqueues N]");
            auto q = num<uint16_t>(a[k + 1]);
            if (!q || *q == 0 || *q > limits::rxq_max) return fail("ifconfig", fmt::format("{}: 1..{}", a[k], limits::rxq_max));
            (a[k] == "queues" ? ec.rx_queues : ec.tx_queues) = *q;
            extra += fmt::format(" {} {}", a[k], *q);
        }
        if (s.if_get(ifn)) return fail("ifconfig", fmt::format("{}: File exists", ifn));
        auto p = drivers::ethdev_port::open(a[2], s.pool(), ec);
        if (!p) return fail("ifconfig", fmt::format("{}: {}: cannot open port", ifn, a[2]));
        if (auto r = s.if_attach(ifn, std::move(*p)); !r) return done(r.error());
        c.devargs[ifn] = a[2] + extra;
        return ok();
    }
    if (verb == "create" && a.size() == 2) {
        // A cloned interface of the kind its name's prefix names (vlan0).
        if (s.if_get(ifn)) return fail("ifconfig", fmt::format("{}: File exists", ifn));
        if (auto r = s.if_create(ifn); !r) {
            if (r.error() == errc::inval)
                return fail("ifconfig", fmt::format("{}: no interface kind creates this name", ifn));
            return done(r.error());
        }
        return ok();
    }
    if (verb == "destroy" && a.size() == 2) {
        auto st = s.if_destroy(ifn);
        if (st) {
            c.devargs.erase(ifn);
            std::erase_if(c.affinity, [&](const auto& kv) { return kv.first.first == ifn; });
        }
        return done(st);
    }
    if ((verb == "up" || verb == "down") && a.size() == 2) return done(verb == "up" ? s.if_up(ifn) : s.if_down(ifn));
    if (verb == "vlan" || verb == "vlanif") {
        // ifconfig IF vlan VID vlanif PARENT (either order, as NetBSD's ifconfig)
        if (a.size() != 5 || a[1] == a[3] || (a[3] != "vlan" && a[3] != "vlanif"))
            return fail("ifconfig", "usage: ifconfig IF vlan VID vlanif PARENT");
        const std::string& vid_s = verb == "vlan" ? a[2] : a[4];
        const std::string& parent = verb == "vlan" ? a[4] : a[2];
        auto vid = num<uint16_t>(vid_s);
        if (!vid || *vid < 1 || *vid > vlan::vid_max)
            return fail("ifconfig", fmt::format("{}: vlan tag must be 1..{}", vid_s, vlan::vid_max));
        auto st = vlan::set(s, ifn, *vid, parent);
        if (!st && st.error() == errc::inval)
            return fail("ifconfig", fmt::format("{}: not a vlan interface, or {} is not an Ethernet interface", ifn, parent));
        if (!st && st.error() == errc::exist)
            return fail("ifconfig", fmt::format("{}: vlan {} exists on {}", ifn, *vid, parent));
        if (!st && st.error() == errc::busy)
            return fail("ifconfig", fmt::format("{}: has a parent already (-vlanif first)", ifn));
        return done(st);
    }
    if (verb == "-vlanif" && a.size() == 2) return done(vlan::unset(s, ifn));
    if (verb == "mtu" && a.size() == 3) {
        auto m = num<uint32_t>(a[2]);
        if (!m) return fail("ifconfig", "mtu: not a number");
        return done(s.if_set_mtu(ifn, *m));
    }
    if ((verb == "arp" || verb == "-arp") && a.size() == 2) return done(s.if_set_arp(ifn, verb == "arp"));
    if ((verb == "promisc" || verb == "-promisc") && a.size() == 2)
        return done(s.if_set_promisc(ifn, verb == "promisc"));
    if (verb == "link" && (a.size() == 3 || a.size() == 4)) {
        auto m = ether_addr::parse(a[2]);
        if (!m) return fail("ifconfig", fmt::format("{}: bad link address", a[2]));
        if (a.size() == 4 && a[3] == "delete") return done(s.if_link_del(ifn, *m));
        if (a.size() == 4 && a[3] != "active") return fail("ifconfig", "usage: ifconfig IF link MAC [active|delete]");
        return done(s.if_link_add(ifn, *m, a.size() == 4));
    }
    if (verb == "inet6" && a.size() >= 3) return ifconfig_inet6(c, ifn, {a.begin() + 2, a.end()});
    if (verb == "inet" && a.size() >= 3) {
        auto p = prefix4::parse(a[2], true);
        if (!p) return fail("ifconfig", fmt::format("{}: bad address", a[2]));
        const auto addr = *ip4_addr::parse(a[2].substr(0, a[2].find('/')));
        const bool has_len = a[2].find('/') != std::string::npos;
        std::vector<std::string> rest(a.begin() + 3, a.end());
        if (!rest.empty() && (rest[0] == "delete" || rest[0] == "-alias")) {
            if (rest.size() != 1) return fail("ifconfig", "usage: ifconfig IF inet ADDR delete");
            return done(s.addr_del(ifn, addr));
        }
        bool up = false;
        for (const auto& w : rest) {
            if (w == "alias") continue;
            if (w == "up") {
                up = true;
                continue;
            }
            return fail("ifconfig", fmt::format("{}: unknown word", w));
        }
        if (auto st = s.addr_add(ifn, addr, has_len ? p->len : 32); !st) return done(st);
        return up ? done(s.if_up(ifn)) : ok();
    }
    return fail("ifconfig", fmt::format("{}: unknown or incomplete request", verb));
}

// ---- route / netstat -----------------------------------------------------------------

std::optional<prefix4> parse_dst(const std::string& w, bool host) {
    if (w == "default") return prefix4{};
    auto p = prefix4::parse(w, true);
    if (!p) return std::nullopt;
    if (host && w.find('/') == std::string::npos) return prefix4::of(p->addr, 32);
    return p;
}

reply route_spec_parse(const std::vector<std::string>& a, size_t from, route_spec* out) {
    bool host = false;
    std::optional<prefix4> dst;
    for (size_t i = from; i < a.size(); ++i) {
        const std::string& w = a[i];
        auto next = [&]() -> const std::string* { return i + 1 < a.size() ? &a[++i] : nullptr; };
        if (w == "-host")
            host = true;
        else if (w == "-net" || w == "-inet" || w == "-n" || w == "-link" || w == "-cloning" || w == "-static")
            continue;  // -net: the default for a DST with /LEN
        else if (w == "-iface" || w == "-interface")
            out->iface = true;
        else if (w == "-connected")
            out->connected = true;
        else if (w == "-reject")
            out->reject = true;
        else if (w == "-noreject")
            out->noreject = true;
        else if (w == "-blackhole")
            out->blackhole = true;
        else if (w == "-noblackhole")
            out->noblackhole = true;
        else if (w == "-proxy")
            out->proxy = true;
        else if (w == "-ifp") {
            auto v = next();
            if (!v) return {1, "-ifp: missing interface"};
            out->ifp = *v;
        } else if (w == "-ifa") {
            auto v = next();
            auto x = v ? ip4_addr::parse(*v) : std::nullopt;
            if (!x) return {1, "-ifa: bad address"};
            out->ifa = *x;
        } else if (w[0] == '-') {
            return {1, fmt::format("{}: unknown option", w)};
        } else if (!dst) {
            dst = parse_dst(w, host);
            if (!dst) return {1, fmt::format("{}: bad destination", w)};
        } else if (!out->gateway) {
            auto g = ip4_addr::parse(w);
            if (!g) return {1, fmt::format("{}: bad gateway", w)};
            out->gateway = *g;
        } else {
            return {1, fmt::format("{}: unexpected argument", w)};
        }
    }
    if (!dst) return {1, "missing destination"};
    if (host && dst->len != 32) return {1, "-host with a prefix length"};
    out->dst = *dst;
    return {};
}

std::string route_word(const prefix4& d) {
    if (d.len == 0) return "net default";
    return d.len == 32 ? fmt::format("host {}", d.addr.str()) : fmt::format("net {}", d.str());
}

reply cmd_route(context& c, const std::vector<std::string>& args, bool js) {
    stack& s = c.s;
    // route -n VERB ...: numeric output is the only kind.
    std::vector<std::string> a(args);
    if (std::find(a.begin(), a.end(), "-inet6") != a.end()) return cmd_route6(c, a, js);
    if (!a.empty() && a[0] == "-n") a.erase(a.begin());
    if (a.empty()) return fail("route", "usage: route add|delete|change|get|flush|show|monitor ...");
    const std::string& v = a[0];
    if (v == "show")
        return ok(js ? [&] {
        json j = json::array();
        for (const auto& r : s.route_list()) j.push_back(route_json(r));
        return j.dump(-1, ' ', false, json::error_handler_t::replace);
    }()
                                  : format_routes(s.route_list()));
    if (v == "flush") {
        s.route_flush();
        return ok();
    }
    if (v == "monitor") {
        auto ev = s.take_events();
        json j = json::array();
        std::string t;
        const ifnames ifn = ifnames_of(s);
        for (const auto& e : ev) {
            const bool six = e.family == 6;
            const std::string dst = six ? (e.dst6.len == 0 && e.kind <= stack_event::rtm_redirect
                                               ? std::string("default")
                                               : ip6_scoped(e.dst6.addr, 0, ifn) + "/" + std::to_string(e.dst6.len))
                                        : e.dst.str();
            const std::string addr = six ? ip6_scoped(e.addr6, e.ifindex, ifn) : e.addr.str();
            const std::string gw = six ? ip6_scoped(e.gateway6, e.ifindex, ifn) : e.gateway.str();
            j.push_back({{"type", stack_event_name(e.kind)},
                         {"family", six ? "inet6" : "inet"},
                         {"dst", dst},
                         {"addr", addr},
                         {"gateway", gw},
                         {"flags", rtf_words(e.flags)},
                         {"ifindex", e.ifindex}});
            t += fmt::format("{}: dst {} gateway {} flags {} ifindex {}\n", stack_event_name(e.kind),
                             e.kind <= stack_event::rtm_redirect ? dst : addr, gw, rtf_words(e.flags), e.ifindex);
        }
        return ok(js ? j.dump(-1, ' ', false, json::error_handler_t::replace) : t);
    }
    if (v == "get") {
        if (a.size() != 2 && !(a.size() == 3 && a[1] == "-n")) return fail("route", "usage: route get [-n] ADDR");
        auto d = ip4_addr::parse(a.back());
        if (!d) return fail("route", fmt::format("{}: bad address", a.back()));
        auto g = s.route_get(*d);
        if (!g) return fail("route", "writing to routing socket: not in table");
        if (!js) return ok(format_route_get(*g));
        json j = route_json({g->r, g->ifname});
        j["route_to"] = d->str();
        j["flags_words"] = rtf_words(g->r.flags);
        return ok(j.dump(-1, ' ', false, json::error_handler_t::replace));
    }
    if (v == "add" || v == "change" || v == "delete") {
        route_spec sp;
        if (auto r = route_spec_parse(a, 1, &sp); r.status) return fail("route", r.text);
        status st;
        if (v == "add")
            st = s.route_add(sp);
        else if (v == "change")
            st = s.route_change(sp);
        else
            st = s.route_delete(sp.dst);
        if (!st) {
            if (v == "delete" && st.error() == errc::srch)
                return fail("route", fmt::format("delete {}: not in table", route_word(sp.dst)));
            return fail("route", fmt::format("writing to routing socket: {}", errc_message(st.error())));
        }
        std::string t = fmt::format("{} {}", v, route_word(sp.dst));
        if (v != "delete" && sp.gateway) t += fmt::format(": gateway {}", sp.gateway->str());
        return ok(js ? json{{"result", t}}.dump(-1, ' ', false, json::error_handler_t::replace) : t + "\n");
    }
    return fail("route", fmt::format("{}: unknown command", v));
}

reply cmd_netstat(context& c, const std::vector<std::string>& a, bool js) {
    bool r = false, six = false;
    for (size_t i = 0; i < a.size(); ++i) {
        if (a[i] == "-rn" || a[i] == "-nr" || a[i] == "-r" || a[i] == "-n")
            r = r || a[i].find('r') != std::string::npos;
        else if (a[i] == "-f" && i + 1 < a.size() && (a[i + 1] == "inet" || a[i + 1] == "inet6"))
            six = a[++i] == "inet6";
        else
            return fail("netstat", fmt::format("{}: unsupported option", a[i]));
    }
    if (!r) return fail("netstat", "usage: netstat -rn [-f inet|inet6]");
    std::vector<std::string> show{"show"};
    if (six) show.push_back("-inet6");
    return cmd_route(c, show, js);
}

// ---- arp ------------------------------------------------------------------------------

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
        if (js) {
            json j = json::array();
            for (const auto& n : v) j.push_back(neigh_json(n));
            return ok(j.dump(-1, ' ', false, json::error_handler_t::replace));
        }
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
        for (size_t i = 2; i < w.size(); ++i) {
            if (w[i] == "temp")
                opts |= arp_opt::temp;
            else if (w[i] == "pub" || w[i] == "proxy")
                opts |= arp_opt::pub;
            else
                return fail("arp", fmt::format("{}: unknown word", w[i]));
        }
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

// ---- ping -----------------------------------------------------------------------------

reply ping_report(context& c, uint32_t id, const std::string& dst_s, const ping_opts& o, bool js, bool six);

reply cmd_ping(context& c, const std::vector<std::string>& a, bool js) {
    ping_opts o;
    uint32_t wait_s = 0;
    std::optional<ip4_addr> dst;
    for (size_t i = 0; i < a.size(); ++i) {
        const std::string& w = a[i];
        auto val = [&]() -> std::optional<uint32_t> { return i + 1 < a.size() ? num<uint32_t>(a[++i]) : std::nullopt; };
        if (w == "-n" || w == "-q" || w == "-v") continue;
        if (w == "-D") {
            o.df = true;
        } else if (w == "-c") {
            auto x = val();
            if (!x || *x == 0 || *x > 10000) return fail("ping", "-c: 1..10000");
            o.count = static_cast<uint16_t>(*x);
        } else if (w == "-i") {
            auto x = val();
            if (!x) return fail("ping", "-i: seconds");
            o.interval_ms = *x * 1000;
        } else if (w == "-w") {
            auto x = val();
            if (!x || *x > 3600) return fail("ping", "-w: seconds");
            wait_s = *x;
        } else if (w == "-s") {
            auto x = val();
            if (!x || *x > 1472) return fail("ping", "-s: 0..1472");
            o.payload_len = static_cast<uint16_t>(*x);
        } else if (w == "-T") {
            auto x = val();
            if (!x || *x == 0 || *x > 255) return fail("ping", "-T: 1..255");
            o.ttl = static_cast<uint8_t>(*x);
        } else if (w == "-S") {
            auto x = i + 1 < a.size() ? ip4_addr::parse(a[++i]) : std::nullopt;
            if (!x) return fail("ping", "-S: bad address");
            o.src = *x;
        } else if (!dst) {
            dst = ip4_addr::parse(w);
            if (!dst) return fail("ping", fmt::format("cannot resolve {}: unknown host", w));
        } else {
            return fail("ping", fmt::format("{}: unexpected argument", w));
        }
    }
    if (!dst) return fail("ping", "usage: ping [-c N] [-i S] [-w S] [-s SIZE] [-T TTL] [-D] [-S SRC] ADDR");
    if (wait_s) o.timeout_ms = wait_s * 1000;
    auto id = c.s.ping_start(*dst, o);
    if (!id) return fail("ping", errc_message(id.error()));
    return ping_report(c, *id, dst->str(), o, js, false);
}

reply ping_report(context& c, uint32_t id_, const std::string& dst_s, const ping_opts& o, bool js, bool six) {
    const char* cmd = six ? "ping6" : "ping";
    const uint32_t* id = &id_;
    ping_result r;
    // Bounded: the count's intervals plus the wait, plus a second.
    const uint64_t limit_ms = uint64_t(o.count) * o.interval_ms + o.timeout_ms + 1000;
    for (uint64_t waited = 0; waited <= limit_ms; waited += 10) {
        r = *c.s.ping_get(*id);
        if (r.done) break;
        rcu_offline off;
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    c.s.ping_release(*id);
    (void)cmd;
    if (r.error != errc::ok) return fail(cmd, fmt::format("sendto: {}", errc_message(r.error)));
    const double loss = r.sent ? 100.0 * double(r.sent - r.received) / double(r.sent) : 0.0;
    const int st = r.received ? 0 : 2;  // ping(8): 2 when nothing came back
    if (js)
        return {st, json{{"destination", dst_s},
                         {"transmitted", r.sent},
                         {"received", r.received},
                         {"loss_percent", loss},
                         {"rtt_min_us", double(r.rtt_min_ns) / 1000.0},
                         {"rtt_avg_us", r.received ? double(r.rtt_sum_ns) / r.received / 1000.0 : 0.0},
                         {"rtt_max_us", double(r.rtt_max_ns) / 1000.0},
                         {"icmp_errors", r.icmp_errors}}
                        .dump(-1, ' ', false, json::error_handler_t::replace)};
    std::string t = fmt::format("PING{} {}: {} data bytes\n", six ? "6" : "", dst_s, o.payload_len);
    if (r.icmp_errors && !six) {
        const char* what = r.last_error_type == 11  ? "Time To Live exceeded"
                           : r.last_error_type == 3 ? "Destination Unreachable"
                                                    : "ICMP error";
        t += fmt::format("From {}: {}\n", r.last_error_from.str(), what);
    } else if (r.icmp_errors) {
        // ping6(8)'s words for ICMPv6 errors.
        const char* what = r.last_error_type == 3   ? "Time to live exceeded"
                           : r.last_error_type == 1 ? "Destination Unreachable"
                           : r.last_error_type == 2 ? "Packet too big"
                                                    : "Parameter problem";
        t += fmt::format("From {}: {}\n", r.last_error_from6.str(), what);
    }
    t += fmt::format("----{} PING{} Statistics----\n{} packets transmitted, {} packets received, {:.1f}% packet loss\n",
                     dst_s, six ? "6" : "", r.sent, r.received, loss);
    if (r.received)
        t += fmt::format("round-trip min/avg/max = {:.3f}/{:.3f}/{:.3f} ms\n", double(r.rtt_min_ns) / 1e6,
                         double(r.rtt_sum_ns) / r.received / 1e6, double(r.rtt_max_ns) / 1e6);
    return {st, t};
}

reply cmd_ping6(context& c, const std::vector<std::string>& a, bool js) {
    ping_opts o;
    std::optional<std::pair<ip6_addr, std::string>> dst;
    std::string dst_s;
    for (size_t i = 0; i < a.size(); ++i) {
        const std::string& w = a[i];
        auto val = [&]() -> std::optional<uint32_t> { return i + 1 < a.size() ? num<uint32_t>(a[++i]) : std::nullopt; };
        if (w == "-n" || w == "-q" || w == "-v") continue;
        if (w == "-c") {
            auto x = val();
            if (!x || *x == 0 || *x > 10000) return fail("ping6", "-c: 1..10000");
            o.count = static_cast<uint16_t>(*x);
        } else if (w == "-i") {
            auto x = val();
            if (!x) return fail("ping6", "-i: seconds");
            o.interval_ms = *x * 1000;
        } else if (w == "-X" || w == "-w") {
            auto x = val();
            if (!x || *x > 3600) return fail("ping6", "-X: seconds");
            o.timeout_ms = *x * 1000;
        } else if (w == "-s") {
            auto x = val();
            if (!x || *x > 1452) return fail("ping6", "-s: 0..1452");
            o.payload_len = static_cast<uint16_t>(*x);
        } else if (w == "-h") {
            auto x = val();
            if (!x || *x == 0 || *x > 255) return fail("ping6", "-h: 1..255");
            o.ttl = static_cast<uint8_t>(*x);
        } else if (w == "-S") {
            auto x = i + 1 < a.size() ? parse_scoped(a[++i]) : std::nullopt;
            if (!x) return fail("ping6", "-S: bad address");
            o.src6 = x->first;
            o.src6_zone = x->second;
        } else if (!dst) {
            dst = parse_scoped(w);
            dst_s = w;
            if (!dst) return fail("ping6", fmt::format("{}: unknown host", w));
        } else {
            return fail("ping6", fmt::format("{}: unexpected argument", w));
        }
    }
    if (!dst) return fail("ping6", "usage: ping6 [-c N] [-i S] [-X S] [-s SIZE] [-h HLIM] [-S SRC[%IF]] ADDR[%IF]");
    auto id = c.s.ping6_start(dst->first, dst->second, o);
    if (!id) return fail("ping6", errc_message(id.error()));
    return ping_report(c, *id, dst_s, o, js, true);
}

// ---- sysctl, show ----------------------------------------------------------------------

reply cmd_sysctl(context& c, const std::vector<std::string>& a, bool js) {
    if (a.size() == 1 && (a[0] == "-a" || a[0] == "-d")) {
        // -a: every knob and its value; -d: every knob and what it means (NetBSD's words).
        const auto all = c.s.sysctl_list();
        if (js) {
            json j = json::array();
            for (const auto& k : all)
                j.push_back({{"name", k.name}, {"value", k.value}, {"min", k.min}, {"max", k.max}, {"help", k.help}});
            return ok(j.dump(-1, ' ', false, json::error_handler_t::replace));
        }
        std::string t;
        for (const auto& k : all)
            t += a[0] == "-a" ? fmt::format("{} = {}\n", k.name, k.value)
                              : fmt::format("{}: {} ({}..{})\n", k.name, k.help, k.min, k.max);
        return ok(t);
    }
    if (a.size() == 2 && a[0] == "-w") {
        auto eq = a[1].find('=');
        if (eq == std::string::npos) return fail("sysctl", "usage: sysctl -w NAME=VALUE");
        const std::string name = a[1].substr(0, eq);
        auto v = num<int64_t>(std::string_view(a[1]).substr(eq + 1));
        if (!v) return fail("sysctl", fmt::format("{}: not a number", a[1].substr(eq + 1)));
        auto old = c.s.sysctl_get(name);
        if (!old) return fail("sysctl", fmt::format("third level name '{}' in '{}' is invalid", name, name));
        if (auto st = c.s.sysctl_set(name, *v); !st)
            return fail("sysctl", fmt::format("{}: {}", name, errc_message(st.error())));
        c.knobs[name] = *v;
        return ok(
            js ? json{{"name", name}, {"old", *old}, {"new", *v}}.dump(-1, ' ', false, json::error_handler_t::replace)
               : fmt::format("{}: {} -> {}\n", name, *old, *v));
    }
    if (a.size() == 1) {
        auto v = c.s.sysctl_get(a[0]);
        if (!v) return fail("sysctl", fmt::format("third level name '{}' in '{}' is invalid", a[0], a[0]));
        return ok(js ? json{{"name", a[0]}, {"value", *v}}.dump(-1, ' ', false, json::error_handler_t::replace)
                     : fmt::format("{} = {}\n", a[0], *v));
    }
    return fail("sysctl", "usage: sysctl NAME | sysctl -a | sysctl -d | sysctl -w NAME=VALUE");
}

reply cmd_intrctl(context& c, const std::vector<std::string>& a, bool js) {
    stack& s = c.s;
    const unsigned workers = s.config().workers;
    if (a.size() == 1 && a[0] == "list") {
        // NetBSD's layout: one line per interrupt (here an RX queue), its
        // packets per CPU (lcore), '*' on the one it is bound to.
        const auto qs = s.rxq_list();
        if (js) {
            json j = json::array();
            for (const auto& q : qs)
                j.push_back({{"interrupt", fmt::format("{}:{}", q.ifname, q.queue)},
                             {"lcore", q.lcore},
                             {"packets", q.packets},
                             {"interrupt_capable", q.intr},
                             {"device", q.device}});
            return ok(j.dump(-1, ' ', false, json::error_handler_t::replace));
        }
        std::string t = fmt::format("{:<16}", "interrupt id");
        for (unsigned w = 0; w < workers; ++w) t += fmt::format(" {:>14}", fmt::format("LCORE#{:02}", w));
        t += "  device name(s)\n";
        for (const auto& q : qs) {
            t += fmt::format("{:<16}", fmt::format("{}:{}", q.ifname, q.queue));
            for (unsigned w = 0; w < workers; ++w)
                t += fmt::format(" {:>14}", static_cast<int>(w) == q.lcore ? fmt::format("{}*", q.packets) : "0");
            t += fmt::format("  {}{}\n", q.device, q.intr ? "" : " [no interrupt]");
        }
        return ok(t);
    }
    auto lcore_arg = [&](size_t at) -> std::optional<unsigned> {
        if (at + 1 >= a.size() || a[at] != "-c") return std::nullopt;
        auto l = num<unsigned>(a[at + 1]);
        if (!l) return std::nullopt;
        return *l;
    };
    if (a.size() == 5 && a[0] == "affinity" && a[1] == "-i") {
        const auto colon = a[2].rfind(':');
        if (colon == std::string::npos) return fail("intrctl", "affinity: -i IF:QUEUE");
        const std::string ifn = a[2].substr(0, colon);
        auto q = num<uint16_t>(a[2].substr(colon + 1));
        auto l = lcore_arg(3);
        if (!q || !l) return fail("intrctl", "usage: intrctl affinity -i IF:QUEUE -c LCORE");
        if (!s.if_get(ifn)) return fail("intrctl", fmt::format("{}: no such interface", ifn));
        if (*l >= workers) return fail("intrctl", fmt::format("lcore {}: not a worker (0..{})", *l, workers - 1));
        auto st = s.rxq_set_lcore(ifn, *q, *l);
        if (!st) return fail("intrctl", fmt::format("{}: no such queue", a[2]));
        c.affinity[{ifn, *q}] = *l;
        return ok();
    }
    if (a.size() == 3 && (a[0] == "intr" || a[0] == "nointr")) {
        auto l = lcore_arg(1);
        if (!l) return fail("intrctl", fmt::format("usage: intrctl {} -c LCORE", a[0]));
        if (*l >= workers) return fail("intrctl", fmt::format("lcore {}: not a worker (0..{})", *l, workers - 1));
        auto st = s.lcore_set_nointr(*l, a[0] == "nointr");
        if (!st) return fail("intrctl", fmt::format("lcore {}: the last lcore taking queues", *l));
        return ok();
    }
    if (a.size() == 4 && a[0] == "mode") {
        auto l = lcore_arg(1);
        auto m = lcore_mode_parse(a[3]);
        if (!l || !m) return fail("intrctl", "usage: intrctl mode -c LCORE poll|adaptive|interrupt");
        if (*l >= workers) return fail("intrctl", fmt::format("lcore {}: not a worker (0..{})", *l, workers - 1));
        if (auto st = s.lcore_set_mode(*l, *m); !st) return fail("intrctl", errc_message(st.error()));
        return ok();
    }
    return fail("intrctl",
                "usage: intrctl list | affinity -i IF:QUEUE -c LCORE | intr -c LCORE | nointr -c LCORE | "
                "mode -c LCORE poll|adaptive|interrupt");
}

reply cmd_show(context& c, const std::vector<std::string>& a, bool js) {
    stack& s = c.s;
    if (a.size() != 1) return fail("show", "usage: show interfaces|errors|stats|lcores|queues|fib|config");
    const std::string& w = a[0];
    if (w == "interfaces") return cmd_ifconfig(c, {"-a"}, js);
    if (w == "errors") {
        if (!js) return ok(format_drops(s));
        json j = json::object();
        for (const auto& [name, n] : s.drop_list()) j[name] = n;
        return ok(j.dump(-1, ' ', false, json::error_handler_t::replace));
    }
    if (w == "stats") {
        json j = json::array();
        std::string t = fmt::format("{:<10} {:>12} {:>14} {:>12} {:>14} {:>8} {:>8}\n", "Name", "Ipkts", "Ibytes",
                                    "Opkts", "Obytes", "Idrops", "Odrops");
        for (const auto& i : s.if_list()) {
            j.push_back(if_json(i));
            t += fmt::format("{:<10} {:>12} {:>14} {:>12} {:>14} {:>8} {:>8}\n", i.name, i.ipackets, i.ibytes,
                             i.opackets, i.obytes, i.iqdrops, i.oqdrops);
        }
        return ok(js ? j.dump(-1, ' ', false, json::error_handler_t::replace) : t);
    }
    if (w == "lcores") {
        json j = json::array();
        std::string t = fmt::format("{:<6} {:<8} {:<9} {:<8} {:>12} {:>12} {:>12} {:>12} {:>8} {:>9} {:>9} {:>9}  {}\n",
                                    "Lcore", "Role", "Mode", "State", "Polls", "Idle", "RxPkts", "TxPkts", "Drops",
                                    "Sleeps", "IntrWait", "IntrWake", "RX queues");
        for (const auto& l : s.lcore_list()) {
            const char* role = l.control ? "control" : "worker";
            const char* mode = l.control ? "timer" : lcore_mode_name(l.mode);
            const char* state = l.sleeping ? "sleeping" : "running";
            j.push_back({{"lcore", l.idx},
                         {"role", role},
                         {"mode", mode},
                         {"state", state},
                         {"nointr", l.nointr},
                         {"polls", l.polls},
                         {"idle_polls", l.idle_polls},
                         {"rx_pkts", l.rx_pkts},
                         {"tx_pkts", l.tx_pkts},
                         {"drops", l.drops},
                         {"sleeps", l.sleeps},
                         {"intr_sleeps", l.intr_sleeps},
                         {"intr_wakeups", l.intr_wakeups},
                         {"sleep_ns", l.sleep_ns},
                         {"rx_queues", l.rxqs}});
            std::string qs;
            for (const auto& q : l.rxqs) qs += (qs.empty() ? "" : " ") + q;
            if (l.nointr) qs = "(nointr) " + qs;
            t += fmt::format("{:<6} {:<8} {:<9} {:<8} {:>12} {:>12} {:>12} {:>12} {:>8} {:>9} {:>9} {:>9}  {}\n", l.idx,
                             role, mode, state, l.polls, l.idle_polls, l.rx_pkts, l.tx_pkts, l.drops, l.sleeps,
                             l.intr_sleeps, l.intr_wakeups, qs);
        }
        return ok(js ? j.dump(-1, ' ', false, json::error_handler_t::replace) : t);
    }
    if (w == "queues") {
        json j = json::object();
        json rx = json::array(), tx = json::array();
        std::string t = fmt::format("{:<10} {:>5} {:>6} {:>14} {:>12} {:>5}\n", "RX", "Queue", "Lcore", "Packets",
                                    "Bursts", "Intr");
        for (const auto& q : s.rxq_list()) {
            rx.push_back({{"interface", q.ifname},
                          {"queue", q.queue},
                          {"lcore", q.lcore},
                          {"packets", q.packets},
                          {"bursts", q.bursts},
                          {"interrupt", q.intr},
                          {"device", q.device}});
            t += fmt::format("{:<10} {:>5} {:>6} {:>14} {:>12} {:>5}\n", q.ifname, q.queue,
                             q.lcore < 0 ? std::string("-") : std::to_string(q.lcore), q.packets, q.bursts,
                             q.intr ? "yes" : "no");
        }
        t += fmt::format("\n{:<10} {:>5} {:<10} {:<8} {:<10} {:>14} {:>10} {:>10} {:>10} {:>8}\n", "TX", "Queue",
                         "Regime", "Path", "Lcores", "Packets", "Refused", "SoftqDrop", "Contended", "SoftqLen");
        for (const auto& e : s.txq_list()) {
            std::string ls;
            for (unsigned l : e.q.lcores) ls += (ls.empty() ? "" : ",") + std::to_string(l);
            tx.push_back({{"interface", e.ifname},
                          {"queue", e.q.queue},
                          {"regime", e.regime},
                          {"shared", e.q.shared},
                          {"lcores", e.q.lcores},
                          {"packets", e.q.packets},
                          {"refused", e.q.refused},
                          {"softq_drops", e.q.softq_drops},
                          {"contended", e.q.contended},
                          {"drains", e.q.drains},
                          {"softq_len", e.q.softq_len}});
            t += fmt::format("{:<10} {:>5} {:<10} {:<8} {:<10} {:>14} {:>10} {:>10} {:>10} {:>8}\n", e.ifname, e.q.queue,
                             e.regime, e.q.shared ? "softq" : "direct", ls, e.q.packets, e.q.refused,
                             e.q.softq_drops, e.q.contended, e.q.softq_len);
        }
        j["rx"] = rx;
        j["tx"] = tx;
        return ok(js ? j.dump(-1, ' ', false, json::error_handler_t::replace) : t);
    }
    if (w == "fib") {
        const fib_info f = s.fib_get();
        json j = json::object();
        std::string t = fmt::format("{:<7} {:<8} {:>10} {:>12} {:>10} {:>12} {:>9}\n", "Family", "Backend", "Routes",
                                    "Memory", "Commits", "Rebuilt", "Refused");
        for (int fam = 0; fam < 2; ++fam) {
            const fib_stats& st = fam ? f.v6 : f.v4;
            const char* b = fib_backend_name(fam ? f.backend6 : f.backend4);
            const uint64_t refused = fam ? f.v6_refused : st.rollbacks;
            j[fam ? "inet6" : "inet"] = {{"backend", b},
                                         {"routes", st.routes},
                                         {"memory_bytes", st.memory_bytes},
                                         {"commits", st.commits},
                                         {"rebuilt", st.rebuilt},
                                         {"refused", refused}};
            t += fmt::format("{:<7} {:<8} {:>10} {:>10.1f}Mi {:>10} {:>12} {:>9}\n", fam ? "inet6" : "inet", b,
                             st.routes, double(st.memory_bytes) / 1048576.0, st.commits, st.rebuilt, refused);
        }
        return ok(js ? j.dump(-1, ' ', false, json::error_handler_t::replace) : t);
    }
    if (w == "config") {
        std::string t = c.cs.running_config();
        return ok(js ? json{{"config", t}}.dump(-1, ' ', false, json::error_handler_t::replace) : t);
    }
    return fail("show", fmt::format("{}: unknown", w));
}

}  // namespace

std::vector<std::string> tokenize(std::string_view line) {
    std::vector<std::string> out;
    size_t i = 0;
    while (i < line.size()) {
        while (i < line.size() && (line[i] == ' ' || line[i] == '\t' || line[i] == '\r' || line[i] == '\n')) ++i;
        if (i >= line.size() || line[i] == '#') break;
        size_t j = i;
        while (j < line.size() && line[j] != ' ' && line[j] != '\t' && line[j] != '\r' && line[j] != '\n') ++j;
        out.emplace_back(line.substr(i, j - i));
        i = j;
    }
    return out;
}

namespace {

reply cmd_save(context& c, const std::vector<std::string>& a, bool js) {
    if (a.size() != 1 || a[0].empty() || a[0][0] != '/') return fail("save", "usage: save /ABSOLUTE/PATH");
    const std::string tmp = a[0] + ".tmp";
    {
        std::ofstream out(tmp, std::ios::trunc);
        if (!out) return fail("save", fmt::format("{}: cannot write", a[0]));
        out << c.cs.running_config();
        if (!out.flush()) return fail("save", fmt::format("{}: write failed", a[0]));
    }
    // Replace atomically: a reader never sees half a file.
    if (std::rename(tmp.c_str(), a[0].c_str()) != 0) return fail("save", fmt::format("{}: cannot write", a[0]));
    return ok(js ? json{{"saved", a[0]}}.dump(-1, ' ', false, json::error_handler_t::replace)
                 : fmt::format("saved to {}\n", a[0]));
}

reply cmd_help(context& c, const std::vector<std::string>& a, bool js) {
    std::vector<command_doc> docs;
    for (const auto& [n, e] : c.cs.entries()) docs.push_back({n, e.syntax, e.help});
    return help(docs, a, js);
}

struct command_def {
    command_doc doc;
    reply (*fn)(context&, const std::vector<std::string>&, bool);
};

// The command table: mpnetd executes from it, and mpnetctl prints its help
// from it without a daemon.
const command_def command_table[] = {
    {{"ifconfig",
      "ifconfig [-a] | ifconfig IF [create [DEVARGS [queues N] [txqueues N]] | destroy | up | down | mtu N | "
      "inet ADDR/LEN [alias] [up] | inet ADDR delete | inet6 ADDR[%IF][/LEN] [pltime N] [vltime N] [alias] [up] | "
      "inet6 ADDR delete | [-]arp | [-]promisc | link MAC [active|delete] | vlan VID vlanif PARENT | -vlanif]",
      "configure interfaces"},
     cmd_ifconfig},
    {{"route",
      "route add|change [-net|-host] DST|default [GATEWAY] [-ifp IF] [-ifa ADDR] [-iface] [-connected] "
      "[-[no]reject] [-[no]blackhole] [-proxy] | route delete DST | route get [-n] ADDR | route flush | "
      "route show | route monitor | the same with -inet6 (DST and GATEWAY may carry %IF zones)",
      "manipulate the routing table"},
     cmd_route},
    {{"netstat", "netstat -rn [-f inet|inet6]", "show the routing table"}, cmd_netstat},
    {{"arp", "arp -a | arp [-n] ADDR | arp -s ADDR MAC [temp] [pub] | arp -d ADDR | arp -d -a | arp -f FILE",
      "address resolution display and control"},
     cmd_arp},
    {{"ping", "ping [-c N] [-i SEC] [-w SEC] [-s SIZE] [-T TTL] [-D] [-S SRC] ADDR", "send ICMP echo requests"},
     cmd_ping},
    {{"ping6", "ping6 [-c N] [-i SEC] [-X SEC] [-s SIZE] [-h HLIM] [-S SRC[%IF]] ADDR[%IF]",
      "send ICMPv6 echo requests"},
     cmd_ping6},
    {{"ndp",
      "ndp -a | ndp [-n] ADDR[%IF] | ndp -s ADDR[%IF] MAC [temp] [proxy] | ndp -d ADDR[%IF] | ndp -c | ndp -p | "
      "ndp -P | ndp -r | ndp -R | ndp -i IF",
      "the IPv6 neighbor cache, default routers and prefixes"},
     cmd_ndp},
    {{"rtadvd",
      "rtadvd IF [mtu N] [maxinterval N] [mininterval N] [rltime N] [hlim N] [managed] [other] "
      "[prefix P/L [vltime N] [pltime N] [noonlink] [noauto]]... | rtadvd IF stop | rtadvd IF show",
      "send router advertisements on an interface"},
     cmd_rtadvd},
    {{"sysctl", "sysctl NAME | sysctl -a | sysctl -d | sysctl -w NAME=VALUE", "get, list or set knobs"}, cmd_sysctl},
    {{"show", "show interfaces|errors|stats|lcores|queues|fib|config", "counters and state"}, cmd_show},
    {{"intrctl",
      "intrctl list | intrctl affinity -i IF:QUEUE -c LCORE | intrctl intr -c LCORE | intrctl nointr -c LCORE | "
      "intrctl mode -c LCORE poll|adaptive|interrupt",
      "RX queue to lcore map and polling modes"},
     cmd_intrctl},
    {{"save", "save FILE", "write the running configuration as a command file mpnetd -c can read"}, cmd_save},
    {{"help", "help [COMMAND]", "list commands, or one command's syntax"}, cmd_help},
};

}  // namespace

std::vector<command_doc> command_docs() {
    std::vector<command_doc> v;
    for (const auto& d : command_table) v.push_back(d.doc);
    return v;
}

reply help(const std::vector<command_doc>& docs, const std::vector<std::string>& args, bool js) {
    if (args.size() > 1) return fail("help", "usage: help [COMMAND]");
    json j = json::array();
    std::string t;
    for (const auto& d : docs) {
        if (!args.empty() && d.name != args[0]) continue;
        j.push_back({{"command", d.name}, {"syntax", d.syntax}, {"help", d.help}});
        t += fmt::format("{:<9} {}\n          {}\n", d.name, d.help, d.syntax);
    }
    if (!args.empty() && t.empty()) return fail("help", fmt::format("{}: unknown command", args[0]));
    if (js && !args.empty()) return ok(j[0].dump(-1, ' ', false, json::error_handler_t::replace));
    return ok(js ? j.dump(-1, ' ', false, json::error_handler_t::replace) : t);
}

command_set::command_set(stack& s) : ctx_(std::make_unique<context>(context{s, *this, {}, {}, {}})) {
    for (const auto& d : command_table) add(std::string(d.doc.name), std::string(d.doc.syntax), std::string(d.doc.help), d.fn);
}

command_set::~command_set() = default;

void command_set::add(std::string name, std::string syntax, std::string help, handler h) {
    cmds_[std::move(name)] = entry{std::move(syntax), std::move(help), std::move(h)};
}

reply command_set::execute(std::string_view line) {
    auto words = tokenize(line);
    if (words.empty()) return {};
    bool js = false;
    std::vector<std::string> args;
    for (size_t i = 1; i < words.size(); ++i) {
        if (words[i] == "--json")
            js = true;
        else
            args.push_back(words[i]);
    }
    auto it = cmds_.find(words[0]);
    reply r = it == cmds_.end() ? reply{1, fmt::format("{}: unknown command (try help)", words[0])}
                                : it->second.h(*ctx_, args, js);
    if (js && r.status != 0 && (r.text.empty() || r.text[0] != '{'))
        r.text = json{{"error", r.text}, {"status", r.status}}.dump(-1, ' ', false, json::error_handler_t::replace);
    return r;
}

std::string command_set::running_config() {
    stack& s = ctx_->s;
    std::string t = "# mpnet running configuration\n";
    for (const auto& [name, v] : ctx_->knobs) t += fmt::format("sysctl -w {}={}\n", name, v);
    for (const auto& i : s.if_list()) {
        if (i.name == "lo0") continue;
        if (auto d = ctx_->devargs.find(i.name); d != ctx_->devargs.end())
            t += fmt::format("ifconfig {} create {}\n", i.name, d->second);
        if (i.created) t += fmt::format("ifconfig {} create\n", i.name);
        for (const auto& l : i.config_lines) t += l + "\n";
        if (i.mtu != 1500) t += fmt::format("ifconfig {} mtu {}\n", i.name, i.mtu);
        if (i.flags & iff::noarp) t += fmt::format("ifconfig {} -arp\n", i.name);
        if (i.flags & iff::promisc) t += fmt::format("ifconfig {} promisc\n", i.name);
        for (const auto& a : i.addrs)
            if (!(a.flags & in_iff::duplicated))
                t += fmt::format("ifconfig {} inet {}/{} alias\n", i.name, a.addr.str(), a.plen);
        for (const auto& a : i.addrs6) {
            // Automatic ones (link-local from the MAC, SLAAC) come back by themselves.
            if ((a.flags & (in6_iff::duplicated | in6_iff::autoconf)) ||
                a.addr == ip6_addr::link_local(i.lladdr))
                continue;
            std::string line = fmt::format("ifconfig {} inet6 {}/{}", i.name, a.addr.str(), a.plen);
            if (a.lifetimes_set && a.pltime_s >= 0) line += fmt::format(" pltime {}", a.pltime_s);
            if (a.lifetimes_set && a.vltime_s >= 0) line += fmt::format(" vltime {}", a.vltime_s);
            t += line + "\n";
        }
        if (i.flags & iff::up) t += fmt::format("ifconfig {} up\n", i.name);
        if (auto r = s.rtadv_get(i.name); r && r->enabled) {
            std::string line = fmt::format("rtadvd {} maxinterval {} mininterval {} rltime {}", i.name,
                                           r->max_interval_s, r->min_interval_s, r->router_lifetime_s);
            if (r->mtu) line += fmt::format(" mtu {}", r->mtu);
            for (const auto& p : r->prefixes)
                line += fmt::format(" prefix {} vltime {} pltime {}", p.prefix.str(), p.vltime_s, p.pltime_s);
            t += line + "\n";
        }
    }
    for (const auto& l : s.lcore_list()) {
        if (l.control) continue;
        if (l.nointr) t += fmt::format("intrctl nointr -c {}\n", l.idx);
        if (l.mode != s.config().worker_mode) t += fmt::format("intrctl mode -c {} {}\n", l.idx, lcore_mode_name(l.mode));
    }
    for (const auto& q : s.rxq_list())
        if (auto it = ctx_->affinity.find({q.ifname, q.queue}); it != ctx_->affinity.end() && q.lcore >= 0)
            t += fmt::format("intrctl affinity -i {}:{} -c {}\n", q.ifname, q.queue, q.lcore);
    const ifnames names = ifnames_of(s);
    for (const auto& r : s.route6_list()) {
        if (!(r.r.flags & rtf::static_) || (r.r.flags & rtf::dynamic)) continue;
        std::string line = fmt::format("route add -inet6 {}{}", r.r.dst.len == 128 ? "-host " : "-net ",
                                       r.r.dst.len == 0 ? std::string("default")
                                                        : ip6_scoped(r.r.dst.addr, 0, names) + "/" +
                                                              std::to_string(r.r.dst.len));
        if (r.r.flags & rtf::gateway) line += " " + ip6_scoped(r.r.gateway, r.r.ifindex, names);
        if (r.r.flags & rtf::reject) line += " -reject";
        if (r.r.flags & rtf::blackhole) line += " -blackhole";
        if (r.r.flags & rtf::announce) line += " -proxy";
        if (!(r.r.flags & rtf::gateway) || r.r.ifp_pinned) line += " -ifp " + r.ifname;
        t += line + "\n";
    }
    for (const auto& r : s.route_list()) {
        if (!(r.r.flags & rtf::static_) || (r.r.flags & rtf::dynamic)) continue;
        std::string line = fmt::format("route add {}{}", r.r.dst.len == 32 ? "-host " : "-net ",
                                       r.r.dst.len == 0 ? std::string("default") : r.r.dst.str());
        if (r.r.flags & rtf::gateway) line += " " + r.r.gateway.str();
        if (r.r.flags & rtf::reject) line += " -reject";
        if (r.r.flags & rtf::blackhole) line += " -blackhole";
        if (r.r.flags & rtf::announce) line += " -proxy";
        if (!(r.r.flags & rtf::gateway) || r.r.ifp_pinned) line += " -ifp " + r.ifname;
        t += line + "\n";
    }
    for (const auto& n : s.arp_list()) {
        if (!(n.flags & (llflag::static_ | llflag::pub))) continue;
        t += fmt::format("arp -s {} {}{}\n", n.addr.str(), n.mac.str(), (n.flags & llflag::pub) ? " pub" : "");
    }
    for (const auto& n : s.ndp_list()) {
        if (!(n.flags & (llflag::static_ | llflag::pub))) continue;
        t += fmt::format("ndp -s {}{} {}{}\n", n.addr6.str(), n.addr6.is_link_local() ? "%" + n.ifname : "",
                         n.mac.str(), (n.flags & llflag::pub) ? " proxy" : "");
    }
    return t;
}

}  // namespace mpnet::ctl
