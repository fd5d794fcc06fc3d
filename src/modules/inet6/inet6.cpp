// SPDX-License-Identifier: BSD-2-Clause
// The inet6 module: its state, its sysctl knobs under NetBSD's names, and
// what it registers with the stack (ICMPv6 as IP protocol 58, ND's neighbor
// domain, the icmp6 and resolve6 hand-overs, the interface lifecycle hook).
#include "inet6.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <stdexcept>

#include "../../stack/knob_macros.hpp"
#include "../../stack/stack_impl.hpp"
#include "../neigh/neigh.hpp"

namespace mpnet {

inet6::inet6(stack::impl& s) : stk(s) {
    fib6_config fc6;
    fc6.backend = stk.cfg.fib_backend6;
    fc6.max_routes = stk.cfg.fib6_max_routes;
    auto f6 = fib6::create(stk.cfg.name, fc6);
    if (!f6) throw std::runtime_error(fmt::format("stack {}: FIB6: {}", stk.cfg.name, errc_message(f6.error())));
    fib6_ = std::move(*f6);
    knobs6.forwarding = stk.cfg.ip6_forwarding;
    accept_rtadv = stk.cfg.accept_rtadv;
    accept_redirects6 = stk.cfg.accept_redirects6;
    knobs6.send_redirects = stk.cfg.send_redirects6;
    knobs6.hlim = stk.cfg.ip6_hlim;
    knobs6.icmp_err_pps = stk.cfg.icmp6_err_pps;
}

void inet6::report_limits(std::vector<limit_info>& v) const {
    v.push_back({"IPv6 routes", stk.cfg.fib6_max_routes, rib6_.size()});
    v.push_back({"default routers", limits::defrouters_max, defrouters.size()});
    uint64_t routers = 0;
    std::map<ifindex_t, uint64_t> per_if;
    for (const auto& p : prefixes) {
        routers = std::max<uint64_t>(routers, p.routers.size());
        ++per_if[p.ifindex];
    }
    uint64_t most = 0;
    for (const auto& [ix, n] : per_if) most = std::max(most, n);
    v.push_back({"prefixes per interface", stk.cfg.maxifprefixes, most});
    v.push_back({"routers per prefix", limits::defrouters_max, routers});
}

namespace {

void register_knobs(module_registrar& r) {
    const knob knobs[] = {
        knob{"net.inet6.ip6.forwarding", "forward IPv6 packets not addressed to this host", 0, 1,
             [](module_ctl& c, void*) -> int64_t { return c.impl().in6->fwd6() ? 1 : 0; },
             [](module_ctl& c, int64_t v, void*) {
                 c.impl().in6->knobs6.forwarding.store(v == 1, std::memory_order_relaxed);
                 c.impl().in6->routes6_rebuild();  // RA-learned defaults apply only to hosts
             }},
        MPNET_KNOB_ATOMIC("net.inet6.ip6.redirect", "send ICMPv6 redirects", 0, 1, in6->knobs6.send_redirects),
        MPNET_KNOB_ATOMIC("net.inet6.ip6.hlim", "hop limit of packets this host sends", 1, 255, in6->knobs6.hlim),
        MPNET_KNOB_ATOMIC("net.inet6.icmp6.errppslimit", "ICMPv6 errors per second, the whole stack", 0, 1000000,
                          in6->knobs6.icmp_err_pps),
        MPNET_KNOB_FIELD("net.inet6.ip6.dad_count", "DAD probes per IPv6 address (0: none)", 0,
                         int64_t(limits::dad_count_max), cfg.dad6_count),
        MPNET_KNOB_FIELD("net.inet6.ip6.maxifprefixes", "advertised prefixes kept per interface", 0,
                         int64_t(limits::ifprefixes_max), cfg.maxifprefixes),
        MPNET_KNOB_FIELD("net.inet6.ip6.neighborgcthresh", "dynamic ND entries per interface before GC", 1,
                         int64_t(limits::neigh_per_if_max), cfg.neighborgcthresh),
        MPNET_KNOB_FIELD("net.inet6.icmp6.redirtimeout", "seconds a redirect's route lives", 1, 86400,
                         cfg.redirect_timeout6_s),
        MPNET_KNOB_FIELD("net.inet6.ip6.accept_rtadv", "accept router advertisements (hosts)", 0, 1, in6->accept_rtadv),
        MPNET_KNOB_FIELD("net.inet6.ip6.auto_linklocal", "give interfaces fe80:: addresses on up", 0, 1,
                         cfg.auto_linklocal),
        MPNET_KNOB_FIELD("net.inet6.icmp6.rediraccept", "accept ICMPv6 redirects (never while forwarding)", 0, 1,
                         in6->accept_redirects6),
    };
    for (const knob& k : knobs) r.knob(k);
}

#undef MPNET_KNOB_ATOMIC
#undef MPNET_KNOB_FIELD

void icmp6_in(dp_ctx& c, ifnet& ifp, mbuf* m, const l4_info& li, void* arg) noexcept {
    static_cast<inet6*>(arg)->icmp6_local(static_cast<lcore_ctx&>(c), ifp, m, li.off, li.group);
}

void inet6_hook(module_ctl& ctl, ifnet& ifp, if_event ev, void*) { ctl.impl().in6->inet6_if_event(ifp, ev); }

void attach_inet6(module_registrar& r) {
    stack::impl& s = r.impl();
    s.in6 = std::make_unique<inet6>(s);
    inet6& in6 = *s.in6;
    register_knobs(r);
    s.nd->add_domain(nd6_nd_domain());
    r.ip_proto(6, ipproto_icmpv6, icmp6_in, &in6);
    r.if_hook(inet6_hook);
    r.limits([](module_ctl& ctl, std::vector<limit_info>& v, void*) { ctl.impl().in6->report_limits(v); });
    // Lifetimes, routers, prefixes and advertisements: a sweep every second.
    in6.nd6_sweep_timer = s.timers.add(s.clock->now_ns() + ns_per_s, [&in6] { in6.nd6_sweep(); });
    in6.punt_icmp6 = r.punt("icmp6", [](module_ctl& ctl, ifnet& ifp, mbuf* m, uint32_t aux, void*) {
        ctl.impl().in6->icmp6_input(ifp, m, aux);
    });
    in6.punt_resolve6 = r.punt(
        "resolve6", [](module_ctl& ctl, ifnet& ifp, mbuf* m, uint32_t, void*) { ctl.impl().in6->nd6_resolve(ifp, m); });
}

}  // namespace

extern const module inet6_module{"inet6", attach_inet6};

}  // namespace mpnet
