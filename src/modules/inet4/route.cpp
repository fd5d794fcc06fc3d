// SPDX-License-Identifier: BSD-2-Clause
// Routing: the RIB programs the FIB through shared nexthops; route(8)'s
// add/delete/change/get/flush with NetBSD's semantics; connected and local
// routes that follow the addresses; redirects and path MTUs learned from
// ICMP; run-time knobs.
#include <algorithm>

#include <fmt/format.h>

#include "../../stack/stack_impl.hpp"
#include "../inet4/inet4.hpp"
#include "../neigh/neigh.hpp"
#include "../ping/ping.hpp"
#include "inet4.hpp"
#include "mpnet/core/wire.hpp"

namespace mpnet {

// ---- programming ------------------------------------------------------------------

nexthop nh_base(ifindex_t ifindex, ifindex_t src_ifindex, uint32_t mtu, uint32_t rtflags) {
    nexthop nh;
    nh.ifindex = ifindex;
    nh.src_ifindex = src_ifindex;
    nh.mtu = mtu;
    if (rtflags & rtf::local) nh.flags |= nhf::local;
    if (rtflags & rtf::reject) nh.flags |= nhf::reject;
    if (rtflags & rtf::blackhole) nh.flags |= nhf::blackhole;
    if (rtflags & rtf::host) nh.flags |= nhf::host;
    if (rtflags & rtf::gateway) nh.flags |= nhf::gateway;
    return nh;
}

nexthop inet4::nh_of(const rtentry& e) const {
    nexthop nh = nh_base(e.ifindex, e.src_ifindex, e.mtu, e.flags);
    if (e.flags & rtf::gateway) nh.gateway = e.gateway;
    if (e.mtu_learned && e.mtu) nh.flags |= nhf::pmtu;
    return nh;
}

void inet4::route_event(stack_event::kind_t k, const rtentry& e) {
    stack_event ev;
    ev.kind = k;
    ev.ifindex = e.ifindex;
    ev.addr = e.dst.addr;
    ev.dst = e.dst;
    ev.gateway = e.gateway;
    ev.flags = e.flags;
    stk.push_event(ev);
}

status inet4::rt_install(rtentry e) {
    auto id = stk.nhs.acquire(nh_of(e));
    if (!id) return id.error();
    if (auto s = fib->add(e.dst, *id); !s) {
        stk.nhs.release(*id);
        return s;
    }
    e.nh = *id;
    e.flags |= rtf::up | rtf::done;
    route_event(stack_event::rtm_add, rib.insert(e));
    return {};
}

void inet4::rt_remove(const prefix4& p) {
    rtentry* e = rib.find(p);
    if (!e) return;
    // FIB first: from here no new lookup returns the old nexthop, and the
    // nexthop's id stays valid for a grace period after release.
    (void)fib->del(p);
    stk.nhs.release(e->nh);
    stk.timers.cancel(e->timer);
    rtentry gone = *e;
    rib.erase(p);
    if (gone.mtu_learned) pmtu_routes.erase(p.addr.v);
    route_event(stack_event::rtm_delete, gone);
}

status inet4::rt_reprogram(rtentry& e, const rtentry& next) {
    auto id = stk.nhs.acquire(nh_of(next));
    if (!id) return id.error();
    if (auto s = fib->add(next.dst, *id); !s) {
        stk.nhs.release(*id);
        return s;
    }
    const uint32_t old = e.nh;
    e = next;
    e.nh = *id;
    e.flags |= rtf::up | rtf::done;
    stk.nhs.release(old);
    route_event(stack_event::rtm_change, e);
    return {};
}

void inet4::routes_rebuild() {
    // What the addresses want: one connected route per prefix (the first
    // interface wins) and a local route per usable address.
    std::vector<rtentry> want;
    auto wanted = [&](const prefix4& p) {
        return std::any_of(want.begin(), want.end(), [&](const rtentry& e) { return e.dst == p; });
    };
    stk.ifs.for_each([&](ifnet& ifp) {
        for (const auto& a : ifp.addrs().v4) {
            if (a.flags & (in_iff::duplicated | in_iff::detached)) continue;
            const prefix4 net = a.prefix();
            if (!a.dst.is_any()) {
                // A point-to-point peer: a host route on the interface, no prefix route.
                const prefix4 peer = prefix4::of(a.dst, 32);
                if (!wanted(peer)) {
                    rtentry e;
                    e.dst = peer;
                    e.ifindex = e.src_ifindex = ifp.index();
                    e.ifa = a.addr;
                    e.flags = rtf::connected | rtf::host;
                    want.push_back(e);
                }
            } else if (a.plen < 32 && !wanted(net)) {
                rtentry e;
                e.dst = net;
                e.ifindex = e.src_ifindex = ifp.index();
                e.ifa = a.addr;
                e.flags = rtf::connected;
                want.push_back(e);
            }
            if (a.is_usable()) {
                rtentry e;
                e.dst = prefix4::of(a.addr, 32);
                e.ifindex = stk.lo0;
                e.src_ifindex = ifp.index();
                e.ifa = a.addr;
                e.flags = rtf::host | rtf::local;
                want.push_back(e);
            }
        }
    });
    // Remove managed routes nobody wants any more (or whose interface went).
    std::vector<prefix4> drop;
    rib.for_each([&](rtentry& e) {
        const bool managed = (e.flags & rtf::local) || ((e.flags & rtf::connected) && !(e.flags & rtf::gateway));
        if (!managed) return;
        auto w = std::find_if(want.begin(), want.end(), [&](const rtentry& x) { return x.dst == e.dst; });
        if (w == want.end() || !stk.ifs.lookup(e.src_ifindex) || w->src_ifindex != e.src_ifindex) drop.push_back(e.dst);
    });
    for (const auto& p : drop) rt_remove(p);
    for (const auto& w : want)
        if (!rib.find(w.dst)) (void)rt_install(w);
    // Gateway routes whose interface went, or whose gateway no non-gateway
    // route reaches any more (unless pinned to an interface with -ifp).
    drop.clear();
    rib.for_each([&](rtentry& e) {
        if (!stk.ifs.lookup(e.ifindex)) {
            drop.push_back(e.dst);
            return;
        }
        if (!(e.flags & rtf::gateway) || e.ifp_pinned) return;
        rtentry* via = rib.match(e.gateway, rtf::gateway);
        if (!via) drop.push_back(e.dst);
    });
    for (const auto& p : drop) rt_remove(p);
}

// ---- route(8) ------------------------------------------------------------------------

namespace {

struct resolved {
    ifindex_t ifindex = 0;
    uint32_t flags = 0;
};

}  // namespace

// Resolves a spec's gateway/interface into an egress interface and the
// gateway flag, with NetBSD's rules: a gateway must be reachable through a
// non-gateway route, unless an interface is given explicitly.
static result<resolved> resolve_spec(stack::impl& st, const route_spec& s) {
    resolved r;
    ifnet* pinned = nullptr;
    if (!s.ifp.empty()) {
        pinned = st.ifs.find(s.ifp);
        if (!pinned) return errc::noent;
        r.ifindex = pinned->index();
    }
    if (!s.gateway) {
        if (!pinned) return errc::inval;  // neither a gateway nor an interface
        return r;
    }
    if (!pinned) {
        // The interface a non-gateway route reaches the gateway by; a gateway
        // that is one of our addresses (127.0.0.1 for blackhole/reject
        // routes) leaves by lo0.
        rtentry* via = st.in4->rib.match(*s.gateway, rtf::gateway);
        if (!via) return errc::netunreach;
        r.ifindex = via->ifindex;
        // One of a point-to-point interface's own addresses: out of that
        // interface (NetBSD's `route add NET <gif's address>`).
        if (via->flags & rtf::local)
            if (const ifnet* o = st.ifs.lookup(via->src_ifindex); o && (o->flags() & iff::pointopoint))
                r.ifindex = o->index();
    }
    // -iface: the route is directly on that interface (no G).
    if (!s.iface) r.flags |= rtf::gateway;
    return r;
}

// The interface that holds `a` as one of its addresses (-ifa), or 0.
static ifindex_t address_owner(stack::impl& st, ip4_addr a) {
    ifindex_t owner = 0;
    st.ifs.for_each([&](ifnet& ifp) {
        for (const auto& x : ifp.addrs().v4)
            if (x.addr == a) owner = ifp.index();
    });
    return owner;
}

status stack::route_add(const route_spec& s) {
    ctl_guard g(p_->ctl);
    if (s.reject && s.blackhole) return errc::inval;
    if (p_->in4->rib.find(s.dst)) return errc::exist;
    auto r = resolve_spec(*p_, s);
    if (!r) return r.error();
    rtentry e;
    e.dst = s.dst;
    e.ifindex = r->ifindex;
    e.ifp_pinned = !s.ifp.empty();
    e.flags = r->flags | rtf::static_;
    if (s.gateway) e.gateway = *s.gateway;
    if (s.dst.len == 32) e.flags |= rtf::host;
    if (s.reject) e.flags |= rtf::reject;
    if (s.blackhole) e.flags |= rtf::blackhole;
    if (s.connected) e.flags |= rtf::connected;
    if (s.proxy) e.flags |= rtf::announce;
    ifnet* out = p_->ifs.lookup(e.ifindex);
    if (s.ifa) {
        const ifindex_t owner = address_owner(*p_, *s.ifa);
        if (!owner) return errc::addrnotavail;
        e.src_ifindex = owner;
        e.ifa = *s.ifa;
    } else if (out) {
        e.src_ifindex = out->index();
        if (auto src = p_->in4->select_src(*out, s.gateway.value_or(s.dst.addr))) e.ifa = *src;
    }
    return p_->in4->rt_install(e);
}

status stack::route_delete(const prefix4& dst) {
    ctl_guard g(p_->ctl);
    rtentry* e = p_->in4->rib.find(dst);
    if (!e) return errc::srch;
    const bool connected = (e->flags & rtf::connected) != 0;
    ifnet* ifp = p_->ifs.lookup(e->ifindex);
    p_->in4->rt_remove(dst);
    // Neighbors on a subnet whose route went are purged (NetBSD's
    // arp_purge_on_route_delete).
    if (connected && ifp) p_->nd->purge(*ifp, false, dst);
    return {};
}

status stack::route_change(const route_spec& s) {
    ctl_guard g(p_->ctl);
    rtentry* e = p_->in4->rib.find(s.dst);
    if (!e) return errc::srch;
    rtentry next = *e;
    if (s.gateway || !s.ifp.empty()) {
        route_spec rs = s;
        if (!rs.gateway && (e->flags & rtf::gateway)) rs.gateway = e->gateway;
        auto r = resolve_spec(*p_, rs);
        if (!r) return r.error();
        next.ifindex = r->ifindex;
        next.ifp_pinned = !s.ifp.empty() || e->ifp_pinned;
        if (rs.gateway && (r->flags & rtf::gateway)) {
            next.gateway = *rs.gateway;
            next.flags |= rtf::gateway;
        }
    }
    if (s.ifa) {
        const ifindex_t owner = address_owner(*p_, *s.ifa);
        if (!owner) return errc::addrnotavail;
        next.src_ifindex = owner;
        next.ifa = *s.ifa;
    } else if (next.ifindex != e->ifindex) {
        if (ifnet* out = p_->ifs.lookup(next.ifindex)) {
            next.src_ifindex = out->index();
            if (auto src = p_->in4->select_src(*out, next.gateway.is_any() ? s.dst.addr : next.gateway))
                next.ifa = *src;
        }
    }
    if (s.reject) next.flags |= rtf::reject;
    if (s.noreject) next.flags &= ~rtf::reject;
    if (s.blackhole) next.flags |= rtf::blackhole;
    if (s.noblackhole) next.flags &= ~rtf::blackhole;
    if ((next.flags & rtf::reject) && (next.flags & rtf::blackhole)) return errc::inval;
    next.flags |= rtf::static_;
    ifnet* old_ifp = p_->ifs.lookup(e->ifindex);
    const bool moved = next.ifindex != e->ifindex && (e->flags & rtf::connected);
    if (auto st = p_->in4->rt_reprogram(*e, next); !st) return st;
    if (moved && old_ifp) p_->nd->purge(*old_ifp, false, s.dst);  // arp_purge_on_route_change
    return {};
}

result<route_get_info> stack::route_get(ip4_addr dst) const {
    ctl_guard g(p_->ctl);
    rtentry* e = p_->in4->rib.match(dst);
    if (!e) return errc::srch;
    ifnet* ifp = p_->ifs.lookup(e->ifindex);
    return route_get_info{dst, *e, ifp ? ifp->name() : "?"};
}

void stack::route_flush() {
    ctl_guard g(p_->ctl);
    std::vector<prefix4> v;
    p_->in4->rib.for_each([&](rtentry& e) {
        if (e.flags & rtf::gateway) v.push_back(e.dst);
    });
    for (const auto& p : v) p_->in4->rt_remove(p);
}

std::vector<route_info> stack::route_list() const {
    ctl_guard g(p_->ctl);
    std::vector<route_info> out;
    p_->in4->rib.for_each([&](rtentry& e) {
        ifnet* ifp = p_->ifs.lookup(e.ifindex);
        out.push_back({e, ifp ? ifp->name() : "?"});
    });
    return out;
}

// ---- redirects and path MTU (host side) -----------------------------------------------

void inet4::rt_expire(prefix4 p, uint64_t expected) {
    rtentry* e = rib.find(p);
    if (!e || e->expire_ns != expected) return;
    e->timer = 0;
    if (e->flags & rtf::dynamic) {
        rt_remove(p);
    } else {
        // A path MTU learned on a static route expires back to the interface's.
        rtentry next = *e;
        next.mtu = 0;
        next.expire_ns = 0;
        next.mtu_learned = false;
        (void)rt_reprogram(*e, next);
    }
}

void inet4::redirect_input(ifnet& ifp, mbuf* m) {
    lcore_ctx& c = stk.ctl_ctx();
    auto* ip = pkt_header<ip4_hdr>(m);
    const unsigned hl = ip->hlen_bytes();
    auto* ic = pkt_header<icmp_hdr>(m, hl);
    auto* inner = pkt_header<ip4_hdr>(m, hl + sizeof(icmp_hdr));
    if (!inner || fwd() || !knobs.accept_redirects.load(std::memory_order_relaxed))
        return stk.drop(c, m, drop_reason::icmp_redirect_ignored);
    ip4_addr newgw;
    std::memcpy(&newgw.v, &ic->id, 4);  // the gateway field overlays id/seq
    newgw.v = ntoh32(newgw.v);
    const ip4_addr dst(inner->dst.get()), from(ip->src.get());
    // RFC 1122 3.2.2.2: only from the current first hop, to an on-link
    // gateway, never about our own addresses.
    rtentry* cur = rib.match(dst);
    rtentry* gwr = rib.match(newgw, rtf::gateway);
    const bool on_link = gwr && gwr->ifindex == ifp.index() && !(gwr->flags & rtf::local);
    const bool from_gw = cur && (cur->flags & rtf::gateway) && cur->gateway == from;
    rtentry* local = rib.find(prefix4::of(dst, 32));
    if (!on_link || !from_gw || (local && (local->flags & rtf::local)))
        return stk.drop(c, m, drop_reason::icmp_redirect_ignored);
    const uint64_t expire = stk.clock->now_ns() + uint64_t(stk.cfg.redirect_timeout_s) * ns_per_s;
    const prefix4 host = prefix4::of(dst, 32);
    if (rtentry* e = rib.find(host); e && e->flags & rtf::gateway) {
        // An existing host route is modified (NetBSD: UGHS -> UGHMS).
        rtentry next = *e;
        next.gateway = newgw;
        next.ifindex = ifp.index();
        next.flags |= rtf::modified;
        if (rt_reprogram(*e, next)) route_event(stack_event::rtm_redirect, *e);
    } else if (!e) {
        rtentry n;
        n.dst = host;
        n.gateway = newgw;
        n.ifindex = n.src_ifindex = ifp.index();
        n.ifa = cur->ifa;
        n.flags = rtf::gateway | rtf::host | rtf::dynamic;
        n.expire_ns = expire;
        if (rt_install(n)) {
            rtentry* ne = rib.find(host);
            ne->timer = stk.timers.add(expire, [this, host, expire] { rt_expire(host, expire); });
            route_event(stack_event::rtm_redirect, *ne);
        }
    }
    pkt_free(m);
}

void inet4::icmp_err_input(mbuf* m) {
    auto* ip = pkt_header<ip4_hdr>(m);
    auto* ic = pkt_header<icmp_hdr>(m, ip->hlen_bytes());
    // Modules hear about their own packets first (a tunnel's path MTU).
    if (auto* q = pkt_header<ip4_hdr>(m, ip->hlen_bytes() + sizeof(icmp_hdr)); q && !stk.ctlinputs.empty()) {
        icmp_notice n;
        n.family = 4;
        n.type = ic->type;
        n.code = ic->code;
        if (ic->type == icmp_unreach && ic->code == icmp_unreach_needfrag) n.mtu = ic->seq.get();
        n.src.v4 = ip4_addr(q->src.get());
        n.dst.v4 = ip4_addr(q->dst.get());
        n.proto = q->proto;
        n.quoted_len = q->total_len.get();
        if (stk.ctl_ctx().is_local(n.src)) stk.ctlinput_run(n);
    }
    stk.ping->icmp_err_seen(m);
    if (ic->type == icmp_unreach && ic->code == icmp_unreach_needfrag) return mtu_input(m);
    pkt_free(m);
}

void inet4::mtu_input(mbuf* m) {
    // ICMP unreachable/needfrag about a packet we sent: record the path MTU
    // on a host route (NetBSD's mtudisc), expiring after mtudisc_timeout.
    // Hardened as the mature stacks are: the quoted packet must be one of
    // ours and larger than the MTU reported, MTUs below limits::pmtu_min
    // (Linux's min_pmtu) are ignored (NetBSD ignores below 296), a path MTU
    // only ever shrinks, and the host routes it creates are bounded.
    lcore_ctx& c = stk.ctl_ctx();
    auto* ip = pkt_header<ip4_hdr>(m);
    const unsigned hl = ip->hlen_bytes();
    auto* ic = pkt_header<icmp_hdr>(m, hl);
    auto* inner = pkt_header<ip4_hdr>(m, hl + sizeof(icmp_hdr));
    if (!inner) return stk.drop(c, m, drop_reason::icmp_too_short);
    if (!knobs.mtudisc.load(std::memory_order_relaxed)) return stk.drop(c, m, drop_reason::icmp_pmtu_disabled);
    const uint32_t mtu = ic->seq.get();  // next-hop MTU in the low 16 bits
    if (mtu < limits::pmtu_min) return stk.drop(c, m, drop_reason::icmp_pmtu_too_small);
    const ip4_addr src(inner->src.get());
    const ip4_addr dst(inner->dst.get());
    const rtentry* own = rib.find(prefix4::of(src, 32));
    if (!own || !(own->flags & rtf::local) || inner->total_len.get() <= mtu)
        return stk.drop(c, m, drop_reason::icmp_pmtu_not_ours);
    const prefix4 host = prefix4::of(dst, 32);
    rtentry* cur = rib.match(dst);
    if (!cur || (cur->flags & rtf::local)) return pkt_free(m);
    if (cur->mtu && cur->mtu <= mtu) return pkt_free(m);  // nothing smaller to learn
    if (const ifnet* out = stk.ifs.lookup(cur->ifindex); out && out->mtu() <= mtu) return pkt_free(m);
    const uint64_t expire = stk.clock->now_ns() + uint64_t(stk.cfg.mtudisc_timeout_s) * ns_per_s;
    rtentry* e = rib.find(host);
    if (e) {
        rtentry next = *e;
        next.mtu = mtu;
        next.expire_ns = expire;
        next.mtu_learned = true;
        stk.timers.cancel(e->timer);
        (void)rt_reprogram(*e, next);
        if (pmtu_routes.count(dst.v)) pmtu_routes[dst.v] = expire;
    } else {
        if (pmtu_routes.size() >= limits::pmtu_routes_max) {
            // Full: the learned route closest to expiring gives way.
            auto oldest = pmtu_routes.begin();
            for (auto it = pmtu_routes.begin(); it != pmtu_routes.end(); ++it)
                if (it->second < oldest->second) oldest = it;
            const prefix4 victim = prefix4::of(ip4_addr(oldest->first), 32);
            rt_remove(victim);  // erases it from pmtu_routes
            cur = rib.match(dst);
            if (!cur || (cur->flags & rtf::local)) return pkt_free(m);
        }
        rtentry n = *cur;
        n.dst = host;
        n.flags = (cur->flags & ~(rtf::connected | rtf::static_)) | rtf::host | rtf::dynamic;
        if (!(cur->flags & rtf::gateway)) {
            n.flags |= rtf::gateway;
            n.gateway = dst;
        }
        n.mtu = mtu;
        n.mtu_learned = true;
        n.expire_ns = expire;
        if (!rt_install(n)) return pkt_free(m);
        pmtu_routes[dst.v] = expire;
        e = rib.find(host);
    }
    e->timer = stk.timers.add(expire, [this, host, expire] { rt_expire(host, expire); });
    pkt_free(m);
}

}  // namespace mpnet
