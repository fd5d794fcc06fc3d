// SPDX-License-Identifier: BSD-2-Clause
// vlan(4): 802.1Q sub-interfaces, a module over the seams alone. See
// include/mpnet/modules/vlan.hpp for what it does and its locking.
#include "mpnet/modules/vlan.hpp"

#include <fmt/format.h>

#include <array>
#include <atomic>
#include <charconv>
#include <cstring>
#include <memory>
#include <vector>

#include "mpnet/core/wire.hpp"
#include "mpnet/sync/rcu.hpp"

namespace mpnet {
namespace {

constexpr uint16_t ethertype_qinq = 0x88a8;
constexpr uint16_t vid_reserved = 0xfff;

/// One parent's VLAN IDs: vid -> vlan ifindex (0: none). Immutable once published.
struct vid_table {
    std::array<ifindex_t, 4096> ifindex{};
    unsigned count = 0;
};

struct vlan_state {
    std::array<rcu_ptr<vid_table>, limits::ifnet_max> by_parent;
    drop_reason too_short{}, bad_vid{}, unknown_vid{};
    vlan_state() = default;
    vlan_state(const vlan_state&) = delete;
    vlan_state& operator=(const vlan_state&) = delete;
    ~vlan_state() {
        // Every vlan went with the stack's interfaces; nothing reads these now.
        for (auto& p : by_parent) delete p.publish(nullptr);
    }
};

struct vlan_softc final : if_softc {
    std::atomic<uint64_t> cfg{0};  // parent ifindex << 16 | vid; 0: not configured
    uint16_t vid() const noexcept { return static_cast<uint16_t>(cfg.load(std::memory_order_acquire) & 0xffff); }
    ifindex_t parent() const noexcept { return static_cast<ifindex_t>(cfg.load(std::memory_order_acquire) >> 16); }
};

bool is_vlan(const ifnet& ifp) noexcept { return ifp.kind().name == "vlan"; }
vlan_softc& sc(const ifnet& ifp) noexcept { return *static_cast<vlan_softc*>(ifp.softc()); }
vlan_state& state_of(const ifnet& vlan_ifp) noexcept { return *static_cast<vlan_state*>(vlan_ifp.kind().arg); }

// ---- the per-parent tables (control plane) -------------------------------------------

void table_put(vlan_state& st, ifindex_t parent, uint16_t vid, ifindex_t ifindex) {
    const vid_table* old = st.by_parent[parent].read();
    auto next = old ? std::make_unique<vid_table>(*old) : std::make_unique<vid_table>();
    if (ifindex && !next->ifindex[vid]) ++next->count;
    if (!ifindex && next->ifindex[vid]) --next->count;
    next->ifindex[vid] = ifindex;
    st.by_parent[parent].replace(next->count ? next.release() : nullptr);
}

void detach_from_parent(ifnet& v) {
    vlan_softc& s = sc(v);
    const uint64_t cfg = s.cfg.load(std::memory_order_acquire);
    if (!cfg) return;
    table_put(state_of(v), static_cast<ifindex_t>(cfg >> 16), static_cast<uint16_t>(cfg & 0xffff), 0);
    s.cfg.store(0, std::memory_order_release);
}

// ---- data path ---------------------------------------------------------------------------

// The frame's Ethernet header was stripped by the parent's input and the tag
// is at the front: bring the addresses back over the tag, so the frame starts
// with an untagged Ethernet header.
void untag(mbuf* m) noexcept {
    uint8_t* p = pkt_prepend(m, sizeof(ether_hdr));
    std::memmove(p + 4, p, 12);
    pkt_adj(m, 4);
}

void vlan_frames(dp_ctx& c, ifnet& parent, mbuf** pkts, uint16_t n, void* arg) noexcept {
    auto& st = *static_cast<vlan_state*>(arg);
    const vid_table* t = st.by_parent[parent.index()].read();
    mbuf* tagged[pkt_batch::capacity];
    ifnet* to[pkt_batch::capacity];
    mbuf* mine[pkt_batch::capacity];
    uint16_t nt = 0, nmine = 0;
    if (!t) {
        // Not a trunk: tagged frames are not this interface's (NetBSD drops
        // them when no vlan is configured on it).
        for (uint16_t i = 0; i < n; ++i) c.drop(pkts[i], drop_reason::ether_vlan_unsupported);
        return;
    }
    for (uint16_t i = 0; i < n; ++i) {
        mbuf* m = pkts[i];
        if (pkt_head_len(m) < 4) {
            c.drop(m, st.too_short);
            continue;
        }
        const uint8_t* p = pkt_data(m);
        const uint16_t vid = static_cast<uint16_t>(((p[0] & 0x0f) << 8) | p[1]);
        const uint16_t inner = static_cast<uint16_t>((p[2] << 8) | p[3]);
        if (vid == vid_reserved) {
            c.drop(m, st.bad_vid);
            continue;
        }
        if (vid == 0) {
            // Priority-tagged: the parent's own frame. A tag inside one is
            // refused, so a frame is untagged at most once here.
            if (inner == ethertype_vlan || inner == ethertype_qinq) {
                c.drop(m, st.bad_vid);
                continue;
            }
            untag(m);
            mine[nmine++] = m;
            continue;
        }
        const ifindex_t ix = t->ifindex[vid];
        ifnet* v = ix ? c.if_lookup(ix) : nullptr;
        if (!ix) {
            c.drop(m, st.unknown_vid);
            continue;
        }
        if (!v) {
            c.drop(m, drop_reason::if_gone);
            continue;
        }
        if (!v->is_up()) {
            c.drop(m, drop_reason::if_down);
            continue;
        }
        untag(m);
        v->count(c.lcore(), if_counter::ipackets);
        v->count(c.lcore(), if_counter::ibytes, pkt_len(m));
        tagged[nt] = m;
        to[nt++] = v;
    }
    if (nmine) c.ether_input(parent, mine, nmine);
    // Each vlan's frames of the burst in one call, in arrival order.
    // (through if_input: a vlan may be a bridge member).
    pkt_for_each_group(tagged, to, nt, [&](ifnet* v, mbuf** grp, uint16_t ng) { c.if_input(*v, grp, ng); });
}

// A finished untagged frame of the vlan: insert the tag, out of the parent.
void vlan_transmit(dp_ctx& c, ifnet& ifp, mbuf* m, void*) noexcept {
    const uint64_t cfg = sc(ifp).cfg.load(std::memory_order_acquire);
    ifnet* parent = cfg ? c.if_lookup(static_cast<ifindex_t>(cfg >> 16)) : nullptr;
    if (!parent || !parent->is_running()) return c.drop(m, drop_reason::if_down);
    if (pkt_head_len(m) < sizeof(ether_hdr)) return c.drop(m, drop_reason::ether_too_short);
    uint8_t* p = pkt_prepend(m, 4);
    if (!p) return c.drop(m, drop_reason::nobufs);
    std::memmove(p, p + 4, 12);
    const uint16_t vid = static_cast<uint16_t>(cfg & 0x0fff);
    p[12] = ethertype_vlan >> 8;
    p[13] = ethertype_vlan & 0xff;
    p[14] = static_cast<uint8_t>(vid >> 8);  // priority 0, DEI 0
    p[15] = static_cast<uint8_t>(vid & 0xff);
    ifp.count(c.lcore(), if_counter::opackets);
    ifp.count(c.lcore(), if_counter::obytes, pkt_len(m));
    c.transmit(*parent, m);
}

// ---- control plane --------------------------------------------------------------------------

status vlan_create(module_ctl&, ifnet& ifp, void*) {
    ifp.set_softc(std::make_unique<vlan_softc>());
    ifp.set_flags(iff::broadcast | iff::simplex | iff::multicast);
    return {};
}

void vlan_destroy(module_ctl&, ifnet& ifp, void*) { detach_from_parent(ifp); }

bool vlan_link_up(module_ctl& ctl, const ifnet& ifp, void*) {
    const ifindex_t parent = sc(ifp).parent();
    const ifnet* p = parent ? ctl.if_lookup(parent) : nullptr;
    return p && p->is_running();
}

void vlan_show(module_ctl& ctl, const ifnet& ifp, std::vector<std::string>& lines, void*) {
    const vlan_softc& s = sc(ifp);
    const ifnet* p = s.parent() ? ctl.if_lookup(s.parent()) : nullptr;
    lines.push_back(p ? "vlan: " + std::to_string(s.vid()) + " parent: " + p->name() : "vlan: none");
}

void vlan_running_config(module_ctl& ctl, const ifnet& ifp, std::vector<std::string>& lines, void*) {
    const vlan_softc& s = sc(ifp);
    if (const ifnet* p = s.parent() ? ctl.if_lookup(s.parent()) : nullptr)
        lines.push_back("ifconfig " + ifp.name() + " vlan " + std::to_string(s.vid()) + " vlanif " + p->name());
}

// A parent's lifecycle reaches its vlans: they run while it runs, and go when it goes.
// (The parent's VID table names them: no walk over every interface, of
// which there may be 100 000 tunnels.)
void vlan_hook(module_ctl& ctl, ifnet& ifp, if_event ev, void* arg) {
    if (is_vlan(ifp)) return;
    const vid_table* t = static_cast<vlan_state*>(arg)->by_parent[ifp.index()].read();
    if (!t) return;
    std::vector<ifnet*> children;
    for (const ifindex_t ix : t->ifindex)
        if (ifnet* v = ix ? ctl.if_lookup(ix) : nullptr; v && is_vlan(*v)) children.push_back(v);
    for (ifnet* v : children) {
        switch (ev) {
            case if_event::detach:
                ctl.if_destroy(*v);
                break;
            case if_event::up:
            case if_event::link_up:
                ctl.link_changed(*v, ifp.is_running());
                break;
            case if_event::down:
            case if_event::link_down:
                ctl.link_changed(*v, false);
                break;
            case if_event::attach:
            case if_event::gone:
                break;
        }
    }
}

void vlan_attach(module_registrar& r) {
    auto* st = r.own(std::make_unique<vlan_state>());
    if_kind k;
    k.name = "vlan";
    k.prefix = "vlan";
    k.caps = ifcap::lladdr;
    k.transmit = vlan_transmit;
    k.create = vlan_create;
    k.destroy = vlan_destroy;
    k.link_up = vlan_link_up;
    k.show = vlan_show;
    k.running_config = vlan_running_config;
    k.arg = st;
    r.kind(k);
    r.ethertype(ethertype_vlan, vlan_frames, st);
    r.if_hook(vlan_hook, st);
    st->too_short = r.drop("vlan_too_short");
    st->bad_vid = r.drop("vlan_bad_vid");
    st->unknown_vid = r.drop("vlan_unknown_vid");
}

// ---- the command language: ifconfig IF vlan VID vlanif PARENT | -vlanif ----------------------

command_reply fail(std::string msg) { return {1, "ifconfig: " + std::move(msg)}; }

// ifconfig IF vlan VID vlanif PARENT, in either order (NetBSD's ifconfig).
command_reply verb_set(stack& s, std::string_view ifn, const std::vector<std::string>& w, bool) {
    if (w.size() != 4 || w[0] == w[2] || (w[2] != "vlan" && w[2] != "vlanif"))
        return fail("usage: ifconfig IF vlan VID vlanif PARENT");
    const std::string& vid_s = w[0] == "vlan" ? w[1] : w[3];
    const std::string& parent = w[0] == "vlan" ? w[3] : w[1];
    uint16_t vid = 0;
    auto [p, ec] = std::from_chars(vid_s.data(), vid_s.data() + vid_s.size(), vid);
    if (ec != std::errc() || p != vid_s.data() + vid_s.size() || vid < 1 || vid > vlan::vid_max)
        return fail(fmt::format("{}: vlan tag must be 1..{}", vid_s, vlan::vid_max));
    const status st = vlan::set(s, ifn, vid, parent);
    if (st) return {};
    switch (st.error()) {
        case errc::inval:
            return fail(fmt::format("{}: not a vlan interface, or {} is not an Ethernet interface", ifn, parent));
        case errc::exist:
            return fail(fmt::format("{}: vlan {} exists on {}", ifn, vid, parent));
        case errc::busy:
            return fail(fmt::format("{}: has a parent already (-vlanif first)", ifn));
        default:
            return fail(fmt::format("{}: {}", ifn, errc_message(st.error())));
    }
}

command_reply verb_unset(stack& s, std::string_view ifn, const std::vector<std::string>& w, bool) {
    if (w.size() != 1) return fail("usage: ifconfig IF -vlanif");
    const status st = vlan::unset(s, ifn);
    return st ? command_reply{} : fail(fmt::format("{}: {}", ifn, errc_message(st.error())));
}

constexpr ifconfig_verb vlan_verbs[] = {
    {"vlan", "vlan VID vlanif PARENT", verb_set},
    {"vlanif", "vlan VID vlanif PARENT", verb_set},
    {"-vlanif", "-vlanif", verb_unset},
};

}  // namespace

extern const module vlan_module{"vlan", vlan_attach, {}, vlan_verbs};

namespace vlan {

status set(stack& s, std::string_view ifname, uint16_t vid, std::string_view parent) {
    return s.ctl_call([&](module_ctl& ctl) -> status {
        ifnet* v = ctl.if_find(ifname);
        ifnet* p = ctl.if_find(parent);
        if (!v || !p) return errc::noent;
        // The parent is an Ethernet port: no vlan on a vlan (or on lo).
        if (!is_vlan(*v) || vid < 1 || vid > vid_max || !(p->caps() & ifcap::lladdr) || !p->port()) return errc::inval;
        if (sc(*v).cfg.load(std::memory_order_acquire)) return errc::busy;
        vlan_state& st = state_of(*v);
        if (const vid_table* t = st.by_parent[p->index()].read(); t && t->ifindex[vid]) return errc::exist;
        v->set_lladdr(p->lladdr());
        const uint32_t pm = p->mtu(), mx = p->port()->max_mtu();
        v->set_mtu(mx >= pm + 4 ? pm : pm - 4);
        sc(*v).cfg.store(uint64_t{p->index()} << 16 | vid, std::memory_order_release);
        table_put(st, p->index(), vid, v->index());
        ctl.link_changed(*v, p->is_running());
        return {};
    });
}

status unset(stack& s, std::string_view ifname) {
    return s.ctl_call([&](module_ctl& ctl) -> status {
        ifnet* v = ctl.if_find(ifname);
        if (!v) return errc::noent;
        if (!is_vlan(*v)) return errc::inval;
        detach_from_parent(*v);
        ctl.link_changed(*v, false);
        return {};
    });
}

result<config> get(stack& s, std::string_view ifname) {
    config c;
    status st = s.ctl_call([&](module_ctl& ctl) -> status {
        ifnet* v = ctl.if_find(ifname);
        if (!v) return errc::noent;
        if (!is_vlan(*v)) return errc::inval;
        c.vid = sc(*v).vid();
        if (const ifnet* p = sc(*v).parent() ? ctl.if_lookup(sc(*v).parent()) : nullptr) c.parent = p->name();
        return {};
    });
    if (!st) return st.error();
    return c;
}

}  // namespace vlan
}  // namespace mpnet
