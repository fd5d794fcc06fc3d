// SPDX-License-Identifier: BSD-2-Clause
// IPv6 addresses: add and delete with lifetimes, automatic link-local
// addresses, source selection (RFC 6724, the rules a router needs), and
// duplicate address detection (RFC 4862 5.4: NS from :: to the
// solicited-node group, dad_count probes a retransmission interval apart).
#include <algorithm>

#include "../../stack/stack_impl.hpp"
#include "../neigh/neigh.hpp"
#include "inet6.hpp"

namespace mpnet {

void inet6::addrs6_publish(ifnet& ifp, std::vector<in6_ifaddr> v) {
    ifp.publish_addrs(in_ifaddr_set{ifp.addrs().v4, std::move(v)});
}

const in6_ifaddr* inet6::find_addr6(const ifnet& ifp, const ip6_addr& a) const {
    for (const auto& x : ifp.addrs().v6)
        if (x.addr == a) return &x;
    return nullptr;
}

status inet6::addr6_add_locked(ifnet& ifp, const ip6_addr& addr, unsigned plen, const addr6_opts& o, uint8_t flags) {
    if (plen > 128) return errc::inval;
    if (addr.is_any() || addr.is_multicast() || addr.is_v4mapped()) return errc::inval;
    if (addr.is_loopback() && !(ifp.flags() & iff::loopback)) return errc::inval;
    if (addr.is_link_local() && plen != 64) return errc::inval;
    // Lifetimes (NetBSD's in6_update_ifa): a valid lifetime needs a
    // preferred one, which may not exceed it; zero valid lifetime is refused.
    if (o.vltime_s && !o.pltime_s) return errc::inval;
    if (o.vltime_s && *o.vltime_s == 0) return errc::inval;
    if (o.pltime_s && o.vltime_s && *o.pltime_s > *o.vltime_s) return errc::inval;
    if (o.dst && (!(ifp.flags() & iff::pointopoint) || o.dst->is_any() || o.dst->is_multicast() ||
                  o.dst->is_v4mapped() || o.dst->is_link_local() || *o.dst == addr))
        return errc::inval;
    std::vector<in6_ifaddr> v = ifp.addrs().v6;
    if (std::any_of(v.begin(), v.end(), [&](const in6_ifaddr& a) { return a.addr == addr; })) return errc::exist;
    if (v.size() >= limits::addr_per_if_max) return errc::nospc;
    in6_ifaddr ia;
    ia.addr = addr;
    ia.plen = static_cast<uint8_t>(plen);
    ia.flags = flags;
    if (o.dst) ia.dst = *o.dst;
    const uint64_t now = stk.clock->now_ns();
    if (o.pltime_s) {
        ia.pltime_s = *o.pltime_s;
        ia.vltime_s = o.vltime_s.value_or(nd_infinite_lifetime);
        if (ia.pltime_s != nd_infinite_lifetime) ia.preferred_ns = now + uint64_t(ia.pltime_s) * ns_per_s;
        if (ia.vltime_s != nd_infinite_lifetime) ia.expire_ns = now + uint64_t(ia.vltime_s) * ns_per_s;
        if (ia.pltime_s == 0) ia.flags |= in6_iff::deprecated;
    }
    const bool ether = (ifp.caps() & ifcap::lladdr);
    const bool dad = ether && stk.cfg.dad6_count > 0;
    if (dad) ia.flags |= in6_iff::tentative;
    v.push_back(ia);
    addrs6_publish(ifp, std::move(v));
    event6(stack_event::rtm_newaddr, ifp.index(), addr);
    routes6_rebuild();
    if (dad && ifp.is_running()) dad6_start(ifp, addr);
    stk.tx_flush(stk.ctl_ctx());
    return {};
}

status stack::addr6_add(std::string_view ifname, const ip6_addr& addr, unsigned plen, const addr6_opts& o) {
    ctl_guard g(p_->ctl);
    ifnet* ifp = p_->find_if(ifname);
    if (!ifp) return errc::noent;
    return p_->in6->addr6_add_locked(*ifp, addr, plen, o, 0);
}

void inet6::addr6_remove(ifnet& ifp, const ip6_addr& a) {
    std::vector<in6_ifaddr> v = ifp.addrs().v6;
    auto it = std::find_if(v.begin(), v.end(), [&](const in6_ifaddr& x) { return x.addr == a; });
    if (it == v.end()) return;
    const prefix6 net = it->prefix();
    v.erase(it);
    if (auto d = dads6.find({ifp.index(), a}); d != dads6.end()) {
        stk.timers.cancel(d->second.timer);
        dads6.erase(d);
    }
    addrs6_publish(ifp, std::move(v));
    event6(stack_event::rtm_deladdr, ifp.index(), a);
    routes6_rebuild();
    const auto& rest = ifp.addrs().v6;
    const bool onlink_prefix = std::any_of(prefixes.begin(), prefixes.end(), [&](const nd_prefix& p) {
        return p.ifindex == ifp.index() && p.onlink && p.prefix == net;
    });
    if (!onlink_prefix &&
        !std::any_of(rest.begin(), rest.end(), [&](const in6_ifaddr& x) { return x.prefix() == net; }) &&
        !net.addr.is_link_local())
        stk.nd->purge(ifp, false, net);
}

status stack::addr6_del(std::string_view ifname, const ip6_addr& addr) {
    ctl_guard g(p_->ctl);
    ifnet* ifp = p_->find_if(ifname);
    if (!ifp) return errc::noent;
    if (!p_->in6->find_addr6(*ifp, addr)) return errc::addrnotavail;
    p_->in6->addr6_remove(*ifp, addr);
    return {};
}

void inet6::set_addr6_flags(ifnet& ifp, const ip6_addr& a, uint8_t set, uint8_t clear) {
    std::vector<in6_ifaddr> v = ifp.addrs().v6;
    for (auto& x : v)
        if (x.addr == a) x.flags = static_cast<uint8_t>((x.flags | set) & ~clear);
    addrs6_publish(ifp, std::move(v));
    routes6_rebuild();
}

namespace {

unsigned common_prefix(const ip6_addr& a, const ip6_addr& b) {
    unsigned n = 0;
    for (unsigned i = 0; i < 16; ++i) {
        const uint8_t x = a.b[i] ^ b.b[i];
        if (x == 0) {
            n += 8;
            continue;
        }
        return n + unsigned(__builtin_clz(unsigned(x)) - 24);
    }
    return n;
}

}  // namespace

std::optional<ip6_addr> inet6::select_src6(const ifnet& ifp, const ip6_addr& dst) const {
    // RFC 6724 section 5, the rules that matter here: same address first;
    // the scope of the destination (a link-local destination gets a
    // link-local source, a global one a global source when there is one);
    // preferred over deprecated; then the longest matching prefix. Tentative
    // and duplicated addresses are never chosen.
    const bool ll_dst = dst.is_link_local() || dst.is_mc_link_scope();
    const in6_ifaddr* best = nullptr;
    auto rank = [&](const in6_ifaddr& a) {
        int r = 0;
        if (a.addr == dst) r += 1000;
        if (a.addr.is_link_local() == ll_dst) r += 400;
        if (!(a.flags & in6_iff::deprecated)) r += 200;
        return r + int(common_prefix(a.addr, dst));
    };
    for (const auto& a : ifp.addrs().v6) {
        if (!a.is_usable()) continue;
        if (!best || rank(a) > rank(*best)) best = &a;
    }
    if (best && (ll_dst || !best->addr.is_link_local())) return best->addr;
    if (ll_dst) return std::nullopt;
    // A global destination on an interface with only link-local addresses:
    // a global address of another interface (a link-local one would be out
    // of scope beyond this link).
    std::optional<ip6_addr> other;
    stk.ifs.for_each([&](ifnet& x) {
        if (other || &x == &ifp || (x.flags() & iff::loopback)) return;
        for (const auto& a : x.addrs().v6)
            if (a.is_usable() && !a.addr.is_link_local() && !(a.flags & in6_iff::deprecated)) other = a.addr;
    });
    if (other) return other;
    if (best) return best->addr;
    return std::nullopt;
}

void inet6::if6_came_up(ifnet& ifp) {
    if (!(ifp.caps() & ifcap::lladdr)) return;
    const bool has_ll = std::any_of(ifp.addrs().v6.begin(), ifp.addrs().v6.end(),
                                    [](const in6_ifaddr& a) { return a.addr.is_link_local(); });
    if (stk.cfg.auto_linklocal && !has_ll) {
        (void)addr6_add_locked(ifp, ip6_addr::link_local(ifp.lladdr()), 64, {}, 0);  // DAD starts inside
    }
    // Addresses configured while down (or before the link came back) go through DAD.
    std::vector<ip6_addr> dad;
    for (const auto& a : ifp.addrs().v6)
        if ((a.flags & in6_iff::tentative) && !dads6.count({ifp.index(), a.addr})) dad.push_back(a.addr);
    for (const auto& a : dad) dad6_start(ifp, a);
}

// ---- DAD ------------------------------------------------------------------------

void inet6::dad6_start(ifnet& ifp, const ip6_addr& a) {
    auto key = std::make_pair(ifp.index(), a);
    if (auto it = dads6.find(key); it != dads6.end()) stk.timers.cancel(it->second.timer);
    auto& d = dads6[key];
    d = dad6_state{ifp.index(), a, 0, 0};
    // The first probe goes out at once (RFC 4862 5.4.2 allows a random delay;
    // mpnet keeps scenario tests deterministic).
    d.timer = stk.timers.add(stk.clock->now_ns(), [this, ix = ifp.index(), a] { dad6_timer(ix, a); });
}

void inet6::dad6_stop_all(ifindex_t ifindex) {
    std::erase_if(dads6, [&](const auto& kv) {
        if (kv.first.first != ifindex) return false;
        stk.timers.cancel(kv.second.timer);
        return true;
    });
}

void inet6::dad6_timer(ifindex_t ifindex, ip6_addr a) {
    auto it = dads6.find({ifindex, a});
    ifnet* ifp = stk.ifs.lookup(ifindex);
    if (it == dads6.end() || !ifp) return;
    dad6_state& d = it->second;
    if (!ifp->is_running()) {
        dads6.erase(it);  // restarted when the interface comes up
        return;
    }
    if (d.probes_sent < stk.cfg.dad6_count) {
        nd6_ns_send(*ifp, a, nullptr, nullptr, true);
        ++d.probes_sent;
        d.timer = stk.timers.add(stk.clock->now_ns() + uint64_t(stk.cfg.nd_retrans_ms) * ns_per_ms,
                                 [this, ifindex, a] { dad6_timer(ifindex, a); });
        stk.tx_flush(stk.ctl_ctx());
        return;
    }
    dads6.erase(it);
    set_addr6_flags(*ifp, a, 0, in6_iff::tentative);
    event6(stack_event::addr_ready, ifindex, a);
}

void inet6::dad6_conflict(ifnet& ifp, const ip6_addr& a) {
    if (auto it = dads6.find({ifp.index(), a}); it != dads6.end()) {
        stk.timers.cancel(it->second.timer);
        dads6.erase(it);
    }
    set_addr6_flags(ifp, a, in6_iff::duplicated, in6_iff::tentative);
    event6(stack_event::addr_duplicated, ifp.index(), a);
}

// ---- inet6's lifecycle hook ----------------------------------------------------------

void inet6::inet6_if_event(ifnet& ifp, if_event ev) {
    const ifindex_t ix = ifp.index();
    switch (ev) {
        case if_event::up:
        case if_event::link_up:
            if6_came_up(ifp);
            break;
        case if_event::down:
            dad6_stop_all(ix);
            break;
        case if_event::detach:
            dad6_stop_all(ix);
            std::erase_if(defrouters, [&](const nd_defrouter& r) { return r.ifindex == ix; });
            std::erase_if(prefixes, [&](const nd_prefix& p) { return p.ifindex == ix; });
            rtadv_stop(ix, false);  // the interface is going: nothing to send on
            break;
        case if_event::gone: {
            // As inet4's: only an interface with addresses or routes matters
            // (its routers and prefixes went at detach; a default route
            // through one of them is a route through it).
            if (stk.tearing_down) break;  // the routes go with the stack
            bool refers = !ifp.addrs().v6.empty();
            if (!refers) rib6_.for_each([&](rtentry6& e) { refers |= e.ifindex == ix || e.src_ifindex == ix; });
            if (refers) routes6_rebuild();
            break;
        }
        case if_event::attach:
            // A loopback interface gets ::1/128 and fe80::1/64, as NetBSD's lo0.
            if (ifp.flags() & iff::loopback) {
                in6_ifaddr lo6{ip6_addr::loopback(), 128, 0, 0, 0, 0, 0};
                in6_ifaddr ll6 = lo6;
                ll6.addr = *ip6_addr::parse("fe80::1");
                ll6.plen = 64;
                addrs6_publish(ifp, {lo6, ll6});
                routes6_rebuild();
            }
            break;
        case if_event::link_down:
            break;
    }
}

}  // namespace mpnet
