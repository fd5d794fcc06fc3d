// SPDX-License-Identifier: BSD-2-Clause
// IPv6 routing: the RIB6 programs the FIB6 through shared nexthops;
// connected and local routes follow the addresses (link-local ones scoped to
// their interface), on-link prefixes and the default route follow router
// advertisements, redirects add expiring host routes; route(8) for inet6.
#include <algorithm>

#include "../../stack/stack_impl.hpp"
#include "../inet4/inet4.hpp"
#include "../neigh/neigh.hpp"
#include "inet6.hpp"

namespace mpnet {

nexthop inet6::nh_of6(const rtentry6& e) const {
    nexthop nh = nh_base(e.ifindex, e.src_ifindex, e.mtu, e.flags);
    if (e.flags & rtf::gateway) nh.gateway6 = e.gateway.without_scope();
    return nh;
}

void inet6::event6(stack_event::kind_t k, ifindex_t ifindex, const ip6_addr& a) {
    stack_event ev;
    ev.kind = k;
    ev.ifindex = ifindex;
    ev.family = 6;
    ev.addr6 = a;
    stk.push_event(ev);
}

void inet6::route6_event(stack_event::kind_t k, const rtentry6& e) {
    stack_event ev;
    ev.kind = k;
    ev.ifindex = e.ifindex;
    ev.family = 6;
    ev.addr6 = e.dst.addr.without_scope();
    ev.dst6 = e.dst;
    ev.gateway6 = e.gateway;
    ev.flags = e.flags;
    stk.push_event(ev);
}

void inet6::fib6_changed(uint32_t old_nh) {
    fib6_dirty = true;
    if (old_nh != UINT32_MAX) fib6_release.push_back(old_nh);
    if (!fib6_hold) fib6_commit();
}

void inet6::fib6_commit() {
    if (fib6_dirty) {
        // Route and nexthop capacity were checked when the changes were
        // staged; what is left is table memory. A refused commit is rolled
        // back: the RIB keeps routes the FIB lacks until the next commit
        // that fits, and `show fib` counts it.
        if (!fib6_->commit()) ++fib6_refused;  // `show fib` reports it
    }
    fib6_dirty = false;
    for (uint32_t id : fib6_release) stk.nhs.release(id);
    fib6_release.clear();
}

fib6_batch::fib6_batch(inet6& in6) : in6_(in6) { ++in6_.fib6_hold; }

fib6_batch::~fib6_batch() {
    if (--in6_.fib6_hold == 0) in6_.fib6_commit();
}

status inet6::rt6_install(rtentry6 e) {
    auto id = stk.nhs.acquire(nh_of6(e));
    if (!id) return id.error();
    e.nh = *id;
    e.flags |= rtf::up | rtf::done;
    if (auto s = fib6_->add(e.dst, e.nh); !s) {
        stk.nhs.release(e.nh);
        return s;
    }
    route6_event(stack_event::rtm_add, rib6_.insert(e));
    fib6_changed(UINT32_MAX);
    return {};
}

void inet6::rt6_remove(const prefix6& p) {
    rtentry6* e = rib6_.find(p);
    if (!e) return;
    stk.timers.cancel(e->timer);
    rtentry6 gone = *e;
    rib6_.erase(p);
    // FIB first, then the nexthop (its id stays valid for a grace period).
    (void)fib6_->del(p);
    fib6_changed(gone.nh);
    route6_event(stack_event::rtm_delete, gone);
}

status inet6::rt6_reprogram(rtentry6& e, const rtentry6& next) {
    auto id = stk.nhs.acquire(nh_of6(next));
    if (!id) return id.error();
    if (auto s = fib6_->add(next.dst, *id); !s) {
        stk.nhs.release(*id);
        return s;
    }
    const uint32_t old = e.nh;
    e = next;
    e.nh = *id;
    e.flags |= rtf::up | rtf::done;
    fib6_changed(old);
    route6_event(stack_event::rtm_change, e);
    return {};
}

void inet6::routes6_rebuild() {
    fib6_batch batch(*this);  // one FIB6 build for everything below
    std::vector<rtentry6> want;
    auto wanted = [&](const prefix6& p) {
        return std::any_of(want.begin(), want.end(), [&](const rtentry6& e) { return e.dst == p; });
    };
    stk.ifs.for_each([&](ifnet& ifp) {
        const bool lo = (ifp.flags() & iff::loopback);
        for (const auto& a : ifp.addrs().v6) {
            if (a.flags & (in6_iff::duplicated | in6_iff::detached)) continue;
            const prefix6 net = prefix6::of(a.addr.with_scope(ifp.index()), a.plen);
            if (!a.dst.is_any()) {
                // A point-to-point peer: a host route on the interface, no prefix route.
                const prefix6 peer = prefix6::of(a.dst, 128);
                if (!wanted(peer)) {
                    rtentry6 e;
                    e.dst = peer;
                    e.ifindex = e.src_ifindex = ifp.index();
                    e.ifa = a.addr;
                    e.flags = rtf::connected | rtf::host;
                    want.push_back(e);
                }
            } else if (a.plen < 128 && !wanted(net) && !lo) {
                rtentry6 e;
                e.dst = net;
                e.ifindex = e.src_ifindex = ifp.index();
                e.ifa = a.addr;
                e.flags = rtf::connected;
                want.push_back(e);
            }
            if (a.is_usable()) {
                rtentry6 e;
                e.dst = prefix6::of(a.addr.with_scope(ifp.index()), 128);
                e.ifindex = stk.lo0;
                e.src_ifindex = ifp.index();
                e.ifa = a.addr;
                e.flags = rtf::host | rtf::local;
                if (!wanted(e.dst)) want.push_back(e);
            }
        }
    });
    // On-link prefixes from advertisements.
    for (const auto& p : prefixes) {
        if (!p.onlink || wanted(p.prefix) || !stk.ifs.lookup(p.ifindex)) continue;
        rtentry6 e;
        e.dst = p.prefix;
        e.ifindex = e.src_ifindex = p.ifindex;
        e.flags = rtf::connected;
        want.push_back(e);
    }
    // The default route from the default router list: the first router whose
    // interface is running (NetBSD's defrouter_select, without preferences).
    const prefix6 dflt{};
    rtentry6* cur = rib6_.find(dflt);
    const bool static_default = cur && !cur->from_ra;
    if (!static_default) {
        const nd_defrouter* pick = nullptr;
        for (const auto& r : defrouters) {
            ifnet* ifp = stk.ifs.lookup(r.ifindex);
            if (ifp && ifp->is_running()) {
                pick = &r;
                break;
            }
        }
        if (pick) {
            rtentry6 e;
            e.dst = dflt;
            e.ifindex = e.src_ifindex = pick->ifindex;
            e.gateway = pick->addr.with_scope(pick->ifindex);
            e.flags = rtf::gateway;
            e.from_ra = true;
            if (!cur) {
                (void)rt6_install(e);
            } else if (cur->gateway != e.gateway || cur->ifindex != e.ifindex) {
                (void)rt6_reprogram(*cur, e);
            }
        } else if (cur) {
            rt6_remove(dflt);
        }
    }
    std::vector<prefix6> drop;
    rib6_.for_each([&](rtentry6& e) {
        const bool managed =
            (e.flags & rtf::local) || ((e.flags & rtf::connected) && !(e.flags & (rtf::gateway | rtf::static_)));
        if (!managed) return;
        auto w = std::find_if(want.begin(), want.end(), [&](const rtentry6& x) { return x.dst == e.dst; });
        if (w == want.end() || !stk.ifs.lookup(e.src_ifindex) || w->src_ifindex != e.src_ifindex) drop.push_back(e.dst);
    });
    for (const auto& p : drop) rt6_remove(p);
    for (const auto& w : want)
        if (!rib6_.find(w.dst)) (void)rt6_install(w);
    drop.clear();
    rib6_.for_each([&](rtentry6& e) {
        if (!stk.ifs.lookup(e.ifindex)) {
            drop.push_back(e.dst);
            return;
        }
        if (!(e.flags & rtf::gateway) || e.ifp_pinned || e.gateway.is_link_local()) return;
        if (!rib6_.match(e.gateway, rtf::gateway)) drop.push_back(e.dst);
    });
    for (const auto& p : drop) rt6_remove(p);
}

void inet6::rt6_redirect(ifnet& ifp, const ip6_addr& dst, const ip6_addr& target) {
    // A host route to dst through the better first hop (or on-link when the
    // target is dst itself), dynamic, expiring after redirtimeout.
    const prefix6 p = prefix6::of(dst.with_scope(ifp.index()), 128);
    rtentry6 e;
    e.dst = p;
    e.ifindex = e.src_ifindex = ifp.index();
    e.flags = rtf::host | rtf::dynamic;
    if (target != dst) {
        e.flags |= rtf::gateway;
        e.gateway = target.with_scope(ifp.index());
    }
    if (auto src = select_src6(ifp, dst)) e.ifa = *src;
    const uint64_t life = uint64_t(stk.cfg.redirect_timeout6_s) * ns_per_s;
    if (rtentry6* cur = rib6_.find(p)) {
        if (!(cur->flags & rtf::dynamic)) return;  // never override a static host route
        stk.timers.cancel(cur->timer);
        e.flags |= rtf::modified;
        if (!rt6_reprogram(*cur, e)) return;
    } else if (!rt6_install(e)) {
        return;
    }
    rtentry6* now = rib6_.find(p);
    route6_event(stack_event::rtm_redirect, *now);
    if (life) {
        now->expire_ns = stk.clock->now_ns() + life;
        now->timer = stk.timers.add(now->expire_ns, [this, p] {
            rtentry6* x = rib6_.find(p);
            if (x && (x->flags & rtf::dynamic)) {
                x->timer = 0;
                rt6_remove(p);
            }
        });
    }
}

// ---- route(8) -inet6 ----------------------------------------------------------------

namespace {

// A zone name to an ifindex: 0 for none, -1 for an unknown interface.
int zone_index(stack::impl& st, std::string_view zone) {
    if (zone.empty()) return 0;
    ifnet* ifp = st.ifs.find(zone);
    return ifp ? static_cast<int>(ifp->index()) : -1;
}

}  // namespace

static result<rtentry6> spec_to_entry(stack::impl& st, const route6_spec& s, const rtentry6* base) {
    rtentry6 e = base ? *base : rtentry6{};
    const int dz = zone_index(st, s.dst_zone);
    if (dz < 0) return errc::noent;
    if (s.dst.addr.is_link_local() && dz == 0 && !base) return errc::inval;  // a link-local prefix needs its zone
    e.dst = prefix6::of(s.dst.addr.with_scope(ifindex_t(dz)), s.dst.len);
    ifnet* pinned = nullptr;
    if (!s.ifp.empty()) {
        pinned = st.ifs.find(s.ifp);
        if (!pinned) return errc::noent;
        e.ifindex = pinned->index();
        e.ifp_pinned = true;
    }
    if (s.gateway) {
        const int gz = zone_index(st, s.gateway_zone);
        if (gz < 0) return errc::noent;
        if (s.gateway->is_multicast() || s.gateway->is_any()) return errc::inval;
        if (s.gateway->is_link_local()) {
            // fe80::1%if: the zone names the interface (or -ifp does).
            const ifindex_t z = gz ? ifindex_t(gz) : (pinned ? pinned->index() : 0);
            if (!z) return errc::inval;
            e.gateway = s.gateway->with_scope(z);
            if (!pinned) e.ifindex = z;
        } else {
            e.gateway = *s.gateway;
            if (!pinned) {
                rtentry6* via = st.in6->rib6_.match(*s.gateway, rtf::gateway);
                if (!via) return errc::netunreach;
                e.ifindex = via->ifindex;
                // One of a point-to-point interface's own addresses: out of
                // that interface (NetBSD's `route add NET <gif's address>`).
                if (via->flags & rtf::local)
                    if (const ifnet* o = st.ifs.lookup(via->src_ifindex); o && (o->flags() & iff::pointopoint))
                        e.ifindex = o->index();
            }
        }
        if (!s.iface) {
            e.flags |= rtf::gateway;
        } else {
            e.flags &= ~rtf::gateway;
        }
    } else if (!pinned && !base) {
        return errc::inval;
    }
    return e;
}

void stack::routes_batch_begin() {
    ctl_guard g(p_->ctl);
    ++p_->in6->fib6_hold;
}

void stack::routes_batch_end() {
    ctl_guard g(p_->ctl);
    if (p_->in6->fib6_hold == 0) return;  // unmatched: nothing to end
    if (--p_->in6->fib6_hold == 0) p_->in6->fib6_commit();
}

status stack::route6_add(const route6_spec& s) {
    ctl_guard g(p_->ctl);
    if (s.reject && s.blackhole) return errc::inval;
    auto r = spec_to_entry(*p_, s, nullptr);
    if (!r) return r.error();
    rtentry6 e = *r;
    if (rtentry6* cur = p_->in6->rib6_.find(e.dst)) {
        if (!cur->from_ra) return errc::exist;
        p_->in6->rt6_remove(e.dst);  // a static default takes over from the advertised one
    }
    e.flags |= rtf::static_;
    if (s.dst.len == 128) e.flags |= rtf::host;
    if (s.reject) e.flags |= rtf::reject;
    if (s.blackhole) e.flags |= rtf::blackhole;
    if (s.connected) e.flags |= rtf::connected;
    if (s.proxy) e.flags |= rtf::announce;
    if (s.ifa) {
        bool ours = false;
        p_->ifs.for_each([&](ifnet& x) {
            if (p_->in6->find_addr6(x, *s.ifa)) {
                ours = true;
                e.src_ifindex = x.index();
            }
        });
        if (!ours) return errc::addrnotavail;
        e.ifa = *s.ifa;
    } else if (ifnet* out = p_->ifs.lookup(e.ifindex)) {
        e.src_ifindex = out->index();
        if (auto src = p_->in6->select_src6(*out, s.dst.addr)) e.ifa = *src;
    }
    return p_->in6->rt6_install(e);
}

status stack::route6_delete(const prefix6& dst, std::string_view zone) {
    ctl_guard g(p_->ctl);
    const int z = zone_index(*p_, zone);
    if (z < 0) return errc::noent;
    const prefix6 key = prefix6::of(dst.addr.with_scope(ifindex_t(z)), dst.len);
    rtentry6* e = p_->in6->rib6_.find(key);
    if (!e) return errc::srch;
    const bool connected = (e->flags & rtf::connected) != 0;
    ifnet* ifp = p_->ifs.lookup(e->ifindex);
    p_->in6->rt6_remove(key);
    if (connected && ifp) p_->nd->purge(*ifp, false, dst);  // ndp_purge_on_route_delete
    return {};
}

status stack::route6_change(const route6_spec& s) {
    ctl_guard g(p_->ctl);
    const int z = zone_index(*p_, s.dst_zone);
    if (z < 0) return errc::noent;
    rtentry6* e = p_->in6->rib6_.find(prefix6::of(s.dst.addr.with_scope(ifindex_t(z)), s.dst.len));
    if (!e) return errc::srch;
    route6_spec rs = s;
    if (!rs.gateway && (e->flags & rtf::gateway)) {
        rs.gateway = e->gateway.without_scope();
        if (e->gateway.is_link_local())
            if (ifnet* x = p_->ifs.lookup(e->gateway.scope())) rs.gateway_zone = x->name();
    }
    auto r = spec_to_entry(*p_, rs, e);
    if (!r) return r.error();
    rtentry6 next = *r;
    if (s.reject) next.flags |= rtf::reject;
    if (s.noreject) next.flags &= ~rtf::reject;
    if (s.blackhole) next.flags |= rtf::blackhole;
    if (s.noblackhole) next.flags &= ~rtf::blackhole;
    if ((next.flags & rtf::reject) && (next.flags & rtf::blackhole)) return errc::inval;
    next.flags |= rtf::static_;
    next.from_ra = false;
    if (next.ifindex != e->ifindex)
        if (ifnet* out = p_->ifs.lookup(next.ifindex)) {
            next.src_ifindex = out->index();
            if (auto src = p_->in6->select_src6(*out, s.dst.addr)) next.ifa = *src;
        }
    ifnet* old_ifp = p_->ifs.lookup(e->ifindex);
    const bool moved = next.ifindex != e->ifindex && (e->flags & rtf::connected);
    const prefix6 dst = s.dst;
    if (auto st = p_->in6->rt6_reprogram(*e, next); !st) return st;
    if (moved && old_ifp) p_->nd->purge(*old_ifp, false, dst);  // ndp_purge_on_route_change
    return {};
}

result<route6_get_info> stack::route6_get(const ip6_addr& dst, std::string_view zone) const {
    ctl_guard g(p_->ctl);
    const int z = zone_index(*p_, zone);
    if (z < 0) return errc::noent;
    // A link-local destination without its zone matches nothing (NetBSD: not in table).
    if ((dst.is_link_local() || dst.is_mc_link_scope()) && z == 0) return errc::srch;
    rtentry6* e = p_->in6->rib6_.match(dst.with_scope(ifindex_t(z)));
    if (!e) return errc::srch;
    ifnet* ifp = p_->ifs.lookup(e->ifindex);
    return route6_get_info{dst, *e, ifp ? ifp->name() : "?"};
}

void stack::route6_flush() {
    ctl_guard g(p_->ctl);
    std::vector<prefix6> v;
    p_->in6->rib6_.for_each([&](rtentry6& e) {
        if ((e.flags & rtf::gateway) && !e.from_ra) v.push_back(e.dst);
    });
    for (const auto& p : v) p_->in6->rt6_remove(p);
}

std::vector<route6_info> stack::route6_list() const {
    ctl_guard g(p_->ctl);
    std::vector<route6_info> out;
    p_->in6->rib6_.for_each([&](rtentry6& e) {
        ifnet* ifp = p_->ifs.lookup(e.ifindex);
        out.push_back({e, ifp ? ifp->name() : "?"});
    });
    return out;
}

}  // namespace mpnet

namespace mpnet {

fib_info stack::fib_get() const {
    ctl_guard g(p_->ctl);
    fib_info f;
    f.backend4 = p_->in4->fib->backend();
    f.backend6 = p_->in6->fib6_->backend();
    f.v4 = p_->in4->fib->stats();
    f.v6 = p_->in6->fib6_->stats();
    f.v6_refused = p_->in6->fib6_refused;
    return f;
}

}  // namespace mpnet
