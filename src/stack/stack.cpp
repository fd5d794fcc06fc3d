// SPDX-License-Identifier: BSD-2-Clause
// Stack instance lifecycle, the control plane's run loop, stepped and thread modes.
#include "mpnet/stack/stack.hpp"

#include <fmt/format.h>
#include <rte_cycles.h>

#include <algorithm>
#include <atomic>
#include <cassert>
#include <chrono>
#include <cstring>
#include <optional>
#include <stdexcept>

#include "../modules/inet4/inet4.hpp"
#include "../modules/inet6/inet6.hpp"
#include "../modules/neigh/neigh.hpp"
#include "../modules/ping/ping.hpp"
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
    // Held packets are pool buffers: a scan of a connected subnet (a packet
    // for each of thousands of unresolvable neighbors) must not empty the
    // pool that every port receives into.
    if (cfg.neigh_hold_total == 0) cfg.neigh_hold_total = std::max<uint32_t>(cfg.mbufs / 8, cfg.neigh_hold_max);
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
        auto lc = std::make_unique<lcore_ctx>(*this);
        lc->idx = i;
        lc->is_control = (i == cfg.workers);
        lc->mode.store(cfg.worker_mode, std::memory_order_relaxed);
        lc->ncache.test_ignore_generation(cfg.test_sabotage_neigh_cache);
        lc->tx.resize(limits::port_if_max);
        lc->tx_ifp.resize(limits::port_if_max, nullptr);
        lc->tx_listed.resize(limits::port_if_max, 0);
        lc->tx_dirty.reserve(limits::port_if_max);
        lc->rxqs.reserve(limits::port_if_max);
        lcores.push_back(std::move(lc));
    }
    // The per-poll time from the TSC when the clock is our own monotonic one
    // (an injected clock, as tests drive, is read on every poll).
    if (const uint64_t hz = rte_get_tsc_hz(); clock == &own_clock && hz >= 1000000) {
        tsc_clock = true;
        tsc_mult = (ns_per_s << 32) / hz;
        tsc_resync = hz / 1000;  // a millisecond
    }
    if (cfg.maxifprefixes > limits::ifprefixes_max) cfg.maxifprefixes = limits::ifprefixes_max;
    if (cfg.dad6_count > limits::dad_count_max) cfg.dad6_count = limits::dad_count_max;
}

