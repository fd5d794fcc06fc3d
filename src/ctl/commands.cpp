// SPDX-License-Identifier: BSD-2-Clause
// mpnet's command language: NetBSD-style commands over the stack API. The
// families live in cmd_*.cpp; this file has the one command table, help,
// save, the running configuration, and the line executor.
#include "mpnet/ctl/commands.hpp"

#include <chrono>
#include <cstdio>
#include <fstream>
#include <thread>

#include "cmd.hpp"
#include "mpnet/sync/rcu.hpp"

namespace mpnet::ctl {

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
      "inet ADDR/LEN [DST] [alias] [up] | inet ADDR delete | inet6 ADDR[%IF][/LEN] [DST] [pltime N] [vltime N] [alias] "
      "[up] | "
      "inet6 ADDR delete | [-]arp | [-]promisc | link MAC [active|delete]]",
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
    {{"show", "show interfaces|errors|stats|lcores|queues|fib|nexthops|limits|config", "counters, limits and state"}, cmd_show},
    {{"intrctl",
      "intrctl list | intrctl affinity -i IF:QUEUE -c LCORE | intrctl intr -c LCORE | intrctl nointr -c LCORE | "
      "intrctl mode -c LCORE poll|adaptive|interrupt",
      "RX queue to lcore map and polling modes"},
     cmd_intrctl},
    {{"save", "save FILE", "write the running configuration as a command file mpnetd -c can read"}, cmd_save},
    {{"help", "help [COMMAND]", "list commands, or one command's syntax"}, cmd_help},
};

}  // namespace

namespace {

// The modules a command set serves: the built-in ones, then the stack's own.
template <typename F>
void for_each_module(const stack* s, F&& fn) {
    for (const module* m : builtin_modules()) fn(*m);
    if (s)
        for (const module* m : s->config().modules)
            if (m) fn(*m);
}

// ifconfig's syntax with the verbs of the modules (`s` null: the built-in ones).
std::string ifconfig_syntax(const stack* s) {
    std::string t(command_table[0].doc.syntax);
    t.pop_back();  // the closing ']'
    for_each_module(s, [&](const module& m) {
        for (const auto& v : m.ifconfig_verbs) {
            if (t.find(std::string(v.syntax)) != std::string::npos) continue;  // aliases share one syntax
            t += " | ";
            t += v.syntax;
        }
    });
    return t + "]";
}

}  // namespace

const ifconfig_verb* module_verb(const context& c, std::string_view verb, std::string_view ifname) {
    // The verb of the interface's own kind first; else the first module's
    // (which answers for an interface it does not apply to).
    const auto i = c.s.if_get(ifname);
    const ifconfig_verb* first = nullptr;
    const ifconfig_verb* own = nullptr;
    for_each_module(&c.s, [&](const module& m) {
        for (const auto& v : m.ifconfig_verbs) {
            if (v.verb != verb) continue;
            if (!first) first = &v;
            if (!own && i && !v.kind.empty() && v.kind == i->kind) own = &v;
        }
    });
    return own ? own : first;
}

std::vector<command_doc> command_docs() {
    static const std::string ifc = ifconfig_syntax(nullptr);
    std::vector<command_doc> v;
    for (const auto& d : command_table) v.push_back(d.doc);
    v[0].syntax = ifc;
    for_each_module(nullptr, [&](const module& m) {
        for (const auto& mc : m.commands) v.push_back({mc.name, mc.syntax, mc.help});
    });
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
    cmds_["ifconfig"].syntax = ifconfig_syntax(&s);
    // The modules' own commands, run through the public API.
    for_each_module(&s, [&](const module& m) {
        for (const auto& mc : m.commands) {
            auto run = mc.run;
            add(std::string(mc.name), std::string(mc.syntax), std::string(mc.help),
                [run](context& c, const std::vector<std::string>& a, bool js) {
                    command_reply r = run(c.s, a, js);
                    return reply{r.status, std::move(r.text)};
                });
        }
    });
}

command_set::~command_set() = default;

void command_set::add(std::string name, std::string syntax, std::string help, handler h) {
    cmds_[std::move(name)] = entry{std::move(syntax), std::move(help), std::move(h)};
}

reply command_set::execute(std::string_view line) {
    reply r = start(line);
    while (r.later) {
        if (auto done = r.later()) {
            r = std::move(*done);
            break;
        }
        rcu_offline off;
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return r;
}

reply command_set::start(std::string_view line) {
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
    auto wrap = [js](reply& x) {
        if (js && x.status != 0 && (x.text.empty() || x.text[0] != '{'))
            x.text = json{{"error", x.text}, {"status", x.status}}.dump(-1, ' ', false, json::error_handler_t::replace);
    };
    if (r.later) {
        // The JSON error form applies to the final reply too.
        r.later = [inner = std::move(r.later), wrap]() -> std::optional<reply> {
            auto done = inner();
            if (done) wrap(*done);
            return done;
        };
        return r;
    }
    wrap(r);
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
                t += fmt::format("ifconfig {} inet {}/{}{} alias\n", i.name, a.addr.str(), a.plen,
                                 a.dst.is_any() ? "" : " " + a.dst.str());
        for (const auto& a : i.addrs6) {
            // Automatic ones (link-local from the MAC, SLAAC) come back by themselves.
            if ((a.flags & (in6_iff::duplicated | in6_iff::autoconf)) ||
                a.addr == ip6_addr::link_local(i.lladdr))
                continue;
            std::string line = fmt::format("ifconfig {} inet6 {}/{}{}", i.name, a.addr.str(), a.plen,
                                           a.dst.is_any() ? "" : " " + a.dst.str());
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
    for (const auto& l : s.module_config()) t += l + "\n";
    return t;
}

}  // namespace mpnet::ctl
