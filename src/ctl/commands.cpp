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
#include "mpnet/stack/show.hpp"

namespace mpnet::ctl {

using json = nlohmann::json;

struct context {
    stack& s;
    command_set& cs;
    std::map<std::string, std::string> devargs;  // interface -> devargs it was created with
    std::map<std::string, int64_t> knobs;        // sysctls set by command, for show config
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
    return {{"index", i.index},
            {"name", i.name},
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
            {"port", i.port}};
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
        ec.tx_queues = static_cast<uint16_t>(s.lcore_slots());
        if (a.size() == 5 && a[3] == "queues") {
            auto q = num<uint16_t>(a[4]);
            if (!q || *q == 0 || *q > 64) return fail("ifconfig", "queues: 1..64");
            ec.rx_queues = *q;
        } else if (a.size() != 3) {
            return fail("ifconfig", "usage: ifconfig IF create DEVARGS [queues N]");
        }
        if (s.if_get(ifn)) return fail("ifconfig", fmt::format("{}: File exists", ifn));
        auto p = drivers::ethdev_port::open(a[2], s.pool(), ec);
        if (!p) return fail("ifconfig", fmt::format("{}: {}: cannot open port", ifn, a[2]));
        if (auto r = s.if_attach(ifn, std::move(*p)); !r) return done(r.error());
        c.devargs[ifn] = a[2] + (ec.rx_queues > 1 ? fmt::format(" queues {}", ec.rx_queues) : "");
        return ok();
    }
    if (verb == "destroy" && a.size() == 2) {
        auto st = s.if_destroy(ifn);
        if (st) c.devargs.erase(ifn);
        return done(st);
    }
    if ((verb == "up" || verb == "down") && a.size() == 2) return done(verb == "up" ? s.if_up(ifn) : s.if_down(ifn));
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
        static const char* names[] = {"RTM_ADD",      "RTM_DELETE",   "RTM_CHANGE",  "RTM_MISS",
                                      "RTM_REDIRECT", "RTM_NEWADDR",  "RTM_DELADDR", "DAD_DUPLICATED",
                                      "DAD_READY",    "NEIGH_FAILED", "LINK_UP",     "LINK_DOWN"};
        json j = json::array();
        std::string t;
        for (const auto& e : ev) {
            j.push_back({{"type", names[e.kind]},
                         {"dst", e.dst.str()},
                         {"addr", e.addr.str()},
                         {"gateway", e.gateway.str()},
                         {"flags", rtf_words(e.flags)},
                         {"ifindex", e.ifindex}});
            t += fmt::format("{}: dst {} gateway {} flags {} ifindex {}\n", names[e.kind],
                             e.kind <= stack_event::rtm_redirect ? e.dst.str() : e.addr.str(), e.gateway.str(),
                             rtf_words(e.flags), e.ifindex);
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
    bool r = false;
    for (size_t i = 0; i < a.size(); ++i) {
        if (a[i] == "-rn" || a[i] == "-nr" || a[i] == "-r" || a[i] == "-n")
            r = r || a[i].find('r') != std::string::npos;
        else if (a[i] == "-f" && i + 1 < a.size() && a[i + 1] == "inet")
            ++i;
        else
            return fail("netstat", fmt::format("{}: unsupported option", a[i]));
    }
    if (!r) return fail("netstat", "usage: netstat -rn [-f inet]");
    std::vector<std::string> show{"show"};
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
    if (r.error != errc::ok) return fail("ping", fmt::format("sendto: {}", errc_message(r.error)));
    const double loss = r.sent ? 100.0 * double(r.sent - r.received) / double(r.sent) : 0.0;
    const int st = r.received ? 0 : 2;  // ping(8): 2 when nothing came back
    if (js)
        return {st, json{{"destination", dst->str()},
                         {"transmitted", r.sent},
                         {"received", r.received},
                         {"loss_percent", loss},
                         {"rtt_min_us", double(r.rtt_min_ns) / 1000.0},
                         {"rtt_avg_us", r.received ? double(r.rtt_sum_ns) / r.received / 1000.0 : 0.0},
                         {"rtt_max_us", double(r.rtt_max_ns) / 1000.0},
                         {"icmp_errors", r.icmp_errors}}
                        .dump(-1, ' ', false, json::error_handler_t::replace)};
    std::string t = fmt::format("PING {}: {} data bytes\n", dst->str(), o.payload_len);
    if (r.icmp_errors) {
        const char* what = r.last_error_type == 11  ? "Time To Live exceeded"
                           : r.last_error_type == 3 ? "Destination Unreachable"
                                                    : "ICMP error";
        t += fmt::format("From {}: {}\n", r.last_error_from.str(), what);
    }
    t += fmt::format("----{} PING Statistics----\n{} packets transmitted, {} packets received, {:.1f}% packet loss\n",
                     dst->str(), r.sent, r.received, loss);
    if (r.received)
        t += fmt::format("round-trip min/avg/max = {:.3f}/{:.3f}/{:.3f} ms\n", double(r.rtt_min_ns) / 1e6,
                         double(r.rtt_sum_ns) / r.received / 1e6, double(r.rtt_max_ns) / 1e6);
    return {st, t};
}

// ---- sysctl, show ----------------------------------------------------------------------

reply cmd_sysctl(context& c, const std::vector<std::string>& a, bool js) {
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
    return fail("sysctl", "usage: sysctl NAME | sysctl -w NAME=VALUE");
}

reply cmd_show(context& c, const std::vector<std::string>& a, bool js) {
    stack& s = c.s;
    if (a.size() != 1) return fail("show", "usage: show interfaces|errors|stats|lcores|config");
    const std::string& w = a[0];
    if (w == "interfaces") return cmd_ifconfig(c, {"-a"}, js);
    if (w == "errors") {
        if (!js) return ok(format_drops(s));
        json j = json::object();
        for (size_t k = 0; k < drop_reason_count; ++k)
            j[std::string(drop_reason_name(static_cast<drop_reason>(k)))] = s.drops(static_cast<drop_reason>(k));
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
        std::string t = fmt::format("{:<8} {:<8} {:>14} {:>14} {:>14}\n", "Lcore", "Role", "Polls", "Idle", "RxPkts");
        for (const auto& l : s.lcore_list()) {
            j.push_back({{"lcore", l.idx},
                         {"role", l.control ? "control" : "worker"},
                         {"polls", l.polls},
                         {"idle_polls", l.idle_polls},
                         {"rx_pkts", l.rx_pkts}});
            t += fmt::format("{:<8} {:<8} {:>14} {:>14} {:>14}\n", l.idx, l.control ? "control" : "worker", l.polls,
                             l.idle_polls, l.rx_pkts);
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

command_set::command_set(stack& s) : ctx_(std::make_unique<context>(context{s, *this, {}, {}})) {
    add("ifconfig",
        "ifconfig [-a] | ifconfig IF [create DEVARGS [queues N] | destroy | up | down | mtu N | "
        "inet ADDR/LEN [alias] [up] | inet ADDR delete | [-]arp | [-]promisc | link MAC [active|delete]]",
        "configure interfaces", cmd_ifconfig);
    add("route",
        "route add|change [-net|-host] DST|default [GATEWAY] [-ifp IF] [-ifa ADDR] [-iface] [-connected] "
        "[-[no]reject] [-[no]blackhole] [-proxy] | route delete DST | route get [-n] ADDR | route flush | "
        "route show | route monitor",
        "manipulate the routing table", cmd_route);
    add("netstat", "netstat -rn [-f inet]", "show the routing table", cmd_netstat);
    add("arp", "arp -a | arp [-n] ADDR | arp -s ADDR MAC [temp] [pub] | arp -d ADDR | arp -d -a | arp -f FILE",
        "address resolution display and control", cmd_arp);
    add("ping", "ping [-c N] [-i SEC] [-w SEC] [-s SIZE] [-T TTL] [-D] [-S SRC] ADDR", "send ICMP echo requests",
        cmd_ping);
    add("sysctl", "sysctl NAME | sysctl -w NAME=VALUE", "get or set a knob", cmd_sysctl);
    add("show", "show interfaces|errors|stats|lcores|config", "counters and state", cmd_show);
    add("save", "save FILE", "write the running configuration as a command file mpnetd -c can read",
        [](context& c, const std::vector<std::string>& a, bool js) {
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
        });
    add("help", "help", "list commands", [](context& c, const std::vector<std::string>&, bool js) {
        json j = json::array();
        std::string t;
        for (const auto& [n, e] : c.cs.cmds_) {
            j.push_back({{"command", n}, {"syntax", e.syntax}, {"help", e.help}});
            t += fmt::format("{:<9} {}\n          {}\n", n, e.help, e.syntax);
        }
        return reply{0, js ? j.dump(-1, ' ', false, json::error_handler_t::replace) : t};
    });
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
        if (i.mtu != 1500) t += fmt::format("ifconfig {} mtu {}\n", i.name, i.mtu);
        if (i.flags & iff::noarp) t += fmt::format("ifconfig {} -arp\n", i.name);
        if (i.flags & iff::promisc) t += fmt::format("ifconfig {} promisc\n", i.name);
        for (const auto& a : i.addrs)
            if (!(a.flags & in_iff::duplicated))
                t += fmt::format("ifconfig {} inet {}/{} alias\n", i.name, a.addr.str(), a.plen);
        if (i.flags & iff::up) t += fmt::format("ifconfig {} up\n", i.name);
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
    return t;
}

}  // namespace mpnet::ctl
