// SPDX-License-Identifier: BSD-2-Clause
// Interfaces: attach, destroy (UP, with addresses, under traffic), flags, MTU,
// link addresses, link-state changes, and listings.
#include <algorithm>
#include <cctype>
#include <chrono>
#include <thread>

#include "../modules/inet4/inet4.hpp"
#include "../modules/inet6/inet6.hpp"
#include "../modules/neigh/neigh.hpp"
#include "stack_impl.hpp"

namespace mpnet {

namespace {

bool valid_ifname(std::string_view n) {
    if (n.empty() || n.size() > limits::ifname_max) return false;
    if (!std::isalpha(static_cast<unsigned char>(n[0]))) return false;
    return std::all_of(n.begin(), n.end(), [](char ch) {
        return std::isalnum(static_cast<unsigned char>(ch)) || ch == '_' || ch == '-' || ch == '.';
    });
}

int64_t left_s(uint64_t at, uint64_t now) {
    if (at == 0) return -1;
    return at > now ? int64_t((at - now + ns_per_s - 1) / ns_per_s) : 0;
}

if_info info_of(stack::impl& st, const ifnet& ifp, uint64_t now) {
    if_info i;
    i.index = ifp.index();
    i.name = ifp.name();
    i.flags = ifp.flags();
    i.mtu = ifp.mtu();
    i.lladdr = ifp.lladdr();
    i.link_up = ifp.port() ? ifp.port()->link_up() : false;
    for (const auto& a : ifp.addrs().v4) i.addrs.push_back({a.addr, a.plen, a.flags, a.bcast, a.dst});
    for (const auto& a : ifp.addrs().v6)
        i.addrs6.push_back({a.addr, a.plen, a.flags, left_s(a.preferred_ns, now), left_s(a.expire_ns, now),
                            a.pltime_s != 0 || a.vltime_s != 0, a.dst});
    i.inactive_lladdrs = const_cast<ifnet&>(ifp).inactive_lladdrs();
    i.ipackets = ifp.counter(if_counter::ipackets);
    i.ibytes = ifp.counter(if_counter::ibytes);
    i.opackets = ifp.counter(if_counter::opackets);
    i.obytes = ifp.counter(if_counter::obytes);
    i.iqdrops = ifp.counter(if_counter::iqdrops);
    i.oqdrops = ifp.counter(if_counter::oqdrops);
    i.port = ifp.port() ? ifp.port()->describe() : "";
    if (ifp.port()) i.has_device_stats = ifp.port()->device_stats(i.device);
    const if_kind& k = ifp.kind();
    i.kind = std::string(k.name);
    i.created = k.create != nullptr;
    module_ctl mc(st);
    if (k.show) k.show(mc, ifp, i.kind_lines, k.arg);
    if (k.running_config) k.running_config(mc, ifp, i.config_lines, k.arg);
    return i;
}

}  // namespace

void stack::impl::destroy_ifnet(ifnet* ifp) {
    // 1. The modules stop what they do for it (timers, neighbors, DAD,
    //    routers), then its kind lets go of it (a parent its children).
    const ifindex_t ix = ifp->index();
    if_hooks_run(*ifp, if_event::detach);
    if (const if_kind& k = ifp->kind(); k.destroy) {
        module_ctl mc(*this);
        k.destroy(mc, *ifp, k.arg);
    }
    // Nothing of the control plane's own may stay buffered for it: frames
    // from before, and any a hook sent on its way out, go now (from a guest
    // ring, its worker sends them: waited for, 10 ms at most).
    tx_flush(ctl_ctx());
    if (tx_layer* t = ifp->txl(); t && t->has_guest() && running.load(std::memory_order_acquire))
        for (int i = 0; i < 1000 && t->pending(ctl_ctx().idx); ++i) {
            rcu_offline off;
            std::this_thread::sleep_for(std::chrono::microseconds(10));
        }
    // 2. Unpublish: no new reader reaches it; the modules rebuild what
    //    referred to it (routes through it disappear).
    ifs.unpublish(ix);
    if_hooks_run(*ifp, if_event::gone);
    // 3. Wait for every worker to pass a quiescent state (their TX buffers
    //    never outlive an iteration) and for passive references to drain.
    //    Sleeping workers hold it (psref) across an interrupt wait: wake them.
    wake_all();
    ifp->psref().drain();
    if (ifp->txl() && ifp->txl()->has_shared()) shared_txqs.fetch_sub(1, std::memory_order_relaxed);
    // 4. Packets a worker punted for it before step 2 find no interface
    //    (if_gone) when the control plane reads them; nothing else refers to it.
    delete ifp;
}

result<ifindex_t> stack::if_attach(std::string_view name, std::unique_ptr<port> p) {
    ctl_guard g(p_->ctl);
    if (!valid_ifname(name) || !p) return errc::inval;
    if (p_->find_if(name)) return errc::exist;
    const ifindex_t idx = p_->ifs.free_index();
    if (idx == 0 || p_->ifs.ports_full()) return errc::nospc;
    if (p->rx_queues() == 0 || p->rx_queues() > limits::rxq_max || p->tx_queues() == 0 ||
        p->tx_queues() > limits::txq_max)
        return errc::inval;
    ifnet* ifp;
    try {
        ifp = new ifnet(idx, std::string(name), if_kind::ether, std::move(p), p_->cfg.workers + 1, p_->cfg.neigh_max);
    } catch (const std::exception&) {
        return errc::nomem;
    }
    ifp->set_flags(iff::broadcast | iff::simplex | iff::multicast);
    p_->rxq_assign(*ifp);
    if (auto st = p_->ifs.publish(ifp); !st) {  // nothing published: a name map out of memory
        delete ifp;
        return st.error();
    }
    if (ifp->txl()->has_shared()) p_->shared_txqs.fetch_add(1, std::memory_order_relaxed);
    p_->if_hooks_run(*ifp, if_event::attach);
    return idx;
}

status stack::if_destroy(std::string_view name) {
    ctl_guard g(p_->ctl);
    ifnet* ifp = p_->find_if(name);
    if (!ifp) return errc::noent;
    if (ifp->index() == p_->lo0) return errc::perm;
    p_->destroy_ifnet(ifp);
    return {};
}

status stack::if_up(std::string_view name) {
    ctl_guard g(p_->ctl);
    ifnet* ifp = p_->find_if(name);
    if (!ifp) return errc::noent;
    if (ifp->is_up()) return {};
    ifp->set_flags(ifp->flags() | iff::up);
    // A kind with a link state runs when its link is there; one without
    // (lo, a point-to-point pseudo-interface) runs whenever it is up.
    module_ctl mc(*p_);
    if (const if_kind& k = ifp->kind(); !k.link_up || k.link_up(mc, *ifp, k.arg)) p_->if_came_up(*ifp);
    return {};
}

status stack::if_down(std::string_view name) {
    ctl_guard g(p_->ctl);
    ifnet* ifp = p_->find_if(name);
    if (!ifp) return errc::noent;
    if (!ifp->is_up()) return {};
    ifp->set_flags(ifp->flags() & ~(iff::up | iff::running));
    p_->if_hooks_run(*ifp, if_event::down);
    p_->tx_flush(p_->ctl_ctx());
    return {};
}

status stack::if_set_mtu(std::string_view name, uint32_t mtu) {
    ctl_guard g(p_->ctl);
    ifnet* ifp = p_->find_if(name);
    if (!ifp) return errc::noent;
    if (mtu < limits::mtu_min || mtu > limits::mtu_max) return errc::inval;
    ifp->set_mtu(mtu);
    return {};
}

status stack::if_set_arp(std::string_view name, bool on) {
    ctl_guard g(p_->ctl);
    ifnet* ifp = p_->find_if(name);
    if (!ifp) return errc::noent;
    if (!(ifp->caps() & ifcap::lladdr)) return errc::inval;
    ifp->set_flags(on ? (ifp->flags() & ~iff::noarp) : (ifp->flags() | iff::noarp));
    if (!on) p_->nd->purge(*ifp, false, 4);  // ARP's entries; ND is not ARP
    return {};
}

status stack::if_set_promisc(std::string_view name, bool on) {
    ctl_guard g(p_->ctl);
    ifnet* ifp = p_->find_if(name);
    if (!ifp) return errc::noent;
    ifp->set_flags(on ? (ifp->flags() | iff::promisc) : (ifp->flags() & ~iff::promisc));
    return {};
}

status stack::if_link_add(std::string_view name, const ether_addr& mac, bool active) {
    ctl_guard g(p_->ctl);
    ifnet* ifp = p_->find_if(name);
    if (!ifp) return errc::noent;
    if (!(ifp->caps() & ifcap::lladdr) || mac.is_group() || mac.is_zero()) return errc::inval;
    if (!ifp->port() && !(ifp->caps() & ifcap::own_lladdr)) return errc::inval;  // a vlan follows its parent
    auto& inactive = ifp->inactive_lladdrs();
    if (!active) {
        if (mac == ifp->lladdr() || std::find(inactive.begin(), inactive.end(), mac) != inactive.end())
            return errc::exist;
        inactive.push_back(mac);
        return {};
    }
    if (mac == ifp->lladdr()) return {};
    if (ifp->port())
        if (auto s = ifp->port()->set_mac(mac); !s) return s;
    // The old active address becomes an inactive one, as in NetBSD.
    std::erase(inactive, mac);
    inactive.push_back(ifp->lladdr());
    ifp->set_lladdr(mac);
    if (ifp->is_running()) {
        for (const auto& a : ifp->addrs().v4)
            if (a.is_usable()) p_->in4->arp_announce(*ifp, a.addr);
        p_->in6->nd6_announce(*ifp);
    }
    p_->tx_flush(p_->ctl_ctx());
    return {};
}

status stack::if_link_del(std::string_view name, const ether_addr& mac) {
    ctl_guard g(p_->ctl);
    ifnet* ifp = p_->find_if(name);
    if (!ifp) return errc::noent;
    if (mac == ifp->lladdr()) return errc::busy;  // SIOCDLIFADDR: Device busy
    auto& inactive = ifp->inactive_lladdrs();
    if (std::erase(inactive, mac) == 0) return errc::addrnotavail;
    return {};
}

result<if_info> stack::if_get(std::string_view name) const {
    ctl_guard g(p_->ctl);
    ifnet* ifp = p_->find_if(name);
    if (!ifp) return errc::noent;
    return info_of(*p_, *ifp, p_->clock->now_ns());
}

result<if_info> stack::if_get_and_clear(std::string_view name) {
    ctl_guard g(p_->ctl);
    ifnet* ifp = p_->find_if(name);
    if (!ifp) return errc::noent;
    if_info i = info_of(*p_, *ifp, p_->clock->now_ns());
    ifp->counters().clear();
    return i;
}

std::vector<if_info> stack::if_list() const {
    ctl_guard g(p_->ctl);
    std::vector<if_info> v;
    p_->ifs.for_each([&](ifnet& ifp) { v.push_back(info_of(*p_, ifp, p_->clock->now_ns())); });
    return v;
}

void stack::impl::if_came_up(ifnet& ifp) {
    ifp.set_flags(ifp.flags() | iff::running);
    event(stack_event::link_up, ifp.index(), {});
    if_hooks_run(ifp, if_event::up);
    tx_flush(ctl_ctx());
}

void stack::impl::if_link_changed(ifnet& ifp, bool up) {
    if (!up) {
        ifp.set_flags(ifp.flags() & ~iff::running);
        event(stack_event::link_down, ifp.index(), {});
        if_hooks_run(ifp, if_event::link_down);
        tx_flush(ctl_ctx());
        return;
    }
    ifp.set_flags(ifp.flags() | iff::running);
    event(stack_event::link_up, ifp.index(), {});
    if_hooks_run(ifp, if_event::link_up);
    tx_flush(ctl_ctx());
}

std::vector<nexthop_info> stack::nexthop_list() const {
    ctl_guard g(p_->ctl);
    std::vector<nexthop_info> v;
    p_->nhs.for_each([&](const nexthop& nh, uint32_t refs) {
        nexthop_info i;
        i.id = nh.id;
        const ifnet* ifp = p_->ifs.lookup(nh.ifindex);
        i.ifname = ifp ? ifp->name() : "?";
        if (const auto k = nh.gw_key())
            i.gateway = k->key.family == 6 ? nh.gateway6.str() : nh.gateway.str();
        i.flags = nh.flags;
        i.mtu = nh.mtu;
        i.refs = refs;
        // Under the control lock the cached entry is live (a removal unbinds
        // it first), unless a test sabotaged exactly that.
        if (const llentry* e = nh.neigh.get()) {
            i.neigh_cached = true;
            if (!p_->cfg.test_sabotage_neigh_unbind)
                if (const ll_resolution r = e->resolution(); r.flags & llflag::valid) i.lladdr = r.mac.str();
        }
        v.push_back(std::move(i));
    });
    return v;
}

}  // namespace mpnet
