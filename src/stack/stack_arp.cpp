// SPDX-License-Identifier: BSD-2-Clause
// The neighbor state machine (RFC 4861 states, used by NetBSD for ARP too),
// the hold queue, ARP input and output, proxy ARP, and the arp(8) API.
#include <algorithm>
#include <vector>

#include "mpnet/l2/ether.hpp"
#include "stack_impl.hpp"

namespace mpnet {

// ---- state machine ------------------------------------------------------------

void stack::impl::nd_set_state(ifnet& ifp, llentry& e, ll_state s, ether_addr mac, uint8_t flags) {
    timers.cancel(e.timer_id);
    e.timer_id = 0;
    const uint64_t now = clock->now_ns();
    const ll_state old = e.resolution().state;
    if (s != old) e.asked = 0;
    if (!mac.is_zero()) flags |= llflag::valid;
    e.set_resolution({mac, s, flags});
    uint64_t deadline = 0;
    switch (s) {
        case ll_state::nostate:
            break;  // static or published: no timer
        case ll_state::reachable:
            deadline = now + ((flags & llflag::temp) ? uint64_t(cfg.arp_temp_keep_s) * ns_per_s
                                                     : uint64_t(cfg.nd_reachable_ms) * ns_per_ms);
            break;
        case ll_state::stale:
            deadline = now + uint64_t(cfg.nd_gc_s) * ns_per_s;
            break;
        case ll_state::delay:
            deadline = now + uint64_t(cfg.nd_delay_ms) * ns_per_ms;
            break;
        case ll_state::probe:
        case ll_state::incomplete:
            // Solicit now; the timer retransmits or gives up.
            nd_solicit(ifp, e, s == ll_state::probe);
            e.asked = 1;
            deadline = now + uint64_t(cfg.nd_retrans_ms) * ns_per_ms;
            break;
    }
    e.expire_ns = deadline;
    if (deadline) e.timer_id = timers.add(deadline, [this, ix = ifp.index(), k = e.key] { nd_timer(ix, k); });
    if ((flags & llflag::valid) && e.hold_n > 0) nd_flush_hold(ifp, e);
}

void stack::impl::nd_timer(uint16_t ifindex, llkey key) {
    ifnet* ifp = ifs.lookup(ifindex);
    if (!ifp) return;
    llentry* e = ifp->lltable().lookup(key);
    if (!e) return;
    e->timer_id = 0;
    const ll_resolution r = e->resolution();
    const uint64_t now = clock->now_ns();
    switch (r.state) {
        case ll_state::nostate:
            return;
        case ll_state::reachable:
            return nd_set_state(*ifp, *e, ll_state::stale, r.mac, r.flags);
        case ll_state::stale:
            return nd_remove(*ifp, *e);  // garbage-collected
        case ll_state::delay:
            return nd_set_state(*ifp, *e, ll_state::probe, r.mac, r.flags);
        case ll_state::probe:
        case ll_state::incomplete: {
            const uint32_t max = r.state == ll_state::probe ? cfg.nd_umaxtries : cfg.nd_mmaxtries;
            if (e->asked < max) {
                nd_solicit(*ifp, *e, r.state == ll_state::probe);
                ++e->asked;
                e->expire_ns = now + uint64_t(cfg.nd_retrans_ms) * ns_per_ms;
                e->timer_id = timers.add(e->expire_ns, [this, ifindex, key] { nd_timer(ifindex, key); });
                return;
            }
            if (key.family == 6) {
                ip6_addr a{};
                a.b = key.a;
                event6(stack_event::neigh_resolve_failed, ifindex, a);
            } else {
                event(stack_event::neigh_resolve_failed, ifindex, key.ip4());
            }
            return nd_remove(*ifp, *e);
        }
    }
}

void stack::impl::nd_solicit(ifnet& ifp, llentry& e, bool unicast) {
    if (e.key.family == 6) {
        ip6_addr t{};
        t.b = e.key.a;
        const ll_resolution r = e.resolution();
        if (unicast && (r.flags & llflag::valid)) return nd6_ns_send(ifp, t, &t, &r.mac, false);
        return nd6_ns_send(ifp, t, nullptr, nullptr, false);
    }
    const ip4_addr target = e.key.ip4();
    auto src = select_src(ifp, target);
    if (!src) return;  // no usable address on this link: nothing to ask from
    const ll_resolution r = e.resolution();
    const bool uc = unicast && (r.flags & llflag::valid);
    arp_send(ifp, uc ? r.mac : ether_addr::broadcast(),
             arp_fields{arp_op_request, ifp.lladdr(), *src, uc ? r.mac : ether_addr{}, target});
}

result<llentry*> stack::impl::nd_create(ifnet& ifp, const llkey& k) {
    if (k.family == 6) nd6_gc(ifp);
    auto e = ifp.lltable().create(k);
    if (e || e.error() != errc::nospc) return e;
    // Full: evict a dynamic entry that is not known to be in use: a STALE one
    // first, else one in DELAY or PROBE. Static, published, temp, REACHABLE
    // and INCOMPLETE (packets held) entries stay.
    llentry* victim = nullptr;
    int victim_rank = 0;
    ifp.lltable().for_each([&](llentry& x) {
        const ll_resolution r = x.resolution();
        if (r.flags & (llflag::static_ | llflag::pub | llflag::temp)) return;
        const int rank = r.state == ll_state::stale                                   ? 2
                         : (r.state == ll_state::delay || r.state == ll_state::probe) ? 1
                                                                                      : 0;
        if (rank > victim_rank) {
            victim = &x;
            victim_rank = rank;
        }
    });
    if (!victim) return errc::nospc;
    nd_remove(ifp, *victim);
    return ifp.lltable().create(k);
}

void stack::impl::nd_hold(ifnet& ifp, const llkey& k, mbuf* m) {
    lcore_ctx& c = ctl_ctx();
    if (!ifp.is_running()) return drop(c, m, drop_reason::if_down);
    // -arp: nothing is resolved on this interface; only static entries work.
    if (k.family == 4 && (ifp.flags() & iff::noarp)) return drop(c, m, drop_reason::arp_disabled);
    llentry* e = ifp.lltable().lookup(k);
    if (e && (e->resolution().flags & llflag::valid)) {
        // Resolved while the packet was on its way to us.
        if (k.family == 6) {
            ip6_addr a{};
            a.b = k.a;
            return ip6_output(c, m, ifp, a);
        }
        return ip4_output(c, m, ifp, k.ip4());
    }
    if (!e) {
        auto ne = nd_create(ifp, k);
        if (!ne) return drop(c, m, drop_reason::neigh_table_full);
        e = *ne;
        nd_set_state(ifp, *e, ll_state::incomplete, {}, 0);
    }
    if (e->hold_n == cfg.neigh_hold_max) {
        // Bounded hold queue: the oldest packet gives way to the newest.
        drop(c, e->hold[e->hold_head], drop_reason::neigh_hold_overflow);
        e->hold_head = static_cast<uint16_t>((e->hold_head + 1) % cfg.neigh_hold_max);
        --e->hold_n;
    }
    e->hold[(e->hold_head + e->hold_n) % cfg.neigh_hold_max] = m;
    ++e->hold_n;
}

void stack::impl::nd_flush_hold(ifnet& ifp, llentry& e) {
    lcore_ctx& c = ctl_ctx();
    const ll_resolution r = e.resolution();
    const uint16_t n = e.hold_n;
    const uint16_t type = e.key.family == 6 ? ethertype_ip6 : ethertype_ip4;
    for (uint16_t i = 0; i < n; ++i) ether_output(c, ifp, e.hold[(e.hold_head + i) % cfg.neigh_hold_max], r.mac, type);
    e.hold_n = 0;
    e.hold_head = 0;
}

void stack::impl::nd_drop_hold(llentry& e, drop_reason r) {
    lcore_ctx& c = ctl_ctx();
    for (uint16_t i = 0; i < e.hold_n; ++i) drop(c, e.hold[(e.hold_head + i) % cfg.neigh_hold_max], r);
    e.hold_n = 0;
    e.hold_head = 0;
}

void stack::impl::nd_remove(ifnet& ifp, llentry& e) {
    timers.cancel(e.timer_id);
    e.timer_id = 0;
    nd_drop_hold(e, drop_reason::neigh_resolve_failed);
    ifp.lltable().remove(&e);
}

void stack::impl::nd_purge(ifnet& ifp, bool keep_static, const prefix4* within) {
    std::vector<llentry*> victims;
    ifp.lltable().for_each([&](llentry& e) {
        if (keep_static && (e.resolution().flags & llflag::static_)) return;
        if (within && !(e.key.family == 4 && within->contains(e.key.ip4()))) return;
        victims.push_back(&e);
    });
    for (auto* e : victims) nd_remove(ifp, *e);
}

void stack::impl::nd_purge6(ifnet& ifp, bool keep_static, const prefix6* within) {
    std::vector<llentry*> victims;
    ifp.lltable().for_each([&](llentry& e) {
        if (e.key.family != 6) return;
        if (keep_static && (e.resolution().flags & llflag::static_)) return;
        ip6_addr a{};
        a.b = e.key.a;
        if (within && !within->contains(a)) return;
        victims.push_back(&e);
    });
    for (auto* e : victims) nd_remove(ifp, *e);
}

void stack::impl::nd6_gc(ifnet& ifp) {
    // NetBSD's nd6_gc_neighbors: while the dynamic IPv6 entries exceed the
    // threshold, the oldest go (STALE before anything that is in use;
    // INCOMPLETE entries with packets held stay).
    std::vector<std::pair<int, llentry*>> dyn;
    ifp.lltable().for_each([&](llentry& e) {
        if (e.key.family != 6) return;
        const ll_resolution r = e.resolution();
        if (r.flags & (llflag::static_ | llflag::pub | llflag::temp)) return;
        const int rank = r.state == ll_state::stale ? 0 : (r.state == ll_state::incomplete ? 2 : 1);
        dyn.emplace_back(rank, &e);
    });
    if (dyn.size() < cfg.neighborgcthresh) return;
    std::stable_sort(dyn.begin(), dyn.end(), [](const auto& a, const auto& b) {
        return a.first != b.first ? a.first < b.first : a.second->expire_ns < b.second->expire_ns;
    });
    // Make room for the entry about to be created.
    const size_t excess = dyn.size() - cfg.neighborgcthresh + 1;
    for (size_t i = 0; i < excess && i < dyn.size(); ++i) nd_remove(ifp, *dyn[i].second);
}

neigh_info stack::impl::nd_info(const ifnet& ifp, const llentry& e) const {
    const ll_resolution r = e.resolution();
    neigh_info n;
    n.family = e.key.family;
    if (e.key.family == 6) {
        n.addr6.b = e.key.a;
    } else {
        n.addr = e.key.ip4();
    }
    n.mac = r.mac;
    n.has_mac = (r.flags & llflag::valid) != 0;
    n.state = r.state;
    n.flags = r.flags;
    n.ifname = ifp.name();
    if (e.expire_ns) {
        const uint64_t now = clock->now_ns();
        n.expire_s = e.expire_ns > now ? int64_t((e.expire_ns - now + ns_per_s - 1) / ns_per_s) : 0;
    }
    return n;
}

// ---- ARP ------------------------------------------------------------------------

void stack::impl::arp_send(ifnet& ifp, const ether_addr& eth_dst, const arp_fields& f) {
    lcore_ctx& c = ctl_ctx();
    if (!ifp.is_running()) return count_drop(c, drop_reason::if_down);
    mbuf* m = arp_build(pool, eth_dst, ifp.lladdr(), f);
    if (!m) return count_drop(c, drop_reason::nobufs);
    if_transmit(c, ifp, m);  // the kind's transmit (a vlan tags it) or the port
}

void stack::impl::arp_announce(ifnet& ifp, ip4_addr a) {
    arp_send(ifp, ether_addr::broadcast(), arp_fields{arp_op_request, ifp.lladdr(), a, ether_addr{}, a});
}

void stack::impl::arp_input(ifnet& ifp, mbuf* m) {
    lcore_ctx& c = ctl_ctx();
    const arp_fields f = arp_read(*pkt_header<arp_ether_ip4>(m));  // validated by the worker
    const ether_addr own = ifp.lladdr();
    const auto& addrs = ifp.addrs().v4;

    // Duplicate address detection, and conflicts with addresses in use.
    for (const auto& a : addrs) {
        if (a.flags & in_iff::duplicated) continue;  // already given up: the other host owns it
        const bool probe_for_it = f.spa.is_any() && f.tpa == a.addr;
        if ((f.spa == a.addr || probe_for_it) && f.sha != own) {
            if (a.flags & in_iff::tentative) {
                dad_conflict(ifp, a.addr);
                return drop(c, m, drop_reason::arp_dup_addr);
            }
            if (f.spa == a.addr) return drop(c, m, drop_reason::arp_dup_addr);
        }
    }

    const in_ifaddr* target = nullptr;
    for (const auto& a : addrs)
        if (a.addr == f.tpa && a.is_usable()) target = &a;

    if (f.spa.is_any()) {
        // Someone's DAD probe. Defend an address we use; never learn from it.
        if (target && f.op == arp_op_request)
            arp_send(ifp, f.sha, arp_fields{arp_op_reply, own, f.tpa, f.sha, ip4_addr::any()});
        pkt_free(m);
        return;
    }

    const bool garp = f.spa == f.tpa;
    llentry* e = ifp.lltable().lookup(llkey::v4(f.spa));
    if (e) {
        const ll_resolution r = e->resolution();
        if (r.flags & (llflag::static_ | llflag::pub)) {
            if (r.mac != f.sha) count_drop(c, drop_reason::arp_static_mismatch);
        } else if (!(r.flags & llflag::valid)) {
            // INCOMPLETE: resolved. A reply to us confirms reachability.
            nd_set_state(ifp, *e, (f.op == arp_op_reply && target) ? ll_state::reachable : ll_state::stale, f.sha,
                         r.flags);
        } else if (r.mac != f.sha) {
            nd_set_state(ifp, *e, ll_state::stale, f.sha, r.flags);  // moved
        } else if (f.op == arp_op_reply && target) {
            nd_set_state(ifp, *e, ll_state::reachable, f.sha, r.flags);
        }
    } else if (target && !garp) {
        // Learn the requester (NetBSD creates the entry STALE from a request).
        if (auto ne = nd_create(ifp, llkey::v4(f.spa)); ne) {
            e = *ne;
            nd_set_state(ifp, *e, f.op == arp_op_reply ? ll_state::reachable : ll_state::stale, f.sha, 0);
        } else {
            count_drop(c, drop_reason::neigh_table_full);
        }
    }

    if (f.op != arp_op_request) {
        pkt_free(m);
        return;
    }
    if (target) {
        arp_send(ifp, f.sha, arp_fields{arp_op_reply, own, f.tpa, f.sha, f.spa});
        // The reply went out through the sender's entry: a stale one moves to
        // DELAY, as NetBSD's does.
        if (e) {
            ll_resolution r = e->resolution();
            if (r.state == ll_state::stale && !(r.flags & llflag::static_))
                nd_set_state(ifp, *e, ll_state::delay, r.mac, r.flags);
        }
        pkt_free(m);
        return;
    }
    // Proxy ARP: a published entry for the target on this interface.
    if (llentry* p = ifp.lltable().lookup(llkey::v4(f.tpa))) {
        const ll_resolution r = p->resolution();
        if ((r.flags & llflag::pub) && (r.flags & llflag::valid)) {
            arp_send(ifp, f.sha, arp_fields{arp_op_reply, r.mac, f.tpa, f.sha, f.spa});
            pkt_free(m);
            return;
        }
    }
    drop(c, m, drop_reason::arp_not_for_us);
}

// ---- arp(8) API -------------------------------------------------------------------

status stack::arp_add(ip4_addr addr, const ether_addr& mac, unsigned opts, std::string_view ifname) {
    ctl_guard g(p_->ctl);
    if (mac.is_group() || mac.is_zero() || addr.is_any() || addr.is_multicast() || addr.is_broadcast())
        return errc::inval;
    ifnet* ifp = nullptr;
    if (!ifname.empty()) {
        ifp = p_->find_if(ifname);
        if (!ifp) return errc::noent;
    } else {
        p_->ifs.for_each([&](ifnet& x) {
            if (ifp || !(x.caps() & ifcap::lladdr)) return;
            for (const auto& a : x.addrs().v4)
                if (a.prefix().contains(addr)) ifp = &x;
        });
        if (!ifp) return errc::netunreach;
    }
    return p_->nd_static_set(*ifp, llkey::v4(addr), mac, opts);
}

status stack::impl::nd_static_set(ifnet& ifp, const llkey& k, const ether_addr& mac, unsigned opts) {
    if (!(ifp.caps() & ifcap::lladdr)) return errc::inval;
    llentry* e = ifp.lltable().lookup(k);
    if (e) {
        // NetBSD: a permanent entry cannot be overwritten; dynamic and temp can.
        if (e->resolution().flags & llflag::static_) return errc::exist;
    } else {
        auto ne = nd_create(ifp, k);
        if (!ne) return ne.error();
        e = *ne;
    }
    const uint8_t flags = (opts & arp_opt::pub) ? llflag::pub : 0;
    if (opts & arp_opt::temp) {
        nd_set_state(ifp, *e, ll_state::reachable, mac, flags | llflag::temp);
    } else {
        nd_set_state(ifp, *e, ll_state::nostate, mac, flags | llflag::static_);
    }
    tx_flush(ctl_ctx());
    return {};
}

status stack::arp_del(ip4_addr addr) {
    ctl_guard g(p_->ctl);
    bool found = false;
    p_->ifs.for_each([&](ifnet& ifp) {
        if (llentry* e = ifp.lltable().lookup(llkey::v4(addr))) {
            p_->nd_remove(ifp, *e);
            found = true;
        }
    });
    return found ? status{} : status{errc::noent};
}

void stack::arp_flush() {
    ctl_guard g(p_->ctl);
    p_->ifs.for_each([&](ifnet& ifp) { p_->nd_purge(ifp, false, nullptr); });
}

std::vector<neigh_info> stack::arp_list() const {
    ctl_guard g(p_->ctl);
    std::vector<neigh_info> v;
    p_->ifs.for_each([&](ifnet& ifp) {
        ifp.lltable().for_each([&](llentry& e) {
            if (e.key.family == 4) v.push_back(p_->nd_info(ifp, e));
        });
    });
    std::sort(v.begin(), v.end(), [](const neigh_info& a, const neigh_info& b) {
        return a.addr != b.addr ? a.addr < b.addr : a.ifname < b.ifname;
    });
    return v;
}

// ---- ndp(8) API -------------------------------------------------------------------

status stack::ndp_add(const ip6_addr& addr, const ether_addr& mac, unsigned opts, std::string_view ifname) {
    ctl_guard g(p_->ctl);
    if (mac.is_group() || mac.is_zero() || addr.is_any() || addr.is_multicast() || addr.is_loopback())
        return errc::inval;
    ifnet* ifp = nullptr;
    if (!ifname.empty()) {
        ifp = p_->find_if(ifname);
        if (!ifp) return errc::noent;
    } else {
        if (addr.is_link_local()) return errc::inval;  // a link-local address needs its zone
        p_->ifs.for_each([&](ifnet& x) {
            if (ifp || !(x.caps() & ifcap::lladdr)) return;
            for (const auto& a : x.addrs().v6)
                if (a.prefix().contains(addr)) ifp = &x;
        });
        if (!ifp) return errc::netunreach;
    }
    return p_->nd_static_set(*ifp, llkey::v6(addr), mac, opts);
}

status stack::ndp_del(const ip6_addr& addr, std::string_view ifname) {
    ctl_guard g(p_->ctl);
    bool found = false;
    p_->ifs.for_each([&](ifnet& ifp) {
        if (!ifname.empty() && ifp.name() != ifname) return;
        if (llentry* e = ifp.lltable().lookup(llkey::v6(addr))) {
            p_->nd_remove(ifp, *e);
            found = true;
        }
    });
    return found ? status{} : status{errc::noent};
}

void stack::ndp_flush() {
    ctl_guard g(p_->ctl);
    p_->ifs.for_each([&](ifnet& ifp) { p_->nd_purge6(ifp, true, nullptr); });
}

std::vector<neigh_info> stack::ndp_list() const {
    ctl_guard g(p_->ctl);
    std::vector<neigh_info> v;
    p_->ifs.for_each([&](ifnet& ifp) {
        ifp.lltable().for_each([&](llentry& e) {
            if (e.key.family == 6) v.push_back(p_->nd_info(ifp, e));
        });
    });
    std::sort(v.begin(), v.end(), [](const neigh_info& a, const neigh_info& b) {
        return a.addr6 != b.addr6 ? a.addr6 < b.addr6 : a.ifname < b.ifname;
    });
    return v;
}

std::vector<neigh_info> stack::ndp_get(const ip6_addr& addr, std::string_view ifname) const {
    ctl_guard g(p_->ctl);
    std::vector<neigh_info> v;
    p_->ifs.for_each([&](ifnet& ifp) {
        if (!ifname.empty() && ifp.name() != ifname) return;
        if (llentry* e = ifp.lltable().lookup(llkey::v6(addr))) v.push_back(p_->nd_info(ifp, *e));
    });
    return v;
}

std::vector<neigh_info> stack::arp_get(ip4_addr addr) const {
    ctl_guard g(p_->ctl);
    std::vector<neigh_info> v;
    p_->ifs.for_each([&](ifnet& ifp) {
        if (llentry* e = ifp.lltable().lookup(llkey::v4(addr))) v.push_back(p_->nd_info(ifp, *e));
    });
    return v;
}

}  // namespace mpnet
