// SPDX-License-Identifier: BSD-2-Clause
// ifconfig: interfaces (create by devargs or by kind, destroy, flags, MTU, link
// addresses), IPv4 and IPv6 addresses, and the vlan(4) verbs.
#include "cmd.hpp"
#include "mpnet/drivers/ethdev_port.hpp"

namespace mpnet::ctl {

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
    for (word_cursor wc(a, 1); !wc.done();) {
        const std::string& word = wc.next();
        if (word == "delete" || word == "-alias") {
            if (a.size() != 2) return fail("ifconfig", "usage: ifconfig IF inet6 ADDR delete");
            auto st = s.addr6_del(ifn, sa->first);
            if (!st) return fail("ifconfig", fmt::format("{}: {}", ifn, errc_message(st.error())));
            return ok();
        }
        if (word == "alias") continue;
        if (word == "up") {
            up = true;
        } else if (auto d = ip6_addr::parse(word); d && !o.dst) {
            o.dst = *d;  // a point-to-point interface's peer
        } else if (word == "prefixlen") {
            auto v = wc.number<unsigned>(0, 128);
            if (!v) return fail("ifconfig", "prefixlen: 0..128");
            plen = *v;
        } else if (word == "pltime" || word == "vltime") {
            const bool pl = word == "pltime";
            auto v = wc.number<uint32_t>(0, UINT32_MAX);
            if (!v) return fail("ifconfig", fmt::format("{}: seconds", pl ? "pltime" : "vltime"));
            (pl ? o.pltime_s : o.vltime_s) = *v;
        } else {
            return fail("ifconfig", fmt::format("{}: unknown word", word));
        }
    }
    if (auto st = s.addr6_add(ifn, sa->first, plen, o); !st)
        return fail("ifconfig", fmt::format("{}: {}", ifn, errc_message(st.error())));
    if (up) {
        if (auto st = s.if_up(ifn); !st) return fail("ifconfig", fmt::format("{}: {}", ifn, errc_message(st.error())));
    }
    return ok();
}

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
        for (word_cursor wc(a, 3); !wc.done();) {
            const std::string& w = wc.next();
            if (w != "queues" && w != "txqueues")
                return fail("ifconfig", "usage: ifconfig IF create DEVARGS [queues N] [txqueues N]");
            auto q = wc.number<uint16_t>(1, limits::rxq_max);
            if (!q) return fail("ifconfig", fmt::format("{}: 1..{}", w, limits::rxq_max));
            (w == "queues" ? ec.rx_queues : ec.tx_queues) = *q;
            extra += fmt::format(" {} {}", w, *q);
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
    // Verbs the modules bring (vlan VID vlanif PARENT, ...).
    if (const ifconfig_verb* v = module_verb(c, verb, ifn)) {
        const std::vector<std::string> words(a.begin() + 1, a.end());
        command_reply r = v->run(s, ifn, words, js);
        return reply{r.status, std::move(r.text)};
    }
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
        std::optional<ip4_addr> dst;  // a point-to-point interface's peer
        for (const auto& w : rest) {
            if (w == "alias") continue;
            if (w == "up") {
                up = true;
                continue;
            }
            if (auto d = ip4_addr::parse(w); d && !dst) {
                dst = *d;
                continue;
            }
            return fail("ifconfig", fmt::format("{}: unknown word", w));
        }
        if (auto st = s.addr_add(ifn, addr, has_len ? p->len : 32, dst); !st) {
            if (dst && st.error() == errc::inval)
                return fail("ifconfig", fmt::format("{}: {}: a peer address needs a point-to-point interface", ifn,
                                                    dst->str()));
            return done(st);
        }
        return up ? done(s.if_up(ifn)) : ok();
    }
    return fail("ifconfig", fmt::format("{}: unknown or incomplete request", verb));
}

}  // namespace mpnet::ctl
