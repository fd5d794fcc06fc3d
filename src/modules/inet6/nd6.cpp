// SPDX-License-Identifier: BSD-2-Clause
// Neighbor discovery on the control plane (RFC 4861): NS/NA with the shared
// neighbor state machine, DAD conflicts, router solicitations and
// advertisements (rtadvd's side and the host's: default routers, prefixes,
// SLAAC per RFC 4862, link MTU), redirects, and the ndp(8) API. Workers
// validate hop limit and code before anything reaches here.
#include <algorithm>
#include <cstring>

#include "../../stack/stack_impl.hpp"
#include "../neigh/neigh.hpp"
#include "../ping/ping.hpp"
#include "inet6.hpp"
#include "mpnet/l3/ip6.hpp"

namespace mpnet {

namespace {

constexpr uint64_t two_hours_ns = 2ULL * 3600 * ns_per_s;

uint64_t deadline(uint64_t now, uint32_t life_s) {
    return life_s == nd_infinite_lifetime ? 0 : now + uint64_t(life_s) * ns_per_s;
}

}  // namespace

void inet6::icmp6_input(ifnet& ifp, mbuf* m, uint32_t off) {
    auto* ic = pkt_header<icmp6_hdr>(m, off);  // validated by the worker
    switch (ic->type) {
        case nd_neighbor_solicit:
            return nd6_ns_input(ifp, m, off);
        case nd_neighbor_advert:
            return nd6_na_input(ifp, m, off);
        case nd_router_solicit:
            return nd6_rs_input(ifp, m, off);
        case nd_router_advert:
            return nd6_ra_input(ifp, m, off);
        case nd_redirect:
            return nd6_redirect_input(ifp, m, off);
        case icmp6_echo_reply:
            return stk.ping->ping6_input(m, off);
        default:
            // Modules hear about their own packets first (a tunnel's path MTU).
            if (ic->type == icmp6_dst_unreach || ic->type == icmp6_packet_too_big || ic->type == icmp6_time_exceeded)
                if (auto* q = pkt_header<ip6_hdr>(m, off + sizeof(icmp6_hdr)); q && !stk.ctlinputs.empty()) {
                    icmp_notice n;
                    n.family = 6;
                    n.type = ic->type;
                    n.code = ic->code;
                    if (ic->type == icmp6_packet_too_big) n.mtu = ic->data.get();
                    n.src.family = n.dst.family = 6;
                    n.src.v6 = q->src;
                    n.dst.v6 = q->dst;
                    n.proto = q->next;
                    n.quoted_len = uint32_t(sizeof(ip6_hdr)) + q->payload_len.get();
                    if (stk.ctl_ctx().is_local(n.src)) stk.ctlinput_run(n);
                }
            return stk.ping->icmp6_err_input(m, off);
    }
}

bool inet6::nd6_parse(mbuf* m, uint32_t off, uint32_t fixed, nd_options* o) {
    lcore_ctx& c = stk.ctl_ctx();
    auto* ip = pkt_header<ip6_hdr>(m);
    const uint32_t len = sizeof(ip6_hdr) + ip->payload_len.get() - off;
    if (len < fixed || off + fixed > pkt_head_len(m)) {
        stk.drop(c, m, drop_reason::icmp6_too_short);
        return false;
    }
    drop_reason why{};
    if (!nd_parse_options(pkt_data(m) + off + fixed, len - fixed, o, &why)) {
        stk.drop(c, m, why);
        return false;
    }
    return true;
}

// ---- output helpers ---------------------------------------------------------------

void inet6::nd6_send(ifnet& ifp, const ip6_addr& src, const ip6_addr& dst, const void* msg, uint32_t len) {
    lcore_ctx& c = stk.ctl_ctx();
    if (!ifp.is_running()) return stk.count_drop(c, drop_reason::if_down);
    mbuf* m = icmp6_build(stk.pool, src, dst, 255, msg, len);
    if (!m) return stk.count_drop(c, drop_reason::nobufs);
    ip6_output(c, m, ifp, dst);
}

void inet6::nd6_ns_send(ifnet& ifp, const ip6_addr& target, const ip6_addr* unicast_dst, const ether_addr* dst_mac,
                        bool dad) {
    uint8_t buf[sizeof(nd_ns_na) + sizeof(nd_opt_lla)];
    nd_ns_na ns{};
    ns.h.type = nd_neighbor_solicit;
    ns.target = target;
    std::memcpy(buf, &ns, sizeof ns);
    uint32_t len = sizeof ns;
    ip6_addr src{};
    if (!dad) {
        auto s = select_src6(ifp, target);
        if (!s) return;  // no usable address on this link: nothing to ask from
        src = *s;
        // RFC 4861 4.3: the source link-layer address (never with ::).
        nd_opt_lla o{nd_opt_source_lla, 1, ifp.lladdr()};
        std::memcpy(buf + len, &o, sizeof o);
        len += sizeof o;
    }
    const ip6_addr dst = unicast_dst ? *unicast_dst : target.solicited_node();
    lcore_ctx& c = stk.ctl_ctx();
    if (!ifp.is_running()) return stk.count_drop(c, drop_reason::if_down);
    mbuf* m = icmp6_build(stk.pool, src, dst, 255, buf, len);
    if (!m) return stk.count_drop(c, drop_reason::nobufs);
    if (unicast_dst && dst_mac) return stk.ether_output(c, ifp, m, *dst_mac, ethertype_ip6);
    ip6_output(c, m, ifp, dst);
}

void inet6::nd6_na_send(ifnet& ifp, const ip6_addr& target, const ip6_addr& dst, const ether_addr& mac,
                        uint32_t flags) {
    uint8_t buf[sizeof(nd_ns_na) + sizeof(nd_opt_lla)];
    nd_ns_na na{};
    na.h.type = nd_neighbor_advert;
    na.h.data.set(flags | (fwd6() ? nd_na_router : 0));
    na.target = target;
    std::memcpy(buf, &na, sizeof na);
    nd_opt_lla o{nd_opt_target_lla, 1, mac};
    std::memcpy(buf + sizeof na, &o, sizeof o);
    auto src = find_addr6(ifp, target) ? std::optional<ip6_addr>(target) : select_src6(ifp, dst);
    if (!src) return;
    lcore_ctx& c = stk.ctl_ctx();
    if (!ifp.is_running()) return stk.count_drop(c, drop_reason::if_down);
    mbuf* m = icmp6_build(stk.pool, *src, dst, 255, buf, sizeof buf);
    if (!m) return stk.count_drop(c, drop_reason::nobufs);
    ip6_output(c, m, ifp, dst);
}

void inet6::nd6_announce(ifnet& ifp) {
    // Unsolicited NA (override) for every usable address, to all nodes:
    // neighbors update to our new link address (RFC 4861 7.2.6).
    for (const auto& a : ifp.addrs().v6)
        if (a.is_usable()) nd6_na_send(ifp, a.addr, ip6_addr::all_nodes(), ifp.lladdr(), nd_na_override);
}

// ---- ND's neighbor domain --------------------------------------------------------------

namespace {

ip6_addr key_addr(const llkey& k) {
    ip6_addr a{};
    a.b = k.a;
    return a;
}

void nd6_solicit(stack::impl& s, ifnet& ifp, llentry& e, bool unicast) {
    const ip6_addr t = key_addr(e.key);
    const ll_resolution r = e.resolution();
    if (unicast && (r.flags & llflag::valid)) return s.in6->nd6_ns_send(ifp, t, &t, &r.mac, false);
    s.in6->nd6_ns_send(ifp, t, nullptr, nullptr, false);
}

void nd6_output(stack::impl& s, lcore_ctx& c, mbuf* m, ifnet& ifp, const llkey& nh) {
    s.in6->ip6_output(c, m, ifp, key_addr(nh));
}

void nd6_failed(stack::impl& s, ifindex_t ifindex, const llkey& k) {
    s.in6->event6(stack_event::neigh_resolve_failed, ifindex, key_addr(k));
}

void nd6_gc_hook(stack::impl& s, ifnet& ifp) { s.in6->nd6_gc(ifp); }

}  // namespace

nd_domain nd6_nd_domain() {
    return nd_domain{.family = 6,
                     .ethertype = ethertype_ip6,
                     .solicit = nd6_solicit,
                     .output = nd6_output,
                     .failed = nd6_failed,
                     .gc = nd6_gc_hook};
}

// ---- neighbor cache ------------------------------------------------------------------

void inet6::nd6_gc(ifnet& ifp) {
    // NetBSD's nd6_gc_neighbors: while the dynamic IPv6 entries exceed the
    // threshold, the oldest go (STALE before anything that is in use,
    // INCOMPLETE last). The table's size bounds the count from above, so
    // below the threshold this costs nothing; above it, a sixteenth of the
    // threshold goes at once, so that a flood of new neighbors pays for a
    // scan once per that many entries rather than once per entry.
    const uint32_t thresh = stk.cfg.neighborgcthresh;
    if (ifp.lltable().size() < thresh) return;
    std::vector<std::pair<std::pair<int, uint64_t>, llentry*>> dyn;
    ifp.lltable().for_each([&](llentry& e) {
        if (e.key.family != 6) return;
        const ll_resolution r = e.resolution();
        if (r.flags & (llflag::static_ | llflag::pub | llflag::temp)) return;
        const int rank = r.state == ll_state::stale ? 0 : (r.state == ll_state::incomplete ? 2 : 1);
        dyn.push_back({{rank, e.expire_ns}, &e});
    });
    if (dyn.size() < thresh) return;
    // Room for the entry about to be created, and a sixteenth more.
    const size_t excess = std::min(dyn.size(), dyn.size() - thresh + 1 + thresh / 16);
    std::partial_sort(dyn.begin(), dyn.begin() + static_cast<std::ptrdiff_t>(excess), dyn.end(),
                      [](const auto& a, const auto& b) { return a.first < b.first; });
    for (size_t i = 0; i < excess; ++i) stk.nd->remove(ifp, *dyn[i].second);
}

void inet6::nd6_learn(ifnet& ifp, const ip6_addr& a, const ether_addr& mac, bool router, bool create) {
    // RFC 4861 7.2.3 / 6.2.6: a source link-layer address in NS, RS or RA.
    const llkey k = llkey::v6(a);
    llentry* e = ifp.lltable().lookup(k);
    if (!e) {
        if (!create) return;
        auto ne = stk.nd->create(ifp, k);
        if (!ne) return stk.count_drop(stk.ctl_ctx(), drop_reason::neigh_table_full);
        e = *ne;
        return stk.nd->set_state(ifp, *e, ll_state::stale, mac, router ? llflag::router : 0);
    }
    const ll_resolution r = e->resolution();
    if (r.flags & (llflag::static_ | llflag::pub)) return;
    uint8_t flags = static_cast<uint8_t>(router ? (r.flags | llflag::router) : r.flags);
    if (!(r.flags & llflag::valid) || r.mac != mac) return stk.nd->set_state(ifp, *e, ll_state::stale, mac, flags);
    if (flags != r.flags) e->set_resolution({r.mac, r.state, flags});
}

void inet6::nd6_resolve(ifnet& ifp, mbuf* m) {
    // A worker found no neighbor entry: find the nexthop again from the
    // packet's destination (the route may have changed meanwhile) and hold.
    lcore_ctx& c = stk.ctl_ctx();
    auto* h = pkt_header<ip6_hdr>(m);
    ip6_addr next = h->dst;
    if (!h->dst.is_link_local()) {
        const uint32_t id = fib6_->lookup(h->dst);
        const nexthop* nh = id == fib6::miss ? nullptr : stk.nhs.get(id);
        if (nh && nh->ifindex == ifp.index() && (nh->flags & nhf::gateway)) next = nh->gateway6;
        // Redirects and errors to an on-link source have dst = that neighbor.
    }
    if (!ifp.is_running()) return stk.drop(c, m, drop_reason::if_down);
    stk.nd->hold(ifp, llkey::v6(next), m);
}

// ---- NS / NA -------------------------------------------------------------------------

void inet6::nd6_ns_input(ifnet& ifp, mbuf* m, uint32_t off) {
    lcore_ctx& c = stk.ctl_ctx();
    nd_options o;
    if (!nd6_parse(m, off, sizeof(nd_ns_na), &o)) return;
    auto* ip = pkt_header<ip6_hdr>(m);
    auto* ns = pkt_header<nd_ns_na>(m, off);
    const ip6_addr target = ns->target, src = ip->src;
    const bool dad = src.is_any();
    // RFC 4861 7.1.1: target not multicast; from :: only to a solicited-node
    // group and without a source link-layer address.
    if (target.is_multicast() || (dad && (!ip->dst.is_multicast() || ip->dst != target.solicited_node() || o.slla)))
        return stk.drop(c, m, drop_reason::nd_bad_msg);
    const in6_ifaddr* mine = find_addr6(ifp, target);
    if (mine && (mine->flags & in6_iff::tentative)) {
        // Someone else's DAD for an address we are checking: a duplicate
        // (RFC 4862 5.4.3). A solicitation from a unicast source is ignored.
        if (dad) dad6_conflict(ifp, target);
        return stk.drop(c, m, drop_reason::nd_dup_addr);
    }
    bool proxy = false;
    ether_addr answer_mac = ifp.lladdr();
    if (!mine || (mine->flags & in6_iff::duplicated)) {
        llentry* p = ifp.lltable().lookup(llkey::v6(target));
        const ll_resolution r = p ? p->resolution() : ll_resolution{};
        if (!p || !(r.flags & llflag::pub) || !(r.flags & llflag::valid))
            return stk.drop(c, m, drop_reason::nd_not_for_us);
        proxy = true;
        answer_mac = r.mac;
    }
    if (!dad && o.slla) nd6_learn(ifp, src, o.slla->mac, false, true);
    if (dad) {
        // Defend: an NA to all nodes, not solicited (RFC 4861 7.2.4).
        nd6_na_send(ifp, target, ip6_addr::all_nodes(), answer_mac, proxy ? 0 : nd_na_override);
    } else {
        nd6_na_send(ifp, target, src, answer_mac, nd_na_solicited | (proxy ? 0 : nd_na_override));
    }
    pkt_free(m);
}

void inet6::nd6_na_input(ifnet& ifp, mbuf* m, uint32_t off) {
    lcore_ctx& c = stk.ctl_ctx();
    nd_options o;
    if (!nd6_parse(m, off, sizeof(nd_ns_na), &o)) return;
    auto* ip = pkt_header<ip6_hdr>(m);
    auto* na = pkt_header<nd_ns_na>(m, off);
    const uint32_t fl = na->h.data.get();
    const bool solicited = fl & nd_na_solicited, override_ = fl & nd_na_override, router = fl & nd_na_router;
    const ip6_addr target = na->target;
    // RFC 4861 7.1.2: target not multicast; S clear when sent to a group.
    if (target.is_multicast() || (ip->dst.is_multicast() && solicited)) return stk.drop(c, m, drop_reason::nd_bad_msg);
    if (const in6_ifaddr* mine = find_addr6(ifp, target)) {
        if (mine->flags & in6_iff::tentative) dad6_conflict(ifp, target);
        return stk.drop(c, m, drop_reason::nd_dup_addr);
    }
    llentry* e = ifp.lltable().lookup(llkey::v6(target));
    if (!e) {
        pkt_free(m);  // unsolicited for an unknown neighbor: nothing to update (RFC 4861 7.2.5)
        return;
    }
    const ll_resolution r = e->resolution();
    if (r.flags & (llflag::static_ | llflag::pub)) {
        if (o.tlla && o.tlla->mac != r.mac) stk.count_drop(c, drop_reason::arp_static_mismatch);
        pkt_free(m);
        return;
    }
    uint8_t flags = static_cast<uint8_t>(router ? (r.flags | llflag::router) : (r.flags & ~llflag::router));
    if (!(r.flags & llflag::valid)) {
        // INCOMPLETE: the answer (without a link-layer address it is useless).
        if (!o.tlla) return stk.drop(c, m, drop_reason::nd_bad_msg);
        stk.nd->set_state(ifp, *e, solicited ? ll_state::reachable : ll_state::stale, o.tlla->mac, flags);
    } else {
        const bool differs = o.tlla && o.tlla->mac != r.mac;
        if (!override_ && differs) {
            // Keep the cached address; a REACHABLE entry becomes STALE.
            if (r.state == ll_state::reachable) stk.nd->set_state(ifp, *e, ll_state::stale, r.mac, r.flags);
        } else {
            const ether_addr mac = o.tlla ? o.tlla->mac : r.mac;
            if (solicited) {
                stk.nd->set_state(ifp, *e, ll_state::reachable, mac, flags);
            } else if (differs) {
                stk.nd->set_state(ifp, *e, ll_state::stale, mac, flags);
            } else if (flags != r.flags) {
                e->set_resolution({r.mac, r.state, flags});
            }
        }
    }
    if ((r.flags & llflag::router) && !router) {
        // No longer a router: out of the default router list (RFC 4861 7.2.5).
        for (size_t i = 0; i < defrouters.size(); ++i)
            if (defrouters[i].ifindex == ifp.index() && defrouters[i].addr == target) {
                defrouter_remove(i);
                break;
            }
    }
    pkt_free(m);
}

// ---- router side ----------------------------------------------------------------------

void inet6::rtadv_send(ifnet& ifp, const ip6_addr& dst) {
    auto it = rtadvs.find(ifp.index());
    if (it == rtadvs.end() || !it->second.cfg.enabled || !ifp.is_running()) return;
    const rtadv_config& rc = it->second.cfg;
    std::optional<ip6_addr> src;
    for (const auto& a : ifp.addrs().v6)
        if (a.is_usable() && a.addr.is_link_local()) src = a.addr;
    if (!src) return;  // RAs come from a link-local address; none ready yet
    uint8_t buf[sizeof(nd_ra) + sizeof(nd_opt_lla) + sizeof(nd_opt_mtu_t) +
                limits::addr_per_if_max * sizeof(nd_opt_prefix)];
    nd_ra ra{};
    ra.type = nd_router_advert;
    ra.cur_hlim = rc.cur_hlim;
    ra.flags = static_cast<uint8_t>((rc.managed ? nd_ra_managed : 0) | (rc.other ? nd_ra_other : 0));
    ra.router_lifetime.set(static_cast<uint16_t>(rc.router_lifetime_s));
    ra.reachable_ms.set(rc.reachable_ms);
    ra.retrans_ms.set(rc.retrans_ms);
    uint32_t len = 0;
    auto put = [&](const void* p, size_t n) {
        std::memcpy(buf + len, p, n);
        len += uint32_t(n);
    };
    put(&ra, sizeof ra);
    nd_opt_lla sl{nd_opt_source_lla, 1, ifp.lladdr()};
    put(&sl, sizeof sl);
    if (rc.mtu) {
        nd_opt_mtu_t mo{nd_opt_mtu, 1, 0, {}};
        mo.mtu.set(rc.mtu);
        put(&mo, sizeof mo);
    }
    std::vector<rtadv_prefix> pfx = rc.prefixes;
    if (pfx.empty()) {
        // rtadvd without addr=: the interface's own global prefixes.
        for (const auto& a : ifp.addrs().v6) {
            if (a.addr.is_link_local() || a.plen > 64 || !a.is_usable()) continue;
            rtadv_prefix p;
            p.prefix = a.prefix();
            if (std::none_of(pfx.begin(), pfx.end(), [&](const rtadv_prefix& x) { return x.prefix == p.prefix; }))
                pfx.push_back(p);
        }
    }
    for (size_t i = 0; i < pfx.size() && i < limits::addr_per_if_max; ++i) {
        nd_opt_prefix po{};
        po.type = nd_opt_prefix_info;
        po.len = 4;
        po.plen = pfx[i].prefix.len;
        po.flags =
            static_cast<uint8_t>((pfx[i].onlink ? nd_opt_pi_onlink : 0) | (pfx[i].autonomous ? nd_opt_pi_auto : 0));
        po.valid_lifetime.set(pfx[i].vltime_s);
        po.preferred_lifetime.set(pfx[i].pltime_s);
        po.prefix = pfx[i].prefix.addr;
        put(&po, sizeof po);
    }
    if (dst == ip6_addr::all_nodes()) it->second.last_mcast_ns = stk.clock->now_ns();
    nd6_send(ifp, *src, dst, buf, len);
}

void inet6::nd6_rs_input(ifnet& ifp, mbuf* m, uint32_t off) {
    lcore_ctx& c = stk.ctl_ctx();
    nd_options o;
    if (!nd6_parse(m, off, sizeof(nd_rs), &o)) return;
    auto* ip = pkt_header<ip6_hdr>(m);
    if (ip->src.is_any() && o.slla) return stk.drop(c, m, drop_reason::nd_bad_msg);
    auto it = rtadvs.find(ifp.index());
    if (it == rtadvs.end() || !it->second.cfg.enabled) return stk.drop(c, m, drop_reason::nd_ra_ignored);
    if (!ip->src.is_any() && o.slla) nd6_learn(ifp, ip->src, o.slla->mac, false, true);
    pkt_free(m);
    // RFC 4861 6.2.6: answer to all nodes after a random delay of up to
    // MAX_RA_DELAY_TIME, never sooner than MIN_DELAY_BETWEEN_RAS after the
    // last multicast RA; one scheduled answer serves every RS until it goes,
    // and a periodic RA due first answers them all.
    rtadv_state& st = it->second;
    if (st.rs_due_ns) return;
    const uint64_t now = stk.clock->now_ns();
    st.rng = st.rng * 1103515245u + 12345u;
    uint64_t due = now + uint64_t((st.rng >> 8) % nd_max_ra_delay_ms) * ns_per_ms;
    if (st.last_mcast_ns && due < st.last_mcast_ns + nd_min_delay_between_ras_s * ns_per_s)
        due = st.last_mcast_ns + nd_min_delay_between_ras_s * ns_per_s;
    if (st.next_ns && st.next_ns <= due) return;
    st.rs_due_ns = due;
    const ifindex_t ix = ifp.index();
    st.rs_timer = stk.timers.add(due, [this, ix] {
        auto r = rtadvs.find(ix);
        if (r == rtadvs.end()) return;
        r->second.rs_due_ns = 0;
        r->second.rs_timer = 0;
        if (ifnet* x = stk.ifs.lookup(ix)) rtadv_send(*x, ip6_addr::all_nodes());
        stk.tx_flush(stk.ctl_ctx());
    });
}

void inet6::rtadv_stop(ifindex_t ifindex, bool final_ra) {
    auto it = rtadvs.find(ifindex);
    if (it == rtadvs.end()) return;
    // RFC 4861 6.2.5: a router that stops advertising sends a final RA with
    // router lifetime 0, so hosts drop it from their default-router lists.
    if (final_ra && it->second.cfg.enabled) {
        if (ifnet* ifp = stk.ifs.lookup(ifindex)) {
            it->second.cfg.router_lifetime_s = 0;
            rtadv_send(*ifp, ip6_addr::all_nodes());
        }
    }
    stk.timers.cancel(it->second.rs_timer);
    rtadvs.erase(it);
    advertising[ifindex].store(false, std::memory_order_relaxed);
}

// ---- host side ------------------------------------------------------------------------

void inet6::defrouters_changed() { routes6_rebuild(); }

void inet6::defrouter_remove(size_t i) {
    const nd_defrouter r = defrouters[i];
    defrouters.erase(defrouters.begin() + long(i));
    // Prefixes forget the router; NetBSD keeps the prefix itself.
    for (auto& p : prefixes) std::erase(p.routers, r.addr);
    defrouters_changed();
}

void inet6::prefix_remove(size_t i) {
    const nd_prefix p = prefixes[i];
    prefixes.erase(prefixes.begin() + long(i));
    // Its autoconfigured addresses go with it (NetBSD's prelist_remove).
    if (ifnet* ifp = stk.ifs.lookup(p.ifindex)) {
        std::vector<ip6_addr> gone;
        for (const auto& a : ifp->addrs().v6)
            if ((a.flags & in6_iff::autoconf) && p.prefix.contains(a.addr)) gone.push_back(a.addr);
        for (const auto& a : gone) addr6_remove(*ifp, a);
    }
    routes6_rebuild();
}

void inet6::nd6_ra_input(ifnet& ifp, mbuf* m, uint32_t off) {
    lcore_ctx& c = stk.ctl_ctx();
    auto* ip = pkt_header<ip6_hdr>(m);
    const uint32_t len = sizeof(ip6_hdr) + ip->payload_len.get() - off;
    auto* ra = pkt_header<nd_ra>(m, off);
    if (len < sizeof(nd_ra) || !ra) return stk.drop(c, m, drop_reason::icmp6_too_short);
    ++ra_in;
    // RFC 4861 6.1.2: from a link-local source. A router (forwarding on) or a
    // host with accept_rtadv off ignores them (NetBSD's rules).
    if (!ip->src.is_link_local()) return stk.drop(c, m, drop_reason::nd_bad_msg);
    nd_options o;
    drop_reason why{};
    if (!nd_parse_options(pkt_data(m) + off + sizeof(nd_ra), len - uint32_t(sizeof(nd_ra)), &o, &why))
        return stk.drop(c, m, why);
    if (!accept_rtadv || fwd6()) return stk.drop(c, m, drop_reason::nd_ra_ignored);
    fib6_batch batch(*this);  // routers, prefixes and addresses below: one FIB6 build
    const ip6_addr rtr = ip->src;
    const uint64_t now = stk.clock->now_ns();
    const uint32_t rlife = ra->router_lifetime.get();
    if (o.slla) nd6_learn(ifp, rtr, o.slla->mac, true, true);
    // Default router list.
    auto rit = std::find_if(defrouters.begin(), defrouters.end(),
                            [&](const nd_defrouter& r) { return r.addr == rtr && r.ifindex == ifp.index(); });
    if (rlife == 0) {
        if (rit != defrouters.end()) defrouter_remove(size_t(rit - defrouters.begin()));
    } else if (rit != defrouters.end()) {
        rit->lifetime_s = rlife;
        rit->expire_ns = now + uint64_t(rlife) * ns_per_s;
    } else if (defrouters.size() >= limits::defrouters_max) {
        stk.count_drop(c, drop_reason::nd_router_limit);
    } else {
        defrouters.push_back({rtr, ifp.index(), rlife, now + uint64_t(rlife) * ns_per_s});
        defrouters_changed();
    }
    const bool listed = std::any_of(defrouters.begin(), defrouters.end(),
                                    [&](const nd_defrouter& r) { return r.addr == rtr && r.ifindex == ifp.index(); });
    // Link MTU (RFC 4861 6.3.4): within [1280, the interface's MTU].
    if (o.mtu) {
        const uint32_t mtu = o.mtu->mtu.get();
        if (mtu >= ip6_min_mtu && mtu <= ifp.mtu()) ifp.set_linkmtu6(mtu);
    }
    // Prefixes.
    for (unsigned i = 0; i < o.n_prefix; ++i) {
        const nd_opt_prefix& pi = *o.prefix[i];
        const uint32_t vl = pi.valid_lifetime.get(), pl = pi.preferred_lifetime.get();
        ip6_addr pa = pi.prefix;
        if (pi.plen > 128 || pa.is_link_local() || pa.is_multicast() || pl > vl) {
            stk.count_drop(c, drop_reason::nd_bad_option);
            continue;
        }
        const prefix6 p = prefix6::of(pa, pi.plen);
        auto pit = std::find_if(prefixes.begin(), prefixes.end(),
                                [&](const nd_prefix& x) { return x.prefix == p && x.ifindex == ifp.index(); });
        if (pit == prefixes.end()) {
            if (vl == 0) continue;
            const auto on_if = std::count_if(prefixes.begin(), prefixes.end(),
                                             [&](const nd_prefix& x) { return x.ifindex == ifp.index(); });
            if (uint32_t(on_if) >= stk.cfg.maxifprefixes) {
                stk.count_drop(c, drop_reason::nd_prefix_limit);
                continue;
            }
            nd_prefix np;
            np.prefix = p;
            np.ifindex = ifp.index();
            prefixes.push_back(np);
            pit = prefixes.end() - 1;
        }
        pit->onlink = pit->onlink || (pi.flags & nd_opt_pi_onlink);
        pit->autonomous = pi.flags & nd_opt_pi_auto;
        pit->vltime_s = vl;
        pit->pltime_s = pl;
        pit->vexpire_ns = deadline(now, vl);
        pit->pexpire_ns = deadline(now, pl);
        // A prefix lists only routers on the default-router list (KAME's
        // pfxrtr), so the list is bounded by limits::defrouters_max.
        if (listed && std::find(pit->routers.begin(), pit->routers.end(), rtr) == pit->routers.end())
            pit->routers.push_back(rtr);
        if (vl == 0) {
            prefix_remove(size_t(pit - prefixes.begin()));
            continue;
        }
        routes6_rebuild();
        // SLAAC (RFC 4862 5.5.3): a /64 with A gives an EUI-64 address.
        if (!(pi.flags & nd_opt_pi_auto) || p.len != 64) continue;
        ip6_addr a = p.addr;
        a.set_eui64(ifp.lladdr());
        if (const in6_ifaddr* cur = find_addr6(ifp, a)) {
            if (!(cur->flags & in6_iff::autoconf)) continue;
            // Lifetime update with the two-hour rule (5.5.3 e).
            std::vector<in6_ifaddr> v = ifp.addrs().v6;
            for (auto& x : v) {
                if (x.addr != a) continue;
                const uint64_t remaining = x.expire_ns == 0 ? UINT64_MAX : (x.expire_ns > now ? x.expire_ns - now : 0);
                const uint64_t offered = vl == nd_infinite_lifetime ? UINT64_MAX : uint64_t(vl) * ns_per_s;
                if (offered > two_hours_ns || offered > remaining) {
                    x.expire_ns = deadline(now, vl);
                    x.vltime_s = vl;
                } else if (remaining > two_hours_ns) {
                    x.expire_ns = now + two_hours_ns;
                    x.vltime_s = 7200;
                }
                x.pltime_s = pl;
                x.preferred_ns = deadline(now, pl);
                x.flags =
                    static_cast<uint8_t>(pl == 0 ? (x.flags | in6_iff::deprecated) : (x.flags & ~in6_iff::deprecated));
            }
            addrs6_publish(ifp, std::move(v));
            continue;
        }
        addr6_opts ao;
        ao.pltime_s = pl;
        ao.vltime_s = vl;
        if (pl == 0) ao.pltime_s = 0;
        (void)addr6_add_locked(ifp, a, 64, ao, in6_iff::autoconf);
    }
    pkt_free(m);
}

void inet6::nd6_redirect_input(ifnet& ifp, mbuf* m, uint32_t off) {
    lcore_ctx& c = stk.ctl_ctx();
    nd_options o;
    if (!nd6_parse(m, off, sizeof(nd_redirect_msg), &o)) return;
    auto* ip = pkt_header<ip6_hdr>(m);
    auto* rd = pkt_header<nd_redirect_msg>(m, off);
    const ip6_addr target = rd->target, dst = rd->dst;
    // RFC 4861 8.1: from a link-local source that is our current first hop
    // for dst; target link-local or dst itself; dst not multicast. Routers
    // and hosts with rediraccept off ignore redirects.
    if (fwd6() || !accept_redirects6) return stk.drop(c, m, drop_reason::icmp_redirect_ignored);
    if (!ip->src.is_link_local() || dst.is_multicast() || (!target.is_link_local() && target != dst))
        return stk.drop(c, m, drop_reason::icmp_redirect_ignored);
    rtentry6* cur = rib6_.match(dst.with_scope(ifp.index()));
    if (!cur || !(cur->flags & rtf::gateway) || cur->gateway != ip->src.with_scope(ifp.index()) ||
        cur->ifindex != ifp.index())
        return stk.drop(c, m, drop_reason::icmp_redirect_ignored);
    if (o.tlla) nd6_learn(ifp, target, o.tlla->mac, target != dst, true);
    rt6_redirect(ifp, dst, target);
    pkt_free(m);
}

// ---- the 1 s sweep -----------------------------------------------------------------

void inet6::nd6_sweep() {
    const uint64_t now = stk.clock->now_ns();
    nd6_sweep_timer = stk.timers.add(now + ns_per_s, [this] { nd6_sweep(); });
    fib6_batch batch(*this);
    // Address lifetimes.
    stk.ifs.for_each([&](ifnet& ifp) {
        std::vector<ip6_addr> gone;
        bool changed = false;
        std::vector<in6_ifaddr> v = ifp.addrs().v6;
        for (auto& a : v) {
            if (a.expire_ns && a.expire_ns <= now) {
                gone.push_back(a.addr);
            } else if (a.preferred_ns && a.preferred_ns <= now && !(a.flags & in6_iff::deprecated)) {
                a.flags |= in6_iff::deprecated;
                changed = true;
            }
        }
        if (changed) addrs6_publish(ifp, std::move(v));
        for (const auto& a : gone) addr6_remove(ifp, a);
    });
    // Default routers and prefixes.
    for (size_t i = defrouters.size(); i-- > 0;)
        if (defrouters[i].expire_ns <= now) defrouter_remove(i);
    for (size_t i = prefixes.size(); i-- > 0;)
        if (prefixes[i].vexpire_ns && prefixes[i].vexpire_ns <= now) prefix_remove(i);
    // Periodic advertisements: uniformly in [min, max] (RFC 4861 6.2.4).
    for (auto& [ix, st] : rtadvs) {
        if (!st.cfg.enabled || st.next_ns > now) continue;
        // Multicast RAs stay MIN_DELAY_BETWEEN_RAS apart, periodic ones too.
        const uint64_t gap = nd_min_delay_between_ras_s * ns_per_s;
        if (st.last_mcast_ns && now < st.last_mcast_ns + gap) {
            st.next_ns = st.last_mcast_ns + gap;
            continue;
        }
        if (ifnet* ifp = stk.ifs.lookup(ix)) rtadv_send(*ifp, ip6_addr::all_nodes());
        st.rng = st.rng * 1103515245u + 12345u;
        const uint32_t span = st.cfg.max_interval_s - st.cfg.min_interval_s + 1;
        st.next_ns = now + uint64_t(st.cfg.min_interval_s + (st.rng >> 8) % span) * ns_per_s;
    }
    stk.tx_flush(stk.ctl_ctx());
}

// ---- API ---------------------------------------------------------------------------

std::vector<defrouter_info> stack::ndp_routers() const {
    ctl_guard g(p_->ctl);
    std::vector<defrouter_info> v;
    const uint64_t now = p_->clock->now_ns();
    for (const auto& r : p_->in6->defrouters) {
        ifnet* ifp = p_->ifs.lookup(r.ifindex);
        v.push_back({r.addr, ifp ? ifp->name() : "?", r.lifetime_s,
                     r.expire_ns > now ? int64_t((r.expire_ns - now) / ns_per_s) : 0});
    }
    return v;
}

std::vector<nd_prefix_info> stack::ndp_prefixes() const {
    ctl_guard g(p_->ctl);
    std::vector<nd_prefix_info> v;
    const uint64_t now = p_->clock->now_ns();
    auto left = [&](uint64_t at) -> int64_t { return at == 0 ? -1 : (at > now ? int64_t((at - now) / ns_per_s) : 0); };
    for (const auto& p : p_->in6->prefixes) {
        ifnet* ifp = p_->ifs.lookup(p.ifindex);
        v.push_back({p.prefix, ifp ? ifp->name() : "?", p.onlink, p.autonomous, p.vltime_s, p.pltime_s,
                     left(p.vexpire_ns), left(p.pexpire_ns), p.routers});
    }
    return v;
}

void stack::ndp_flush_prefixes() {
    ctl_guard g(p_->ctl);
    while (!p_->in6->prefixes.empty()) p_->in6->prefix_remove(p_->in6->prefixes.size() - 1);
}

void stack::ndp_flush_routers() {
    ctl_guard g(p_->ctl);
    while (!p_->in6->defrouters.empty()) p_->in6->defrouter_remove(p_->in6->defrouters.size() - 1);
}

result<nd6_ifinfo> stack::ndp_ifinfo(std::string_view ifname) const {
    ctl_guard g(p_->ctl);
    ifnet* ifp = p_->find_if(ifname);
    if (!ifp) return errc::noent;
    nd6_ifinfo i;
    i.linkmtu = ifp->linkmtu6();
    i.maxmtu = ifp->mtu();
    i.basereachable_ms = p_->cfg.nd_reachable_ms;
    i.retrans_ms = p_->cfg.nd_retrans_ms;
    i.curhlim = p_->in6->hlim6();
    i.accept_rtadv = p_->in6->accept_rtadv;
    i.auto_linklocal = p_->cfg.auto_linklocal;
    return i;
}

uint64_t stack::ra_received() const {
    ctl_guard g(p_->ctl);
    return p_->in6->ra_in;
}

status stack::rtadv_set(std::string_view ifname, const rtadv_config& c) {
    ctl_guard g(p_->ctl);
    ifnet* ifp = p_->find_if(ifname);
    if (!ifp) return errc::noent;
    if (!(ifp->caps() & ifcap::lladdr)) return errc::inval;
    // rtadvd.conf(5)'s ranges.
    if (c.max_interval_s < 4 || c.max_interval_s > 1800) return errc::inval;
    if (c.min_interval_s < 3 || c.min_interval_s * 4 > c.max_interval_s * 3) return errc::inval;
    if (c.router_lifetime_s != 0 && (c.router_lifetime_s < c.max_interval_s || c.router_lifetime_s > 9000))
        return errc::inval;
    if (c.mtu != 0 && (c.mtu < ip6_min_mtu || c.mtu > ifp->mtu())) return errc::inval;
    if (c.prefixes.size() > limits::rtadv_prefixes_max) return errc::nospc;
    for (const auto& p : c.prefixes)
        if (p.pltime_s > p.vltime_s || p.prefix.addr.is_link_local() || p.prefix.addr.is_multicast())
            return errc::inval;
    if (!c.enabled) {
        p_->in6->rtadv_stop(ifp->index(), true);
        p_->tx_flush(p_->ctl_ctx());
        return {};
    }
    auto& st = p_->in6->rtadvs[ifp->index()];
    st.cfg = c;
    st.rng = 0x9e3779b9u ^ ifp->index();
    st.next_ns = 0;  // the first advertisement goes at the next sweep
    p_->in6->advertising[ifp->index()].store(true, std::memory_order_relaxed);
    p_->in6->rtadv_send(*ifp, ip6_addr::all_nodes());
    p_->tx_flush(p_->ctl_ctx());
    return {};
}

result<rtadv_config> stack::rtadv_get(std::string_view ifname) const {
    ctl_guard g(p_->ctl);
    ifnet* ifp = p_->find_if(ifname);
    if (!ifp) return errc::noent;
    auto it = p_->in6->rtadvs.find(ifp->index());
    if (it == p_->in6->rtadvs.end()) return rtadv_config{};
    return it->second.cfg;
}

// ---- ndp(8) API -------------------------------------------------------------------

status stack::ndp_add(const ip6_addr& addr, const ether_addr& mac, unsigned opts, std::string_view ifname) {
    ctl_guard g(p_->ctl);
    if (mac.is_group() || mac.is_zero() || addr.is_any() || addr.is_multicast() || addr.is_loopback())
        return errc::inval;
    if (ifname.empty() && addr.is_link_local()) return errc::inval;  // a link-local address needs its zone
    return p_->nd->static_add(llkey::v6(addr), mac, opts, ifname);
}

status stack::ndp_del(const ip6_addr& addr, std::string_view ifname) {
    ctl_guard g(p_->ctl);
    return p_->nd->remove_key(llkey::v6(addr), ifname) ? status{} : status{errc::noent};
}

void stack::ndp_flush() {
    ctl_guard g(p_->ctl);
    p_->ifs.for_each([&](ifnet& ifp) { p_->nd->purge(ifp, true, 6); });
}

std::vector<neigh_info> stack::ndp_list() const {
    ctl_guard g(p_->ctl);
    return p_->nd->list(6);
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

}  // namespace mpnet
