// SPDX-License-Identifier: BSD-2-Clause
// Lcores in thread mode: the workers' NAPI-like loop (poll while busy; after
// an idle spell nap with back-off, or arm RX interrupts and sleep until one
// fires), the control plane's loop, and the RX queue map (intrctl): initial
// assignment, moves under traffic, nointr, per-worker modes.
#include <fmt/format.h>
#include <poll.h>
#include <pthread.h>
#include <rte_lcore.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <thread>

#include "../modules/inet4/inet4.hpp"
#include "loopback.hpp"
#include "stack_impl.hpp"

namespace mpnet {

const char* lcore_mode_name(lcore_mode m) noexcept {
    switch (m) {
        case lcore_mode::poll:
            return "poll";
        case lcore_mode::adaptive:
            return "adaptive";
        case lcore_mode::interrupt:
            return "interrupt";
    }
    return "?";
}

std::optional<lcore_mode> lcore_mode_parse(std::string_view s) noexcept {
    if (s == "poll") return lcore_mode::poll;
    if (s == "adaptive") return lcore_mode::adaptive;
    if (s == "interrupt") return lcore_mode::interrupt;
    return std::nullopt;
}

void stack::impl::wake(unsigned w) noexcept {
    if (w >= cfg.workers) return;
    const int fd = lcores[w]->wake_fd;
    if (fd < 0) return;
    const uint64_t one = 1;
    [[maybe_unused]] ssize_t r = ::write(fd, &one, sizeof one);
}

void stack::impl::wake_all() noexcept {
    for (unsigned w = 0; w < cfg.workers; ++w) wake(w);
}

void stack::impl::nap(lcore_ctx& c, unsigned w, uint64_t ns) {
    c.sleeping.store(true, std::memory_order_relaxed);
    // Pairs with tx_guest_wait: the control plane's frames for our queue
    // either are seen here, or it sees us asleep and wakes us.
    std::atomic_thread_fence(std::memory_order_seq_cst);
    if (c.tx_guest.load(std::memory_order_relaxed)) {
        c.sleeping.store(false, std::memory_order_relaxed);
        return;
    }
    const uint64_t t0 = clock->now_ns();
    in4->fib->offline(w);
    {
        rcu_offline off;
        pollfd p{c.wake_fd, POLLIN, 0};
        const timespec ts{static_cast<time_t>(ns / ns_per_s), static_cast<long>(ns % ns_per_s)};
        if (::ppoll(&p, 1, &ts, nullptr) > 0) eventfd_clear(c.wake_fd);
    }
    in4->fib->online(w);
    c.sleeping.store(false, std::memory_order_relaxed);
    lcore_ctx::bump(c.sleeps);
    lcore_ctx::bump(c.sleep_ns, clock->now_ns() - t0);
}

bool stack::impl::intr_wait(lcore_ctx& c, unsigned w, lcore_mode mode, uint64_t timeout_ns) {
    struct armed_q {
        ifnet* ifp;
        uint16_t q;
        int fd;
    };
    // The queues this worker owns (its poll list, brought up to date: we are
    // online, so its interfaces stay until our next quiescent state); each
    // must have an interrupt.
    if (const uint64_t gen = ifs.generation(); gen != c.rxq_gen) rxq_rebuild(c, gen);
    std::vector<armed_q> qs;
    qs.reserve(c.rxqs.size());
    for (const rxq_ref& r : c.rxqs) {
        const int fd = r.p->rx_intr_fd(r.q);
        if (fd < 0) return false;
        qs.push_back({r.ifp, r.q, fd});
    }
    // Hold each interface across the sleep (psref): its destruction waits for
    // us, and wakes us first (destroy_ifnet -> wake_all).
    std::vector<psref> refs;
    refs.reserve(qs.size());
    size_t armed = 0;
    auto undo = [&] {
        for (size_t i = 0; i < armed; ++i) {
            qs[i].ifp->port()->rx_intr_disarm(qs[i].q);
            ::epoll_ctl(c.ep_fd, EPOLL_CTL_DEL, qs[i].fd, nullptr);
        }
        refs.clear();
    };
    for (auto& a : qs) {
        psref r(a.ifp->psref());
        if (!r) continue;  // being destroyed: not ours to arm
        if (!a.ifp->port()->rx_intr_arm(a.q)) {
            undo();
            return false;
        }
        epoll_event ev{};
        ev.events = EPOLLIN | EPOLLET;
        ev.data.fd = a.fd;
        ::epoll_ctl(c.ep_fd, EPOLL_CTL_ADD, a.fd, &ev);  // EEXIST: a PMD sharing one fd
        refs.push_back(std::move(r));
        qs[armed++] = a;
    }
    // NAPI's re-check: a packet that arrived before the interrupt was armed
    // raised none; poll once more before sleeping.
    const uint64_t before = c.rx_pkts.load(std::memory_order_relaxed);
    poll(c);
    in4->fib->quiescent(w);
    rcu_quiescent();
    if (c.rx_pkts.load(std::memory_order_relaxed) != before || tx_pending(c) ||
        c.mode.load(std::memory_order_relaxed) != mode || stopping.load(std::memory_order_acquire)) {
        undo();
        return true;
    }
    c.sleeping.store(true, std::memory_order_relaxed);
    std::atomic_thread_fence(std::memory_order_seq_cst);  // as in nap()
    if (c.tx_guest.load(std::memory_order_relaxed)) {
        c.sleeping.store(false, std::memory_order_relaxed);
        undo();
        return true;
    }
    const uint64_t t0 = clock->now_ns();
    epoll_event evs[16];
    int n = 0;
    in4->fib->offline(w);
    {
        // The epoll set is readable when an event is ready: ppoll on it
        // gives a nanosecond timeout (an adaptive nap is microseconds).
        rcu_offline off;
        pollfd p{c.ep_fd, POLLIN, 0};
        const timespec ts{static_cast<time_t>(timeout_ns / ns_per_s), static_cast<long>(timeout_ns % ns_per_s)};
        if (::ppoll(&p, 1, &ts, nullptr) > 0) n = ::epoll_wait(c.ep_fd, evs, 16, 0);
    }
    in4->fib->online(w);
    c.sleeping.store(false, std::memory_order_relaxed);
    bool by_intr = false;
    for (int i = 0; i < n; ++i) {
        if (evs[i].data.fd == c.wake_fd)
            eventfd_clear(c.wake_fd);
        else
            by_intr = true;
    }
    lcore_ctx::bump(c.sleeps);
    lcore_ctx::bump(c.intr_sleeps);
    if (by_intr) lcore_ctx::bump(c.intr_wakeups);
    lcore_ctx::bump(c.sleep_ns, clock->now_ns() - t0);
    undo();
    return true;
}

void stack::impl::worker_loop(unsigned w) {
    rcu_thread reg;
    lcore_register_thread();
    // Naps are tens of microseconds: without this the kernel may add its
    // default 50 us of timer slack to each.
    ::prctl(PR_SET_TIMERSLACK, 1000UL, 0UL, 0UL, 0UL);
    lcore_ctx& c = *lcores[w];
    uint32_t idle = 0;
    uint32_t nap_us = cfg.idle_sleep_us;
    while (!stopping.load(std::memory_order_acquire)) {
        const uint64_t before = c.rx_pkts.load(std::memory_order_relaxed);
        poll(c);
        c.gaps.note(c.now_ns);
        in4->fib->quiescent(w);
        rcu_quiescent();
        const uint64_t got = c.rx_pkts.load(std::memory_order_relaxed) - before;
        c.rate.note(c.now_ns, got);
        if (got) {
            idle = 0;
            nap_us = cfg.idle_sleep_us;
            continue;
        }
        const lcore_mode m = c.mode.load(std::memory_order_relaxed);
        if (m == lcore_mode::poll) continue;
        if (++idle < cfg.idle_polls_before_sleep) continue;
        // Never sleep on packets waiting in a shared TX queue's soft queue,
        // or on the control plane's waiting on our queue's guest ring.
        if (c.tx_guest.load(std::memory_order_relaxed) || tx_pending(c)) continue;
        if (m == lcore_mode::interrupt && intr_wait(c, w, m, uint64_t(cfg.intr_wait_max_ms) * ns_per_ms)) {
            c.gaps.slept();
            continue;
        }
        // Adaptive (or a queue without interrupts): nap offline, backing off
        // from idle_sleep_us to idle_sleep_max_us while nothing arrives, but
        // never past half the RX ring's fill time at the highest rate of the
        // last second, less rx_rate::wake_margin_ns (and not at all where
        // that leaves nothing). Where every queue has an RX interrupt the nap
        // is taken with them armed: the first packet ends it, so it may grow
        // on to intr_wait_max_ms (an idle worker then costs what interrupt
        // mode does).
        const uint32_t nap_max_us = std::max(cfg.idle_sleep_max_us, cfg.idle_sleep_us);
        const uint64_t ns = c.rate.nap_bound(uint64_t(nap_us) * 1000, c.rx_ring_min);
        if (ns == 0) continue;  // at this rate a late wake-up could fill the ring: keep polling
        const uint64_t b = c.rx_pkts.load(std::memory_order_relaxed);
        const bool armed = m == lcore_mode::adaptive && intr_wait(c, w, m, ns);
        if (!armed) nap(c, w, std::min<uint64_t>(ns, uint64_t(nap_max_us) * 1000));
        c.gaps.slept();
        // The last look before arming found packets: busy again.
        if (const uint64_t more = c.rx_pkts.load(std::memory_order_relaxed) - b) {
            c.rate.note(c.now_ns, more);
            idle = 0;
            nap_us = cfg.idle_sleep_us;
            continue;
        }
        const uint32_t grow_to = armed ? std::max(cfg.intr_wait_max_ms * 1000, nap_max_us) : nap_max_us;
        nap_us = std::min(nap_us * 2, grow_to);
    }
    lcore_unregister_thread();
}

void stack::impl::wake_control() noexcept {
    // Pairs with the control loop's store of ctl_sleeping and its look at the
    // rings: either it sees our packet, or we see it asleep.
    std::atomic_thread_fence(std::memory_order_seq_cst);
    if (ctl_wake_fd < 0 || !ctl_sleeping.load(std::memory_order_relaxed)) return;
    if (!ctl_sleeping.exchange(false, std::memory_order_acq_rel)) return;
    const uint64_t one = 1;
    [[maybe_unused]] ssize_t r = ::write(ctl_wake_fd, &one, sizeof one);
}

void stack::impl::control_loop() {
    rcu_thread reg;
    lcore_register_thread();
    while (!stopping.load(std::memory_order_acquire)) {
        uint64_t next;
        {
            ctl_guard g(ctl);
            control_run();
            next = timers.next_deadline();
        }
        rcu_quiescent();
        // Commands waiting for the lock go first: yield until they have it
        // (bounded: a waiter that does not come is not waited for long).
        if (ctl.waiting.load(std::memory_order_relaxed) > 0) {
            rcu_offline off;
            for (int i = 0; i < 200 && ctl.waiting.load(std::memory_order_relaxed) > 0; ++i) std::this_thread::yield();
        }
        const uint64_t now = clock->now_ns();
        uint64_t wait_ns = next > now ? next - now : 0;
        // Link state and timers set by API calls are looked at every 10 ms at
        // least; punted packets wake us at once.
        if (wait_ns > 10 * ns_per_ms) wait_ns = 10 * ns_per_ms;
        if (wait_ns < 20 * ns_per_us) wait_ns = 20 * ns_per_us;
        ctl_sleeping.store(true, std::memory_order_seq_cst);
        if (punt.count() == 0 && notices.count() == 0) {
            rcu_offline off;
            pollfd p{ctl_wake_fd, POLLIN, 0};
            const timespec ts{static_cast<time_t>(wait_ns / ns_per_s), static_cast<long>(wait_ns % ns_per_s)};
            if (::ppoll(&p, 1, &ts, nullptr) > 0) eventfd_clear(ctl_wake_fd);
        }
        ctl_sleeping.store(false, std::memory_order_relaxed);
    }
    lcore_unregister_thread();
}

// ---- the RX queue map ----------------------------------------------------------------

void stack::impl::rxq_assign(ifnet& ifp) {
    std::vector<unsigned> take;
    for (unsigned w = 0; w < cfg.workers; ++w)
        if (!lcores[w]->nointr.load(std::memory_order_relaxed)) take.push_back(w);
    if (take.empty()) take.push_back(0);
    for (uint16_t q = 0; q < ifp.rx_queues(); ++q) ifp.set_rxq_owner(q, static_cast<uint8_t>(take[q % take.size()]));
}

status stack::impl::rxq_move(ifnet& ifp, uint16_t q, unsigned to) {
    const uint8_t from = ifp.rxq_owner(q);
    if (from == to) return {};
    // 1. The old owner lets go (its list of queues is rebuilt).
    ifp.set_rxq_owner(q, ifnet::rxq_unowned);
    ifs.changed();
    // 2. A grace period: every worker passes a quiescent state, so the old
    //    owner has finished the iteration that may have read from q, and its
    //    TX buffers are flushed (they never outlive an iteration).
    rcu_synchronize();
    // 3. What it left in shared soft queues goes out before the new owner's
    //    packets can (a sender that lost the try-lock leaves them there).
    if (from != ifnet::rxq_unowned && from < cfg.workers) {
        for (int round = 0; round < 1000 && tx_pending(*lcores[from]); ++round) {
            tx_kick(ctl_ctx(), from);
            if (tx_pending(*lcores[from])) {
                rcu_offline off;
                std::this_thread::sleep_for(std::chrono::microseconds(10));
            }
        }
    }
    // 4. The new owner takes over (and is woken if it sleeps).
    ifp.set_rxq_owner(q, static_cast<uint8_t>(to));
    ifs.changed();
    wake(to);
    return {};
}

// ---- public API ----------------------------------------------------------------------

std::vector<lcore_info> stack::lcore_list() const {
    ctl_guard g(p_->ctl);
    std::vector<lcore_info> v;
    for (const auto& c : p_->lcores) {
        lcore_info i;
        i.idx = c->idx;
        i.control = c->is_control;
        i.polls = c->polls.load(std::memory_order_relaxed);
        i.idle_polls = c->idle_polls.load(std::memory_order_relaxed);
        i.rx_pkts = c->rx_pkts.load(std::memory_order_relaxed);
        i.tx_pkts = c->tx_pkts.load(std::memory_order_relaxed);
        for (size_t r = 0; r < drop_slots; ++r) i.drops += p_->drops.slot(c->idx).get(r);
        i.sleeps = c->sleeps.load(std::memory_order_relaxed);
        i.intr_sleeps = c->intr_sleeps.load(std::memory_order_relaxed);
        i.intr_wakeups = c->intr_wakeups.load(std::memory_order_relaxed);
        i.sleep_ns = c->sleep_ns.load(std::memory_order_relaxed);
        i.mode = c->mode.load(std::memory_order_relaxed);
        i.sleeping = c->sleeping.load(std::memory_order_relaxed);
        i.nointr = c->nointr.load(std::memory_order_relaxed);
        static_assert(sizeof(i.gaps) / sizeof(i.gaps[0]) == poll_gaps::decades);
        for (unsigned d = 0; d < poll_gaps::decades; ++d) i.gaps[d] = c->gaps.over[d].load(std::memory_order_relaxed);
        i.gap_max_ns = c->gaps.max_ns.load(std::memory_order_relaxed);
        if (!c->is_control)
            p_->ifs.for_each([&](ifnet& ifp) {
                for (uint16_t q = 0; q < ifp.rx_queues(); ++q)
                    if (ifp.rxq_owner(q) == c->idx) i.rxqs.push_back(fmt::format("{}:{}", ifp.name(), q));
            });
        v.push_back(std::move(i));
    }
    return v;
}

std::vector<rxq_info> stack::rxq_list() const {
    ctl_guard g(p_->ctl);
    std::vector<rxq_info> v;
    p_->ifs.for_each([&](ifnet& ifp) {
        for (uint16_t q = 0; q < ifp.rx_queues(); ++q) {
            rxq_info i;
            i.ifname = ifp.name();
            i.queue = q;
            const uint8_t o = ifp.rxq_owner(q);
            i.lcore = o == ifnet::rxq_unowned ? -1 : o;
            i.packets = ifp.rxq_stats(q).packets.load(std::memory_order_relaxed);
            i.bursts = ifp.rxq_stats(q).bursts.load(std::memory_order_relaxed);
            i.intr = ifp.port()->rx_intr_fd(q) >= 0;
            i.device = fmt::format("{} ({})", ifp.port()->describe(), ifp.port()->driver_class());
            v.push_back(std::move(i));
        }
    });
    return v;
}

std::vector<txq_entry> stack::txq_list() const {
    ctl_guard g(p_->ctl);
    std::vector<txq_entry> v;
    p_->ifs.for_each([&](ifnet& ifp) {
        const tx_layer* t = ifp.txl();
        if (!t) return;
        for (auto& q : t->info()) v.push_back({ifp.name(), tx_regime_name(t->regime()), std::move(q)});
    });
    return v;
}

status stack::rxq_set_lcore(std::string_view ifname, uint16_t q, unsigned lcore) {
    ctl_guard g(p_->ctl);
    ifnet* ifp = p_->find_if(ifname);
    if (!ifp) return errc::noent;
    if (q >= ifp->rx_queues() || lcore >= p_->cfg.workers) return errc::inval;
    return p_->rxq_move(*ifp, q, lcore);
}

status stack::lcore_set_nointr(unsigned lcore, bool nointr) {
    ctl_guard g(p_->ctl);
    if (lcore >= p_->cfg.workers) return errc::inval;
    auto& lc = *p_->lcores[lcore];
    if (!nointr) {
        lc.nointr.store(false, std::memory_order_relaxed);
        return {};
    }
    std::vector<unsigned> others;
    for (unsigned w = 0; w < p_->cfg.workers; ++w)
        if (w != lcore && !p_->lcores[w]->nointr.load(std::memory_order_relaxed)) others.push_back(w);
    if (others.empty()) return errc::busy;
    lc.nointr.store(true, std::memory_order_relaxed);
    size_t k = 0;
    std::vector<std::pair<ifnet*, uint16_t>> mine;
    p_->ifs.for_each([&](ifnet& ifp) {
        for (uint16_t q = 0; q < ifp.rx_queues(); ++q)
            if (ifp.rxq_owner(q) == lcore) mine.emplace_back(&ifp, q);
    });
    for (auto& [ifp, q] : mine)
        if (auto st = p_->rxq_move(*ifp, q, others[k++ % others.size()]); !st) return st;
    return {};
}

status stack::lcore_set_mode(unsigned lcore, lcore_mode m) {
    ctl_guard g(p_->ctl);
    if (lcore >= p_->cfg.workers) return errc::inval;
    p_->lcores[lcore]->mode.store(m, std::memory_order_relaxed);
    p_->wake(lcore);
    return {};
}

// ---- thread mode ----------------------------------------------------------------------

bool stack::is_running() const noexcept { return p_->running.load(std::memory_order_acquire); }

status stack::start() {
    if (p_->running.exchange(true)) return errc::busy;
    p_->stopping.store(false);
    impl* st = p_.get();
    for (unsigned w = 0; w < st->cfg.workers; ++w) {
        lcore_ctx& c = *st->lcores[w];
        c.ep_fd = ::epoll_create1(EPOLL_CLOEXEC);
        c.wake_fd = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
        if (c.ep_fd < 0 || c.wake_fd < 0) {
            stop();  // closes what was opened
            return errc::nomem;
        }
        epoll_event ev{};
        ev.events = EPOLLIN | EPOLLET;
        ev.data.fd = c.wake_fd;
        ::epoll_ctl(c.ep_fd, EPOLL_CTL_ADD, c.wake_fd, &ev);
    }
    st->ctl_wake_fd = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (st->ctl_wake_fd < 0) {
        stop();
        return errc::nomem;
    }
    for (unsigned w = 0; w < st->cfg.workers; ++w) {
        st->threads.emplace_back([st, w] { st->worker_loop(w); });
        // Worker w runs on the CPUs EAL gave lcore w + 1 (mpnetd asks for
        // lcores 0..workers), so each worker has its own CPU and the control
        // thread stays with the main lcore. Without such an lcore (tests run
        // EAL with one), the worker keeps the process's affinity.
        if (rte_lcore_is_enabled(w + 1)) {
            rte_cpuset_t cs = rte_lcore_cpuset(w + 1);
            pthread_setaffinity_np(st->threads.back().native_handle(), sizeof(cs), &cs);
        }
    }
    st->threads.emplace_back([st] { st->control_loop(); });
    return {};
}

void stack::stop() {
    if (!p_->running.load()) return;
    p_->stopping.store(true, std::memory_order_release);
    p_->wake_all();
    p_->ctl_sleeping.store(true);
    p_->wake_control();
    {
        rcu_offline off;  // joining waits; never hold up grace periods meanwhile
        for (auto& t : p_->threads) t.join();
    }
    p_->threads.clear();
    // A last sender may have lost a shared queue's try-lock to a holder that
    // then stopped: nothing may stay in a soft queue.
    for (auto& c : p_->lcores) p_->tx_kick(*c);
    for (unsigned w = 0; w < p_->cfg.workers; ++w) {
        lcore_ctx& c = *p_->lcores[w];
        if (c.ep_fd >= 0) ::close(c.ep_fd);
        if (c.wake_fd >= 0) ::close(c.wake_fd);
        c.ep_fd = c.wake_fd = -1;
    }
    if (p_->ctl_wake_fd >= 0) ::close(p_->ctl_wake_fd);
    p_->ctl_wake_fd = -1;
    // Packets still in TX buffers were flushed by each loop's last iteration.
    p_->running.store(false, std::memory_order_release);
}

}  // namespace mpnet
