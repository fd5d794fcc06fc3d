// SPDX-License-Identifier: BSD-2-Clause
// bridge(4): an MP-safe learning bridge, a module over the seams alone. See
// include/mpnet/modules/bridge.hpp for what it does and its locking.
#include "mpnet/modules/bridge.hpp"

#include "bridge_impl.hpp"

#include <fmt/format.h>
#include <rte_mbuf.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <charconv>
#include <cstring>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <vector>

#include "mpnet/core/wire.hpp"
#include "mpnet/stack/module.hpp"
#include "mpnet/sync/rcu.hpp"
#include "mpnet/sync/rcu_hash.hpp"

namespace mpnet {

namespace brimpl {

void publish_ports(br_softc& b, std::vector<br_port> v) {
    auto next = std::make_unique<br_ports>();
    next->v = std::move(v);
    b.ports.replace(next.release());
}

void fdb_remove_port(br_softc& b, ifindex_t port) {
    b.fdb.for_each([&](fdb_entry& e) {
        if (e.port.load(std::memory_order_relaxed) == port) b.fdb.remove(&e);
    });
}

void fdb_flush(br_softc& b, bool all) {
    b.fdb.for_each([&](fdb_entry& e) {
        if (all || !e.is_static) b.fdb.remove(&e);
    });
}

void fdb_age(br_softc& b, uint64_t now, uint64_t age_ns) {
    b.fdb.for_each([&](fdb_entry& e) {
        // A worker's clock may be a little ahead of ours: never "aged" then.
        const uint64_t seen = e.seen_ns.load(std::memory_order_relaxed);
        if (!e.is_static && now > seen && now - seen >= age_ns) b.fdb.remove(&e);
    });
}

}  // namespace brimpl

namespace {

using namespace bridge;
using namespace brimpl;

// ---- data path ----------------------------------------------------------------------------

bool is_reserved(const ether_addr& a) noexcept {
    return a.b[0] == 0x01 && a.b[1] == 0x80 && a.b[2] == 0xc2 && a.b[3] == 0 && a.b[4] == 0 && (a.b[5] & 0xf0) == 0;
}

bool has_addrs(const ifnet& ifp) noexcept {
    const in_ifaddr_set& a = ifp.addrs();
    return !a.v4.empty() || !a.v6.empty();
}

// Out of member `x` (past its takeover), counted on the bridge.
void send_out(dp_ctx& c, ifnet& br, ifnet& x, mbuf* m) noexcept {
    br.count(c.lcore(), if_counter::opackets);
    br.count(c.lcore(), if_counter::obytes, pkt_len(m));
    c.port_transmit(x, m);
}

// `m` out of every running member but `in` (unknown unicast: those with
// DISCOVER only), copies to all but the last; `also` more local receivers
// take copies first (group frames). Consumes `m`.
void flood(dp_ctx& c, br_state& st, ifnet& br, const br_ports& ps, ifindex_t in, mbuf* m, bool unknown,
           ifnet* const* also, unsigned nalso) noexcept {
    std::array<ifnet*, br_members_max> out;
    unsigned k = 0;
    for (const br_port& p : ps.v) {
        if (p.ifindex == in || p.state != pstate::forwarding || (unknown && !(p.flags & portf::discover))) continue;
        ifnet* x = c.if_lookup(p.ifindex);
        if (x && x->is_running()) out[k++] = x;
    }
    const unsigned total = k + nalso;
    if (total == 0) return c.drop(m, st.no_port);
    unsigned done = 0;
    auto give = [&](ifnet& to, bool local) {
        mbuf* mm = ++done == total ? m : rte_pktmbuf_copy(m, c.pool(), 0, UINT32_MAX);
        if (!mm) return c.count_drop(drop_reason::nobufs);
        if (local) return c.ether_input(to, &mm, 1);
        send_out(c, br, to, mm);
    };
    for (unsigned i = 0; i < nalso; ++i) give(*also[i], true);
    for (unsigned i = 0; i < k; ++i) give(*out[i], false);
}

// A unicast frame by the FDB: out of its port, or flooded when unknown.
void forward(dp_ctx& c, br_state& st, ifnet& br, const br_ports& ps, ifindex_t in, mbuf* m,
             const ether_addr& dst) noexcept {
    const fdb_entry* e = sc(br).fdb.lookup(dst.to_u64());
    if (!e) return flood(c, st, br, ps, in, m, true, nullptr, 0);
    const ifindex_t out = e->port.load(std::memory_order_relaxed);
    if (out == in) return c.drop(m, st.same_port);  // the station is on the segment it came from
    const br_port* op = ps.find(out);
    if (op && op->state != pstate::forwarding) return c.drop(m, st.not_forwarding);
    ifnet* x = op ? c.if_lookup(out) : nullptr;
    if (!x || !x->is_running()) return c.drop(m, drop_reason::if_down);
    send_out(c, br, *x, m);
}

void learn(dp_ctx& c, br_state& st, br_softc& b, ifindex_t bi, ifindex_t port, const ether_addr& src) noexcept {
    lcore_learn& l = st.lc[c.lcore()];
    const uint64_t now = c.now_ns();
    if (now - l.window_ns >= learn_window_ns) {
        l.window_ns = now;
        l.used = 0;
    }
    const uint32_t rate = st.learn_rate.load(std::memory_order_relaxed);
    const uint32_t per_window = rate ? std::max<uint32_t>(1, rate / 100) : 0;
    if (l.used >= per_window) {
        b.learn_limited.fetch_add(1, std::memory_order_relaxed);
        return;
    }
    ++l.used;
    module_notice n;
    n.id = st.learn_id;
    n.ifindex = bi;
    std::memcpy(n.data, src.b.data(), 6);
    std::memcpy(n.data + 6, &port, sizeof port);
    if (!c.notify(n)) b.learn_limited.fetch_add(1, std::memory_order_relaxed);
}

// Frames received on a member (its input taken over).
void member_input(dp_ctx& c, ifnet& ifp, mbuf** pkts, uint16_t n, void* arg) noexcept {
    auto& st = *static_cast<br_state*>(arg);
    const ifindex_t in = ifp.index();
    const ifindex_t bi = st.bridge_of[in].load(std::memory_order_acquire);
    ifnet* br = bi ? c.if_lookup(bi) : nullptr;
    // A bridge that is down (or going) leaves frames to the member, as NetBSD's.
    if (!br || !is_bridge(*br) || !br->is_running()) return c.ether_input(ifp, pkts, n);
    br_softc& b = sc(*br);
    const br_ports* ps = b.ports.read();
    const br_port* me = ps->find(in);
    if (!me) return c.ether_input(ifp, pkts, n);
    const ether_addr br_mac = br->lladdr();
    const uint64_t now = c.now_ns();
    ether_addr last_learned{};
    for (uint16_t i = 0; i < n; ++i) {
        mbuf* m = pkts[i];
        if (pkt_head_len(m) < sizeof(ether_hdr)) {
            c.drop(m, st.too_short);
            continue;
        }
        const auto* eh = reinterpret_cast<const ether_hdr*>(pkt_data(m));
        const ether_addr src = eh->src, dst = eh->dst;
        if (src.is_group() || src.is_zero()) {
            c.drop(m, st.bad_src);
            continue;
        }
        // 802.1D's reserved group addresses (01:80:c2:00:00:00-0f) are never
        // forwarded; BPDUs on an STP port go to the spanning tree.
        if (is_reserved(dst)) {
            if (dst.b[5] == 0 && (me->flags & portf::stp))
                c.punt(m, st.stp_punt, in, 0);
            else
                c.drop(m, st.reserved);
            continue;
        }
        br->count(c.lcore(), if_counter::ipackets);
        br->count(c.lcore(), if_counter::ibytes, pkt_len(m));
        // Learning and forwarding ports learn; only forwarding ones pass
        // frames on (blocking and listening ones take nothing).
        if (me->state != pstate::forwarding && me->state != pstate::learning) {
            c.drop(m, st.not_forwarding);
            continue;
        }
        if (me->flags & portf::learning) {
            fdb_entry* e = b.fdb.lookup(src.to_u64());
            if (!e || (e->port.load(std::memory_order_relaxed) != in && !e->is_static)) {
                if (src != last_learned) learn(c, st, b, bi, in, src);  // once per source and burst
                last_learned = src;
            } else if (const uint64_t seen = e->seen_ns.load(std::memory_order_relaxed);
                       !e->is_static && now > seen && now - seen >= seen_refresh_ns) {
                e->seen_ns.store(now, std::memory_order_relaxed);
            }
        }
        if (me->state != pstate::forwarding) {
            c.drop(m, st.not_forwarding);
            continue;
        }
        if (dst.is_group()) {
            // Out of every other port, and up the stack of the bridge and of
            // each member with addresses (an ARP request for a member's
            // address may arrive on another member: NetBSD's PR 48104).
            std::array<ifnet*, br_members_max + 1> local;
            unsigned nl = 0;
            if (has_addrs(*br)) local[nl++] = br;
            for (const br_port& p : ps->v) {
                ifnet* x = c.if_lookup(p.ifindex);
                if (x && x->is_up() && has_addrs(*x)) local[nl++] = x;
            }
            flood(c, st, *br, *ps, in, m, false, local.data(), nl);
            continue;
        }
        if (dst == br_mac) {
            c.ether_input(*br, &m, 1);
            continue;
        }
        // To a member's own address: delivered on that member.
        ifnet* to = nullptr;
        for (const br_port& p : ps->v) {
            ifnet* x = c.if_lookup(p.ifindex);
            if (x && x->lladdr() == dst) {
                to = x;
                break;
            }
        }
        if (to) {
            c.ether_input(*to, &m, 1);
            continue;
        }
        forward(c, st, *br, *ps, in, m, dst);
    }
}

// A finished frame from the bridge's own layer 3, or from a member's (its
// output taken over): by the FDB, as NetBSD's bridge_output.
void bridge_out(dp_ctx& c, br_state& st, ifnet& br, mbuf* m) noexcept {
    if (!br.is_running()) return c.drop(m, drop_reason::if_down);
    if (pkt_head_len(m) < sizeof(ether_hdr)) return c.drop(m, st.too_short);
    const br_ports* ps = sc(br).ports.read();
    const ether_addr dst = reinterpret_cast<const ether_hdr*>(pkt_data(m))->dst;
    if (dst.is_group()) return flood(c, st, br, *ps, 0, m, false, nullptr, 0);
    forward(c, st, br, *ps, 0, m, dst);
}

void bridge_transmit(dp_ctx& c, ifnet& ifp, mbuf* m, void* arg) noexcept {
    bridge_out(c, *static_cast<br_state*>(arg), ifp, m);
}

void member_output(dp_ctx& c, ifnet& ifp, mbuf* m, void* arg) noexcept {
    auto& st = *static_cast<br_state*>(arg);
    const ifindex_t bi = st.bridge_of[ifp.index()].load(std::memory_order_acquire);
    ifnet* br = bi ? c.if_lookup(bi) : nullptr;
    if (!br || !is_bridge(*br) || !br->is_running()) return c.port_transmit(ifp, m);
    bridge_out(c, st, *br, m);
}

// ---- control plane ------------------------------------------------------------------------


// Dynamic entries beyond maxaddr go, the least recently seen first.
void fdb_trim(br_softc& b) {
    if (b.fdb.size() <= b.maxaddr) return;
    std::vector<fdb_entry*> dyn;
    b.fdb.for_each([&](fdb_entry& e) {
        if (!e.is_static) dyn.push_back(&e);
    });
    std::sort(dyn.begin(), dyn.end(), [](const fdb_entry* x, const fdb_entry* y) {
        return x->seen_ns.load(std::memory_order_relaxed) < y->seen_ns.load(std::memory_order_relaxed);
    });
    for (fdb_entry* e : dyn) {
        if (b.fdb.size() <= b.maxaddr) break;
        b.fdb.remove(e);
    }
}

void member_release(br_state& st, ifnet& x, const br_port& p) {
    x.set_hook(nullptr);
    st.bridge_of[x.index()].store(0, std::memory_order_release);
    if (!p.was_promisc && x.port()) (void)x.port()->set_promisc(false);
}

status member_add(br_state& st, ifnet& br, ifnet& x) {
    if (&x == &br || is_bridge(x) || !(x.caps() & ifcap::lladdr) || (x.flags() & iff::loopback)) return errc::inval;
    if (st.bridge_of[x.index()].load(std::memory_order_relaxed)) return errc::busy;
    if (x.port())
        if (status s = x.port()->set_promisc(true); !s) return s;
    br_softc& b = sc(br);
    std::vector<br_port> v = b.ports.read()->v;
    if (v.size() >= br_members_max) return errc::nospc;
    br_port p;
    p.ifindex = x.index();
    // The NIC passes every frame; the interface's own input still takes
    // only its own (IFF_PROMISC is not set: when the bridge is down, frames
    // for other stations must not reach the member's layer 3).
    p.was_promisc = (x.flags() & iff::promisc) != 0;
    v.push_back(p);
    publish_ports(b, std::move(v));
    st.bridge_of[x.index()].store(br.index(), std::memory_order_release);
    x.set_hook(&st.hook);
    return {};
}

void member_del(module_ctl& ctl, br_state& st, ifnet& br, ifnet& x) {
    br_softc& b = sc(br);
    stp_port_enable(ctl, st, br, x.index(), false);
    std::vector<br_port> v = b.ports.read()->v;
    auto it = std::find_if(v.begin(), v.end(), [&](const br_port& p) { return p.ifindex == x.index(); });
    if (it == v.end()) return;
    const br_port p = *it;
    v.erase(it);
    member_release(st, x, p);
    publish_ports(b, std::move(v));
    fdb_remove_port(b, x.index());
}

// The periodic sweep: entries unseen for `timeout` go.
void sweep_arm(br_state& st, ifnet& br);
void sweep_run(br_state& st, ifindex_t bi, const br_softc* expect) {
    module_ctl ctl(*st.impl);
    ifnet* br = ctl.if_lookup(bi);
    if (!br || !is_bridge(*br) || &sc(*br) != expect) return;
    br_softc& b = sc(*br);
    b.sweep_timer = 0;
    if (b.timeout_s) fdb_age(b, ctl.now_ns(), uint64_t(b.timeout_s) * ns_per_s);
    sweep_arm(st, *br);
}

void sweep_arm(br_state& st, ifnet& br) {
    br_softc& b = sc(br);
    module_ctl ctl(*st.impl);
    if (b.sweep_timer) ctl.timer_cancel(b.sweep_timer);
    b.sweep_timer = 0;
    if (!b.timeout_s) return;
    // A quarter of the timeout, between 1 s and 5 minutes (NetBSD's period).
    const uint64_t period_s = std::clamp<uint64_t>(b.timeout_s / 4, 1, 300);
    const ifindex_t bi = br.index();
    const br_softc* me = &b;
    br_state* sp = &st;
    b.sweep_timer = ctl.timer_add(ctl.now_ns() + period_s * ns_per_s, [sp, bi, me] { sweep_run(*sp, bi, me); });
}

void learn_notice(module_ctl& ctl, const module_notice& n, void* arg) {
    (void)arg;
    ifnet* br = ctl.if_lookup(n.ifindex);
    if (!br || !is_bridge(*br)) return;
    br_softc& b = sc(*br);
    ether_addr mac;
    std::memcpy(mac.b.data(), n.data, 6);
    ifindex_t port;
    std::memcpy(&port, n.data + 6, sizeof port);
    const br_port* p = b.ports.read()->find(port);
    if (!p || !(p->flags & portf::learning)) return;  // it left, or stopped learning, meanwhile
    const uint64_t now = ctl.now_ns();
    if (fdb_entry* e = b.fdb.lookup(mac.to_u64())) {
        if (e->is_static) return;
        e->port.store(port, std::memory_order_relaxed);
        e->seen_ns.store(now, std::memory_order_relaxed);
        b.learned.fetch_add(1, std::memory_order_relaxed);
        return;
    }
    if (b.fdb.size() >= b.maxaddr) {
        b.fdb_full.fetch_add(1, std::memory_order_relaxed);
        return;
    }
    if (b.fdb.insert(mac.to_u64(), port, now, false)) b.learned.fetch_add(1, std::memory_order_relaxed);
}

status bridge_create(module_ctl& ctl, ifnet& ifp, void* arg) {
    ifp.set_softc(std::make_unique<br_softc>());
    ifp.set_flags(iff::broadcast | iff::simplex | iff::multicast);
    ifp.set_lladdr(ether_addr::random_local());  // as Linux's bridges
    (void)ctl;
    sweep_arm(*static_cast<br_state*>(arg), ifp);
    return {};
}

void bridge_destroy(module_ctl& ctl, ifnet& ifp, void* arg) {
    auto& st = *static_cast<br_state*>(arg);
    br_softc& b = sc(ifp);
    if (b.sweep_timer) ctl.timer_cancel(b.sweep_timer);
    b.sweep_timer = 0;
    stp_stop(ctl, ifp);
    for (const br_port& p : b.ports.read()->v)
        if (ifnet* x = ctl.if_lookup(p.ifindex)) member_release(st, *x, p);
    publish_ports(b, {});
    fdb_flush(b, true);
}

std::string port_flag_words(uint32_t f) {
    std::string s;
    if (f & portf::learning) s += "LEARNING";
    if (f & portf::discover) s += s.empty() ? "DISCOVER" : ",DISCOVER";
    if (f & portf::stp) s += s.empty() ? "STP" : ",STP";
    return fmt::format("flags={:x}<{}>", f, s);
}

void bridge_show(module_ctl& ctl, const ifnet& ifp, std::vector<std::string>& lines, void*) {
    const br_softc& b = sc(ifp);
    std::string m;
    for (const br_port& p : b.ports.read()->v)
        if (const ifnet* x = ctl.if_lookup(p.ifindex)) m += (m.empty() ? "" : " ") + x->name();
    lines.push_back("bridge members: " + (m.empty() ? std::string("none") : m));
}

void bridge_running_config(module_ctl& ctl, const ifnet& ifp, std::vector<std::string>& lines, void*) {
    const br_softc& b = sc(ifp);
    const std::string& n = ifp.name();
    if (b.maxaddr != maxaddr_default) lines.push_back(fmt::format("brconfig {} maxaddr {}", n, b.maxaddr));
    if (b.timeout_s != timeout_default_s) lines.push_back(fmt::format("brconfig {} timeout {}", n, b.timeout_s));
    const stp_bridge& t = b.stp;
    if (t.priority != stp_priority_default) lines.push_back(fmt::format("brconfig {} priority {}", n, t.priority));
    if (t.hello_s != 2 || t.fwd_delay_s != 15 || t.max_age_s != 20)
        lines.push_back(fmt::format("brconfig {} hellotime {} fwddelay {} maxage {}", n, t.hello_s, t.fwd_delay_s,
                                    t.max_age_s));
    for (const br_port& p : b.ports.read()->v) {
        const ifnet* x = ctl.if_lookup(p.ifindex);
        if (!x) continue;
        lines.push_back(fmt::format("brconfig {} add {}", n, x->name()));
        if (!(p.flags & portf::learning)) lines.push_back(fmt::format("brconfig {} -learn {}", n, x->name()));
        if (!(p.flags & portf::discover)) lines.push_back(fmt::format("brconfig {} -discover {}", n, x->name()));
        if (p.flags & portf::stp) lines.push_back(fmt::format("brconfig {} stp {}", n, x->name()));
        if (auto it = t.ports.find(p.ifindex); it != t.ports.end()) {
            if (it->second.priority != 128)
                lines.push_back(fmt::format("brconfig {} ifpriority {} {}", n, x->name(), it->second.priority));
            if (it->second.path_cost != stp_path_cost_default)
                lines.push_back(fmt::format("brconfig {} ifpathcost {} {}", n, x->name(), it->second.path_cost));
        }
    }
    const_cast<br_softc&>(b).fdb.for_each([&](fdb_entry& e) {
        if (!e.is_static) return;
        if (const ifnet* x = ctl.if_lookup(e.port.load(std::memory_order_relaxed)))
            lines.push_back(fmt::format("brconfig {} static {} {}", n, x->name(), ether_addr::from_u64(e.key).str()));
    });
}

// A member that goes leaves its bridge first; the spanning tree follows the
// bridge's and its ports' links.
void bridge_hook(module_ctl& ctl, ifnet& ifp, if_event ev, void* arg) {
    auto& st = *static_cast<br_state*>(arg);
    if (ev == if_event::attach || ev == if_event::gone) return;
    if (is_bridge(ifp)) {
        if (ev != if_event::detach && ifp.kind().arg == &st) stp_reinit(ctl, st, ifp);
        return;
    }
    const ifindex_t bi = st.bridge_of[ifp.index()].load(std::memory_order_relaxed);
    ifnet* br = bi ? ctl.if_lookup(bi) : nullptr;
    if (!br || !is_bridge(*br)) return;
    if (ev == if_event::detach) return member_del(ctl, st, *br, ifp);
    if (sc(*br).stp.ports.count(ifp.index())) stp_port_enable(ctl, st, *br, ifp.index(), true);
}

void bridge_limits(module_ctl& ctl, std::vector<limit_info>& out, void*) {
    ctl.for_each_if([&](ifnet& x) {
        if (is_bridge(x)) out.push_back({"bridge FDB " + x.name(), sc(x).maxaddr, sc(x).fdb.size()});
    });
}

void bridge_attach(module_registrar& r) {
    auto* st = r.own(std::make_unique<br_state>());
    st->impl = &r.impl();
    st->hook.input = member_input;
    st->hook.output = member_output;
    st->hook.arg = st;
    if_kind k;
    k.name = "bridge";
    k.prefix = "bridge";
    k.caps = ifcap::lladdr;
    k.transmit = bridge_transmit;
    k.create = bridge_create;
    k.destroy = bridge_destroy;
    k.show = bridge_show;
    k.running_config = bridge_running_config;
    k.arg = st;
    r.kind(k);
    r.if_hook(bridge_hook, st);
    r.limits(bridge_limits, st);
    st->learn_id = r.notice("bridge_learn", learn_notice, st);
    st->too_short = r.drop("bridge_too_short");
    st->bad_src = r.drop("bridge_bad_src");
    st->same_port = r.drop("bridge_same_port");
    st->no_port = r.drop("bridge_no_port");
    st->reserved = r.drop("bridge_reserved_group");
    st->not_forwarding = r.drop("bridge_port_not_forwarding");
    st->bad_bpdu = r.drop("bridge_bad_bpdu");
    st->stp_punt = r.punt("bridge_stp", stp_input, st);
    knob kn;
    kn.name = "net.link.bridge.learn_rate";
    kn.help = "FDB learning notices a second, per lcore (0: learn nothing)";
    kn.min = 0;
    kn.max = 10000000;
    kn.get = [](module_ctl&, void* a) -> int64_t {
        return static_cast<br_state*>(a)->learn_rate.load(std::memory_order_relaxed);
    };
    kn.set = [](module_ctl&, int64_t v, void* a) {
        static_cast<br_state*>(a)->learn_rate.store(static_cast<uint32_t>(v), std::memory_order_relaxed);
    };
    kn.arg = st;
    r.knob(kn);
}


// ---- the command language: brconfig -------------------------------------------------------

command_reply fail(std::string msg) { return {1, "brconfig: " + std::move(msg)}; }

std::string why(stack& s, errc e, std::string_view br, std::string_view ifn) {
    switch (e) {
        case errc::noent:
            return fmt::format("{}: no such interface", !s.if_get(br) || ifn.empty() ? br : ifn);
        case errc::inval:
            return fmt::format("{}: not a bridge, or {} cannot be a member (a bridge, lo, or no link address)", br,
                               ifn);
        case errc::busy:
            return fmt::format("{}: {} is a member of a bridge already", br, ifn);
        case errc::notsup:
            return fmt::format("{}: {}: not a member of this bridge (or, for ifpriority and ifpathcost, without stp)",
                               br, ifn);
        default:
            return fmt::format("{}: {}", br, errc_message(e));
    }
}

bool parse_u32(const std::string& w, uint32_t lo, uint32_t hi, uint32_t& out) {
    auto [p, ec] = std::from_chars(w.data(), w.data() + w.size(), out);
    return ec == std::errc() && p == w.data() + w.size() && out >= lo && out <= hi;
}

std::string show_text(const info& b) {
    std::string t = fmt::format("{}: flags={:x}{}\n", b.name, b.flags, iff_words(b.flags));
    t += fmt::format("\tConfiguration:\n\t\tpriority {} hellotime {} fwddelay {} maxage {}\n", b.stp.priority,
                     b.stp.hello_s, b.stp.fwd_delay_s, b.stp.max_age_s);
    t += fmt::format("\t\tid {} root {} cost {} port {}{}\n", bridge_id_str(b.stp.bridge_id),
                     bridge_id_str(b.stp.root_id), b.stp.root_cost,
                     b.stp.root_port.empty() ? "none" : b.stp.root_port, b.stp.topology_change ? " topology-change" : "");
    t += "\tInterfaces:\n";
    for (const port_info& p : b.ports)
        t += fmt::format("\t\t{} {}\n\t\t\tport {} priority {} path cost {} {}{}\n", p.ifname,
                         port_flag_words(p.flags), p.index, p.priority, p.path_cost, p.state,
                         p.role.empty() ? "" : " " + p.role);
    t += fmt::format("\tAddress cache (max cache: {}, timeout: {}):\n", b.maxaddr, b.timeout_s);
    for (const fdb_info& e : b.fdb)
        t += fmt::format("\t\t{} {} {} flags={}<{}>\n", e.mac.str(), e.ifname, e.expire_s < 0 ? 0 : e.expire_s,
                         e.is_static ? 1 : 0, e.is_static ? "STATIC" : "");
    return t;
}

nlohmann::json show_json(const info& b) {
    nlohmann::json ports = nlohmann::json::array(), fdb = nlohmann::json::array();
    for (const port_info& p : b.ports)
        ports.push_back({{"name", p.ifname},
                         {"index", p.index},
                         {"learning", (p.flags & portf::learning) != 0},
                         {"discover", (p.flags & portf::discover) != 0},
                         {"stp", (p.flags & portf::stp) != 0},
                         {"state", p.state},
                         {"role", p.role},
                         {"priority", p.priority},
                         {"path_cost", p.path_cost},
                         {"designated_root", bridge_id_str(p.designated_root)},
                         {"designated_bridge", bridge_id_str(p.designated_bridge)},
                         {"designated_cost", p.designated_cost},
                         {"designated_port", p.designated_port},
                         {"bpdus_received", p.rx_bpdus},
                         {"bpdus_sent", p.tx_bpdus}});
    for (const fdb_info& e : b.fdb)
        fdb.push_back({{"mac", e.mac.str()}, {"interface", e.ifname}, {"static", e.is_static}, {"expire", e.expire_s}});
    const nlohmann::json stp = {{"priority", b.stp.priority},
                                {"hellotime", b.stp.hello_s},
                                {"fwddelay", b.stp.fwd_delay_s},
                                {"maxage", b.stp.max_age_s},
                                {"bridge_id", bridge_id_str(b.stp.bridge_id)},
                                {"root_id", bridge_id_str(b.stp.root_id)},
                                {"root_cost", b.stp.root_cost},
                                {"root_port", b.stp.root_port},
                                {"topology_change", b.stp.topology_change}};
    return {{"name", b.name},      {"flags", iff_words(b.flags)},     {"maxaddr", b.maxaddr},
            {"timeout", b.timeout_s}, {"interfaces", ports},         {"cache", fdb},
            {"learned", b.learned}, {"learn_limited", b.learn_limited}, {"cache_full", b.fdb_full},
            {"stp", stp}};
}

command_reply cmd_brconfig(stack& s, const std::vector<std::string>& args, bool json) {
    std::vector<std::string> a{"brconfig"};  // a[i] is word i of the command line
    a.insert(a.end(), args.begin(), args.end());
    if (a.size() == 2 && a[1] == "-a") {
        auto all = list(s);
        if (json) {
            nlohmann::json j = nlohmann::json::array();
            for (const info& b : all) j.push_back(show_json(b));
            return {0, j.dump() + "\n"};
        }
        std::string t;
        for (const info& b : all) t += show_text(b);
        return {0, t};
    }
    if (a.size() < 2) return fail("usage: brconfig -a | brconfig BRIDGE [COMMAND [ARGS]]");
    const std::string& br = a[1];
    if (a.size() == 2) {
        auto b = get(s, br);
        if (!b) return fail(why(s, b.error(), br, ""));
        return {0, json ? show_json(*b).dump() + "\n" : show_text(*b)};
    }
    const std::string& verb = a[2];
    const size_t nargs = a.size() - 3;
    auto done = [&](status st, std::string_view ifn = "") -> command_reply {
        return st ? command_reply{} : fail(why(s, st.error(), br, ifn));
    };
    if ((verb == "add" || verb == "delete") && nargs == 1)
        return done(verb == "add" ? add(s, br, a[3]) : del(s, br, a[3]), a[3]);
    if ((verb == "up" || verb == "down") && nargs == 0) {
        auto b = get(s, br);
        if (!b) return fail(why(s, b.error(), br, ""));
        return done(verb == "up" ? s.if_up(br) : s.if_down(br));
    }
    if (verb == "maxaddr" && nargs == 1) {
        uint32_t n = 0;
        if (!parse_u32(a[3], 1, fdb_max, n)) return fail(fmt::format("{}: maxaddr must be 1..{}", a[3], fdb_max));
        return done(set_maxaddr(s, br, n));
    }
    if (verb == "timeout" && nargs == 1) {
        uint32_t n = 0;
        if (!parse_u32(a[3], 0, 86400 * 365, n)) return fail(fmt::format("{}: timeout must be 0..31536000 seconds", a[3]));
        return done(set_timeout(s, br, n));
    }
    if ((verb == "flush" || verb == "flushall") && nargs == 0) return done(flush(s, br, verb == "flushall"));
    if (verb == "deladdr" && nargs == 1) {
        auto mac = ether_addr::parse(a[3]);
        if (!mac) return fail(fmt::format("{}: not a MAC address", a[3]));
        status st = deladdr(s, br, *mac);
        if (!st && st.error() == errc::noent && get(s, br)) return fail(fmt::format("{}: {} not in the cache", br, a[3]));
        return done(st);
    }
    if (verb == "static" && nargs == 2) {
        auto mac = ether_addr::parse(a[4]);
        if (!mac || mac->is_group() || mac->is_zero()) return fail(fmt::format("{}: not a unicast MAC address", a[4]));
        return done(static_add(s, br, a[3], *mac), a[3]);
    }
    for (const auto& [w, flag, on] : {std::tuple{"learn", portf::learning, true},
                                      std::tuple{"-learn", portf::learning, false},
                                      std::tuple{"discover", portf::discover, true},
                                      std::tuple{"-discover", portf::discover, false},
                                      std::tuple{"stp", portf::stp, true}, std::tuple{"-stp", portf::stp, false}})
        if (verb == w && nargs == 1) return done(set_port_flag(s, br, a[3], flag, on), a[3]);
    if (verb == "priority" && nargs == 1) {
        uint32_t n = 0;
        if (!parse_u32(a[3], 0, 65535, n)) return fail(fmt::format("{}: priority must be 0..65535", a[3]));
        return done(set_priority(s, br, n));
    }
    // hellotime S, fwddelay S, maxage S: any of them, in one command (802.1D
    // ties them together: 2*(fwddelay-1) >= maxage >= 2*(hellotime+1)).
    if ((verb == "hellotime" || verb == "fwddelay" || verb == "maxage") && nargs % 2 == 1) {
        auto b = get(s, br);
        if (!b) return fail(why(s, b.error(), br, ""));
        uint32_t t[3] = {b->stp.hello_s, b->stp.fwd_delay_s, b->stp.max_age_s};
        static constexpr std::tuple<const char*, uint32_t, uint32_t> names[] = {
            {"hellotime", 1, 10}, {"fwddelay", 4, 30}, {"maxage", 6, 40}};
        for (size_t i = 2; i + 1 < a.size(); i += 2) {
            size_t k = 0;
            while (k < 3 && a[i] != std::get<0>(names[k])) ++k;
            if (k == 3) return fail(fmt::format("{}: unknown timer (hellotime, fwddelay, maxage)", a[i]));
            const auto [name, lo, hi] = names[k];
            if (!parse_u32(a[i + 1], lo, hi, t[k]))
                return fail(fmt::format("{}: {} must be {}..{} seconds", a[i + 1], name, lo, hi));
        }
        status st = set_times(s, br, t[0], t[1], t[2]);
        if (!st && st.error() == errc::inval)
            return fail(fmt::format("{}: hellotime {} fwddelay {} maxage {} break 802.1D's rule "
                                    "2*(fwddelay-1) >= maxage >= 2*(hellotime+1)",
                                    br, t[0], t[1], t[2]));
        return done(st);
    }
    if ((verb == "ifpriority" || verb == "ifpathcost") && nargs == 2) {
        uint32_t n = 0;
        const bool prio = verb == "ifpriority";
        if (!parse_u32(a[4], prio ? 0 : 1, prio ? 255 : 65535, n))
            return fail(fmt::format("{}: {} must be {}", a[4], verb, prio ? "0..255" : "1..65535"));
        return done(prio ? set_port_priority(s, br, a[3], n) : set_port_path_cost(s, br, a[3], n), a[3]);
    }
    return fail(fmt::format("{}: unknown command or wrong arguments (add IF, delete IF, up, down, maxaddr N, "
                            "timeout S, flush, flushall, deladdr MAC, static IF MAC, [-]learn IF, [-]discover IF, "
                            "[-]stp IF, priority N, hellotime S, fwddelay S, maxage S, ifpriority IF N, "
                            "ifpathcost IF N)",
                            verb));
}

constexpr module_command bridge_commands[] = {
    {"brconfig", "brconfig -a | brconfig BRIDGE [add IF | delete IF | up | down | maxaddr N | timeout S | flush | "
                 "flushall | deladdr MAC | static IF MAC | [-]learn IF | [-]discover IF | [-]stp IF | priority N | "
                 "[hellotime S] [fwddelay S] [maxage S] | ifpriority IF N | ifpathcost IF N]",
     "bridge(4) members, forwarding database, spanning tree and limits", cmd_brconfig},
};

}  // namespace

extern const module bridge_module{"bridge", bridge_attach, bridge_commands, {}};

namespace bridge {
namespace {

// The bridge and (when `member` is given) the member interface, by name.
struct found {
    ifnet* br = nullptr;
    ifnet* x = nullptr;
    br_state* st = nullptr;
};
status find(module_ctl& ctl, std::string_view br, std::string_view member, found& f) {
    f.br = ctl.if_find(br);
    if (!f.br) return errc::noent;
    if (!is_bridge(*f.br)) return errc::inval;
    f.st = static_cast<br_state*>(f.br->kind().arg);
    if (!member.empty()) {
        f.x = ctl.if_find(member);
        if (!f.x) return errc::noent;
    }
    return {};
}

info snapshot(module_ctl& ctl, ifnet& br) {
    br_softc& b = sc(br);
    info r;
    r.name = br.name();
    r.flags = br.flags();
    r.maxaddr = b.maxaddr;
    r.timeout_s = b.timeout_s;
    r.learned = b.learned.load(std::memory_order_relaxed);
    r.learn_limited = b.learn_limited.load(std::memory_order_relaxed);
    r.fdb_full = b.fdb_full.load(std::memory_order_relaxed);
    const stp_bridge& t = b.stp;
    const uint64_t id = stp_bridge_id(br);
    r.stp.priority = t.priority;
    r.stp.hello_s = t.hello_s;
    r.stp.fwd_delay_s = t.fwd_delay_s;
    r.stp.max_age_s = t.max_age_s;
    r.stp.bridge_id = id;
    r.stp.root_id = t.ports.empty() ? id : t.root_id;
    r.stp.root_cost = t.ports.empty() ? 0 : t.root_cost;
    if (const ifnet* rp = t.root_port && !t.ports.empty() ? ctl.if_lookup(t.root_port) : nullptr)
        r.stp.root_port = rp->name();
    r.stp.topology_change = t.tc;
    for (const br_port& p : b.ports.read()->v) {
        const ifnet* x = ctl.if_lookup(p.ifindex);
        if (!x) continue;
        port_info pi;
        pi.ifname = x->name();
        pi.index = p.ifindex;
        pi.flags = p.flags;
        pi.running = x->is_running();
        pi.state = pstate_name(x->is_running() || p.state != pstate::forwarding ? p.state : pstate::disabled);
        if (auto it = t.ports.find(p.ifindex); it != t.ports.end()) {
            const stp_port& sp = it->second;
            pi.priority = sp.priority;
            pi.path_cost = sp.path_cost;
            pi.designated_root = sp.d_root;
            pi.designated_bridge = sp.d_bridge;
            pi.designated_cost = sp.d_cost;
            pi.designated_port = sp.d_port;
            pi.rx_bpdus = sp.rx_bpdus;
            pi.tx_bpdus = sp.tx_bpdus;
            pi.role = stp_role(br, p.ifindex, p.state);
        }
        r.ports.push_back(std::move(pi));
    }
    const uint64_t now = ctl.now_ns();
    b.fdb.for_each([&](fdb_entry& e) {
        fdb_info f;
        f.mac = ether_addr::from_u64(e.key);
        const ifnet* x = ctl.if_lookup(e.port.load(std::memory_order_relaxed));
        f.ifname = x ? x->name() : "?";
        f.is_static = e.is_static;
        if (!e.is_static && b.timeout_s) {
            const uint64_t age = now - std::min(now, e.seen_ns.load(std::memory_order_relaxed));
            const uint64_t lim = uint64_t(b.timeout_s) * ns_per_s;
            f.expire_s = age >= lim ? 0 : int64_t((lim - age) / ns_per_s);
        }
        r.fdb.push_back(std::move(f));
    });
    std::sort(r.fdb.begin(), r.fdb.end(), [](const fdb_info& x, const fdb_info& y) { return x.mac.to_u64() < y.mac.to_u64(); });
    return r;
}

}  // namespace

status add(stack& s, std::string_view br, std::string_view member) {
    return s.ctl_call([&](module_ctl& ctl) -> status {
        found f;
        if (status st = find(ctl, br, member, f); !st) return st;
        return member_add(*f.st, *f.br, *f.x);
    });
}

status del(stack& s, std::string_view br, std::string_view member) {
    return s.ctl_call([&](module_ctl& ctl) -> status {
        found f;
        if (status st = find(ctl, br, member, f); !st) return st;
        if (!sc(*f.br).ports.read()->find(f.x->index())) return errc::notsup;
        member_del(ctl, *f.st, *f.br, *f.x);
        return {};
    });
}

status set_maxaddr(stack& s, std::string_view br, uint32_t n) {
    if (n < 1 || n > fdb_max) return errc::inval;
    return s.ctl_call([&](module_ctl& ctl) -> status {
        found f;
        if (status st = find(ctl, br, "", f); !st) return st;
        sc(*f.br).maxaddr = n;
        fdb_trim(sc(*f.br));
        return {};
    });
}

status set_timeout(stack& s, std::string_view br, uint32_t seconds) {
    return s.ctl_call([&](module_ctl& ctl) -> status {
        found f;
        if (status st = find(ctl, br, "", f); !st) return st;
        sc(*f.br).timeout_s = seconds;
        sweep_arm(*f.st, *f.br);
        return {};
    });
}

status flush(stack& s, std::string_view br, bool all) {
    return s.ctl_call([&](module_ctl& ctl) -> status {
        found f;
        if (status st = find(ctl, br, "", f); !st) return st;
        fdb_flush(sc(*f.br), all);
        return {};
    });
}

status deladdr(stack& s, std::string_view br, const ether_addr& mac) {
    return s.ctl_call([&](module_ctl& ctl) -> status {
        found f;
        if (status st = find(ctl, br, "", f); !st) return st;
        br_softc& b = sc(*f.br);
        fdb_entry* e = b.fdb.lookup(mac.to_u64());
        if (!e) return errc::noent;
        b.fdb.remove(e);
        return {};
    });
}

status static_add(stack& s, std::string_view br, std::string_view member, const ether_addr& mac) {
    if (mac.is_group() || mac.is_zero()) return errc::inval;
    return s.ctl_call([&](module_ctl& ctl) -> status {
        found f;
        if (status st = find(ctl, br, member, f); !st) return st;
        br_softc& b = sc(*f.br);
        if (!b.ports.read()->find(f.x->index())) return errc::notsup;
        fdb_entry* e = b.fdb.lookup(mac.to_u64());
        if (!e && b.fdb.size() >= b.maxaddr) return errc::nospc;
        if (e) b.fdb.remove(e);  // a learned (or older static) entry gives way
        auto r = b.fdb.insert(mac.to_u64(), f.x->index(), ctl.now_ns(), true);
        return r ? status{} : status{r.error()};
    });
}

status set_port_flag(stack& s, std::string_view br, std::string_view member, uint32_t flag, bool on) {
    return s.ctl_call([&](module_ctl& ctl) -> status {
        found f;
        if (status st = find(ctl, br, member, f); !st) return st;
        br_softc& b = sc(*f.br);
        std::vector<br_port> v = b.ports.read()->v;
        auto it = std::find_if(v.begin(), v.end(), [&](const br_port& p) { return p.ifindex == f.x->index(); });
        if (it == v.end()) return errc::notsup;
        const bool was = (it->flags & flag) != 0;
        it->flags = on ? (it->flags | flag) : (it->flags & ~flag);
        publish_ports(b, std::move(v));
        if (flag == portf::stp && was != on) stp_port_enable(ctl, *f.st, *f.br, f.x->index(), on);
        return {};
    });
}

status set_priority(stack& s, std::string_view br, uint32_t priority) {
    if (priority > 65535) return errc::inval;
    return s.ctl_call([&](module_ctl& ctl) -> status {
        found f;
        if (status st = find(ctl, br, "", f); !st) return st;
        const uint64_t old = stp_bridge_id(*f.br);
        sc(*f.br).stp.priority = static_cast<uint16_t>(priority);
        stp_reconfigure(ctl, *f.st, *f.br, old);
        return {};
    });
}

status set_times(stack& s, std::string_view br, uint32_t hello_s, uint32_t fwd_delay_s, uint32_t max_age_s) {
    if (hello_s < 1 || hello_s > 10 || fwd_delay_s < 4 || fwd_delay_s > 30 || max_age_s < 6 || max_age_s > 40 ||
        2 * (fwd_delay_s - 1) < max_age_s || max_age_s < 2 * (hello_s + 1))
        return errc::inval;
    return s.ctl_call([&](module_ctl& ctl) -> status {
        found f;
        if (status st = find(ctl, br, "", f); !st) return st;
        stp_bridge& t = sc(*f.br).stp;
        t.hello_s = static_cast<uint8_t>(hello_s);
        t.fwd_delay_s = static_cast<uint8_t>(fwd_delay_s);
        t.max_age_s = static_cast<uint8_t>(max_age_s);
        stp_reconfigure(ctl, *f.st, *f.br, stp_bridge_id(*f.br));
        return {};
    });
}

namespace {
status port_param(stack& s, std::string_view br, std::string_view member, const std::function<void(stp_port&)>& set) {
    return s.ctl_call([&](module_ctl& ctl) -> status {
        found f;
        if (status st = find(ctl, br, member, f); !st) return st;
        stp_bridge& t = sc(*f.br).stp;
        auto it = t.ports.find(f.x->index());
        if (it == t.ports.end()) return errc::notsup;  // not a member, or without stp
        set(it->second);
        stp_reconfigure(ctl, *f.st, *f.br, stp_bridge_id(*f.br));
        return {};
    });
}
}  // namespace

status set_port_priority(stack& s, std::string_view br, std::string_view member, uint32_t priority) {
    if (priority > 255) return errc::inval;
    return port_param(s, br, member, [&](stp_port& p) { p.priority = static_cast<uint8_t>(priority); });
}

status set_port_path_cost(stack& s, std::string_view br, std::string_view member, uint32_t cost) {
    if (cost < 1 || cost > 65535) return errc::inval;
    return port_param(s, br, member, [&](stp_port& p) { p.path_cost = cost; });
}

std::string bridge_id_str(uint64_t id) { return fmt::format("{:04x}.{:012x}", id >> 48, id & 0xffffffffffffULL); }

result<info> get(stack& s, std::string_view br) {
    info r;
    status st = s.ctl_call([&](module_ctl& ctl) -> status {
        found f;
        if (status e = find(ctl, br, "", f); !e) return e;
        r = snapshot(ctl, *f.br);
        return {};
    });
    if (!st) return st.error();
    return r;
}

std::vector<info> list(stack& s) {
    std::vector<info> v;
    (void)s.ctl_call([&](module_ctl& ctl) -> status {
        ctl.for_each_if([&](ifnet& x) {
            if (is_bridge(x)) v.push_back(snapshot(ctl, x));
        });
        return {};
    });
    return v;
}

}  // namespace bridge
}  // namespace mpnet
