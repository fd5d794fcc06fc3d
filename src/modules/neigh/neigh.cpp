// SPDX-License-Identifier: BSD-2-Clause
// The neighbor state machine shared by ARP and ND: states and timers, the
// bounded hold list, eviction, purges, static entries. What differs by
// family comes from its nd_domain.
#include "neigh.hpp"

#include <algorithm>
#include <cstring>
#include <stdexcept>
#include <vector>

#include "../../stack/stack_impl.hpp"

namespace mpnet {

void neigh::add_domain(const nd_domain& d) {
    if ((d.family != 4 && d.family != 6) || !d.solicit || !d.output || !d.failed)
        throw std::invalid_argument("neigh: a domain needs family 4 or 6, solicit, output and failed");
    nd_domain& slot = domains_[d.family == 6 ? 1 : 0];
    if (slot.family) throw std::invalid_argument("neigh: family registered twice");
    slot = d;
}

void neigh::set_state(ifnet& ifp, llentry& e, ll_state st, ether_addr mac, uint8_t flags) {
    const stack_config& cfg = s_.cfg;
    ++changes_;
    s_.timers.cancel(e.timer_id);
    e.timer_id = 0;
    const uint64_t now = s_.clock->now_ns();
    const ll_state old = e.resolution().state;
    if (st != old) e.asked = 0;
    if (!mac.is_zero()) flags |= llflag::valid;
    e.set_resolution({mac, st, flags});
    uint64_t deadline = 0;
    switch (st) {
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
            domain(e.key.family).solicit(s_, ifp, e, st == ll_state::probe);
            e.asked = 1;
            deadline = now + uint64_t(cfg.nd_retrans_ms) * ns_per_ms;
            break;
    }
    e.expire_ns = deadline;
    if (deadline) e.timer_id = s_.timers.add(deadline, [this, ix = ifp.index(), k = e.key] { timer(ix, k); });
    if ((flags & llflag::valid) && e.hold_n > 0) flush_hold(ifp, e);
}

void neigh::timer(ifindex_t ifindex, llkey key) {
    ifnet* ifp = s_.ifs.lookup(ifindex);
    if (!ifp) return;
    llentry* e = ifp->lltable().lookup(key);
    if (!e) return;
    e->timer_id = 0;
    const ll_resolution r = e->resolution();
    const uint64_t now = s_.clock->now_ns();
    switch (r.state) {
        case ll_state::nostate:
            return;
        case ll_state::reachable:
            return set_state(*ifp, *e, ll_state::stale, r.mac, r.flags);
        case ll_state::stale:
            return remove(*ifp, *e);  // garbage-collected
        case ll_state::delay:
            return set_state(*ifp, *e, ll_state::probe, r.mac, r.flags);
        case ll_state::probe:
        case ll_state::incomplete: {
            const uint32_t max = r.state == ll_state::probe ? s_.cfg.nd_umaxtries : s_.cfg.nd_mmaxtries;
            if (e->asked < max) {
                domain(key.family).solicit(s_, *ifp, *e, r.state == ll_state::probe);
                ++e->asked;
                e->expire_ns = now + uint64_t(s_.cfg.nd_retrans_ms) * ns_per_ms;
                e->timer_id = s_.timers.add(e->expire_ns, [this, ifindex, key] { timer(ifindex, key); });
                return;
            }
            domain(key.family).failed(s_, ifindex, key);
            return remove(*ifp, *e);
        }
    }
}

namespace {

// How readily a full table gives an entry up: STALE first, then DELAY or
// PROBE; static, published, temp, REACHABLE and INCOMPLETE (packets held)
// entries never (0).
int evict_rank(const llentry& x) {
    const ll_resolution r = x.resolution();
    if (r.flags & (llflag::static_ | llflag::pub | llflag::temp)) return 0;
    if (r.state == ll_state::stale) return 2;
    return r.state == ll_state::delay || r.state == ll_state::probe ? 1 : 0;
}

}  // namespace

result<llentry*> neigh::create(ifnet& ifp, const llkey& k) {
    auto e = create_entry(ifp, k);
    // The nexthops through this gateway cache the new entry (nexthop.hpp).
    if (e) s_.nhs.bind({ifp.index(), k}, *e);
    return e;
}

llentry* neigh::nexthop_binder(void* arg, const nh_gw_key& g) {
    auto& st = *static_cast<stack::impl*>(arg);
    ifnet* ifp = st.ifs.lookup(g.ifindex);
    return ifp ? ifp->lltable().lookup(g.key) : nullptr;
}

result<llentry*> neigh::create_entry(ifnet& ifp, const llkey& k) {
    if (auto gc = domain(k.family).gc) gc(s_, ifp);
    auto e = ifp.lltable().create(k);
    if (e || e.error() != errc::nospc) return e;
    // Full: evict a dynamic entry that is not known to be in use, the most
    // evictable and oldest first. One scan of the table ranks a sixteenth of
    // it, and later creations take their victims from that list (each checked
    // again), so that a flood of new neighbors costs one scan per that many
    // entries, not one per entry; a scan that found nothing is not repeated
    // until some entry changes.
    evict_list& ev = evict_[ifp.index()];
    for (int pass = 0; pass < 2; ++pass) {
        while (ev.next < ev.keys.size()) {
            llentry* v = ifp.lltable().lookup(ev.keys[ev.next++]);
            if (!v || evict_rank(*v) == 0) continue;
            remove(ifp, *v);
            return ifp.lltable().create(k);
        }
        if (ev.nothing_at == changes_) return errc::nospc;
        std::vector<std::pair<std::pair<int, uint64_t>, llkey>> cand;
        ifp.lltable().for_each([&](llentry& x) {
            if (const int rank = evict_rank(x)) cand.push_back({{-rank, x.expire_ns}, x.key});
        });
        ev.keys.clear();
        ev.next = 0;
        if (cand.empty()) {
            ev.nothing_at = changes_;
            return errc::nospc;
        }
        const size_t n = std::min(cand.size(), std::max<size_t>(1, ifp.lltable().size() / 16));
        std::partial_sort(cand.begin(), cand.begin() + static_cast<std::ptrdiff_t>(n), cand.end(),
                          [](const auto& a, const auto& b) { return a.first < b.first; });
        for (size_t i = 0; i < n; ++i) ev.keys.push_back(cand[i].second);
    }
    return errc::nospc;
}

void neigh::hold(ifnet& ifp, const llkey& k, mbuf* m) {
    lcore_ctx& c = s_.ctl_ctx();
    const nd_domain& d = domain(k.family);
    const uint32_t hold_max = s_.cfg.neigh_hold_max;
    if (!ifp.is_running()) return s_.drop(c, m, drop_reason::if_down);
    // -arp: nothing is resolved on this interface; only static entries work.
    if (d.resolves && !d.resolves(ifp)) return s_.drop(c, m, drop_reason::arp_disabled);
    llentry* e = ifp.lltable().lookup(k);
    if (e && (e->resolution().flags & llflag::valid)) return d.output(s_, c, m, ifp, k);  // resolved meanwhile
    // Every hold list together at its limit, or this interface's at its
    // share (half: a scan on one port leaves room to resolve on the others):
    // a packet that would not push out one of its own list's is not held
    // (nor is an entry made for it).
    const ifindex_t ix = ifp.index();
    if ((held_ >= s_.cfg.neigh_hold_total || held_if_[ix] >= if_hold_share()) && !(e && e->hold_n == hold_max))
        return s_.drop(c, m, drop_reason::neigh_hold_limit);
    if (!e) {
        auto ne = create(ifp, k);
        if (!ne) return s_.drop(c, m, drop_reason::neigh_table_full);
        e = *ne;
        set_state(ifp, *e, ll_state::incomplete, {}, 0);
    }
    if (e->hold_n == hold_max) {
        // Bounded hold list: the oldest packet gives way to the newest.
        s_.drop(c, e->hold[e->hold_head], drop_reason::neigh_hold_overflow);
        e->hold_head = static_cast<uint16_t>((e->hold_head + 1) % hold_max);
        --e->hold_n;
        count_held(ix, -1);
    }
    e->hold[(e->hold_head + e->hold_n) % hold_max] = m;
    ++e->hold_n;
    count_held(ix, 1);
}

uint32_t neigh::if_hold_share() const noexcept { return std::max<uint32_t>(s_.cfg.neigh_hold_total / 2, 1); }

void neigh::flush_hold(ifnet& ifp, llentry& e) {
    lcore_ctx& c = s_.ctl_ctx();
    const ll_resolution r = e.resolution();
    const uint16_t n = e.hold_n;
    const uint16_t type = domain(e.key.family).ethertype;
    const uint32_t hold_max = s_.cfg.neigh_hold_max;
    for (uint16_t i = 0; i < n; ++i) s_.ether_output(c, ifp, e.hold[(e.hold_head + i) % hold_max], r.mac, type);
    count_held(ifp.index(), -int32_t(n));
    e.hold_n = 0;
    e.hold_head = 0;
}

void neigh::drop_hold(ifnet& ifp, llentry& e, drop_reason r) {
    lcore_ctx& c = s_.ctl_ctx();
    for (uint16_t i = 0; i < e.hold_n; ++i) s_.drop(c, e.hold[(e.hold_head + i) % s_.cfg.neigh_hold_max], r);
    count_held(ifp.index(), -int32_t(e.hold_n));
    e.hold_n = 0;
    e.hold_head = 0;
}

void neigh::remove(ifnet& ifp, llentry& e) {
    ++changes_;
    s_.timers.cancel(e.timer_id);
    e.timer_id = 0;
    drop_hold(ifp, e, drop_reason::neigh_resolve_failed);
    // No nexthop may keep the entry once its grace period starts.
    if (!s_.cfg.test_sabotage_neigh_unbind) s_.nhs.bind({ifp.index(), e.key}, nullptr);
    ifp.lltable().remove(&e);
}

bool neigh::remove_key(const llkey& k, std::string_view ifname) {
    bool found = false;
    s_.ifs.for_each([&](ifnet& ifp) {
        if (!ifname.empty() && ifp.name() != ifname) return;
        if (llentry* e = ifp.lltable().lookup(k)) {
            remove(ifp, *e);
            found = true;
        }
    });
    return found;
}

void neigh::purge(ifnet& ifp, bool keep_static, uint8_t family, const std::function<bool(const llkey&)>& within) {
    std::vector<llentry*> victims;
    ifp.lltable().for_each([&](llentry& e) {
        if (family && e.key.family != family) return;
        if (keep_static && (e.resolution().flags & llflag::static_)) return;
        if (within && !within(e.key)) return;
        victims.push_back(&e);
    });
    for (auto* e : victims) remove(ifp, *e);
}

void neigh::purge(ifnet& ifp, bool keep_static, const prefix4& within) {
    purge(ifp, keep_static, 4, [&](const llkey& k) { return within.contains(k.ip4()); });
}

void neigh::purge(ifnet& ifp, bool keep_static, const prefix6& within) {
    purge(ifp, keep_static, 6, [&](const llkey& k) {
        ip6_addr a{};
        a.b = k.a;
        return within.contains(a);
    });
}

void neigh::stale_used(ifnet& ifp, const llkey& k) {
    llentry* e = ifp.lltable().lookup(k);
    if (!e) return;
    e->used.store(false, std::memory_order_relaxed);
    const ll_resolution r = e->resolution();
    if (r.state == ll_state::stale && !(r.flags & llflag::static_)) set_state(ifp, *e, ll_state::delay, r.mac, r.flags);
}

neigh_info neigh::info(const ifnet& ifp, const llentry& e) const {
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
        const uint64_t now = s_.clock->now_ns();
        n.expire_s = e.expire_ns > now ? int64_t((e.expire_ns - now + ns_per_s - 1) / ns_per_s) : 0;
    }
    return n;
}

