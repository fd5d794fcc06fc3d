// SPDX-License-Identifier: BSD-2-Clause
// ARP input and output, proxy ARP, ARP's neighbor-domain operations, and
// the arp(8) API over the neighbor module (src/modules/neigh).
#include <algorithm>
#include <vector>

#include "../../stack/stack_impl.hpp"
#include "../inet4/inet4.hpp"
#include "../neigh/neigh.hpp"
#include "inet4.hpp"
#include "mpnet/l2/ether.hpp"

namespace mpnet {

// ---- ARP ------------------------------------------------------------------------

void inet4::arp_send(ifnet& ifp, const ether_addr& eth_dst, const arp_fields& f) {
    lcore_ctx& c = stk.ctl_ctx();
    if (!ifp.is_running()) return stk.count_drop(c, drop_reason::if_down);
    mbuf* m = arp_build(stk.pool, eth_dst, ifp.lladdr(), f);
    if (!m) return stk.count_drop(c, drop_reason::nobufs);
    stk.if_transmit(c, ifp, m);  // the kind's transmit (a vlan tags it) or the port
}

void inet4::arp_announce(ifnet& ifp, ip4_addr a) {
    arp_send(ifp, ether_addr::broadcast(), arp_fields{arp_op_request, ifp.lladdr(), a, ether_addr{}, a});
}

namespace {

bool on_subnet(const ifnet& ifp, ip4_addr a) {
    for (const auto& x : ifp.addrs().v4)
        if (x.prefix().contains(a)) return true;
    return false;
}

}  // namespace

void inet4::arp_input(ifnet& ifp, mbuf* m) {
    lcore_ctx& c = stk.ctl_ctx();
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
                return stk.drop(c, m, drop_reason::arp_dup_addr);
            }
            if (f.spa == a.addr) return stk.drop(c, m, drop_reason::arp_dup_addr);
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
            if (r.mac != f.sha) stk.count_drop(c, drop_reason::arp_static_mismatch);
        } else if (!(r.flags & llflag::valid)) {
            // INCOMPLETE: resolved. A reply to us confirms reachability.
            stk.nd->set_state(ifp, *e, (f.op == arp_op_reply && target) ? ll_state::reachable : ll_state::stale, f.sha,
                              r.flags);
        } else if (r.mac != f.sha) {
            stk.nd->set_state(ifp, *e, ll_state::stale, f.sha, r.flags);  // moved
        } else if (f.op == arp_op_reply && target) {
            stk.nd->set_state(ifp, *e, ll_state::reachable, f.sha, r.flags);
        }
    } else if (target && !garp && !on_subnet(ifp, f.spa)) {
        // A sender on none of this interface's subnets is never learned
        // (NetBSD's and FreeBSD's rule); a request from it is still answered.
        stk.count_drop(c, drop_reason::arp_off_subnet);
    } else if (target && !garp) {
        // Learn the requester (NetBSD creates the entry STALE from a request).
        if (auto ne = stk.nd->create(ifp, llkey::v4(f.spa)); ne) {
            e = *ne;
            stk.nd->set_state(ifp, *e, f.op == arp_op_reply ? ll_state::reachable : ll_state::stale, f.sha, 0);
        } else {
            stk.count_drop(c, drop_reason::neigh_table_full);
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
                stk.nd->set_state(ifp, *e, ll_state::delay, r.mac, r.flags);
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
    stk.drop(c, m, drop_reason::arp_not_for_us);
}

// ---- ARP's neighbor domain ---------------------------------------------------------

namespace {

void arp_solicit(stack::impl& s, ifnet& ifp, llentry& e, bool unicast) {
    const ip4_addr target = e.key.ip4();
    auto src = s.in4->select_src(ifp, target);
    if (!src) return;  // no usable address on this link: nothing to ask from
    const ll_resolution r = e.resolution();
    const bool uc = unicast && (r.flags & llflag::valid);
    s.in4->arp_send(ifp, uc ? r.mac : ether_addr::broadcast(),
                    arp_fields{arp_op_request, ifp.lladdr(), *src, uc ? r.mac : ether_addr{}, target});
}

void arp_output(stack::impl& s, lcore_ctx& c, mbuf* m, ifnet& ifp, const llkey& nh) {
    s.in4->ip4_output(c, m, ifp, nh.ip4());
}

void arp_failed(stack::impl& s, ifindex_t ifindex, const llkey& k) {
    s.event(stack_event::neigh_resolve_failed, ifindex, k.ip4());
}

bool arp_resolves(const ifnet& ifp) { return !(ifp.flags() & iff::noarp); }

}  // namespace

nd_domain arp_nd_domain() {
    return nd_domain{.family = 4,
                     .ethertype = ethertype_ip4,
                     .solicit = arp_solicit,
                     .output = arp_output,
                     .failed = arp_failed,
                     .resolves = arp_resolves};
}

// ---- arp(8) API -------------------------------------------------------------------

status stack::arp_add(ip4_addr addr, const ether_addr& mac, unsigned opts, std::string_view ifname) {
    ctl_guard g(p_->ctl);
    if (mac.is_group() || mac.is_zero() || addr.is_any() || addr.is_multicast() || addr.is_broadcast())
        return errc::inval;
    return p_->nd->static_add(llkey::v4(addr), mac, opts, ifname);
}

status stack::arp_del(ip4_addr addr) {
    ctl_guard g(p_->ctl);
    return p_->nd->remove_key(llkey::v4(addr)) ? status{} : status{errc::noent};
}

void stack::arp_flush() {
    ctl_guard g(p_->ctl);
    p_->ifs.for_each([&](ifnet& ifp) { p_->nd->purge(ifp, false); });
}

std::vector<neigh_info> stack::arp_list() const {
    ctl_guard g(p_->ctl);
    return p_->nd->list(4);
}

std::vector<neigh_info> stack::arp_get(ip4_addr addr) const {
    ctl_guard g(p_->ctl);
    std::vector<neigh_info> v;
    p_->ifs.for_each([&](ifnet& ifp) {
        if (llentry* e = ifp.lltable().lookup(llkey::v4(addr))) v.push_back(p_->nd->info(ifp, *e));
    });
    return v;
}

}  // namespace mpnet
