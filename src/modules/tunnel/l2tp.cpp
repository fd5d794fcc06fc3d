// SPDX-License-Identifier: BSD-2-Clause
// l2tp(4): L2TPv3 Ethernet pseudowires, a module over the seams alone. See
// include/mpnet/modules/l2tp.hpp for what it does and its locking.
#include "mpnet/modules/l2tp.hpp"

#include <fmt/format.h>

#include <atomic>
#include <charconv>
#include <cstring>
#include <memory>
#include <vector>

#include "mpnet/core/checksum.hpp"
#include "mpnet/core/counters.hpp"
#include "mpnet/core/wire.hpp"
#include "mpnet/sync/rcu.hpp"
#include "tunnel.hpp"

namespace mpnet {
namespace {

using tunnel_detail::link_reserve;
using tunnel_detail::u8_knob;

constexpr uint32_t l2tp_mtu = 1500;
constexpr size_t l2tp_sessions_max = limits::ifnet_max;
constexpr uint16_t udp_hdr_len = 8 + 4;  // UDP, then L2TPv3's T/version word and reserved

enum l2tp_ctr : size_t { nesting_drops, l2tp_ctr_count };

/// One pseudowire's configuration: immutable once published.
struct pw : l2tp::config {
    bool keyed = false;  // its key is in the table (tunnel and session set)
    encap_key key;
    bool ready() const noexcept { return has_tunnel && local_session && remote_session; }
};

struct l2tp_state {
    encap_table table{l2tp_sessions_max};
    std::atomic<uint8_t> ttl{64}, max_nesting{2};
    drop_reason no_session{}, bad_cookie{}, too_short{}, control{}, bad_version{}, nesting{}, not_ready{}, nobufs{};
    tunnel_detail::ip_ids ids;
};

struct l2tp_softc final : if_softc {
    rcu_ptr<pw> cfg;
    // One slot per lcore of the stack (its interfaces' own counters' count):
    // 100 000 tunnels must not each carry limits::lcore_max slots.
    percpu_counters<l2tp_ctr_count> ctr;
    explicit l2tp_softc(size_t lcore_slots) : ctr(lcore_slots) { (void)cfg.publish(new pw); }
    ~l2tp_softc() override { delete cfg.publish(nullptr); }
};

bool is_l2tp(const ifnet& ifp) noexcept { return ifp.kind().name == "l2tp"; }
l2tp_softc& sc(const ifnet& ifp) noexcept { return *static_cast<l2tp_softc*>(ifp.softc()); }
l2tp_state& state_of(const ifnet& ifp) noexcept { return *static_cast<l2tp_state*>(ifp.kind().arg); }

encap_key key_of(const pw& p) noexcept {
    return p.udp ? p.tunnel.key(ipproto_udp, p.local_session, l2tp::udp_port)
                 : p.tunnel.key(l2tp::ipproto_l2tp, p.local_session);
}

void put_be32(uint8_t* p, uint32_t v) noexcept {
    p[0] = static_cast<uint8_t>(v >> 24);
    p[1] = static_cast<uint8_t>(v >> 16);
    p[2] = static_cast<uint8_t>(v >> 8);
    p[3] = static_cast<uint8_t>(v);
}
uint32_t get_be32(const uint8_t* p) noexcept {
    return uint32_t(p[0]) << 24 | uint32_t(p[1]) << 16 | uint32_t(p[2]) << 8 | p[3];
}
void put_cookie(uint8_t* p, const l2tp::cookie& c) noexcept {
    for (unsigned i = 0; i < c.len; ++i) p[i] = static_cast<uint8_t>(c.value >> (8 * (c.len - 1 - i)));
}
bool cookie_matches(const uint8_t* p, const l2tp::cookie& c) noexcept {
    uint64_t v = 0;
    for (unsigned i = 0; i < c.len; ++i) v = v << 8 | p[i];
    return v == c.value;
}

// ---- data path --------------------------------------------------------------------------------

// The kind's transmit: a finished Ethernet frame of the pseudowire.
void l2tp_transmit(dp_ctx& c, ifnet& ifp, mbuf* m, void* arg) noexcept {
    auto& st = *static_cast<l2tp_state*>(arg);
    l2tp_softc& s = sc(ifp);
    const pw* p = s.cfg.read();
    if (!p || !p->ready()) return c.drop(m, st.not_ready);
    if (c.nesting() >= st.max_nesting.load(std::memory_order_relaxed)) {
        s.ctr.slot(c.lcore()).add(nesting_drops);
        return c.drop(m, st.nesting);
    }
    const uint32_t frame = pkt_len(m);
    const uint16_t ip_len = p->tunnel.family == 4 ? sizeof(ip4_hdr) : sizeof(ip6_hdr);
    const uint16_t l2tp_len = static_cast<uint16_t>((p->udp ? udp_hdr_len : 0) + 4 + p->remote_cookie.len);
    const uint32_t payload = frame + l2tp_len;  // after the IP header
    if (payload + ip_len > 0xffff) return c.drop(m, st.too_short);
    mbuf* hd = encap_push(m, static_cast<uint16_t>(ip_len + l2tp_len), link_reserve, c.pool());
    if (!hd) return c.drop(m, st.nobufs);
    m = hd;
    uint8_t* o = pkt_data(m);
    const uint8_t proto = p->udp ? ipproto_udp : l2tp::ipproto_l2tp;
    encap_write_outer(o, p->tunnel, proto, payload, 0, st.ttl.load(std::memory_order_relaxed), st.ids.next(c.lcore()));
    uint8_t* l = o + ip_len;
    if (p->udp) {
        l[0] = l[2] = static_cast<uint8_t>(l2tp::udp_port >> 8);
        l[1] = l[3] = static_cast<uint8_t>(l2tp::udp_port & 0xff);
        l[4] = static_cast<uint8_t>(payload >> 8);
        l[5] = static_cast<uint8_t>(payload);
        l[6] = l[7] = 0;
        l[8] = 0x00;  // T clear (data), no L or S bits
        l[9] = 0x03;  // version 3
        l[10] = l[11] = 0;
        l += udp_hdr_len;
    }
    put_be32(l, p->remote_session);
    put_cookie(l + 4, p->remote_cookie);
    if (p->udp && p->tunnel.family == 6) encap_udp_cksum(m, 6, ip_len);
    ifp.count(c.lcore(), if_counter::opackets);
    ifp.count(c.lcore(), if_counter::obytes, frame);
    c.defer_output(m);
}

// The session header at `off` (after the UDP header and L2TPv3's word for
// UDP): session id, cookie, then the frame. Its table key, or false when the
// packet was dropped.
bool l2tp_key(dp_ctx& c, l2tp_state& st, mbuf* m, const l4_info& li, uint32_t off, bool udp, encap_key& k) noexcept {
    if (li.group) return c.drop(m, st.no_session), false;
    if (pkt_head_len(m) < off + 4) return c.drop(m, st.too_short), false;
    const uint8_t* d = pkt_data(m);
    const uint32_t sid = get_be32(d + off);
    if (sid == 0) return c.drop(m, st.control), false;
    k = encap_key::received(d, li.family, udp ? ipproto_udp : l2tp::ipproto_l2tp, sid, udp ? l2tp::udp_port : 0);
    return true;
}

// The packet whose key l2tp_key read, with the session it found.
void l2tp_decap(dp_ctx& c, l2tp_state& st, mbuf* m, uint32_t off, encap_hit e) noexcept {
    if (!e) return c.drop(m, st.no_session);
    const uint8_t* d = pkt_data(m);
    ifnet* ifp = c.if_lookup(e.ifindex);
    if (!ifp) return c.drop(m, drop_reason::if_gone);
    if (!ifp->is_up()) return c.drop(m, drop_reason::if_down);
    l2tp_softc& s = sc(*ifp);
    const pw* p = s.cfg.read();
    if (!p) return c.drop(m, st.no_session);
    const uint32_t hdr = off + 4 + p->local_cookie.len;
    if (pkt_head_len(m) < hdr + sizeof(ether_hdr)) return c.drop(m, st.too_short);
    if (!cookie_matches(d + off + 4, p->local_cookie)) return c.drop(m, st.bad_cookie);
    if (c.nesting() >= st.max_nesting.load(std::memory_order_relaxed)) {
        s.ctr.slot(c.lcore()).add(nesting_drops);
        return c.drop(m, st.nesting);
    }
    pkt_adj(m, static_cast<uint16_t>(hdr));
    ifp->count(c.lcore(), if_counter::ipackets);
    ifp->count(c.lcore(), if_counter::ibytes, pkt_len(m));
    c.defer_if_input(*ifp, m);
}

// IP protocol 115: the session id follows the IP header (RFC 3931 4.1.1.2).
// A burst's sessions are looked up together.
void l2tp_ip_input(dp_ctx& c, ifnet&, mbuf** pkts, const l4_info* li, uint16_t n, void* arg) noexcept {
    auto& st = *static_cast<l2tp_state*>(arg);
    tunnel_detail::decap_burst(
        c, st.table, n, [&](uint16_t i, encap_key& k) { return l2tp_key(c, st, pkts[i], li[i], li[i].off, false, k); },
        [&](uint16_t i, encap_hit e) { l2tp_decap(c, st, pkts[i], li[i].off, e); });
}

// UDP 1701: header and checksum checked by the stack; then L2TPv3's word.
bool l2tp_udp_key(dp_ctx& c, l2tp_state& st, mbuf* m, const l4_info& li, encap_key& k) noexcept {
    const uint32_t off = li.off + 8;
    if (pkt_head_len(m) < off + 4) return c.drop(m, st.too_short), false;
    // The frame ends where the datagram does (bytes after it are padding).
    const uint8_t* u = pkt_data(m) + li.off;
    pkt_trim_to(m, li.off + (uint32_t(u[4]) << 8 | u[5]));
    const uint8_t* w = pkt_data(m) + off;
    if (w[0] & 0x80) return c.drop(m, st.control), false;  // T: a control message
    if ((w[1] & 0x0f) != 3) return c.drop(m, st.bad_version), false;
    return l2tp_key(c, st, m, li, off + 4, true, k);
}

void l2tp_udp_input(dp_ctx& c, ifnet&, mbuf** pkts, const l4_info* li, uint16_t n, void* arg) noexcept {
    auto& st = *static_cast<l2tp_state*>(arg);
    tunnel_detail::decap_burst(
        c, st.table, n, [&](uint16_t i, encap_key& k) { return l2tp_udp_key(c, st, pkts[i], li[i], k); },
        [&](uint16_t i, encap_hit e) { l2tp_decap(c, st, pkts[i], li[i].off + 12, e); });
}

// ---- control plane --------------------------------------------------------------------------

status l2tp_create(module_ctl&, ifnet& ifp, void*) {
    ifp.set_softc(std::make_unique<l2tp_softc>(ifp.counters().slots()));
    ifp.set_flags(iff::broadcast | iff::simplex | iff::multicast);
    ifp.set_lladdr(ether_addr::random_local());
    ifp.set_mtu(l2tp_mtu);
    return {};
}

status publish(module_ctl& ctl, ifnet& ifp, std::unique_ptr<pw> next) {
    return tunnel_detail::publish_variant(ctl, ifp, sc(ifp).cfg, state_of(ifp).table, std::move(next), key_of);
}

void l2tp_destroy(module_ctl&, ifnet& ifp, void*) { tunnel_detail::retire_variant(sc(ifp).cfg, state_of(ifp).table); }

bool l2tp_link_up(module_ctl&, const ifnet& ifp, void*) {
    const pw* p = sc(ifp).cfg.read();
    return p && p->ready();
}

std::string cookie_words(const l2tp::cookie& c) { return fmt::format("{} {}", c.len, c.value); }

void l2tp_show(module_ctl&, const ifnet& ifp, std::vector<std::string>& lines, void*) {
    const l2tp_softc& s = sc(ifp);
    const pw* p = s.cfg.read();
    if (!p) return;
    if (p->has_tunnel)
        lines.push_back(fmt::format("tunnel {} {} --> {}", p->tunnel.family == 4 ? "inet" : "inet6",
                                    p->tunnel.src_str(), p->tunnel.dst_str()));
    if (p->local_session)
        lines.push_back(fmt::format("session {} {}", p->local_session, p->remote_session));
    if (p->local_cookie.len || p->remote_cookie.len)
        lines.push_back(fmt::format("cookie {} {}", cookie_words(p->local_cookie), cookie_words(p->remote_cookie)));
    lines.push_back(fmt::format("encap {}", p->udp ? "udp" : "ip"));
    if (const uint64_t n = s.ctr.sum(nesting_drops))
        lines.push_back(fmt::format("recursively called too many times: {} packets", n));
}

void l2tp_running_config(module_ctl&, const ifnet& ifp, std::vector<std::string>& lines, void*) {
    const pw* p = sc(ifp).cfg.read();
    if (!p) return;
    if (p->udp) lines.push_back(fmt::format("ifconfig {} encap udp", ifp.name()));
    if (p->has_tunnel)
        lines.push_back(fmt::format("ifconfig {} tunnel {} {}", ifp.name(), p->tunnel.src_str(), p->tunnel.dst_str()));
    if (p->local_session)
        lines.push_back(fmt::format("ifconfig {} session {} {}", ifp.name(), p->local_session, p->remote_session));
    if (p->local_cookie.len || p->remote_cookie.len)
        lines.push_back(fmt::format("ifconfig {} cookie {} {}", ifp.name(), cookie_words(p->local_cookie),
                                    cookie_words(p->remote_cookie)));
}

void l2tp_limits(module_ctl&, std::vector<limit_info>& out, void* arg) {
    const auto& st = *static_cast<l2tp_state*>(arg);
    out.push_back({"l2tp sessions", st.table.max_entries(), st.table.size()});
}

void l2tp_attach(module_registrar& r) {
    auto* st = r.own(std::make_unique<l2tp_state>());
    if_kind k;
    k.name = "l2tp";
    k.prefix = "l2tp";
    k.caps = ifcap::lladdr | ifcap::own_lladdr;
    k.transmit = l2tp_transmit;
    k.create = l2tp_create;
    k.destroy = l2tp_destroy;
    k.link_up = l2tp_link_up;
    k.show = l2tp_show;
    k.running_config = l2tp_running_config;
    k.arg = st;
    r.kind(k);
    for (uint8_t fam : {uint8_t{4}, uint8_t{6}}) {
        r.ip_proto_burst(fam, l2tp::ipproto_l2tp, l2tp_ip_input, st);
        r.udp_port_burst(fam, l2tp::udp_port, l2tp_udp_input, st);
    }
    r.limits(l2tp_limits, st);
    r.knob(u8_knob("net.inet.l2tp.ttl", "TTL (hop limit) of l2tp's outer header", 1, 255, st->ttl));
    r.knob(u8_knob("net.inet.l2tp.max_nesting",
                   "tunnels (encapsulations and decapsulations) one packet may pass through in one poll", 1,
                   limits::tunnel_nest_max, st->max_nesting));
    st->no_session = r.drop("l2tp_no_session");
    st->bad_cookie = r.drop("l2tp_bad_cookie");
    st->too_short = r.drop("l2tp_too_short");
    st->control = r.drop("l2tp_control");
    st->bad_version = r.drop("l2tp_bad_version");
    st->nesting = r.drop("l2tp_nesting");
    st->not_ready = r.drop("l2tp_not_ready");
    st->nobufs = r.drop("l2tp_nobufs");
}

// ---- the command language ---------------------------------------------------------------------

command_reply fail(std::string msg) { return {1, "ifconfig: " + std::move(msg)}; }

command_reply answer(status st, std::string_view ifn) {
    return tunnel_detail::verb_answer(st, ifn, "an l2tp", "tunnel and session");
}

template <typename T>
bool number(const std::string& w, T& out) {
    auto [p, ec] = std::from_chars(w.data(), w.data() + w.size(), out);
    return ec == std::errc() && p == w.data() + w.size();
}

command_reply verb_tunnel(stack& s, std::string_view ifn, const std::vector<std::string>& w, bool) {
    command_reply err;
    auto e = tunnel_detail::tunnel_words(ifn, w, err);
    return e ? answer(l2tp::set_tunnel(s, ifn, *e), ifn) : err;
}

command_reply verb_deletetunnel(stack& s, std::string_view ifn, const std::vector<std::string>& w, bool) {
    if (w.size() != 1) return fail("usage: ifconfig IF deletetunnel");
    return answer(l2tp::delete_tunnel(s, ifn), ifn);
}

command_reply verb_session(stack& s, std::string_view ifn, const std::vector<std::string>& w, bool) {
    uint32_t l = 0, r = 0;
    if (w.size() != 3 || !number(w[1], l) || !number(w[2], r) || !l || !r)
        return fail("usage: ifconfig IF session LOCAL REMOTE (1..4294967295)");
    return answer(l2tp::set_session(s, ifn, l, r), ifn);
}

command_reply verb_deletesession(stack& s, std::string_view ifn, const std::vector<std::string>& w, bool) {
    if (w.size() != 1) return fail("usage: ifconfig IF deletesession");
    return answer(l2tp::delete_session(s, ifn), ifn);
}

command_reply verb_cookie(stack& s, std::string_view ifn, const std::vector<std::string>& w, bool) {
    l2tp::cookie lc, rc;
    auto ok_len = [](uint8_t n) { return n == 0 || n == 4 || n == 8; };
    if (w.size() != 5 || !number(w[1], lc.len) || !number(w[2], lc.value) || !number(w[3], rc.len) ||
        !number(w[4], rc.value) || !ok_len(lc.len) || !ok_len(rc.len) || (lc.len == 4 && lc.value > UINT32_MAX) ||
        (rc.len == 4 && rc.value > UINT32_MAX))
        return fail("usage: ifconfig IF cookie LEN LOCAL LEN REMOTE (LEN 0, 4 or 8; the value fits it)");
    return answer(l2tp::set_cookie(s, ifn, lc, rc), ifn);
}

command_reply verb_deletecookie(stack& s, std::string_view ifn, const std::vector<std::string>& w, bool) {
    if (w.size() != 1) return fail("usage: ifconfig IF deletecookie");
    return answer(l2tp::delete_cookie(s, ifn), ifn);
}

command_reply verb_encap(stack& s, std::string_view ifn, const std::vector<std::string>& w, bool) {
    if (w.size() != 2 || (w[1] != "ip" && w[1] != "udp")) return fail("usage: ifconfig IF encap ip|udp");
    return answer(l2tp::set_udp(s, ifn, w[1] == "udp"), ifn);
}

constexpr ifconfig_verb l2tp_verbs[] = {
    {"tunnel", "tunnel SRC DST", verb_tunnel, "l2tp"},
    {"deletetunnel", "deletetunnel", verb_deletetunnel, "l2tp"},
    {"session", "session LOCAL REMOTE", verb_session, "l2tp"},
    {"deletesession", "deletesession", verb_deletesession, "l2tp"},
    {"cookie", "cookie LEN LOCAL LEN REMOTE", verb_cookie, "l2tp"},
    {"deletecookie", "deletecookie", verb_deletecookie, "l2tp"},
    {"encap", "encap ip|udp", verb_encap, "l2tp"},
};

// Runs `change` on a copy of IF's configuration and publishes the result.
template <typename F>
status modify(stack& s, std::string_view ifname, F&& change) {
    return s.ctl_call([&](module_ctl& ctl) -> status {
        ifnet* ifp = ctl.if_find(ifname);
        if (!ifp) return errc::noent;
        if (!is_l2tp(*ifp)) return errc::inval;
        const pw* cur = sc(*ifp).cfg.read();
        auto next = std::make_unique<pw>(*cur);
        if (status st = change(*next); !st) return st;
        return publish(ctl, *ifp, std::move(next));
    });
}

}  // namespace

extern const module l2tp_module{"l2tp", l2tp_attach, {}, l2tp_verbs};

namespace l2tp {

status set_tunnel(stack& s, std::string_view ifname, const tunnel_endpoints& e) {
    if ((e.family != 4 && e.family != 6) || !e.unicast()) return errc::inval;
    return modify(s, ifname, [&](pw& p) -> status {
        p.has_tunnel = true;
        p.tunnel = e;
        return {};
    });
}

status delete_tunnel(stack& s, std::string_view ifname) {
    return modify(s, ifname, [](pw& p) -> status {
        p.has_tunnel = false;
        p.tunnel = {};
        return {};
    });
}

status set_session(stack& s, std::string_view ifname, uint32_t local, uint32_t remote) {
    if (!local || !remote) return errc::inval;
    return modify(s, ifname, [&](pw& p) -> status {
        p.local_session = local;
        p.remote_session = remote;
        return {};
    });
}

status delete_session(stack& s, std::string_view ifname) {
    return modify(s, ifname, [](pw& p) -> status {
        p.local_session = p.remote_session = 0;
        return {};
    });
}

status set_cookie(stack& s, std::string_view ifname, cookie local, cookie remote) {
    auto ok = [](const cookie& c) {
        return (c.len == 0 && c.value == 0) || (c.len == 4 && c.value <= UINT32_MAX) || c.len == 8;
    };
    if (!ok(local) || !ok(remote)) return errc::inval;
    return modify(s, ifname, [&](pw& p) -> status {
        p.local_cookie = local;
        p.remote_cookie = remote;
        return {};
    });
}

status delete_cookie(stack& s, std::string_view ifname) {
    return modify(s, ifname, [](pw& p) -> status {
        p.local_cookie = p.remote_cookie = {};
        return {};
    });
}

status set_udp(stack& s, std::string_view ifname, bool udp) {
    return modify(s, ifname, [&](pw& p) -> status {
        p.udp = udp;
        return {};
    });
}

result<info> get(stack& s, std::string_view ifname) {
    info out;
    status st = s.ctl_call([&](module_ctl& ctl) -> status {
        ifnet* ifp = ctl.if_find(ifname);
        if (!ifp) return errc::noent;
        if (!is_l2tp(*ifp)) return errc::inval;
        const l2tp_softc& sf = sc(*ifp);
        out.cfg = *sf.cfg.read();
        out.nesting_drops = sf.ctr.sum(nesting_drops);
        return {};
    });
    if (!st) return st.error();
    return out;
}

}  // namespace l2tp
}  // namespace mpnet
