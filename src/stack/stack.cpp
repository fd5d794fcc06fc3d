// SPDX-License-Identifier: BSD-2-Clause
// Stack instance lifecycle, the control plane's run loop, stepped and thread modes.
#include "mpnet/stack/stack.hpp"

#include <fmt/format.h>

#include <atomic>
#include <cassert>
#include <chrono>
#include <stdexcept>

#include "loopback.hpp"
#include "stack_impl.hpp"

namespace mpnet {

namespace {
std::atomic<uint32_t> instance_seq{0};
}

stack::impl::impl(stack_config c, const clock_source* clk)
    : cfg(std::move(c)), clock(clk ? clk : &own_clock), nhs(cfg.nexthop_max), drops(cfg.workers + 1) {
    if (cfg.workers == 0 || cfg.workers > limits::lcore_max) throw std::invalid_argument("workers out of range");
    if (cfg.neigh_hold_max > limits::neigh_hold_max) cfg.neigh_hold_max = limits::neigh_hold_max;
    if (cfg.dad_count > limits::dad_count_max) cfg.dad_count = limits::dad_count_max;
    const uint32_t seq = instance_seq.fetch_add(1);
    // ICMP identifiers are unique per instance so that stacks sharing a segment
    // never take each other's echo replies.
    icmp_id_base = static_cast<uint16_t>((seq * 0x1000u) & 0xf000u);
    auto mp = pktpool_create(fmt::format("{}.{}", cfg.name.substr(0, 16), seq), cfg.mbufs);
    if (!mp) throw std::runtime_error(fmt::format("stack {}: mbuf pool: {}", cfg.name, errc_message(mp.error())));
    pool = *mp;
    auto ip = pktpool_create(fmt::format("{}.i{}", cfg.name.substr(0, 14), seq), cfg.mbufs / 2 + 1, 0);
    if (!ip) throw std::runtime_error(fmt::format("stack {}: indirect pool: {}", cfg.name, errc_message(ip.error())));
    ipool = *ip;
    if (!punt.init("punt", limits::punt_ring_size) || !notices.init("notice", limits::punt_ring_size))
        throw std::runtime_error("stack: hand-over rings");
    for (unsigned i = 0; i <= cfg.workers; ++i) {
        auto lc = std::make_unique<lcore_ctx>();
        lc->idx = i;
        lc->is_control = (i == cfg.workers);
        lc->mode.store(cfg.worker_mode, std::memory_order_relaxed);
        lc->tx.resize(limits::ifnet_max);
        lc->tx_ifp.resize(limits::ifnet_max, nullptr);
        lcores.push_back(std::move(lc));
    }
    fib4_config fc;
    fc.backend = cfg.fib_backend4;
    fc.max_routes = cfg.fib_max_routes;
    fc.tbl8_groups = cfg.fib_tbl8_groups;
    fc.readers = cfg.workers;
    auto f = fib4::create(cfg.name, fc);
    if (!f) throw std::runtime_error(fmt::format("stack {}: FIB: {}", cfg.name, errc_message(f.error())));
    fib = std::move(*f);
    fib6_config fc6;
    fc6.backend = cfg.fib_backend6;
    fc6.max_routes = cfg.fib6_max_routes;
    auto f6 = fib6::create(cfg.name, fc6);
    if (!f6) throw std::runtime_error(fmt::format("stack {}: FIB6: {}", cfg.name, errc_message(f6.error())));
    fib6_ = std::move(*f6);
    knobs.forwarding = cfg.forwarding;
    knobs.directed_broadcast = cfg.directed_broadcast;
    knobs.send_redirects = cfg.send_redirects;
    knobs.accept_redirects = cfg.accept_redirects;
    knobs.bmcast_echo = cfg.bmcast_echo;
    knobs.mtudisc = cfg.mtudisc;
    knobs.ttl = cfg.ip_ttl;
    knobs.icmp_err_pps = cfg.icmp_err_pps;
    knobs6.forwarding = cfg.ip6_forwarding;
    accept_rtadv = cfg.accept_rtadv;
    accept_redirects6 = cfg.accept_redirects6;
    knobs6.send_redirects = cfg.send_redirects6;
    knobs6.hlim = cfg.ip6_hlim;
    knobs6.icmp_err_pps = cfg.icmp6_err_pps;
    if (cfg.maxifprefixes > limits::ifprefixes_max) cfg.maxifprefixes = limits::ifprefixes_max;
    if (cfg.dad6_count > limits::dad_count_max) cfg.dad6_count = limits::dad_count_max;
}

stack::impl::~impl() {
    ifs.for_each([&](ifnet& ifp) { destroy_ifnet(&ifp); });
    mbuf* m[32];
    while (unsigned n = punt.dequeue(m, 32))
        for (unsigned i = 0; i < n; ++i) pkt_free(m[i]);
    // Entries and address sets retired with call_rcu must be freed before the
    // pool their held packets came from goes away.
    rcu_barrier();
    pktpool_free(ipool);
    pktpool_free(pool);
}

void stack::impl::push_event(stack_event ev) {
    if (events.size() >= events_max) events.pop_front();
    ev.at_ns = clock->now_ns();
    events.push_back(ev);
}

void stack::impl::event(stack_event::kind_t k, uint16_t ifindex, ip4_addr a) {
    stack_event ev;
    ev.kind = k;
    ev.ifindex = ifindex;
    ev.addr = a;
    push_event(ev);
}

void stack::impl::control_run() {
    lcore_ctx& c = ctl_ctx();
    c.now_ns = clock->now_ns();
    // Bounded work per run so that API callers waiting on the lock are not starved.
    mbuf* pkts[pkt_batch::capacity];
    for (int round = 0; round < 8; ++round) {
        unsigned n = punt.dequeue(pkts, pkt_batch::capacity);
        for (unsigned i = 0; i < n; ++i) handle_punt(pkts[i]);
        if (n < pkt_batch::capacity) break;
    }
    neigh_notice ns[32];
    while (unsigned n = notices.dequeue(ns, 32))
        for (unsigned i = 0; i < n; ++i) handle_notice(ns[i]);
    poll_link_state();
    timers.run(c.now_ns);
    tx_flush(c);
}

void stack::impl::handle_punt(mbuf* m) {
    lcore_ctx& c = ctl_ctx();
    const pkt_meta md = meta(m);
    ifnet* ifp = ifs.lookup(md.ifindex);
    if (!ifp) return drop(c, m, drop_reason::if_gone);
    switch (md.punt_kind) {
        case punt_arp:
            return arp_input(*ifp, m);
        case punt_resolve:
            return nd_hold(*ifp, llkey::v4(ip4_addr(md.aux)), m);
        case punt_icmp6:
            return icmp6_input(*ifp, m, md.aux);
        case punt_resolve6:
            return nd6_resolve(*ifp, m);
        case punt_echo_reply:
            return ping_input(m);
        case punt_redirect:
            return redirect_input(*ifp, m);
        case punt_icmp_err:
            return icmp_err_input(m);
        default:
            assert(false && "unknown punt kind");
            return drop(c, m, drop_reason::icmp_unhandled_type);
    }
}

void stack::impl::handle_notice(const neigh_notice& n) {
    ifnet* ifp = ifs.lookup(n.ifindex);
    if (!ifp || n.kind != 1) return;
    llkey k;
    k.family = n.family;
    std::memcpy(k.a.data(), n.addr, sizeof n.addr);
    llentry* e = ifp->lltable().lookup(k);
    if (!e) return;
    e->used.store(false, std::memory_order_relaxed);
    ll_resolution r = e->resolution();
    if (r.state == ll_state::stale && !(r.flags & llflag::static_))
        nd_set_state(*ifp, *e, ll_state::delay, r.mac, r.flags);
}

void stack::impl::poll_link_state() {
    ifs.for_each([&](ifnet& ifp) {
        if (ifp.kind() != if_kind::ether || !ifp.is_up()) return;
        const bool link = ifp.port()->link_up();
        const bool was_running = (ifp.flags() & iff::running) != 0;
        if (link != was_running) if_link_changed(ifp, link);
    });
}

// ---- public API --------------------------------------------------------------

stack::stack(stack_config cfg, const clock_source* clk) : p_(std::make_unique<impl>(std::move(cfg), clk)) {
    ctl_guard g(p_->ctl);
    auto lo = std::make_unique<ifnet>(1, "lo0", if_kind::loopback, std::make_unique<loop_port>(1024),
                                      p_->cfg.workers + 1, p_->cfg.neigh_max);
    lo->set_flags(iff::up | iff::running | iff::loopback | iff::multicast);
    lo->set_mtu(33624);  // NetBSD's LOMTU
    p_->lo0 = 1;
    p_->ifs.publish(lo.release());
    ifnet* l = p_->ifs.lookup(1);
    p_->addrs_publish(*l, {in_ifaddr{ip4_addr::of(127, 0, 0, 1), 8, 0, ip4_addr::of(127, 255, 255, 255)}});
    p_->routes_rebuild();
    // ::1/128 and fe80::1%lo0/64, as NetBSD's lo0.
    in6_ifaddr lo6{ip6_addr::loopback(), 128, 0, 0, 0, 0, 0};
    in6_ifaddr ll6 = lo6;
    ll6.addr = *ip6_addr::parse("fe80::1");
    ll6.plen = 64;
    p_->addrs6_publish(*l, {lo6, ll6});
    p_->routes6_rebuild();
    p_->nd6_sweep_timer = p_->timers.add(p_->clock->now_ns() + ns_per_s, [st = p_.get()] { st->nd6_sweep(); });
}

stack::~stack() { stop(); }

const stack_config& stack::config() const noexcept { return p_->cfg; }
uint64_t stack::now_ns() const noexcept { return p_->clock->now_ns(); }
rte_mempool* stack::pool() const noexcept { return p_->pool; }
unsigned stack::lcore_slots() const noexcept { return p_->cfg.workers + 1; }

uint64_t stack::drops(drop_reason r) const noexcept { return p_->drops.sum(static_cast<size_t>(r)); }
void stack::drops_clear() noexcept { p_->drops.clear(); }

std::vector<stack_event> stack::take_events() {
    ctl_guard g(p_->ctl);
    std::vector<stack_event> v(p_->events.begin(), p_->events.end());
    p_->events.clear();
    return v;
}

void stack::poll_worker(unsigned w) {
    assert(w < p_->cfg.workers);
    assert(!is_running() && "stepped mode and thread mode do not mix");
    p_->poll(*p_->lcores[w]);
    p_->fib->quiescent(w);
    rcu_quiescent();
}

void stack::run_control() {
    assert(!is_running() && "stepped mode and thread mode do not mix");
    {
        ctl_guard g(p_->ctl);
        p_->control_run();
    }
    rcu_quiescent();
}

void stack::step() {
    for (unsigned w = 0; w < p_->cfg.workers; ++w) poll_worker(w);
    run_control();
}

}  // namespace mpnet
