// SPDX-License-Identifier: BSD-2-Clause
// sysctl, intrctl and show: knobs, the queue map and polling modes, counters and state.
#include "cmd.hpp"

namespace mpnet::ctl {

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
    if (a.size() != 1) return fail("show", "usage: show interfaces|errors|stats|lcores|queues|fib|nexthops|limits|config");
    const std::string& w = a[0];
    if (w == "limits") {
        // Every named limit and what it holds now: what a flood can grow.
        json j = json::array();
        std::string t = fmt::format("{:<44} {:>10} {:>10}\n", "Limit", "Max", "Used");
        for (const auto& l : s.limits_list()) {
            j.push_back({{"name", l.name}, {"max", l.max}, {"used", l.used}});
            t += fmt::format("{:<44} {:>10} {:>10}\n", l.name, l.max, l.used);
        }
        return ok(js ? j.dump(-1, ' ', false, json::error_handler_t::replace) : t);
    }
    if (w == "interfaces") return cmd_ifconfig(c, {"-a"}, js);
    if (w == "errors") {
        if (!js) return ok(format_drops(s));
        json j = json::object();
        for (const auto& [name, n] : s.drop_list()) j[name] = n;
        return ok(j.dump(-1, ' ', false, json::error_handler_t::replace));
    }
    if (w == "stats") {
        json j = json::array();
        // The device's own losses beside the stack's: a packet the PMD
        // dropped (ring full, no buffer) never reached an Idrops counter.
        std::string t = fmt::format("{:<10} {:>12} {:>14} {:>12} {:>14} {:>8} {:>8} {:>9} {:>9} {:>9}\n", "Name",
                                    "Ipkts", "Ibytes", "Opkts", "Obytes", "Idrops", "Odrops", "DevMissed",
                                    "DevNoMbuf", "DevOerrs");
        for (const auto& i : s.if_list()) {
            j.push_back(if_json(i));
            auto dev = [&](uint64_t v) { return i.has_device_stats ? std::to_string(v) : std::string("-"); };
            t += fmt::format("{:<10} {:>12} {:>14} {:>12} {:>14} {:>8} {:>8} {:>9} {:>9} {:>9}\n", i.name, i.ipackets,
                             i.ibytes, i.opackets, i.obytes, i.iqdrops, i.oqdrops, dev(i.device.imissed),
                             dev(i.device.rx_nombuf), dev(i.device.oerrors));
        }
        return ok(js ? j.dump(-1, ' ', false, json::error_handler_t::replace) : t);
    }
    if (w == "lcores") {
        json j = json::array();
        std::string t =
            fmt::format("{:<6} {:<8} {:<9} {:<8} {:>12} {:>12} {:>12} {:>12} {:>8} {:>9} {:>9} {:>9} {:>8} {:>9}  {}\n",
                        "Lcore", "Role", "Mode", "State", "Polls", "Idle", "RxPkts", "TxPkts", "Drops", "Sleeps",
                        "IntrWait", "IntrWake", "Gaps>1ms", "MaxGapUs", "RX queues");
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
                         {"poll_gaps", {{"over_100us", l.gaps[0]}, {"over_1ms", l.gaps[1]}, {"over_10ms", l.gaps[2]}}},
                         {"poll_gap_max_ns", l.gap_max_ns},
                         {"rx_queues", l.rxqs}});
            std::string qs;
            for (const auto& q : l.rxqs) qs += (qs.empty() ? "" : " ") + q;
            if (l.nointr) qs = "(nointr) " + qs;
            t += fmt::format(
                "{:<6} {:<8} {:<9} {:<8} {:>12} {:>12} {:>12} {:>12} {:>8} {:>9} {:>9} {:>9} {:>8} {:>9}  {}\n", l.idx, role,
                mode, state, l.polls, l.idle_polls, l.rx_pkts, l.tx_pkts, l.drops, l.sleeps, l.intr_sleeps,
                l.intr_wakeups, l.gaps[1], l.gap_max_ns / 1000, qs);
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
            if (e.q.guest) ls += "+ctl";  // the control plane's frames through the guest ring
            tx.push_back({{"interface", e.ifname},
                          {"queue", e.q.queue},
                          {"regime", e.regime},
                          {"shared", e.q.shared},
                          {"guest", e.q.guest},
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
    if (w == "nexthops") {
        // What routes share, and the neighbor entry each gateway nexthop
        // carries for the workers (VPP's adjacencies, in effect).
        json j = json::array();
        std::string t = fmt::format("{:>6} {:<10} {:<28} {:>6} {:>6} {:<6} {}\n", "Id", "Interface", "Gateway", "Refs",
                                    "Mtu", "Cached", "Lladdr");
        for (const auto& n : s.nexthop_list()) {
            j.push_back({{"id", n.id},
                         {"interface", n.ifname},
                         {"gateway", n.gateway},
                         {"flags", n.flags},
                         {"mtu", n.mtu},
                         {"refs", n.refs},
                         {"neigh_cached", n.neigh_cached},
                         {"lladdr", n.lladdr}});
            t += fmt::format("{:>6} {:<10} {:<28} {:>6} {:>6} {:<6} {}\n", n.id, n.ifname,
                             n.gateway.empty() ? std::string("-") : n.gateway, n.refs, n.mtu,
                             n.neigh_cached ? "yes" : "no", n.lladdr.empty() ? std::string("-") : n.lladdr);
        }
        return ok(js ? j.dump(-1, ' ', false, json::error_handler_t::replace) : t);
    }
    if (w == "config") {
        std::string t = c.cs.running_config();
        return ok(js ? json{{"config", t}}.dump(-1, ' ', false, json::error_handler_t::replace) : t);
    }
    return fail("show", fmt::format("{}: unknown", w));
}

}  // namespace mpnet::ctl
