// SPDX-License-Identifier: BSD-2-Clause
// bridge(4)'s spanning tree: IEEE 802.1D (1998) STP, the protocol Linux's
// bridge and NetBSD's bridge speak with stp on. Runs on the control plane
// only: workers hand BPDUs over (stp_input) and obey the port states the
// control plane publishes in the member set (br_port::state).
//
// The state machine follows the standard's procedures (clause 8.6-8.7):
// received configuration and TCN BPDUs, root and designated port selection,
// port state selection, the forward delay, message age, hello, hold,
// topology change and TCN timers. While a topology change is in progress
// the FDB ages at the forward delay (8.3.5). Timers are deadlines checked by
// one control-plane tick per bridge every stp_tick_ns.
#include <fmt/format.h>

#include <cstring>

#include "bridge_impl.hpp"
#include "mpnet/core/wire.hpp"

namespace mpnet::brimpl {
namespace {

constexpr uint64_t stp_tick_ns = 100 * ns_per_ms;
constexpr uint64_t hold_ns = ns_per_s;  // 802.1D's hold time: at most one BPDU a second per port
const ether_addr stp_group{{0x01, 0x80, 0xc2, 0x00, 0x00, 0x00}};
constexpr uint8_t bpdu_config = 0x00, bpdu_tcn = 0x80;
constexpr uint8_t flag_tc = 0x01, flag_tca = 0x80;
constexpr size_t config_len = 35, tcn_len = 4, llc_len = 3;

struct bpdu {
    uint8_t type = bpdu_config, flags = 0;
    uint64_t root = 0, bridge = 0;
    uint32_t cost = 0;
    uint16_t port = 0;
    uint16_t msg_age = 0, max_age = 0, hello = 0, fwd_delay = 0;  // 1/256 s
};

uint64_t ns_of(uint16_t t256) { return uint64_t(t256) * ns_per_s / 256; }

uint16_t rd16(const uint8_t* p) { return uint16_t(p[0] << 8 | p[1]); }
uint32_t rd32(const uint8_t* p) { return uint32_t(rd16(p)) << 16 | rd16(p + 2); }
uint64_t rd64(const uint8_t* p) { return uint64_t(rd32(p)) << 32 | rd32(p + 4); }
void wr16(uint8_t* p, uint16_t v) {
    p[0] = uint8_t(v >> 8);
    p[1] = uint8_t(v);
}
void wr32(uint8_t* p, uint32_t v) {
    wr16(p, uint16_t(v >> 16));
    wr16(p + 2, uint16_t(v));
}
void wr64(uint8_t* p, uint64_t v) {
    wr32(p, uint32_t(v >> 32));
    wr32(p + 4, uint32_t(v));
}

// One bridge being worked on: its interface, softc, state and the time.
struct ctx {
    module_ctl& ctl;
    br_state& st;
    ifnet& br;
    br_softc& b;
    uint64_t now;
    uint64_t id;
};

stp_bridge& S(ctx& x) { return x.b.stp; }
bool is_root(ctx& x) { return S(x).root_id == x.id; }
bool designated_for_self(ctx& x, const stp_port& p) {
    return p.d_bridge == x.id && p.d_port == stp_port_id(p);
}

// The published state of a port (what workers obey).
pstate state_of(ctx& x, ifindex_t ix) {
    const br_port* p = x.b.ports.read()->find(ix);
    return p ? p->state : pstate::disabled;
}
void set_state(ctx& x, ifindex_t ix, pstate s) {
    std::vector<br_port> v = x.b.ports.read()->v;
    bool changed = false;
    for (br_port& p : v)
        if (p.ifindex == ix && p.state != s) {
            p.state = s;
            changed = true;
        }
    if (changed) publish_ports(x.b, std::move(v));
}

void send(ctx& x, ifindex_t ix, const bpdu& u) {
    ifnet* m_if = x.ctl.if_lookup(ix);
    if (!m_if || !m_if->is_running()) return;
    const size_t body = u.type == bpdu_config ? config_len : tcn_len;
    mbuf* m = pkt_alloc(x.ctl.dp().pool(), 60);
    if (!m) return x.ctl.dp().count_drop(drop_reason::nobufs);
    uint8_t* f = pkt_data(m);
    std::memset(f, 0, 60);
    std::memcpy(f, stp_group.b.data(), 6);
    const ether_addr src = m_if->lladdr();
    std::memcpy(f + 6, src.b.data(), 6);
    wr16(f + 12, uint16_t(llc_len + body));  // 802.3 length, then LLC
    f[14] = 0x42;
    f[15] = 0x42;
    f[16] = 0x03;
    uint8_t* q = f + 17;  // protocol id 0, version 0
    q[3] = u.type;
    if (u.type == bpdu_config) {
        q[4] = u.flags;
        wr64(q + 5, u.root);
        wr32(q + 13, u.cost);
        wr64(q + 17, u.bridge);
        wr16(q + 25, u.port);
        wr16(q + 27, u.msg_age);
        wr16(q + 29, u.max_age);
        wr16(q + 31, u.hello);
        wr16(q + 33, u.fwd_delay);
    }
    if (auto it = S(x).ports.find(ix); it != S(x).ports.end()) ++it->second.tx_bpdus;
    x.ctl.dp().port_transmit(*m_if, m);
}

void transmit_config(ctx& x, ifindex_t ix) {
    stp_port& p = S(x).ports.at(ix);
    if (p.hold_until > x.now) {
        p.config_pending = true;
        return;
    }
    bpdu u;
    u.root = S(x).root_id;
    u.cost = S(x).root_cost;
    u.bridge = x.id;
    u.port = stp_port_id(p);
    if (!is_root(x)) {
        // The root port's information, aged by the time it has been held,
        // plus the least increment (so a loop of stale information dies).
        const stp_port& rp = S(x).ports.at(S(x).root_port);
        const uint64_t held = (x.now - rp.rx_at) * 256 / ns_per_s;
        u.msg_age = uint16_t(std::min<uint64_t>(0xffff, rp.rx_age + held + 1));
        if (u.msg_age >= S(x).max_age) return;
    }
    u.max_age = S(x).max_age;
    u.hello = S(x).hello;
    u.fwd_delay = S(x).fwd_delay;
    if (S(x).tc) u.flags |= flag_tc;
    if (p.tc_ack) u.flags |= flag_tca;
    p.tc_ack = false;
    p.config_pending = false;
    p.hold_until = x.now + hold_ns;
    send(x, ix, u);
}

void config_bpdu_generation(ctx& x) {
    for (auto& [ix, p] : S(x).ports)
        if (state_of(x, ix) != pstate::disabled && designated_for_self(x, p)) transmit_config(x, ix);
}

void send_tcn(ctx& x) {
    if (is_root(x)) return;
    bpdu u;
    u.type = bpdu_tcn;
    send(x, S(x).root_port, u);
}

void topology_change_detection(ctx& x) {
    stp_bridge& s = S(x);
    if (is_root(x)) {
        s.tc = true;
        s.tc_until = x.now + ns_of(s.max_age) + ns_of(s.fwd_delay);
    } else if (!s.tc_detected) {
        send_tcn(x);
        s.tcn_due = x.now + ns_of(s.hello);
    }
    s.tc_detected = true;
}

void become_designated(ctx& x, stp_port& p) {
    p.d_root = S(x).root_id;
    p.d_cost = S(x).root_cost;
    p.d_bridge = x.id;
    p.d_port = stp_port_id(p);
}

void root_selection(ctx& x) {
    stp_bridge& s = S(x);
    ifindex_t best = 0;
    const stp_port* bp = nullptr;
    for (auto& [ix, p] : s.ports) {
        if (state_of(x, ix) == pstate::disabled || designated_for_self(x, p) || p.d_root >= x.id) continue;
        if (!bp) {
            best = ix, bp = &p;
            continue;
        }
        const uint32_t c = p.d_cost + p.path_cost, bc = bp->d_cost + bp->path_cost;
        const bool better = p.d_root != bp->d_root       ? p.d_root < bp->d_root
                            : c != bc                     ? c < bc
                            : p.d_bridge != bp->d_bridge ? p.d_bridge < bp->d_bridge
                            : p.d_port != bp->d_port     ? p.d_port < bp->d_port
                                                          : stp_port_id(p) < stp_port_id(*bp);
        if (better) best = ix, bp = &p;
    }
    if (!bp) {
        s.root_id = x.id;
        s.root_cost = 0;
        s.root_port = 0;
    } else {
        s.root_id = bp->d_root;
        s.root_cost = bp->d_cost + bp->path_cost;
        s.root_port = best;
    }
}

void designated_port_selection(ctx& x) {
    stp_bridge& s = S(x);
    for (auto& [ix, p] : s.ports) {
        if (state_of(x, ix) == pstate::disabled || ix == s.root_port) continue;
        if (designated_for_self(x, p) || p.d_root != s.root_id || s.root_cost < p.d_cost ||
            (s.root_cost == p.d_cost &&
             (x.id < p.d_bridge || (x.id == p.d_bridge && stp_port_id(p) <= p.d_port))))
            become_designated(x, p);
    }
}

void make_forwarding(ctx& x, stp_port& p, ifindex_t ix) {
    if (state_of(x, ix) != pstate::blocking) return;
    set_state(x, ix, pstate::listening);
    p.fwd_due = x.now + ns_of(S(x).fwd_delay);
}

void make_blocking(ctx& x, stp_port& p, ifindex_t ix) {
    const pstate s = state_of(x, ix);
    if (s == pstate::disabled || s == pstate::blocking) return;
    if (s == pstate::forwarding || s == pstate::learning) topology_change_detection(x);
    set_state(x, ix, pstate::blocking);
    p.fwd_due = 0;
    fdb_remove_port(x.b, ix);
}

void port_state_selection(ctx& x) {
    stp_bridge& s = S(x);
    for (auto& [ix, p] : s.ports) {
        if (state_of(x, ix) == pstate::disabled) continue;
        if (ix == s.root_port) {
            p.config_pending = false;
            p.tc_ack = false;
            make_forwarding(x, p, ix);
        } else if (designated_for_self(x, p)) {
            p.msg_age_due = 0;
            make_forwarding(x, p, ix);
        } else {
            p.config_pending = false;
            p.tc_ack = false;
            make_blocking(x, p, ix);
        }
    }
}

void configuration_update(ctx& x) {
    root_selection(x);
    designated_port_selection(x);
}

// This bridge became the root: its own times, a topology change, and hellos.
void became_root(ctx& x) {
    stp_bridge& s = S(x);
    s.max_age = uint16_t(s.max_age_s * 256);
    s.hello = uint16_t(s.hello_s * 256);
    s.fwd_delay = uint16_t(s.fwd_delay_s * 256);
    topology_change_detection(x);
    s.tcn_due = 0;
    config_bpdu_generation(x);
    s.hello_due = x.now + ns_of(s.hello);
}

void received_config(ctx& x, ifindex_t ix, const bpdu& u) {
    stp_bridge& s = S(x);
    stp_port& p = s.ports.at(ix);
    const bool was_root = is_root(x);
    const bool sup = u.root != p.d_root     ? u.root < p.d_root
                     : u.cost != p.d_cost   ? u.cost < p.d_cost
                     : u.bridge != p.d_bridge ? u.bridge < p.d_bridge
                     : u.bridge != x.id     ? true
                                            : u.port <= p.d_port;
    if (sup) {
        p.d_root = u.root;
        p.d_cost = u.cost;
        p.d_bridge = u.bridge;
        p.d_port = u.port;
        p.rx_age = u.msg_age;
        p.rx_at = x.now;
        p.msg_age_due = x.now + ns_of(u.max_age > u.msg_age ? uint16_t(u.max_age - u.msg_age) : 0);
        configuration_update(x);
        port_state_selection(x);
        if (was_root && !is_root(x)) {
            // No longer the root: no hellos; a change it was announcing
            // is told to the new root by TCNs instead.
            s.hello_due = 0;
            if (s.tc_detected) {
                s.tc_until = 0;
                send_tcn(x);
                s.tcn_due = x.now + ns_of(s.hello);
            }
        }
        if (ix == s.root_port) {
            s.max_age = u.max_age;
            s.hello = u.hello;
            s.fwd_delay = u.fwd_delay;
            s.tc = (u.flags & flag_tc) != 0;
            config_bpdu_generation(x);
            if (u.flags & flag_tca) {
                s.tc_detected = false;
                s.tcn_due = 0;
            }
        }
    } else if (designated_for_self(x, p)) {
        transmit_config(x, ix);  // inferior information on our segment: answer with ours
    }
}

void received_tcn(ctx& x, ifindex_t ix) {
    stp_port& p = S(x).ports.at(ix);
    if (!designated_for_self(x, p)) return;
    topology_change_detection(x);
    p.tc_ack = true;
    transmit_config(x, ix);
}

void message_age_expired(ctx& x, ifindex_t ix) {
    const bool was_root = is_root(x);
    become_designated(x, S(x).ports.at(ix));
    configuration_update(x);
    port_state_selection(x);
    if (!was_root && is_root(x)) became_root(x);
}

void forward_delay_expired(ctx& x, stp_port& p, ifindex_t ix) {
    p.fwd_due = 0;
    if (state_of(x, ix) == pstate::listening) {
        set_state(x, ix, pstate::learning);
        p.fwd_due = x.now + ns_of(S(x).fwd_delay);
    } else if (state_of(x, ix) == pstate::learning) {
        set_state(x, ix, pstate::forwarding);
        for (auto& [j, q] : S(x).ports)
            if (designated_for_self(x, q) && j != S(x).root_port) {
                topology_change_detection(x);
                break;
            }
    }
}

void tick(module_ctl& ctl, br_state& st, ifindex_t bi, const br_softc* expect);

void arm(ctx& x) {
    stp_bridge& s = S(x);
    if (s.tick_timer || s.ports.empty()) return;
    br_state* sp = &x.st;
    const ifindex_t bi = x.br.index();
    const br_softc* me = &x.b;
    stack::impl* impl = &x.ctl.impl();
    s.tick_timer = x.ctl.timer_add(x.now + stp_tick_ns, [sp, bi, me, impl] {
        module_ctl ctl(*impl);
        tick(ctl, *sp, bi, me);
    });
}

void tick(module_ctl& ctl, br_state& st, ifindex_t bi, const br_softc* expect) {
    ifnet* br = ctl.if_lookup(bi);
    if (!br || br->kind().arg != &st || br->softc() != expect) return;
    ctx x{ctl, st, *br, sc(*br), ctl.now_ns(), stp_bridge_id(*br)};
    stp_bridge& s = S(x);
    s.tick_timer = 0;
    if (!br->is_running()) return;
    if (s.hello_due && s.hello_due <= x.now && is_root(x)) {
        config_bpdu_generation(x);
        s.hello_due = x.now + ns_of(s.hello);
    }
    if (s.tcn_due && s.tcn_due <= x.now) {
        send_tcn(x);
        s.tcn_due = x.now + ns_of(s.hello);
    }
    if (s.tc_until && s.tc_until <= x.now) {
        s.tc_until = 0;
        s.tc = false;
        s.tc_detected = false;
    }
    std::vector<ifindex_t> aged;
    for (auto& [ix, p] : s.ports) {
        if (p.msg_age_due && p.msg_age_due <= x.now) {
            p.msg_age_due = 0;
            aged.push_back(ix);
        }
        if (p.fwd_due && p.fwd_due <= x.now) forward_delay_expired(x, p, ix);
        if (p.config_pending && p.hold_until <= x.now) transmit_config(x, ix);
    }
    for (ifindex_t ix : aged) message_age_expired(x, ix);
    // 8.3.5: while the topology changes, entries age at the forward delay.
    if (s.tc && x.b.timeout_s) fdb_age(x.b, x.now, ns_of(s.fwd_delay));
    arm(x);
}

// Every STP port blocking (a port whose link is down disabled), and the
// bridge believing itself the root: where 8.8.1's initialisation starts.
void initialise(ctx& x) {
    stp_bridge& s = S(x);
    s.root_id = x.id;
    s.root_cost = 0;
    s.root_port = 0;
    s.max_age = uint16_t(s.max_age_s * 256);
    s.hello = uint16_t(s.hello_s * 256);
    s.fwd_delay = uint16_t(s.fwd_delay_s * 256);
    s.tc = s.tc_detected = false;
    s.tcn_due = s.tc_until = 0;
    for (auto& [ix, p] : s.ports) {
        ifnet* m = x.ctl.if_lookup(ix);
        const bool up = m && m->is_running() && x.br.is_running();
        set_state(x, ix, up ? pstate::blocking : pstate::disabled);
        become_designated(x, p);
        p.msg_age_due = p.fwd_due = p.hold_until = 0;
        p.config_pending = p.tc_ack = false;
    }
    port_state_selection(x);
    config_bpdu_generation(x);
    s.hello_due = x.now + ns_of(s.hello);
    arm(x);
}

}  // namespace

uint64_t stp_bridge_id(const ifnet& br) noexcept {
    return uint64_t(sc(br).stp.priority) << 48 | br.lladdr().to_u64();
}

uint16_t stp_port_id(const stp_port& p) noexcept { return uint16_t(p.priority << 8 | p.number); }

const char* stp_role(const ifnet& br, ifindex_t ifindex, pstate state) noexcept {
    const stp_bridge& s = sc(br).stp;
    const auto it = s.ports.find(ifindex);
    if (it == s.ports.end()) return "";
    if (state == pstate::disabled) return "disabled";
    if (ifindex == s.root_port) return "root";
    const stp_port& p = it->second;
    return p.d_bridge == stp_bridge_id(br) && p.d_port == stp_port_id(p) ? "designated" : "alternate";
}

const char* pstate_name(pstate s) noexcept {
    switch (s) {
        case pstate::disabled: return "disabled";
        case pstate::listening: return "listening";
        case pstate::learning: return "learning";
        case pstate::forwarding: return "forwarding";
        case pstate::blocking: return "blocking";
    }
    return "?";
}

void stp_input(module_ctl& ctl, ifnet& ifp, mbuf* m, uint32_t, void* arg) {
    auto& st = *static_cast<br_state*>(arg);
    const ifindex_t bi = st.bridge_of[ifp.index()].load(std::memory_order_relaxed);
    ifnet* br = bi ? ctl.if_lookup(bi) : nullptr;
    if (!br || br->kind().arg != &st || !br->is_running()) return pkt_free(m);
    ctx x{ctl, st, *br, sc(*br), ctl.now_ns(), stp_bridge_id(*br)};
    auto it = S(x).ports.find(ifp.index());
    if (it == S(x).ports.end() || state_of(x, ifp.index()) == pstate::disabled) return pkt_free(m);
    // 802.3 length, LLC 42 42 03, protocol 0, then the BPDU.
    const uint8_t* f = pkt_data(m);
    const uint32_t len = pkt_head_len(m);
    const uint16_t l8023 = len >= 14 ? rd16(f + 12) : 0;
    const uint8_t* q = f + 17;
    const bool llc_ok = len >= 21 && l8023 < 0x0600 && l8023 >= llc_len + tcn_len && f[14] == 0x42 && f[15] == 0x42 &&
                        f[16] == 0x03 && rd16(q) == 0;
    if (!llc_ok) return ctl.dp().drop(m, st.bad_bpdu);
    bpdu u;
    u.type = q[3];
    if (u.type == bpdu_config) {
        if (len < 17 + config_len || l8023 < llc_len + config_len) return ctl.dp().drop(m, st.bad_bpdu);
        u.flags = q[4];
        u.root = rd64(q + 5);
        u.cost = rd32(q + 13);
        u.bridge = rd64(q + 17);
        u.port = rd16(q + 25);
        u.msg_age = rd16(q + 27);
        u.max_age = rd16(q + 29);
        u.hello = rd16(q + 31);
        u.fwd_delay = rd16(q + 33);
        // 9.3.4: information as old as its max age is discarded; our own
        // BPDU looped back (same bridge and port) too.
        if (u.msg_age >= u.max_age || u.hello == 0 || (u.bridge == x.id && u.port == stp_port_id(it->second)))
            return ctl.dp().drop(m, st.bad_bpdu);
        ++it->second.rx_bpdus;
        pkt_free(m);
        received_config(x, ifp.index(), u);
    } else if (u.type == bpdu_tcn) {
        ++it->second.rx_bpdus;
        pkt_free(m);
        received_tcn(x, ifp.index());
    } else {
        return ctl.dp().drop(m, st.bad_bpdu);  // RSTP/MSTP BPDUs (version 2, 3): not spoken here
    }
}

void stp_port_enable(module_ctl& ctl, br_state& st, ifnet& br, ifindex_t port, bool stp_on) {
    br_softc& b = sc(br);
    ctx x{ctl, st, br, b, ctl.now_ns(), stp_bridge_id(br)};
    stp_bridge& s = S(x);
    const bool had = s.ports.count(port) != 0;
    if (!stp_on) {
        if (!had) return;
        const bool was_root = is_root(x);
        s.ports.erase(port);
        // Without STP a port forwards (if it is still a member).
        set_state(x, port, pstate::forwarding);
        if (s.root_port == port) s.root_port = 0;
        configuration_update(x);
        port_state_selection(x);
        if (!was_root && is_root(x)) became_root(x);
        return;
    }
    if (!had) {
        // The port number: the interface index's low byte when no other port
        // has it (as before interfaces could number past 255), else the lowest
        // free one. A bridge has at most br_members_max (255) members.
        bool used[256] = {};
        for (auto& [ix, q] : s.ports) used[q.number] = true;
        stp_port np;
        np.number = static_cast<uint8_t>(port & 0xff);
        for (unsigned k = 1; np.number == 0 || used[np.number]; ++k) np.number = static_cast<uint8_t>(k);
        s.ports.emplace(port, np);
    }
    if (s.ports.size() == 1 && !had) return initialise(x);
    // A port (re)joining, or its link changing: blocking (then listening
    // as a designated port) when it runs, disabled when not.
    stp_port& p = s.ports.at(port);
    ifnet* m = ctl.if_lookup(port);
    const bool up = m && m->is_running() && br.is_running();
    const bool was_root = is_root(x);
    if (up) {
        if (state_of(x, port) == pstate::disabled || !had) {
            set_state(x, port, pstate::blocking);
            become_designated(x, p);
            p.msg_age_due = p.fwd_due = 0;
            p.config_pending = p.tc_ack = false;
        }
    } else {
        become_designated(x, p);
        set_state(x, port, pstate::disabled);
        p.msg_age_due = p.fwd_due = 0;
        fdb_remove_port(b, port);
    }
    configuration_update(x);
    port_state_selection(x);
    if (!was_root && is_root(x)) became_root(x);
    if (up) config_bpdu_generation(x);
    arm(x);
}

void stp_reinit(module_ctl& ctl, br_state& st, ifnet& br) {
    ctx x{ctl, st, br, sc(br), ctl.now_ns(), stp_bridge_id(br)};
    if (S(x).ports.empty()) return;
    if (!br.is_running()) {
        for (auto& [ix, p] : S(x).ports) set_state(x, ix, pstate::disabled);
        return;
    }
    initialise(x);
}

void stp_reconfigure(module_ctl& ctl, br_state& st, ifnet& br, uint64_t old_id) {
    ctx x{ctl, st, br, sc(br), ctl.now_ns(), stp_bridge_id(br)};
    stp_bridge& s = S(x);
    if (s.ports.empty() || !br.is_running()) return;
    // 8.8.4 (set bridge priority) and 8.8.5 (set timer values): the ports
    // this bridge is designated for carry the new ID; the tree is found
    // again from what the ports hold, without starting over.
    const bool was_root = s.root_id == old_id;
    for (auto& [ix, p] : s.ports) {
        if (p.d_bridge == old_id && p.d_port == stp_port_id(p)) p.d_bridge = x.id;
        if (was_root && p.d_root == old_id) p.d_root = x.id;
    }
    if (was_root) s.root_id = x.id;
    configuration_update(x);
    port_state_selection(x);
    if (is_root(x)) {
        s.max_age = uint16_t(s.max_age_s * 256);
        s.hello = uint16_t(s.hello_s * 256);
        s.fwd_delay = uint16_t(s.fwd_delay_s * 256);
        if (!was_root) became_root(x);
        config_bpdu_generation(x);
    } else if (was_root) {
        s.hello_due = 0;
        if (s.tc_detected) {
            s.tc_until = 0;
            send_tcn(x);
            s.tcn_due = x.now + ns_of(s.hello);
        }
    }
    arm(x);
}

void stp_stop(module_ctl& ctl, ifnet& br) {
    stp_bridge& s = sc(br).stp;
    if (s.tick_timer) ctl.timer_cancel(s.tick_timer);
    s.tick_timer = 0;
    s.ports.clear();
}

}  // namespace mpnet::brimpl
