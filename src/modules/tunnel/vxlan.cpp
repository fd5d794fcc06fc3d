// SPDX-License-Identifier: BSD-2-Clause
// vxlan(4): VXLAN with static unicast endpoints, a module over the seams
// alone. See include/mpnet/modules/vxlan.hpp for what it does and its locking.
#include "mpnet/modules/vxlan.hpp"

#include <fmt/format.h>

#include <atomic>
#include <charconv>
#include <cstring>
#include <memory>
#include <vector>

#include "mpnet/core/counters.hpp"
#include "mpnet/core/wire.hpp"
#include "mpnet/sync/rcu.hpp"
#include "tunnel.hpp"

namespace mpnet {
namespace {

using tunnel_detail::link_reserve;
using tunnel_detail::u8_knob;

constexpr uint32_t vxlan_mtu = 1450;  // Linux's default: 1500 less 50 bytes of IPv4 underlay
constexpr size_t vxlan_max = limits::ifnet_max;
constexpr uint16_t vxlan_hdr_len = 8 + 8;  // UDP, then VXLAN
constexpr uint8_t flag_i = 0x08;           // the VNI is valid

/// One segment's configuration: immutable once published.
struct seg : vxlan::config {
    bool keyed = false;
    encap_key key;
    bool ready() const noexcept { return has_tunnel && has_vni; }
};

struct vxlan_state {
    encap_table table{vxlan_max};
    std::atomic<uint8_t> ttl{64}, max_nesting{2};
    drop_reason no_tunnel{}, bad_flags{}, too_short{}, nesting{}, not_ready{}, nobufs{};
    tunnel_detail::ip_ids ids;
};

struct vxlan_softc final : if_softc {
    rcu_ptr<seg> cfg;
    vxlan_softc() { (void)cfg.publish(new seg); }
    ~vxlan_softc() override { delete cfg.publish(nullptr); }
};

bool is_vxlan(const ifnet& ifp) noexcept { return ifp.kind().name == "vxlan"; }
vxlan_softc& sc(const ifnet& ifp) noexcept { return *static_cast<vxlan_softc*>(ifp.softc()); }
vxlan_state& state_of(const ifnet& ifp) noexcept { return *static_cast<vxlan_state*>(ifp.kind().arg); }

// ---- data path --------------------------------------------------------------------------------

void vxlan_transmit(dp_ctx& c, ifnet& ifp, mbuf* m, void* arg) noexcept {
    auto& st = *static_cast<vxlan_state*>(arg);
    const seg* p = sc(ifp).cfg.read();
    if (!p || !p->ready()) return c.drop(m, st.not_ready);
    if (c.nesting() >= st.max_nesting.load(std::memory_order_relaxed)) return c.drop(m, st.nesting);
    const uint32_t frame = pkt_len(m);
    // The source port from the inner flow (RFC 7348 5): ECMP in the underlay.
    const uint32_t h = pkt_flow_hash(m);
    const uint16_t sport = static_cast<uint16_t>(49152 + ((h ^ (h >> 16)) & 0x3fff));
    const uint16_t ip_len = p->tunnel.family == 4 ? sizeof(ip4_hdr) : sizeof(ip6_hdr);
    const uint32_t payload = frame + vxlan_hdr_len;
    if (payload + ip_len > 0xffff) return c.drop(m, st.too_short);
    mbuf* hd = encap_push(m, static_cast<uint16_t>(ip_len + vxlan_hdr_len), link_reserve, c.pool());
    if (!hd) return c.drop(m, st.nobufs);
    m = hd;
    uint8_t* o = pkt_data(m);
    encap_write_outer(o, p->tunnel, ipproto_udp, payload, 0, st.ttl.load(std::memory_order_relaxed),
                      st.ids.next(c.lcore()));
    uint8_t* u = o + ip_len;
    u[0] = static_cast<uint8_t>(sport >> 8);
    u[1] = static_cast<uint8_t>(sport);
    u[2] = vxlan::udp_port >> 8;
    u[3] = vxlan::udp_port & 0xff;
    u[4] = static_cast<uint8_t>(payload >> 8);
    u[5] = static_cast<uint8_t>(payload);
    u[6] = u[7] = 0;
    uint8_t* v = u + 8;
    v[0] = flag_i;
    v[1] = v[2] = v[3] = 0;
    v[4] = static_cast<uint8_t>(p->vni >> 16);
    v[5] = static_cast<uint8_t>(p->vni >> 8);
    v[6] = static_cast<uint8_t>(p->vni);
    v[7] = 0;
    if (p->tunnel.family == 6) encap_udp_cksum(m, 6, ip_len);
    ifp.count(c.lcore(), if_counter::opackets);
    ifp.count(c.lcore(), if_counter::obytes, frame);
    c.defer_output(m);
}

// UDP 4789, header and checksum checked by the stack: the packet's table
// key, or false when it was dropped.
bool vxlan_key(dp_ctx& c, vxlan_state& st, mbuf* m, const l4_info& li, encap_key& k) noexcept {
    if (li.group) return c.drop(m, st.no_tunnel), false;
    const uint32_t off = li.off + 8;
    const uint8_t* d = pkt_data(m);
    // The frame ends where the datagram does (bytes after it are padding;
    // the stack checked the length against the IP payload).
    pkt_trim_to(m, li.off + (uint32_t(d[li.off + 4]) << 8 | d[li.off + 5]));
    if (pkt_head_len(m) < off + 8 + sizeof(ether_hdr)) return c.drop(m, st.too_short), false;
    const uint8_t* v = d + off;
    if (!(v[0] & flag_i)) return c.drop(m, st.bad_flags), false;
    const uint32_t vni = uint32_t(v[4]) << 16 | uint32_t(v[5]) << 8 | v[6];
    k = encap_key::received(d, li.family, ipproto_udp, vni, vxlan::udp_port);
    return true;
}

// The packet whose key vxlan_key read, with the segment it found.
void vxlan_decap(dp_ctx& c, vxlan_state& st, mbuf* m, const l4_info& li, encap_hit e) noexcept {
    if (!e) return c.drop(m, st.no_tunnel);
    ifnet* ifp = c.if_lookup(e.ifindex);
    if (!ifp) return c.drop(m, drop_reason::if_gone);
    if (!ifp->is_up()) return c.drop(m, drop_reason::if_down);
    if (c.nesting() >= st.max_nesting.load(std::memory_order_relaxed)) return c.drop(m, st.nesting);
    pkt_adj(m, static_cast<uint16_t>(li.off + 16));
    ifp->count(c.lcore(), if_counter::ipackets);
    ifp->count(c.lcore(), if_counter::ibytes, pkt_len(m));
    c.defer_if_input(*ifp, m);
}

// A burst's segments looked up together.
void vxlan_input(dp_ctx& c, ifnet&, mbuf** pkts, const l4_info* li, uint16_t n, void* arg) noexcept {
    auto& st = *static_cast<vxlan_state*>(arg);
    tunnel_detail::decap_burst(
        c, st.table, n, [&](uint16_t i, encap_key& k) { return vxlan_key(c, st, pkts[i], li[i], k); },
        [&](uint16_t i, encap_hit e) { vxlan_decap(c, st, pkts[i], li[i], e); });
}

// ---- control plane --------------------------------------------------------------------------

status vxlan_create(module_ctl&, ifnet& ifp, void*) {
    ifp.set_softc(std::make_unique<vxlan_softc>());
    ifp.set_flags(iff::broadcast | iff::simplex | iff::multicast);
    ifp.set_lladdr(ether_addr::random_local());
    ifp.set_mtu(vxlan_mtu);
    return {};
}

encap_key key_of(const seg& p) noexcept { return p.tunnel.key(ipproto_udp, p.vni, vxlan::udp_port); }

status publish(module_ctl& ctl, ifnet& ifp, std::unique_ptr<seg> next) {
    return tunnel_detail::publish_variant(ctl, ifp, sc(ifp).cfg, state_of(ifp).table, std::move(next), key_of);
}

void vxlan_destroy(module_ctl&, ifnet& ifp, void*) { tunnel_detail::retire_variant(sc(ifp).cfg, state_of(ifp).table); }

bool vxlan_link_up(module_ctl&, const ifnet& ifp, void*) {
    const seg* p = sc(ifp).cfg.read();
    return p && p->ready();
}

void vxlan_show(module_ctl&, const ifnet& ifp, std::vector<std::string>& lines, void*) {
    const seg* p = sc(ifp).cfg.read();
    if (!p) return;
    if (p->has_vni) lines.push_back(fmt::format("vni {}", p->vni));
    if (p->has_tunnel)
        lines.push_back(fmt::format("tunnel {} {} --> {} port {}", p->tunnel.family == 4 ? "inet" : "inet6",
                                    p->tunnel.src_str(), p->tunnel.dst_str(), vxlan::udp_port));
}

void vxlan_running_config(module_ctl&, const ifnet& ifp, std::vector<std::string>& lines, void*) {
    const seg* p = sc(ifp).cfg.read();
    if (!p) return;
    if (p->has_vni) lines.push_back(fmt::format("ifconfig {} vni {}", ifp.name(), p->vni));
    if (p->has_tunnel)
        lines.push_back(fmt::format("ifconfig {} tunnel {} {}", ifp.name(), p->tunnel.src_str(), p->tunnel.dst_str()));
}

void vxlan_limits(module_ctl&, std::vector<limit_info>& out, void* arg) {
    const auto& st = *static_cast<vxlan_state*>(arg);
    out.push_back({"vxlan segments", st.table.max_entries(), st.table.size()});
}

void vxlan_attach(module_registrar& r) {
    auto* st = r.own(std::make_unique<vxlan_state>());
    if_kind k;
    k.name = "vxlan";
    k.prefix = "vxlan";
    k.caps = ifcap::lladdr | ifcap::own_lladdr;
    k.transmit = vxlan_transmit;
    k.create = vxlan_create;
    k.destroy = vxlan_destroy;
    k.link_up = vxlan_link_up;
    k.show = vxlan_show;
    k.running_config = vxlan_running_config;
    k.arg = st;
    r.kind(k);
    r.udp_port_burst(4, vxlan::udp_port, vxlan_input, st);
    r.udp_port_burst(6, vxlan::udp_port, vxlan_input, st);
    r.limits(vxlan_limits, st);
    r.knob(u8_knob("net.inet.vxlan.ttl", "TTL (hop limit) of vxlan's outer header", 1, 255, st->ttl));
    r.knob(u8_knob("net.inet.vxlan.max_nesting",
                   "tunnels (encapsulations and decapsulations) one packet may pass through in one poll", 1,
                   limits::tunnel_nest_max, st->max_nesting));
    st->no_tunnel = r.drop("vxlan_no_tunnel");
    st->bad_flags = r.drop("vxlan_bad_flags");
    st->too_short = r.drop("vxlan_too_short");
    st->nesting = r.drop("vxlan_nesting");
    st->not_ready = r.drop("vxlan_not_ready");
    st->nobufs = r.drop("vxlan_nobufs");
}

// ---- the command language ---------------------------------------------------------------------

command_reply fail(std::string msg) { return {1, "ifconfig: " + std::move(msg)}; }

command_reply answer(status st, std::string_view ifn) {
    return tunnel_detail::verb_answer(st, ifn, "a vxlan", "tunnel and VNI");
}

command_reply verb_tunnel(stack& s, std::string_view ifn, const std::vector<std::string>& w, bool) {
    command_reply err;
    auto e = tunnel_detail::tunnel_words(ifn, w, err);
    return e ? answer(vxlan::set_tunnel(s, ifn, *e), ifn) : err;
}

command_reply verb_deletetunnel(stack& s, std::string_view ifn, const std::vector<std::string>& w, bool) {
    if (w.size() != 1) return fail("usage: ifconfig IF deletetunnel");
    return answer(vxlan::delete_tunnel(s, ifn), ifn);
}

command_reply verb_vni(stack& s, std::string_view ifn, const std::vector<std::string>& w, bool) {
    uint32_t vni = 0;
    const std::string* v = w.size() == 2 ? &w[1] : nullptr;
    if (v) {
        auto [p, ec] = std::from_chars(v->data(), v->data() + v->size(), vni);
        if (ec != std::errc() || p != v->data() + v->size()) v = nullptr;
    }
    if (!v || vni > vxlan::vni_max) return fail("usage: ifconfig IF vni N (0..16777215)");
    return answer(vxlan::set_vni(s, ifn, vni), ifn);
}

constexpr ifconfig_verb vxlan_verbs[] = {
    {"tunnel", "tunnel SRC DST", verb_tunnel, "vxlan"},
    {"deletetunnel", "deletetunnel", verb_deletetunnel, "vxlan"},
    {"vni", "vni N", verb_vni, "vxlan"},
};

template <typename F>
status modify(stack& s, std::string_view ifname, F&& change) {
    return s.ctl_call([&](module_ctl& ctl) -> status {
        ifnet* ifp = ctl.if_find(ifname);
        if (!ifp) return errc::noent;
        if (!is_vxlan(*ifp)) return errc::inval;
        auto next = std::make_unique<seg>(*sc(*ifp).cfg.read());
        change(*next);
        return publish(ctl, *ifp, std::move(next));
    });
}

}  // namespace

extern const module vxlan_module{"vxlan", vxlan_attach, {}, vxlan_verbs};

namespace vxlan {

status set_tunnel(stack& s, std::string_view ifname, const tunnel_endpoints& e) {
    if ((e.family != 4 && e.family != 6) || !e.unicast()) return errc::inval;
    return modify(s, ifname, [&](seg& p) {
        p.has_tunnel = true;
        p.tunnel = e;
    });
}

status delete_tunnel(stack& s, std::string_view ifname) {
    return modify(s, ifname, [](seg& p) {
        p.has_tunnel = false;
        p.tunnel = {};
    });
}

status set_vni(stack& s, std::string_view ifname, uint32_t vni) {
    if (vni > vni_max) return errc::inval;
    return modify(s, ifname, [&](seg& p) {
        p.has_vni = true;
        p.vni = vni;
    });
}

result<config> get(stack& s, std::string_view ifname) {
    config out;
    status st = s.ctl_call([&](module_ctl& ctl) -> status {
        ifnet* ifp = ctl.if_find(ifname);
        if (!ifp) return errc::noent;
        if (!is_vxlan(*ifp)) return errc::inval;
        out = *sc(*ifp).cfg.read();
        return {};
    });
    if (!st) return st.error();
    return out;
}

}  // namespace vxlan
}  // namespace mpnet
