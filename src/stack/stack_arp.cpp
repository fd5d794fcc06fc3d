// SPDX-License-Identifier: BSD-2-Clause
// ARP input and output, proxy ARP, ARP's neighbor-domain operations, and
// the arp(8) and ndp(8) APIs over the neighbor module (src/modules/neigh).
#include <algorithm>
#include <vector>

#include "../modules/neigh/neigh.hpp"
#include "mpnet/l2/ether.hpp"
#include "stack_impl.hpp"

namespace mpnet {

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
            nd->set_state(ifp, *e, (f.op == arp_op_reply && target) ? ll_state::reachable : ll_state::stale, f.sha,
                          r.flags);
        } else if (r.mac != f.sha) {
            nd->set_state(ifp, *e, ll_state::stale, f.sha, r.flags);  // moved
        } else if (f.op == arp_op_reply && target) {
            nd->set_state(ifp, *e, ll_state::reachable, f.sha, r.flags);
        }
    } else if (target && !garp) {
        // Learn the requester (NetBSD creates the entry STALE from a request).
        if (auto ne = nd->create(ifp, llkey::v4(f.spa)); ne) {
            e = *ne;
            nd->set_state(ifp, *e, f.op == arp_op_reply ? ll_state::reachable : ll_state::stale, f.sha, 0);
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
                nd->set_state(ifp, *e, ll_state::delay, r.mac, r.flags);
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

// ---- ARP's neighbor domain ---------------------------------------------------------

namespace {

void arp_solicit(stack::impl& s, ifnet& ifp, llentry& e, bool unicast) {
    const ip4_addr target = e.key.ip4();
    auto src = s.select_src(ifp, target);
    if (!src) return;  // no usable address on this link: nothing to ask from
    const ll_resolution r = e.resolution();
    const bool uc = unicast && (r.flags & llflag::valid);
    s.arp_send(ifp, uc ? r.mac : ether_addr::broadcast(),
               arp_fields{arp_op_request, ifp.lladdr(), *src, uc ? r.mac : ether_addr{}, target});
}

void arp_output(stack::impl& s, lcore_ctx& c, mbuf* m, ifnet& ifp, const llkey& nh) {
    s.ip4_output(c, m, ifp, nh.ip4());
}

void arp_failed(stack::impl& s, uint16_t ifindex, const llkey& k) {
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
    return p_->nd->static_set(*ifp, llkey::v4(addr), mac, opts);
}

status stack::arp_del(ip4_addr addr) {
    ctl_guard g(p_->ctl);
    bool found = false;
    p_->ifs.for_each([&](ifnet& ifp) {
        if (llentry* e = ifp.lltable().lookup(llkey::v4(addr))) {
            p_->nd->remove(ifp, *e);
            found = true;
        }
    });
    return found ? status{} : status{errc::noent};
}

void stack::arp_flush() {
    ctl_guard g(p_->ctl);
    p_->ifs.for_each([&](ifnet& ifp) { p_->nd->purge(ifp, false); });
}

std::vector<neigh_info> stack::arp_list() const {
    ctl_guard g(p_->ctl);
    std::vector<neigh_info> v;
    p_->ifs.for_each([&](ifnet& ifp) {
        ifp.lltable().for_each([&](llentry& e) {
            if (e.key.family == 4) v.push_back(p_->nd->info(ifp, e));
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
    return p_->nd->static_set(*ifp, llkey::v6(addr), mac, opts);
}

status stack::ndp_del(const ip6_addr& addr, std::string_view ifname) {
    ctl_guard g(p_->ctl);
    bool found = false;
    p_->ifs.for_each([&](ifnet& ifp) {
        if (!ifname.empty() && ifp.name() != ifname) return;
        if (llentry* e = ifp.lltable().lookup(llkey::v6(addr))) {
            p_->nd->remove(ifp, *e);
            found = true;
        }
    });
    return found ? status{} : status{errc::noent};
}

void stack::ndp_flush() {
    ctl_guard g(p_->ctl);
    p_->ifs.for_each([&](ifnet& ifp) { p_->nd->purge(ifp, true, 6); });
}

std::vector<neigh_info> stack::ndp_list() const {
    ctl_guard g(p_->ctl);
    std::vector<neigh_info> v;
    p_->ifs.for_each([&](ifnet& ifp) {
        ifp.lltable().for_each([&](llentry& e) {
            if (e.key.family == 6) v.push_back(p_->nd->info(ifp, e));
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
        if (llentry* e = ifp.lltable().lookup(llkey::v6(addr))) v.push_back(p_->nd->info(ifp, *e));
    });
    return v;
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
