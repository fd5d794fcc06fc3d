// SPDX-License-Identifier: BSD-2-Clause
// ipsec(4), NetBSD's if_ipsec: a route-based VPN interface. `ifconfig
// ipsecN create`, `tunnel SRC DST`, routes into it; what goes out of it is
// put in IP (IPv4 or IPv6 in the tunnel's family, as gif does) and the SPs
// the tunnel brings protect that with ESP in transport mode, at level
// unique with the interface's reqids, so SAs given `-u REQID` serve it:
//   reqid = 8192 + 2 * N for IPv4 inside ipsecN, 8193 + 2 * N for IPv6
// (inside setkey -u's manual range, 0..16383).
// What an SA opens that is IP in IP between the tunnel's endpoints is
// received on the interface (esp.cpp's finish_in asks the table here).
// The SPs are the interface's: setkey lists them, spdflush, spddelete and
// spdupdate leave them alone; the tunnel's removal (deletetunnel, destroy)
// takes them.
//
// Locking notes: the tunnel is an rcu_ptr in the softc, the table an
// encap_table (lock-free readers); writers hold the control lock.
#include <fmt/format.h>

#include <charconv>
#include <cstring>
#include <memory>

#include "../tunnel/tunnel.hpp"
#include "esp.hpp"
#include "mpnet/core/wire.hpp"

