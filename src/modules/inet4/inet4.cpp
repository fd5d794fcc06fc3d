// SPDX-License-Identifier: BSD-2-Clause
// The inet4 module: its state, its sysctl knobs under NetBSD's names, and
// what it registers with the stack (ARP as an ethertype and ARP's neighbor
// domain, ICMP as IP protocol 1, the hand-overs to the control plane, the
// interface lifecycle hook).
#include "inet4.hpp"

#include <fmt/format.h>

#include <stdexcept>

#include "../../stack/knob_macros.hpp"
#include "../../stack/stack_impl.hpp"
#include "../neigh/neigh.hpp"
#include "../ping/ping.hpp"

namespace mpnet {

inet4::inet4(stack::impl& s) : stk(s) {
    fib4_config fc;
    fc.backend = stk.cfg.fib_backend4;
    fc.max_routes = stk.cfg.fib_max_routes;
    fc.tbl8_groups = stk.cfg.fib_tbl8_groups;
    fc.readers = stk.cfg.workers;
    auto f = fib4::create(stk.cfg.name, fc);
    if (!f) throw std::runtime_error(fmt::format("stack {}: FIB: {}", stk.cfg.name, errc_message(f.error())));
    fib = std::move(*f);
    knobs.forwarding = stk.cfg.forwarding;
    knobs.directed_broadcast = stk.cfg.directed_broadcast;
    knobs.send_redirects = stk.cfg.send_redirects;
    knobs.accept_redirects = stk.cfg.accept_redirects;
    knobs.bmcast_echo = stk.cfg.bmcast_echo;
    knobs.mtudisc = stk.cfg.mtudisc;
    knobs.mtudisc_forward = stk.cfg.mtudisc_forward;
    knobs.ttl = stk.cfg.ip_ttl;
    knobs.icmp_err_pps = stk.cfg.icmp_err_pps;
}

namespace {

void register_knobs(module_registrar& r) {
    const knob knobs[] = {
        MPNET_KNOB_ATOMIC("net.inet.ip.forwarding", "forward IPv4 packets not addressed to this host", 0, 1,
                          in4->knobs.forwarding),
        MPNET_KNOB_ATOMIC("net.inet.ip.redirect", "send ICMP redirects", 0, 1, in4->knobs.send_redirects),
        MPNET_KNOB_ATOMIC("net.inet.ip.directed-broadcast", "forward directed broadcasts", 0, 1,
                          in4->knobs.directed_broadcast),
        MPNET_KNOB_ATOMIC("net.inet.ip.mtudisc", "learn path MTUs from frag-needed", 0, 1, in4->knobs.mtudisc),
        MPNET_KNOB_ATOMIC("net.inet.ip.mtudisc_forward", "learned path MTUs limit forwarded packets too", 0, 1,
                          in4->knobs.mtudisc_forward),
        MPNET_KNOB_ATOMIC("net.inet.icmp.rediraccept", "accept ICMP redirects (never while forwarding)", 0, 1,
                          in4->knobs.accept_redirects),
        MPNET_KNOB_ATOMIC("net.inet.icmp.bmcastecho", "answer broadcast and multicast pings", 0, 1,
                          in4->knobs.bmcast_echo),
        MPNET_KNOB_ATOMIC("net.inet.ip.ttl", "TTL of packets this host sends", 1, 255, in4->knobs.ttl),
        MPNET_KNOB_ATOMIC("net.inet.icmp.errppslimit", "ICMP errors per second, the whole stack", 0, 1000000,
                          in4->knobs.icmp_err_pps),
        MPNET_KNOB_FIELD("net.inet.icmp.redirtimeout", "seconds a redirect's route lives", 1, 86400,
                         cfg.redirect_timeout_s),
        MPNET_KNOB_FIELD("net.inet.ip.dad_count", "DAD probes per IPv4 address (0: none)", 0,
                         int64_t(limits::dad_count_max), cfg.dad_count),
        MPNET_KNOB_FIELD("net.inet.arp.nd_reachable", "milliseconds a confirmed neighbor stays REACHABLE", 1000,
                         int64_t{3600} * 1000, cfg.nd_reachable_ms),
    };
    for (const knob& k : knobs) r.knob(k);
}

#undef MPNET_KNOB_ATOMIC
#undef MPNET_KNOB_FIELD

void arp_frames(dp_ctx& c, ifnet& ifp, mbuf** pkts, uint16_t n, void* arg) noexcept {
    static_cast<inet4*>(arg)->arp_frames(static_cast<lcore_ctx&>(c), ifp, pkts, n);
}

void icmp_in(dp_ctx& c, ifnet& ifp, mbuf* m, const l4_info& li, void* arg) noexcept {
    static_cast<inet4*>(arg)->icmp_input(static_cast<lcore_ctx&>(c), ifp, m, li.group);
}

void inet4_hook(module_ctl& ctl, ifnet& ifp, if_event ev, void*) { ctl.impl().in4->inet4_if_event(ifp, ev); }

void attach_inet4(module_registrar& r) {
    stack::impl& s = r.impl();
    s.in4 = std::make_unique<inet4>(s);
    inet4& in4 = *s.in4;
    register_knobs(r);
    s.nd->add_domain(arp_nd_domain());
    r.ethertype(ethertype_arp, arp_frames, &in4);
    r.ip_proto(4, ipproto_icmp, icmp_in, &in4);
    r.if_hook(inet4_hook);
    r.limits([](module_ctl& ctl, std::vector<limit_info>& v, void*) {
        const stack::impl& st = ctl.impl();
        v.push_back({"IPv4 routes", st.cfg.fib_max_routes, st.in4->rib.size()});
        v.push_back({"path-MTU routes", limits::pmtu_routes_max, st.in4->pmtu_routes.size()});
    });
    in4.punt_arp =
        r.punt("arp", [](module_ctl& ctl, ifnet& ifp, mbuf* m, uint32_t, void*) { ctl.impl().in4->arp_input(ifp, m); });
    in4.punt_resolve = r.punt("resolve", [](module_ctl& ctl, ifnet& ifp, mbuf* m, uint32_t aux, void*) {
        ctl.impl().nd->hold(ifp, llkey::v4(ip4_addr(aux)), m);
    });
    in4.punt_echo_reply =
        r.punt("echo_reply", [](module_ctl& ctl, ifnet&, mbuf* m, uint32_t, void*) { ctl.impl().ping->ping_input(m); });
    in4.punt_redirect = r.punt("redirect", [](module_ctl& ctl, ifnet& ifp, mbuf* m, uint32_t, void*) {
        ctl.impl().in4->redirect_input(ifp, m);
    });
    in4.punt_icmp_err = r.punt(
        "icmp_err", [](module_ctl& ctl, ifnet&, mbuf* m, uint32_t, void*) { ctl.impl().in4->icmp_err_input(m); });
}

}  // namespace

extern const module inet4_module{"inet4", attach_inet4};

}  // namespace mpnet
