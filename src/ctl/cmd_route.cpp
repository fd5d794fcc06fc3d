// SPDX-License-Identifier: BSD-2-Clause
// route and netstat -rn, both families.
#include "cmd.hpp"

namespace mpnet::ctl {

namespace {

// route(8)'s modifiers into a family's route spec (route_spec, route6_spec).
template <typename Spec>
void apply_mods(const route_mods& m, Spec& sp) {
    sp.iface = m.iface;
    sp.connected = m.connected;
    sp.reject = m.reject;
    sp.noreject = m.noreject;
    sp.blackhole = m.blackhole;
    sp.noblackhole = m.noblackhole;
    sp.proxy = m.proxy;
    sp.ifp = m.ifp;
}

}  // namespace

// An IPv6 route's fields, for json_object and json_listing.
auto route6_fields(const ifnames& names) {
    return [&names](const route6_info& r, auto&& put) {
        put("destination", r.r.dst.len == 0
                               ? std::string("default")
                               : ip6_scoped(r.r.dst.addr, 0, names) + "/" + std::to_string(r.r.dst.len));
        put("flags", rtf_letters(r.r.flags));
        put("interface", r.ifname);
        put("mtu", r.r.mtu);
        put("gateway", route6_gateway(r.r, names));
        if (!r.r.ifa.is_any()) put("ifa", ip6_scoped(r.r.ifa, r.r.src_ifindex, names));
    };
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
        return ok(json_listing(all, route6_fields(names)));
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
        json j = json_object(route6_info{g->r, g->ifname}, route6_fields(names));
        j["route_to"] = w[1];
        j["flags_words"] = rtf_words(g->r.flags);
        return ok(j.dump(-1, ' ', false, json::error_handler_t::replace));
    }
    if (v != "add" && v != "change" && v != "delete") return fail("route", fmt::format("{}: unknown command", v));
    route6_spec sp;
    route_mods mods;
    bool have_dst = false;
    std::string err;
    for (word_cursor cur(w, 1); !cur.done();) {
        const std::string& x = cur.next();
        if (x == "-net" || x == "-static") {
            continue;
        } else if (route_mod_word(x, cur, mods, err)) {
            if (!err.empty()) return fail("route", err);
        } else if (x == "-prefixlen") {
            auto y = cur.value();
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
            } else if (!mods.host) {
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
    if (mods.ifa) {
        auto z = ip6_addr::parse(*mods.ifa);
        if (!z) return fail("route", "-ifa: bad address");
        sp.ifa = *z;
    }
    apply_mods(mods, sp);
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

// ---- route / netstat -----------------------------------------------------------------

std::optional<prefix4> parse_dst(const std::string& w, bool host) {
    if (w == "default") return prefix4{};
    auto p = prefix4::parse(w, true);
    if (!p) return std::nullopt;
    if (host && w.find('/') == std::string::npos) return prefix4::of(p->addr, 32);
    return p;
}

bool route_mod_word(const std::string& w, word_cursor& c, route_mods& m, std::string& err) {
    if (w == "-host") {
        m.host = true;
    } else if (w == "-iface" || w == "-interface") {
        m.iface = true;
    } else if (w == "-connected") {
        m.connected = true;
    } else if (w == "-reject") {
        m.reject = true;
    } else if (w == "-noreject") {
        m.noreject = true;
    } else if (w == "-blackhole") {
        m.blackhole = true;
    } else if (w == "-noblackhole") {
        m.noblackhole = true;
    } else if (w == "-proxy") {
        m.proxy = true;
    } else if (w == "-ifp") {
        const std::string* v = c.value();
        if (!v) err = "-ifp: missing interface";
        else m.ifp = *v;
    } else if (w == "-ifa") {
        const std::string* v = c.value();
        if (!v) err = "-ifa: bad address";
        else m.ifa = *v;
    } else {
        return false;
    }
    return true;
}

reply route_spec_parse(const std::vector<std::string>& a, size_t from, route_spec* out) {
    route_mods mods;
    std::string err;
    std::optional<prefix4> dst;
    for (word_cursor cur(a, from); !cur.done();) {
        const std::string& w = cur.next();
        if (w == "-net" || w == "-inet" || w == "-n" || w == "-link" || w == "-cloning" || w == "-static") {
            continue;  // -net: the default for a DST with /LEN
        } else if (route_mod_word(w, cur, mods, err)) {
            if (!err.empty()) return {1, err};
        } else if (w[0] == '-') {
            return {1, fmt::format("{}: unknown option", w)};
        } else if (!dst) {
            dst = parse_dst(w, mods.host);
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
    if (mods.host && dst->len != 32) return {1, "-host with a prefix length"};
    if (mods.ifa) {
        auto x = ip4_addr::parse(*mods.ifa);
        if (!x) return {1, "-ifa: bad address"};
        out->ifa = *x;
    }
    apply_mods(mods, *out);
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
    std::erase(a, std::string("-inet"));  // the default family, as NetBSD's route accepts it anywhere
    if (!a.empty() && a[0] == "-n") a.erase(a.begin());
    if (a.size() >= 2 && a[0] == "get" && a[1] == "-n") a.erase(a.begin() + 1);
    if (a.empty()) return fail("route", "usage: route add|delete|change|get|flush|show|monitor ...");
    const std::string& v = a[0];
    if (v == "show")
        return ok(js ? routes_json(s.route_list()) : format_routes(s.route_list()));
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

}  // namespace mpnet::ctl