namespace mpnet::ipsec::detail {
namespace {

constexpr uint32_t ipsecif_mtu = 1280;        // NetBSD's IPSEC_MTU
constexpr size_t ipsecif_max = 4096;          // tunnels (the table's named limit)
constexpr uint32_t ipsecif_reqid_base = 8192;  // 0x2000, inside setkey -u's manual range (0..16383)
constexpr uint32_t ipsecif_unit_max = 4095;     // ipsec0..ipsec4095
constexpr uint8_t key_proto = 0;
constexpr uint16_t link_reserve = 18;

struct tunnel {
    tunnel_endpoints ep;
    encap_key key;  // as received: local = our source, remote = the peer
};

struct ipsecif_state {
    encap_table table{ipsecif_max};
    esp_shared* sh = nullptr;
    drop_reason no_tunnel{}, bad_inner{}, nobufs{};
    std::unique_ptr<uint16_t[]> ids{new uint16_t[(limits::lcore_max + 1) * 32]()};
};

struct ipsecif_softc final : if_softc {
    rcu_ptr<tunnel> t;
    uint32_t reqid4 = 0, reqid6 = 0;
    ~ipsecif_softc() override { delete t.publish(nullptr); }
};

bool is_ipsecif(const ifnet& ifp) noexcept { return ifp.kind().name == "ipsec"; }
ipsecif_softc& sc(const ifnet& ifp) noexcept { return *static_cast<ipsecif_softc*>(ifp.softc()); }
ipsecif_state& state_of(const ifnet& ifp) noexcept { return *static_cast<ipsecif_state*>(ifp.kind().arg); }

// Out of the interface: IP in IP toward the peer, then routed (and the
// tunnel's SP protects it on its way out).
void ipsecif_output(dp_ctx& c, ifnet& ifp, mbuf* m, const l3_next&, void* arg) noexcept {
    auto& st = *static_cast<ipsecif_state*>(arg);
    const tunnel* t = sc(ifp).t.read();
    if (!t) return c.drop(m, st.no_tunnel);
    if (pkt_head_len(m) < 1) return c.drop(m, st.bad_inner);
    const uint8_t* in = pkt_data(m);
    const unsigned ver = in[0] >> 4;
    if ((ver != 4 && ver != 6) || pkt_head_len(m) < (ver == 4 ? sizeof(ip4_hdr) : sizeof(ip6_hdr)))
        return c.drop(m, st.bad_inner);
    const uint8_t tclass = ver == 4 ? in[1] : static_cast<uint8_t>(((in[0] & 0x0f) << 4) | (in[1] >> 4));
    const uint32_t inner_len = pkt_len(m);
    const uint16_t hl = t->ep.family == 4 ? sizeof(ip4_hdr) : sizeof(ip6_hdr);
    mbuf* hd = encap_push(m, hl, link_reserve, c.pool());
    if (!hd) return c.drop(m, st.nobufs);
    uint16_t& id = st.ids[c.lcore() * 32];
    encap_write_outer(pkt_data(hd), t->ep, ver == 4 ? ipproto_ipip : ipproto_ipv6, inner_len, tclass & 0xfc, 64, id++);
    ifp.count(c.lcore(), if_counter::opackets);
    ifp.count(c.lcore(), if_counter::obytes, inner_len);
    c.defer_output(hd);
}

uint32_t unit_of(std::string_view name) noexcept {
    uint32_t n = 0;
    const std::string_view d = name.substr(std::min<size_t>(name.size(), 5));  // after "ipsec"
    std::from_chars(d.data(), d.data() + d.size(), n);
    return n;
}

status ipsecif_create(module_ctl&, ifnet& ifp, void*) {
    const uint32_t unit = unit_of(ifp.name());
    if (unit > ipsecif_unit_max) return errc::inval;  // its reqids would leave setkey's range
    auto s = std::make_unique<ipsecif_softc>();
    s->reqid4 = ipsecif_reqid_base + 2 * unit;
    s->reqid6 = s->reqid4 + 1;
    ifp.set_softc(std::move(s));
    ifp.set_flags(iff::pointopoint | iff::multicast);
    ifp.set_mtu(ipsecif_mtu);
    return {};
}

void unset_tunnel(module_ctl& ctl, ifnet& ifp) {
    ipsecif_softc& s = sc(ifp);
    if (const tunnel* t = s.t.read()) {
        state_of(ifp).table.remove(t->key);
        s.t.replace(nullptr);
        ipsecif_policies(ctl, ifp.index(), nullptr, 0, 0);
    }
}

void ipsecif_destroy(module_ctl& ctl, ifnet& ifp, void*) { unset_tunnel(ctl, ifp); }

bool ipsecif_link_up(module_ctl&, const ifnet& ifp, void*) { return sc(ifp).t.read() != nullptr; }

void ipsecif_show(module_ctl&, const ifnet& ifp, std::vector<std::string>& lines, void*) {
    const ipsecif_softc& s = sc(ifp);
    if (const tunnel* t = s.t.read())
        lines.push_back(fmt::format("tunnel {} {} --> {}", t->ep.family == 4 ? "inet" : "inet6", t->ep.src_str(),
                                    t->ep.dst_str()));
    lines.push_back(fmt::format("reqid {} (IPv4 inside), {} (IPv6 inside)", s.reqid4, s.reqid6));
}

void ipsecif_running_config(module_ctl&, const ifnet& ifp, std::vector<std::string>& lines, void*) {
    if (const tunnel* t = sc(ifp).t.read())
        lines.push_back(fmt::format("ifconfig {} tunnel {} {}", ifp.name(), t->ep.src_str(), t->ep.dst_str()));
}

void ipsecif_limits(module_ctl&, std::vector<limit_info>& out, void* arg) {
    const auto& st = *static_cast<ipsecif_state*>(arg);
    out.push_back({"ipsec interfaces' tunnels", st.table.max_entries(), st.table.size()});
}

status set_tunnel(module_ctl& ctl, ifnet& ifp, const tunnel_endpoints& e) {
    if (!is_ipsecif(ifp) || !e.unicast()) return errc::inval;
    ipsecif_softc& sf = sc(ifp);
    ipsecif_state& st = state_of(ifp);
    const encap_key k = e.key(key_proto);
    const tunnel* old = sf.t.read();
    if (old && old->key == k) return {};
    if (auto a = st.table.add(k, ifp.index()); !a) return a.error() == errc::exist ? errc::addrnotavail : a.error();
    auto t = std::make_unique<tunnel>();
    t->ep = e;
    t->key = k;
    const bool had = old != nullptr;
    const encap_key old_key = had ? old->key : encap_key{};
    sf.t.replace(t.release());
    if (had) st.table.remove(old_key);
    ipsecif_policies(ctl, ifp.index(), &e, sf.reqid4, sf.reqid6);
    ctl.link_changed(ifp, true);
    return {};
}

command_reply fail(std::string msg) { return {1, "ifconfig: " + std::move(msg)}; }

command_reply verb_tunnel(stack& s, std::string_view ifn, const std::vector<std::string>& w, bool) {
    command_reply err;
    auto e = tunnel_detail::tunnel_words(ifn, w, err);
    if (!e) return err;
    const status st = s.ctl_call([&](module_ctl& ctl) -> status {
        ifnet* ifp = ctl.if_find(ifn);
        if (!ifp) return errc::noent;
        return set_tunnel(ctl, *ifp, *e);
    });
    if (st) return {};
    switch (st.error()) {
        case errc::inval: return fail(fmt::format("{}: not an ipsec interface, or not a unicast tunnel endpoint", ifn));
        case errc::addrnotavail:
            return fail(fmt::format("{}: SIOCSLIFPHYADDR: tunnel {} --> {} is another ipsec interface's", ifn, w[1], w[2]));
        default: return fail(fmt::format("{}: {}", ifn, errc_message(st.error())));
    }
}

command_reply verb_deletetunnel(stack& s, std::string_view ifn, const std::vector<std::string>& w, bool) {
    if (w.size() != 1) return fail("usage: ifconfig IF deletetunnel");
    const status st = s.ctl_call([&](module_ctl& ctl) -> status {
        ifnet* ifp = ctl.if_find(ifn);
        if (!ifp) return errc::noent;
        if (!is_ipsecif(*ifp)) return errc::inval;
        unset_tunnel(ctl, *ifp);
        ctl.link_changed(*ifp, false);
        return {};
    });
    if (st) return {};
    return fail(fmt::format("{}: {}", ifn, errc_message(st.error())));
}

}  // namespace

extern const ifconfig_verb ipsecif_verbs[2] = {
    {"tunnel", "tunnel SRC DST", verb_tunnel, "ipsec"},
    {"deletetunnel", "deletetunnel", verb_deletetunnel, "ipsec"},
};

void ipsecif_attach(module_registrar& r, esp_shared& sh) {
    auto* st = r.own(std::make_unique<ipsecif_state>());
    st->sh = &sh;
    sh.ipsecif = &st->table;
    r.kind(if_kind{.name = "ipsec",
                   .prefix = "ipsec",
                   .output = ipsecif_output,
                   .create = ipsecif_create,
                   .destroy = ipsecif_destroy,
                   .link_up = ipsecif_link_up,
                   .show = ipsecif_show,
                   .running_config = ipsecif_running_config,
                   .arg = st});
    r.limits(ipsecif_limits, st);
    st->no_tunnel = r.drop("ipsecif_no_tunnel");
    st->bad_inner = r.drop("ipsecif_bad_inner");
    st->nobufs = r.drop("ipsecif_nobufs");
    sh.if_bad_inner = st->bad_inner;
}

}  // namespace mpnet::ipsec::detail