status neigh::static_add(const llkey& k, const ether_addr& mac, unsigned opts, std::string_view ifname) {
    ifnet* ifp = nullptr;
    if (!ifname.empty()) {
        ifp = s_.ifs.find(ifname);
        if (!ifp) return errc::noent;
        return static_set(*ifp, k, mac, opts);
    }
    ip6_addr a6{};
    a6.b = k.a;
    s_.ifs.for_each([&](ifnet& x) {
        if (ifp || !(x.caps() & ifcap::lladdr)) return;
        if (k.family == 4) {
            for (const auto& a : x.addrs().v4)
                if (a.prefix().contains(k.ip4())) ifp = &x;
        } else {
            for (const auto& a : x.addrs().v6)
                if (a.prefix().contains(a6)) ifp = &x;
        }
    });
    if (!ifp) return errc::netunreach;
    return static_set(*ifp, k, mac, opts);
}

std::vector<neigh_info> neigh::list(uint8_t family) const {
    std::vector<neigh_info> v;
    s_.ifs.for_each([&](ifnet& ifp) {
        ifp.lltable().for_each([&](llentry& e) {
            if (e.key.family == family) v.push_back(info(ifp, e));
        });
    });
    std::sort(v.begin(), v.end(), [](const neigh_info& a, const neigh_info& b) {
        if (a.family == 6 ? a.addr6 != b.addr6 : a.addr != b.addr)
            return a.family == 6 ? a.addr6 < b.addr6 : a.addr < b.addr;
        return a.ifname < b.ifname;
    });
    return v;
}