stack::impl::~impl() {
    {
        // The routes that go with the interfaces leave the IPv6 FIB as one
        // commit: stopping with a full table loaded stays quick.
        std::optional<fib6_batch> batch;
        if (in6) batch.emplace(*in6);  // null when a module failed to attach
        tearing_down = true;
        ifs.for_each([&](ifnet& ifp) { destroy_ifnet(&ifp); });
    }
    mbuf* m[32];
    while (unsigned n = punt.dequeue(m, 32))
        for (unsigned i = 0; i < n; ++i) pkt_free(m[i]);
    // Tunnel packets handed back after the last flush (none in normal runs:
    // every poll and control-plane command ends with tx_flush).
    for (auto& c : lcores) {
        for (uint16_t i = 0; i < c->defer_n; ++i) pkt_free(c->defer_q[i].m);
        c->defer_n = 0;
    }
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

void stack::impl::event(stack_event::kind_t k, ifindex_t ifindex, ip4_addr a) {
    stack_event ev;
    ev.kind = k;
    ev.ifindex = ifindex;
    ev.addr = a;
    push_event(ev);
}

uint64_t stack::impl::control_run() {
    lcore_ctx& c = ctl_ctx();
    c.now_ns = clock->now_ns();
    uint64_t work = 0;
    // Bounded work per run so that API callers waiting on the lock are not starved.
    mbuf* pkts[pkt_batch::capacity];
    for (int round = 0; round < 8; ++round) {
        unsigned n = punt.dequeue(pkts, pkt_batch::capacity);
        for (unsigned i = 0; i < n; ++i) handle_punt(pkts[i]);
        work += n;
        if (n < pkt_batch::capacity) break;
    }
    module_notice ns[32];
    while (unsigned n = notices.dequeue(ns, 32)) {
        for (unsigned i = 0; i < n; ++i) handle_notice(ns[i]);
        work += n;
    }
    poll_link_state();
    work += timers.run(c.now_ns);
    for (const poll_entry& ps : poll_sources)
        if (ps.on_control) work += ps.fn(c, ps.arg);
    if (c.defer_n) defer_drain(c);
    tx_flush(c);
    return work;
}

unsigned stack::impl::handle_punt(mbuf* m) {
    lcore_ctx& c = ctl_ctx();
    const pkt_meta md = meta(m);
    punt_inflight_kind[md.punt_kind % limits::punt_kinds_max].fetch_sub(1, std::memory_order_relaxed);
    punt_inflight_if[md.ifindex % limits::ifnet_max].fetch_sub(1, std::memory_order_relaxed);
    if (md.punt_kind >= punt_kinds.size()) {  // never registered: a programming error, still counted
        drop(c, m, drop_reason::if_gone);
        return 1;
    }
    ifnet* ifp = ifs.lookup(md.ifindex);
    if (!ifp) {
        drop(c, m, drop_reason::if_gone);
        return 1;
    }
    const punt_entry& e = punt_kinds[md.punt_kind];
    module_ctl mc(*this);
    e.fn(mc, *ifp, m, md.aux, e.arg);
    return 1;
}

void stack::impl::handle_notice(const module_notice& n) {
    if (n.id >= notice_kinds.size()) return;
    const notice_entry& e = notice_kinds[n.id];
    module_ctl mc(*this);
    e.fn(mc, n, e.arg);
}

void stack::impl::poll_link_state() {
    ifs.for_each([&](ifnet& ifp) {
        const if_kind& k = ifp.kind();
        if (!k.link_up || !ifp.is_up()) return;
        module_ctl mc(*this);
        const bool link = k.link_up(mc, ifp, k.arg);
        const bool was_running = (ifp.flags() & iff::running) != 0;
        if (link != was_running) if_link_changed(ifp, link);
    });
}

// ---- public API --------------------------------------------------------------

const char* stack_event_name(stack_event::kind_t k) noexcept {
    static constexpr const char* names[] = {
#define MPNET_EVENT_NAME(e, n) n,
        MPNET_STACK_EVENTS(MPNET_EVENT_NAME)
#undef MPNET_EVENT_NAME
    };
    static_assert(std::size(names) == stack_event::kind_count_);
    return k < stack_event::kind_count_ ? names[k] : "UNKNOWN";
}

stack::stack(stack_config cfg, const clock_source* clk) : p_(std::make_unique<impl>(std::move(cfg), clk)) {
    ctl_guard g(p_->ctl);
    p_->attach_modules();
    // Gateway nexthops cache their neighbor entry (route/nexthop.hpp).
    p_->nhs.set_binder(&neigh::nexthop_binder, p_.get());
    auto lo = std::make_unique<ifnet>(1, "lo0", if_kind::loopback, std::make_unique<loop_port>(1024),
                                      p_->cfg.workers + 1, p_->cfg.neigh_max);
    lo->set_flags(iff::up | iff::running | iff::loopback | iff::multicast);
    lo->set_mtu(33624);  // NetBSD's LOMTU
    p_->lo0 = 1;
    if (!p_->ifs.publish(lo.get())) throw std::runtime_error("stack: lo0");
    lo.release();
    p_->if_hooks_run(*p_->ifs.lookup(1), if_event::attach);  // inet4 and inet6 give it its addresses
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

bool stack::poll_worker(unsigned w) {
    assert(w < p_->cfg.workers);
    assert(!is_running() && "stepped mode and thread mode do not mix");
    lcore_ctx& c = *p_->lcores[w];
    const uint64_t before = c.rx_pkts.load(std::memory_order_relaxed);
    p_->poll(c);
    p_->in4->fib->quiescent(w);
    rcu_quiescent();
    return c.rx_pkts.load(std::memory_order_relaxed) != before;
}

bool stack::run_control() {
    assert(!is_running() && "stepped mode and thread mode do not mix");
    uint64_t work;
    {
        ctl_guard g(p_->ctl);
        work = p_->control_run();
    }
    rcu_quiescent();
    return work != 0;
}

bool stack::step() {
    bool busy = false;
    for (unsigned w = 0; w < p_->cfg.workers; ++w) busy |= poll_worker(w);
    busy |= run_control();
    return busy;
}

uint64_t stack::next_deadline_ns() const {
    ctl_guard g(p_->ctl);
    return p_->timers.next_deadline();
}

std::vector<limit_info> stack::limits_list() const {
    ctl_guard g(p_->ctl);
    stack::impl& st = *p_;
    // The core's own: interfaces, the hand-over and its shares, notices,
    // events, nexthops. Then each module's, in attach order.
    std::vector<limit_info> v;
    v.push_back({"interfaces", limits::ifnet_max - 1, st.ifs.size()});
    v.push_back({"hand-over ring", st.punt.capacity(), st.punt.count()});
    for (size_t k = 0; k < st.punt_kinds.size(); ++k)
        v.push_back({"hand-over " + st.punt_kinds[k].module + "/" + st.punt_kinds[k].kind, limits::punt_per_kind_max,
                     st.punt_inflight_kind[k].load(std::memory_order_relaxed)});
    uint64_t if_max = 0;
    for (const auto& f : st.punt_inflight_if) if_max = std::max<uint64_t>(if_max, f.load(std::memory_order_relaxed));
    v.push_back({"hand-over per interface", limits::punt_per_if_max, if_max});
    v.push_back({"notices", st.notices.capacity(), st.notices.count()});
    v.push_back({"events", impl::events_max, st.events.size()});
    v.push_back({"nexthops", st.cfg.nexthop_max, st.nhs.in_use()});
    module_ctl mc(st);
    for (const limits_entry& r : st.limit_reporters) r.fn(mc, v, r.arg);
    return v;
}

std::vector<std::string> stack::module_config() const {
    impl& st = *p_;
    ctl_guard g(st.ctl);
    std::vector<std::string> lines;
    module_ctl mc(st);
    for (const config_entry& w : st.config_writers) w.fn(mc, lines, w.arg);
    return lines;
}

}  // namespace mpnet
