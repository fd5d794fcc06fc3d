// SPDX-License-Identifier: BSD-2-Clause
// IPv4 addresses (add, delete, source selection) and IPv4 duplicate address
// detection (RFC 5227 probes, as NetBSD's arp_dad).
#include <algorithm>

#include "../../stack/stack_impl.hpp"
#include "../inet4/inet4.hpp"
#include "../neigh/neigh.hpp"
#include "inet4.hpp"

namespace mpnet {

void inet4::addrs_publish(ifnet& ifp, std::vector<in_ifaddr> v) {
    ifp.publish_addrs(in_ifaddr_set{std::move(v), ifp.addrs().v6});
}

status stack::addr_add(std::string_view ifname, ip4_addr addr, unsigned plen, std::optional<ip4_addr> dst) {
    ctl_guard g(p_->ctl);
    ifnet* ifp = p_->find_if(ifname);
    if (!ifp) return errc::noent;
    if (plen > 32) return errc::inval;
    if (dst && (!(ifp->flags() & iff::pointopoint) || dst->is_any() || dst->is_multicast() || dst->is_broadcast() ||
                *dst == addr))
        return errc::inval;
    if (addr.is_any() || addr.is_multicast() || addr.is_broadcast()) return errc::inval;
    if (addr.is_loopback() != ((ifp->flags() & iff::loopback) != 0)) return errc::inval;
    std::vector<in_ifaddr> v = ifp->addrs().v4;
    if (std::any_of(v.begin(), v.end(), [&](const in_ifaddr& a) { return a.addr == addr; })) return errc::exist;
    if (v.size() >= limits::addr_per_if_max) return errc::nospc;
    prefix4 net = prefix4::of(addr, plen);
    in_ifaddr ia{addr, static_cast<uint8_t>(plen), 0, plen >= 31 ? ip4_addr::broadcast() : net.broadcast(),
                 dst.value_or(ip4_addr::any())};
    const bool running = ifp->is_running();
    const bool dad = running && p_->cfg.dad_count > 0 && (ifp->caps() & ifcap::lladdr);
    if (dad) ia.flags |= in_iff::tentative;
    v.push_back(ia);
    p_->in4->addrs_publish(*ifp, std::move(v));
    p_->event(stack_event::rtm_newaddr, ifp->index(), addr);
    p_->in4->routes_rebuild();
    if (dad) {
        p_->in4->dad_start(*ifp, addr);
    } else if (running && (ifp->caps() & ifcap::lladdr)) {
        p_->in4->arp_announce(*ifp, addr);
    }
    p_->tx_flush(p_->ctl_ctx());
    return {};
}

status stack::addr_del(std::string_view ifname, ip4_addr addr) {
    ctl_guard g(p_->ctl);
    ifnet* ifp = p_->find_if(ifname);
    if (!ifp) return errc::noent;
    std::vector<in_ifaddr> v = ifp->addrs().v4;
    auto it = std::find_if(v.begin(), v.end(), [&](const in_ifaddr& a) { return a.addr == addr; });
    if (it == v.end()) return errc::addrnotavail;
    prefix4 net = it->prefix();
    v.erase(it);
    p_->in4->dad_stop(ifp->index(), addr);
    p_->in4->addrs_publish(*ifp, std::move(v));
    p_->event(stack_event::rtm_deladdr, ifp->index(), addr);
    p_->in4->routes_rebuild();
    // Neighbors on a subnet no address of the interface covers any longer go
    // with it (NetBSD purges them when the connected route is deleted).
    const auto& rest = ifp->addrs().v4;
    if (!std::any_of(rest.begin(), rest.end(), [&](const in_ifaddr& a) { return a.prefix() == net; }))
        p_->nd->purge(*ifp, false, net);
    return {};
}

std::optional<ip4_addr> inet4::select_src(const ifnet& ifp, ip4_addr dst) const {
    // Prefer a usable address whose subnet holds dst, then any usable one.
    std::optional<ip4_addr> any;
    for (const auto& a : ifp.addrs().v4) {
        if (!a.is_usable()) continue;
        if (a.prefix().contains(dst)) return a.addr;
        if (!any) any = a.addr;
    }
    return any;
}

void inet4::set_addr_flags(ifnet& ifp, ip4_addr a, uint8_t set, uint8_t clear) {
    std::vector<in_ifaddr> v = ifp.addrs().v4;
    for (auto& x : v)
        if (x.addr == a) x.flags = static_cast<uint8_t>((x.flags | set) & ~clear);
    addrs_publish(ifp, std::move(v));
    routes_rebuild();
}

// ---- DAD ------------------------------------------------------------------------

void inet4::dad_start(ifnet& ifp, ip4_addr a) {
    dad_stop(ifp.index(), a);
    auto& d = dads[{ifp.index(), a.v}];
    d.ifindex = ifp.index();
    d.addr = a;
    // The first probe goes out at once (RFC 5227 allows a random 0..1 s wait;
    // mpnet keeps scenario tests deterministic).
    d.timer = stk.timers.add(stk.clock->now_ns(), [this, ix = ifp.index(), a] { dad_timer(ix, a); });
}

void inet4::dad_stop(ifindex_t ifindex, ip4_addr a) {
    auto it = dads.find({ifindex, a.v});
    if (it == dads.end()) return;
    stk.timers.cancel(it->second.timer);
    dads.erase(it);
}

void inet4::dad_stop_all(ifindex_t ifindex) {
    std::erase_if(dads, [&](const auto& kv) {
        if (kv.first.first != ifindex) return false;
        stk.timers.cancel(kv.second.timer);
        return true;
    });
}

void inet4::dad_timer(ifindex_t ifindex, ip4_addr a) {
    auto it = dads.find({ifindex, a.v});
    ifnet* ifp = stk.ifs.lookup(ifindex);
    if (it == dads.end() || !ifp) return;
    dad_state& d = it->second;
    if (d.probes_sent < stk.cfg.dad_count) {
        // Probe: who-has a tell 0.0.0.0, from our MAC.
        arp_send(*ifp, ether_addr::broadcast(),
                 arp_fields{arp_op_request, ifp->lladdr(), ip4_addr::any(), ether_addr{}, a});
        ++d.probes_sent;
        d.timer = stk.timers.add(stk.clock->now_ns() + stk.cfg.dad_retrans_ms * ns_per_ms,
                                 [this, ifindex, a] { dad_timer(ifindex, a); });
        return;
    }
    // No conflict within the probes' window: the address is ours. Announce it.
    dads.erase(it);
    set_addr_flags(*ifp, a, 0, in_iff::tentative);
    stk.event(stack_event::addr_ready, ifindex, a);
    arp_announce(*ifp, a);
}

void inet4::dad_conflict(ifnet& ifp, ip4_addr a) {
    dad_stop(ifp.index(), a);
    set_addr_flags(ifp, a, in_iff::duplicated, in_iff::tentative);
    stk.event(stack_event::addr_duplicated, ifp.index(), a);
}

// ---- inet4's lifecycle hook ----------------------------------------------------------

void inet4::inet4_if_event(ifnet& ifp, if_event ev) {
    const ifindex_t ix = ifp.index();
    const bool ll = (ifp.caps() & ifcap::lladdr) != 0;
    switch (ev) {
        case if_event::up: {
            // Addresses that were configured while the interface was down are
            // announced; tentative ones (re)start DAD.
            std::vector<ip4_addr> dad;
            for (const auto& a : ifp.addrs().v4) {
                if (a.flags & in_iff::tentative)
                    dad.push_back(a.addr);
                else if (a.is_usable() && ll)
                    arp_announce(ifp, a.addr);
            }
            for (auto a : dad) dad_start(ifp, a);
            break;
        }
        case if_event::link_down: {
            // Addresses are detached while the carrier is gone (NetBSD's
            // IN_IFF_DETACHED) and checked again by DAD when it returns.
            std::vector<in_ifaddr> v = ifp.addrs().v4;
            if (v.empty()) break;  // nothing to detach, no route changes
            for (auto& a : v) {
                dad_stop(ix, a.addr);
                a.flags = static_cast<uint8_t>((a.flags | in_iff::detached) & ~in_iff::tentative);
            }
            addrs_publish(ifp, std::move(v));
            routes_rebuild();
            break;
        }
        case if_event::link_up: {
            const bool dad = stk.cfg.dad_count > 0 && ll;
            std::vector<in_ifaddr> v = ifp.addrs().v4;
            if (v.empty()) break;
            std::vector<ip4_addr> recheck;
            for (auto& a : v) {
                if (!(a.flags & in_iff::detached)) continue;
                a.flags = static_cast<uint8_t>(a.flags & ~in_iff::detached);
                if (dad && !(a.flags & in_iff::duplicated)) a.flags |= in_iff::tentative;
                recheck.push_back(a.addr);
            }
            addrs_publish(ifp, std::move(v));
            routes_rebuild();
            for (auto a : recheck) {
                if (dad)
                    dad_start(ifp, a);
                else if (ll)
                    arp_announce(ifp, a);
            }
            break;
        }
        case if_event::down:
        case if_event::detach:
            dad_stop_all(ix);
            break;
        case if_event::gone: {
            // Only an interface with addresses, or with routes through it,
            // changes the routes: the other 99 999 tunnels' going costs no
            // walk over every interface.
            if (stk.tearing_down) break;  // the routes go with the stack
            bool refers = !ifp.addrs().v4.empty();
            if (!refers) rib.for_each([&](rtentry& e) { refers |= e.ifindex == ix || e.src_ifindex == ix; });
            if (refers) routes_rebuild();
            break;
        }
        case if_event::attach:
            // A loopback interface gets 127.0.0.1/8, as NetBSD's lo0.
            if (ifp.flags() & iff::loopback) {
                addrs_publish(ifp, {in_ifaddr{ip4_addr::of(127, 0, 0, 1), 8, 0, ip4_addr::of(127, 255, 255, 255)}});
                routes_rebuild();
            }
            break;
    }
}

}  // namespace mpnet