status neigh::static_set(ifnet& ifp, const llkey& k, const ether_addr& mac, unsigned opts) {
    if (!(ifp.caps() & ifcap::lladdr)) return errc::inval;
    llentry* e = ifp.lltable().lookup(k);
    if (e) {
        // NetBSD: a permanent entry cannot be overwritten; dynamic and temp can.
        if (e->resolution().flags & llflag::static_) return errc::exist;
    } else {
        auto ne = create(ifp, k);
        if (!ne) return ne.error();
        e = *ne;
    }
    const uint8_t flags = (opts & arp_opt::pub) ? llflag::pub : 0;
    if (opts & arp_opt::temp) {
        set_state(ifp, *e, ll_state::reachable, mac, flags | llflag::temp);
    } else {
        set_state(ifp, *e, ll_state::nostate, mac, flags | llflag::static_);
    }
    s_.tx_flush(s_.ctl_ctx());
    return {};
}

// ---- the module ------------------------------------------------------------------

namespace {

void neigh_hook(module_ctl& ctl, ifnet& ifp, if_event ev, void*) {
    // NetBSD purges an interface's dynamic neighbors when it goes down, and
    // every entry when it goes away.
    neigh& nd = *ctl.impl().nd;
    if (ev == if_event::down) nd.purge(ifp, true);
    if (ev == if_event::detach) {
        nd.purge(ifp, false);
        nd.forget(ifp);
    }
}

// notice stale_used: data = family, then the address (llkey::a).
void stale_used(module_ctl& ctl, const module_notice& n, void*) {
    ifnet* ifp = ctl.if_lookup(n.ifindex);
    if (!ifp) return;
    llkey k;
    k.family = n.data[0];
    std::memcpy(k.a.data(), n.data + 1, k.a.size());
    ctl.impl().nd->stale_used(*ifp, k);
}

void neigh_limits(module_ctl& ctl, std::vector<limit_info>& v, void*) {
    stack::impl& s = ctl.impl();
    s.ifs.for_each([&](ifnet& ifp) {
        uint64_t hold = 0;
        ifp.lltable().for_each([&](llentry& e) { hold = std::max<uint64_t>(hold, e.hold_n); });
        v.push_back({"neighbors " + std::string(ifp.name()), s.cfg.neigh_max, ifp.lltable().size()});
        v.push_back({"held packets per neighbor " + std::string(ifp.name()), s.cfg.neigh_hold_max, hold});
        v.push_back({"held packets " + std::string(ifp.name()), s.nd->if_hold_share(), s.nd->held(ifp.index())});
    });
    v.push_back({"held packets, all neighbors", s.cfg.neigh_hold_total, s.nd->held()});
}

void attach_neigh(module_registrar& r) {
    stack::impl& s = r.impl();
    s.nd = std::make_unique<neigh>(s);  // the family modules attach after and add their domains
    r.if_hook(neigh_hook);
    r.limits(neigh_limits);
    s.ids.stale_used = r.notice("stale_used", stale_used);
}

}  // namespace

extern const module neigh_module{"neigh", attach_neigh};

}  // namespace mpnet
