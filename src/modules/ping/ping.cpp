// SPDX-License-Identifier: BSD-2-Clause
// The ping module: echo sessions driven by control-plane timers; replies
// come back from the workers through the hand-over ring.
#include "ping.hpp"

#include "../../stack/stack_impl.hpp"
#include "../inet4/inet4.hpp"
#include "../inet6/inet6.hpp"
#include "mpnet/core/checksum.hpp"
#include "mpnet/l3/icmp.hpp"
#include "mpnet/l3/ip6.hpp"

namespace mpnet {

namespace {
constexpr uint16_t ping_count_max = 10000;
}

result<uint32_t> pinger::open_session(const ping_opts& opts, uint16_t payload_max,
                                      const std::function<void(ping_session&)>& dst) {
    if (opts.count == 0 || opts.count > ping_count_max || opts.payload_len > payload_max || opts.ttl == uint8_t{0})
        return errc::inval;
    if (pings.size() >= limits::ping_sessions_max) return errc::nospc;
    const uint32_t id = next_ping_id++;
    ping_session& s = pings[id];
    s.id = id;
    s.icmp_id = static_cast<uint16_t>(stk.icmp_id_base | (id & 0x0fff));
    s.opts = opts;
    s.sent_at.assign(opts.count, 0);
    s.got.assign(opts.count, 0);
    dst(s);
    ping_tick(id);
    return id;
}

result<uint32_t> stack::ping_start(ip4_addr dst, const ping_opts& opts) {
    ctl_guard g(p_->ctl);
    return p_->ping->open_session(opts, 1472, [&](ping_session& s) { s.dst = dst; });
}

result<uint32_t> stack::ping6_start(const ip6_addr& dst, std::string_view zone, const ping_opts& opts) {
    ctl_guard g(p_->ctl);
    if (dst.is_any()) return errc::inval;
    ifindex_t z = 0;
    if (!zone.empty()) {
        ifnet* ifp = p_->find_if(zone);
        if (!ifp) return errc::noent;
        z = ifp->index();
    }
    return p_->ping->open_session(opts, 1452, [&](ping_session& s) {
        s.v6 = true;
        s.dst6 = dst;
        s.zone = z;
    });
}

result<ping_result> stack::ping_get(uint32_t id) const {
    ctl_guard g(p_->ctl);
    auto it = p_->ping->pings.find(id);
    if (it == p_->ping->pings.end()) return errc::noent;
    return it->second.res;
}

void stack::ping_release(uint32_t id) {
    ctl_guard g(p_->ctl);
    auto it = p_->ping->pings.find(id);
    if (it == p_->ping->pings.end()) return;
    p_->timers.cancel(it->second.timer);
    p_->ping->pings.erase(it);
}

void pinger::ping_tick(uint32_t id) {
    auto it = pings.find(id);
    if (it == pings.end()) return;
    ping_session& s = it->second;
    s.timer = 0;
    const uint64_t now = stk.clock->now_ns();
    if (s.res.done) return;
    if (s.res.sent < s.opts.count && s.res.error == errc::ok) {
        if (s.v6) {
            ping6_send(s);
        } else {
            ping_send(s);
        }
    }
    if (s.res.error != errc::ok) {
        s.res.done = true;
        return;
    }
    if (s.res.sent < s.opts.count) {
        s.timer = stk.timers.add(now + uint64_t(s.opts.interval_ms) * ns_per_ms, [this, id] { ping_tick(id); });
    } else if (s.deadline_ns == 0) {
        s.deadline_ns = now + uint64_t(s.opts.timeout_ms) * ns_per_ms;
        s.timer = stk.timers.add(s.deadline_ns, [this, id] { ping_tick(id); });
    } else {
        s.res.done = true;  // the wait after the last request ran out
    }
}

void pinger::ping_send(ping_session& s) {
    rtentry* r = stk.in4->rib.match(s.dst);
    if (!r) {
        s.res.error = errc::netunreach;
        stk.event(stack_event::rtm_miss, 0, s.dst);
        return;
    }
    if (r->flags & rtf::reject) {
        // NetBSD's rt_check_reject_route: what ping(8) reports.
        ifnet* out = stk.ifs.lookup(r->ifindex);
        const bool loop = out && (out->flags() & iff::loopback);
        s.res.error = loop ? ((r->flags & rtf::host) ? errc::hostunreach : errc::netunreach)
                           : ((r->flags & rtf::gateway) ? errc::hostunreach : errc::hostdown);
        return;
    }
    std::optional<ip4_addr> src = s.opts.src;
    if (!src) {
        if (r->flags & rtf::local) {
            src = s.dst;
        } else if (!r->ifa.is_any()) {
            src = r->ifa;
        } else if (ifnet* ifp = stk.ifs.lookup(r->ifindex)) {
            src = stk.in4->select_src(*ifp, (r->flags & rtf::gateway) ? r->gateway : s.dst);
        }
    }
    if (!src) {
        s.res.error = errc::addrnotavail;
        return;
    }
    lcore_ctx& c = stk.ctl_ctx();
    const uint16_t seq = s.res.sent;
    // No TTL of its own: the stack's net.inet.ip.ttl, as NetBSD's ping without -T.
    const uint8_t ttl = s.opts.ttl.value_or(static_cast<uint8_t>(stk.in4->knobs.ttl.load(std::memory_order_relaxed)));
    mbuf* m = icmp_echo_build(stk.pool, *src, s.dst, s.icmp_id, seq, s.opts.payload_len, ttl);
    if (!m) {
        stk.count_drop(c, drop_reason::nobufs);
        s.res.error = errc::nobufs;
        return;
    }
    if (s.opts.df) {
        auto* h = pkt_header<ip4_hdr>(m);
        h->frag.set(ip4_frag_df);
        h->cksum = 0;
        h->cksum = in_cksum(h, h->hlen_bytes());
    }
    s.sent_at[seq] = stk.clock->now_ns();
    ++s.res.sent;
    stk.in4->ip4_route_output(c, m, s.dst);
    stk.tx_flush(c);
}

void pinger::ping6_send(ping_session& s) {
    // The route: a link-local or multicast destination needs its zone
    // (NetBSD's ping6 fails with "No route to host" without one).
    ifnet* out = nullptr;
    rtentry6* r = nullptr;
    if (s.dst6.is_multicast()) {
        out = stk.ifs.lookup(s.zone);
    } else if (!((s.dst6.is_link_local()) && s.zone == 0)) {
        r = stk.in6->rib6_.match(s.dst6.with_scope(s.zone));
        if (r) out = stk.ifs.lookup(r->ifindex);
    }
    if (!out) {
        s.res.error = errc::hostunreach;
        stk.in6->event6(stack_event::rtm_miss, 0, s.dst6);
        return;
    }
    if (r && (r->flags & rtf::reject)) {
        const bool loop = (out->flags() & iff::loopback);
        s.res.error = loop ? ((r->flags & rtf::host) ? errc::hostunreach : errc::netunreach)
                           : ((r->flags & rtf::gateway) ? errc::hostunreach : errc::hostdown);
        return;
    }
    std::optional<ip6_addr> src;
    if (s.opts.src6) {
        // -S: one of ours; a link-local source only on its own link.
        ifnet* owner = nullptr;
        stk.ifs.for_each([&](ifnet& x) {
            if (owner) return;
            const in6_ifaddr* a = stk.in6->find_addr6(x, *s.opts.src6);
            if (a && a->is_usable() && (s.opts.src6_zone.empty() || x.name() == s.opts.src6_zone)) owner = &x;
        });
        if (!owner) {
            s.res.error = errc::addrnotavail;
            return;
        }
        if (s.opts.src6->is_link_local() && owner != out && !(out->flags() & iff::loopback)) {
            s.res.error = errc::addrnotavail;
            return;
        }
        src = s.opts.src6;
    } else if (r && (r->flags & rtf::local)) {
        src = s.dst6;
    } else {
        src = stk.in6->select_src6(*out, s.dst6);  // RFC 6724: by destination, not by gateway
    }
    if (!src) {
        s.res.error = errc::addrnotavail;
        return;
    }
    lcore_ctx& c = stk.ctl_ctx();
    const uint16_t seq = s.res.sent;
    mbuf* m = icmp6_echo_build(stk.pool, *src, s.dst6, s.icmp_id, seq, s.opts.payload_len,
                               s.opts.ttl.value_or(stk.in6->hlim6()));
    if (!m) {
        stk.count_drop(c, drop_reason::nobufs);
        s.res.error = errc::nobufs;
        return;
    }
    s.sent_at[seq] = stk.clock->now_ns();
    ++s.res.sent;
    stk.in6->ip6_route_output(c, m, s.dst6.is_link_local() || s.dst6.is_multicast() ? s.zone : 0);
    stk.tx_flush(c);
}

void pinger::ping_reply(ping_session& s, uint16_t seq) {
    if (s.got[seq]) {
        ++s.res.duplicates;
        return;
    }
    s.got[seq] = 1;
    ++s.res.received;
    const uint64_t rtt = stk.clock->now_ns() - s.sent_at[seq];
    if (s.res.received == 1 || rtt < s.res.rtt_min_ns) s.res.rtt_min_ns = rtt;
    if (rtt > s.res.rtt_max_ns) s.res.rtt_max_ns = rtt;
    s.res.rtt_sum_ns += rtt;
    if (s.res.received == s.opts.count) {
        s.res.done = true;
        stk.timers.cancel(s.timer);
        s.timer = 0;
    }
}

void pinger::ping6_input(mbuf* m, uint32_t off) {
    auto* ic = pkt_header<icmp6_hdr>(m, off);
    const uint32_t d = ic->data.get();
    const uint16_t icmp_id = static_cast<uint16_t>(d >> 16), seq = static_cast<uint16_t>(d);
    for (auto& [id, s] : pings) {
        if (!s.v6 || s.icmp_id != icmp_id) continue;
        if (seq >= s.opts.count || s.sent_at[seq] == 0) break;
        ping_reply(s, seq);
        pkt_free(m);
        return;
    }
    stk.drop(stk.ctl_ctx(), m, drop_reason::icmp_no_session);
}

void pinger::icmp6_err_input(mbuf* m, uint32_t off) {
    // An ICMPv6 error about our traffic: report it to the ping session whose
    // request it quotes.
    auto* ip = pkt_header<ip6_hdr>(m);
    auto* ic = pkt_header<icmp6_hdr>(m, off);
    const uint32_t inner_off = off + sizeof(icmp6_hdr);
    auto* inner = pkt_header<ip6_hdr>(m, inner_off);
    auto* iic = pkt_header<icmp6_hdr>(m, inner_off + sizeof(ip6_hdr));
    if (!inner || !iic) return stk.drop(stk.ctl_ctx(), m, drop_reason::icmp6_too_short);
    if (inner->next == ipproto_icmpv6 && iic->type == icmp6_echo_request) {
        for (auto& [id, s] : pings) {
            if (!s.v6 || s.icmp_id != uint16_t(iic->data.get() >> 16)) continue;
            ++s.res.icmp_errors;
            s.res.last_error_type = ic->type;
            s.res.last_error_code = ic->code;
            s.res.last_error_from6 = ip->src;
        }
    }
    pkt_free(m);
}

void pinger::ping_input(mbuf* m) {
    lcore_ctx& c = stk.ctl_ctx();
    auto* ip = pkt_header<ip4_hdr>(m);
    auto* ic = pkt_header<icmp_hdr>(m, ip->hlen_bytes());  // validated by the worker
    const uint16_t icmp_id = ic->id.get();
    const uint16_t seq = ic->seq.get();
    for (auto& [id, s] : pings) {
        if (s.v6) continue;
        // Matched by identifier (unique per instance and session) and sequence:
        // a broadcast ping is answered from the hosts' own addresses.
        if (s.icmp_id != icmp_id) continue;
        if (seq >= s.opts.count || s.sent_at[seq] == 0) break;
        ping_reply(s, seq);
        pkt_free(m);
        return;
    }
    stk.drop(c, m, drop_reason::icmp_no_session);
}

void pinger::icmp_err_seen(mbuf* m) {
    // Tell the ping session whose request this quotes (inet4 validated the
    // outer headers; the packet stays the caller's).
    auto* ip = pkt_header<ip4_hdr>(m);
    const unsigned hl = ip->hlen_bytes();
    auto* ic = pkt_header<icmp_hdr>(m, hl);
    auto* inner = pkt_header<ip4_hdr>(m, hl + sizeof(icmp_hdr));
    if (!inner || inner->proto != ipproto_icmp) return;
    const unsigned ihl = inner->hlen_bytes();
    if (pkt_head_len(m) < hl + sizeof(icmp_hdr) + ihl + sizeof(icmp_hdr)) return;
    auto* iic = pkt_header<icmp_hdr>(m, hl + sizeof(icmp_hdr) + ihl);
    for (auto& [id, s] : pings) {
        if (iic->type != icmp_echo_request || s.icmp_id != iic->id.get()) continue;
        ++s.res.icmp_errors;
        s.res.last_error_type = ic->type;
        s.res.last_error_code = ic->code;
        s.res.last_error_from = ip4_addr(ip->src.get());
    }
}

namespace {

void attach_ping(module_registrar& r) {
    stack::impl& s = r.impl();
    s.ping = std::make_unique<pinger>(s);
    r.limits([](module_ctl& ctl, std::vector<limit_info>& v, void*) {
        v.push_back({"ping sessions", limits::ping_sessions_max, ctl.impl().ping->pings.size()});
    });
}

}  // namespace

extern const module ping_module{"ping", attach_ping};

}  // namespace mpnet
