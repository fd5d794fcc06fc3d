// SPDX-License-Identifier: BSD-2-Clause
// gif(4): IPv4/IPv6 in IPv4/IPv6, a module over the seams alone. See
// include/mpnet/modules/gif.hpp for what it does and its locking.
#include "mpnet/modules/gif.hpp"

#include <fmt/format.h>

#include <atomic>
#include <cstring>
#include <memory>
#include <vector>

#include "mpnet/core/checksum.hpp"
#include "mpnet/core/counters.hpp"
#include "mpnet/core/wire.hpp"
#include "mpnet/sync/rcu.hpp"
#include "tunnel.hpp"
#include "mpnet/tunnel/encap.hpp"

namespace mpnet {
namespace {

using tunnel_detail::link_reserve;
using tunnel_detail::u8_knob;

constexpr uint8_t proto_ipip = 4;   // IPv4 inside (RFC 2003)
constexpr uint8_t proto_ipv6 = 41;  // IPv6 inside (RFC 4213, RFC 2473)
constexpr uint8_t gif_key_proto = 0;  // one encap entry serves both inner families
constexpr uint32_t gif_mtu = 1280;    // NetBSD's GIF_MTU
constexpr size_t gif_tunnels_max = limits::ifnet_max;  // one entry per gif at most
constexpr int64_t nesting_max = limits::tunnel_nest_max;  // the knob's ceiling

constexpr uint64_t pmtu_expire_s = 600;  // NetBSD's net.inet.ip.mtudisc_timeout default

enum gif_ctr : size_t { nesting_drops, gif_ctr_count };

/// A gif's tunnel: immutable once published.
struct tunnel {
    gif::endpoints ep;
    encap_key key;  // as received: local = our source, remote = the peer
};

struct gif_state {
    encap_table table{gif_tunnels_max};
    std::atomic<uint8_t> ttl{30}, hlim{30};
    std::atomic<uint8_t> max_nesting{2};
    drop_reason no_tunnel{}, bad_inner{}, nesting{}, ecn_drop{}, nobufs{};
    // The outer IPv4 identification, per lcore (each lcore its own line).
    tunnel_detail::ip_ids ids;
    uint64_t pmtu_serial = 0;  // [ctl] numbers each path MTU learned
};

struct gif_softc final : if_softc {
    rcu_ptr<tunnel> t;  // immutable once published
    // One slot per lcore of the stack (its interfaces' own counters' count):
    // 100 000 tunnels must not each carry limits::lcore_max slots.
    percpu_counters<gif_ctr_count> ctr;
    explicit gif_softc(size_t lcore_slots) : ctr(lcore_slots) {}
    // [ctl] The MTU the operator gave while a learned path MTU lowers it,
    // the lowered value, and which learning the restore timer belongs to.
    uint32_t saved_mtu = 0, lowered_mtu = 0;
    uint64_t pmtu_serial = 0;
    ~gif_softc() override { delete t.publish(nullptr); }  // nothing reads it once the interface is gone
};

bool is_gif(const ifnet& ifp) noexcept { return ifp.kind().name == "gif"; }
gif_softc& sc(const ifnet& ifp) noexcept { return *static_cast<gif_softc*>(ifp.softc()); }
gif_state& state_of(const ifnet& ifp) noexcept { return *static_cast<gif_state*>(ifp.kind().arg); }

encap_key key_of(const gif::endpoints& e) noexcept { return e.key(gif_key_proto); }

// ---- ECN and DSCP (RFC 6040 normal mode) ----------------------------------------------------

constexpr uint8_t ecn_not_ect = 0, ecn_ect1 = 1, ecn_ect0 = 2, ecn_ce = 3;

uint8_t tclass_of(const uint8_t* p) noexcept {
    if ((p[0] >> 4) == 4) return p[1];
    return static_cast<uint8_t>(((p[0] & 0x0f) << 4) | (p[1] >> 4));
}

void set_inner_ecn(uint8_t* p, uint8_t ecn) noexcept {
    if ((p[0] >> 4) == 4) {
        auto* h = reinterpret_cast<ip4_hdr*>(p);
        uint16_t old_w;
        std::memcpy(&old_w, p, 2);
        p[1] = static_cast<uint8_t>((p[1] & 0xfc) | ecn);
        uint16_t new_w;
        std::memcpy(&new_w, p, 2);
        h->cksum = cksum_update16(h->cksum, old_w, new_w);
        return;
    }
    // IPv6: the ECN bits are the low two of the traffic class, bits 4..5 of byte 1.
    p[1] = static_cast<uint8_t>((p[1] & 0xcf) | (ecn << 4));
}

// ---- data path --------------------------------------------------------------------------------

// The kind's output: a packet from layer 3 (inner header at front), after
// the stack's MTU check against the gif's MTU.
void gif_output(dp_ctx& c, ifnet& ifp, mbuf* m, const l3_next&, void* arg) noexcept {
    auto& st = *static_cast<gif_state*>(arg);
    gif_softc& s = sc(ifp);
    const tunnel* t = s.t.read();
    if (!t) return c.drop(m, st.no_tunnel);
    if (c.nesting() >= st.max_nesting.load(std::memory_order_relaxed)) {
        s.ctr.slot(c.lcore()).add(nesting_drops);
        return c.drop(m, st.nesting);
    }
    if (pkt_head_len(m) < 1) return c.drop(m, st.bad_inner);
    const uint8_t* in = pkt_data(m);
    const unsigned ver = in[0] >> 4;
    if (ver != 4 && ver != 6) return c.drop(m, st.bad_inner);
    if (ver == 4 ? pkt_head_len(m) < sizeof(ip4_hdr) : pkt_head_len(m) < sizeof(ip6_hdr))
        return c.drop(m, st.bad_inner);
    const uint8_t tclass = tclass_of(in);  // DSCP and ECN, both copied
    const uint8_t proto = ver == 4 ? proto_ipip : proto_ipv6;
    const uint32_t inner_len = pkt_len(m);
    const uint16_t hl = t->ep.family == 4 ? sizeof(ip4_hdr) : sizeof(ip6_hdr);
    if (inner_len + hl > 0xffff) return c.drop(m, st.bad_inner);
    mbuf* hd = encap_push(m, hl, link_reserve, c.pool());
    if (!hd) return c.drop(m, st.nobufs);
    m = hd;
    encap_write_outer(pkt_data(m), t->ep, proto, inner_len, tclass,
                      (t->ep.family == 4 ? st.ttl : st.hlim).load(std::memory_order_relaxed), st.ids.next(c.lcore()));
    ifp.count(c.lcore(), if_counter::opackets);
    ifp.count(c.lcore(), if_counter::obytes, inner_len);
    c.defer_output(m);
}

// A packet of protocol 4 or 41 to one of our addresses, with the tunnel its
// outer addresses found.
void gif_decap(dp_ctx& c, gif_state& st, mbuf* m, const l4_info& li, encap_hit e) noexcept {
    if (!e) return c.drop(m, st.no_tunnel);
    const uint8_t outer_ecn = tclass_of(pkt_data(m)) & 3;
    ifnet* ifp = c.if_lookup(e.ifindex);
    if (!ifp) return c.drop(m, drop_reason::if_gone);
    if (!ifp->is_up()) return c.drop(m, drop_reason::if_down);
    if (c.nesting() >= st.max_nesting.load(std::memory_order_relaxed)) {
        sc(*ifp).ctr.slot(c.lcore()).add(nesting_drops);
        return c.drop(m, st.nesting);
    }
    // The inner header must be of the family the protocol names.
    if (!pkt_adj(m, static_cast<uint16_t>(li.off)) || pkt_head_len(m) < 1) return c.drop(m, st.bad_inner);
    uint8_t* in = pkt_data(m);
    const unsigned want = li.proto == proto_ipip ? 4 : 6;
    const size_t hmin = want == 4 ? sizeof(ip4_hdr) : sizeof(ip6_hdr);
    if ((in[0] >> 4) != want || pkt_head_len(m) < hmin) return c.drop(m, st.bad_inner);
    const uint8_t inner_ecn = tclass_of(in) & 3;
    if (outer_ecn == ecn_ce) {
        if (inner_ecn == ecn_not_ect) return c.drop(m, st.ecn_drop);
        if (inner_ecn != ecn_ce) set_inner_ecn(in, ecn_ce);
    } else if (outer_ecn == ecn_ect1 && inner_ecn == ecn_ect0) {
        set_inner_ecn(in, ecn_ect1);
    }
    ifp->count(c.lcore(), if_counter::ipackets);
    ifp->count(c.lcore(), if_counter::ibytes, pkt_len(m));
    c.defer_ip_input(*ifp, m);
}

// Protocol 4 or 41 to one of our addresses, either outer family: a burst's
// tunnels looked up together.
void gif_input(dp_ctx& c, ifnet&, mbuf** pkts, const l4_info* li, uint16_t n, void* arg) noexcept {
    auto& st = *static_cast<gif_state*>(arg);
    tunnel_detail::decap_burst(
        c, st.table, n,
        [&](uint16_t i, encap_key& k) {
            if (li[i].group) {
                c.drop(pkts[i], st.no_tunnel);
                return false;
            }
            k = encap_key::received(pkt_data(pkts[i]), li[i].family, gif_key_proto);
            return true;
        },
        [&](uint16_t i, encap_hit e) { gif_decap(c, st, pkts[i], li[i], e); });
}

// ---- control plane --------------------------------------------------------------------------

status gif_create(module_ctl&, ifnet& ifp, void*) {
    ifp.set_softc(std::make_unique<gif_softc>(ifp.counters().slots()));
    ifp.set_flags(iff::pointopoint | iff::multicast);
    ifp.set_mtu(gif_mtu);
    return {};
}

void unset_tunnel(ifnet& ifp) {
    gif_softc& s = sc(ifp);
    if (const tunnel* t = s.t.read()) {
        state_of(ifp).table.remove(t->key);
        s.t.replace(nullptr);
    }
}

void gif_destroy(module_ctl&, ifnet& ifp, void*) { unset_tunnel(ifp); }

bool gif_link_up(module_ctl&, const ifnet& ifp, void*) { return sc(ifp).t.read() != nullptr; }

void gif_show(module_ctl&, const ifnet& ifp, std::vector<std::string>& lines, void*) {
    const gif_softc& s = sc(ifp);
    if (const tunnel* t = s.t.read())
        lines.push_back(fmt::format("tunnel {} {} --> {}", t->ep.family == 4 ? "inet" : "inet6", t->ep.src_str(),
                                    t->ep.dst_str()));
    if (const uint64_t n = s.ctr.sum(nesting_drops))
        lines.push_back(fmt::format("recursively called too many times: {} packets", n));
}

void gif_running_config(module_ctl&, const ifnet& ifp, std::vector<std::string>& lines, void*) {
    if (const tunnel* t = sc(ifp).t.read())
        lines.push_back(fmt::format("ifconfig {} tunnel {} {}", ifp.name(), t->ep.src_str(), t->ep.dst_str()));
}

// Frag-needed or packet-too-big about one of our outer packets: the gif's
// MTU comes down so that the stack's MTU check answers (or fragments) the
// inner packets that no longer fit, and goes back up after pmtu_expire_s
// unless the operator changed it meanwhile.
void gif_ctlinput(module_ctl& ctl, const icmp_notice& n, void* arg) {
    auto& st = *static_cast<gif_state*>(arg);
    if (!n.mtu || n.mtu < limits::pmtu_min) return;
    const encap_key k = n.family == 4 ? encap_key::v4(gif_key_proto, n.src.v4, n.dst.v4)
                                      : encap_key::v6(gif_key_proto, n.src.v6, n.dst.v6);
    const encap_hit e = st.table.lookup(k);
    ifnet* ifp = e ? ctl.if_lookup(e.ifindex) : nullptr;
    if (!ifp || !is_gif(*ifp)) return;
    const uint32_t outer = n.family == 4 ? sizeof(ip4_hdr) : sizeof(ip6_hdr);
    const uint32_t mtu = n.mtu - outer;
    if (mtu >= ifp->mtu() || mtu < limits::mtu_min || n.quoted_len <= n.mtu) return;
    gif_softc& s = sc(*ifp);
    if (!s.lowered_mtu || ifp->mtu() != s.lowered_mtu) s.saved_mtu = ifp->mtu();
    s.lowered_mtu = mtu;
    ifp->set_mtu(mtu);
    const uint64_t serial = ++st.pmtu_serial;
    s.pmtu_serial = serial;
    stack::impl* impl = &ctl.impl();
    const ifindex_t ix = ifp->index();
    ctl.timer_add(ctl.now_ns() + pmtu_expire_s * ns_per_s, [impl, ix, serial] {
        module_ctl mc(*impl);
        ifnet* g = mc.if_lookup(ix);
        if (!g || !is_gif(*g)) return;
        gif_softc& gs = sc(*g);
        if (gs.pmtu_serial != serial) return;  // another learning, or another gif at this index
        if (g->mtu() == gs.lowered_mtu) g->set_mtu(gs.saved_mtu);
        gs.lowered_mtu = gs.saved_mtu = 0;
    });
}

void gif_limits(module_ctl&, std::vector<limit_info>& out, void* arg) {
    const auto& st = *static_cast<gif_state*>(arg);
    out.push_back({"gif tunnels", st.table.max_entries(), st.table.size()});
}

void gif_attach(module_registrar& r) {
    auto* st = r.own(std::make_unique<gif_state>());
    if_kind k;
    k.name = "gif";
    k.prefix = "gif";
    k.caps = 0;
    k.output = gif_output;
    k.create = gif_create;
    k.destroy = gif_destroy;
    k.link_up = gif_link_up;
    k.show = gif_show;
    k.running_config = gif_running_config;
    k.arg = st;
    r.kind(k);
    for (uint8_t fam : {uint8_t{4}, uint8_t{6}}) {
        r.ip_proto_burst(fam, proto_ipip, gif_input, st);
        r.ip_proto_burst(fam, proto_ipv6, gif_input, st);
        r.ctlinput(fam, proto_ipip, gif_ctlinput, st);
        r.ctlinput(fam, proto_ipv6, gif_ctlinput, st);
    }
    r.limits(gif_limits, st);
    r.knob(u8_knob("net.inet.gif.ttl", "TTL of gif's outer IPv4 header", 1, 255, st->ttl));
    r.knob(u8_knob("net.inet6.gif.hlim", "hop limit of gif's outer IPv6 header", 1, 255, st->hlim));
    r.knob(u8_knob("net.inet.gif.max_nesting",
                   "tunnels (encapsulations and decapsulations) one packet may pass through in one poll", 1,
                   nesting_max, st->max_nesting));
    st->no_tunnel = r.drop("gif_no_tunnel");
    st->bad_inner = r.drop("gif_bad_inner");
    st->nesting = r.drop("gif_nesting");
    st->ecn_drop = r.drop("gif_ecn_drop");
    st->nobufs = r.drop("gif_nobufs");
}

// ---- the command language: ifconfig IF tunnel SRC DST | deletetunnel ------------------------

command_reply fail(std::string msg) { return {1, "ifconfig: " + std::move(msg)}; }

command_reply verb_tunnel(stack& s, std::string_view ifn, const std::vector<std::string>& w, bool) {
    command_reply err;
    auto e = tunnel_detail::tunnel_words(ifn, w, err);
    if (!e) return err;
    const status st = gif::set_tunnel(s, ifn, *e);
    if (st) return {};
    switch (st.error()) {
        case errc::inval:
            return fail(fmt::format("{}: not a gif interface, or not a unicast tunnel endpoint", ifn));
        case errc::addrnotavail:
            return fail(fmt::format("{}: SIOCSLIFPHYADDR: tunnel {} --> {} is another gif's", ifn, w[1], w[2]));
        default:
            return fail(fmt::format("{}: {}", ifn, errc_message(st.error())));
    }
}

command_reply verb_deletetunnel(stack& s, std::string_view ifn, const std::vector<std::string>& w, bool) {
    if (w.size() != 1) return fail("usage: ifconfig IF deletetunnel");
    const status st = gif::delete_tunnel(s, ifn);
    if (st) return {};
    if (st.error() == errc::inval) return fail(fmt::format("{}: not a tunnel interface", ifn));
    return fail(fmt::format("{}: {}", ifn, errc_message(st.error())));
}

constexpr ifconfig_verb gif_verbs[] = {
    {"tunnel", "tunnel SRC DST", verb_tunnel, "gif"},
    {"deletetunnel", "deletetunnel", verb_deletetunnel, "gif"},
};

}  // namespace

extern const module gif_module{"gif", gif_attach, {}, gif_verbs};

namespace gif {

status set_tunnel(stack& s, std::string_view ifname, const endpoints& e) {
    return s.ctl_call([&](module_ctl& ctl) -> status {
        ifnet* ifp = ctl.if_find(ifname);
        if (!ifp) return errc::noent;
        if (!is_gif(*ifp) || (e.family != 4 && e.family != 6) || !e.unicast()) return errc::inval;
        gif_softc& sf = sc(*ifp);
        gif_state& st = state_of(*ifp);
        const encap_key k = key_of(e);
        const tunnel* old = sf.t.read();
        if (old && old->key == k) return {};  // unchanged
        const bool had = old != nullptr;
        const encap_key old_key = had ? old->key : encap_key{};
        // The new key first: a packet finds the old tunnel or the new one.
        if (auto a = st.table.add(k, ifp->index()); !a)
            return a.error() == errc::exist ? errc::addrnotavail : a.error();
        auto t = std::make_unique<tunnel>();
        t->ep = e;
        t->key = k;
        sf.t.replace(t.release());  // the old tunnel is freed after a grace period
        if (had) st.table.remove(old_key);
        ctl.link_changed(*ifp, true);
        return {};
    });
}

status delete_tunnel(stack& s, std::string_view ifname) {
    return s.ctl_call([&](module_ctl& ctl) -> status {
        ifnet* ifp = ctl.if_find(ifname);
        if (!ifp) return errc::noent;
        if (!is_gif(*ifp)) return errc::inval;
        unset_tunnel(*ifp);
        ctl.link_changed(*ifp, false);
        return {};
    });
}

result<info> get(stack& s, std::string_view ifname) {
    info out;
    status st = s.ctl_call([&](module_ctl& ctl) -> status {
        ifnet* ifp = ctl.if_find(ifname);
        if (!ifp) return errc::noent;
        if (!is_gif(*ifp)) return errc::inval;
        const gif_softc& sf = sc(*ifp);
        if (const tunnel* t = sf.t.read()) {
            out.configured = true;
            out.tunnel = t->ep;
        }
        out.nesting_drops = sf.ctr.sum(nesting_drops);
        return {};
    });
    if (!st) return st.error();
    return out;
}

}  // namespace gif
}  // namespace mpnet
